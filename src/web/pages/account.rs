//! Setup of the first organization, sign-in and sign-out, password reset and set-password links, own profile.

use super::layout::{CsrfOnly, Guest, Layout, Page, redirect_with, render, render_invalid, safe_next};
use crate::domain::{EmailAddress, FieldErrors, Language, OrgName, Password, PersonName, TimeZoneName};
use crate::store::orgs::NewOrganization;
use crate::store::sessions::{self, ThrottleRule};
use crate::store::users;
use crate::usecase::accounts::verify_password;
use crate::usecase::{self, UseCaseError};
use crate::web::auth::{CSRF_COOKIE, CsrfToken, CurrentUser, SESSION_COOKIE, client_ip, cookie, get_cookie};
use crate::web::error::{PageError, PageResult};
use crate::web::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use std::net::SocketAddr;

/// Per account: 5 failed sign-ins within 15 minutes lock it for 15 minutes.
pub const ACCOUNT_THROTTLE: ThrottleRule = ThrottleRule { max_failures: 5, window_ms: 15 * 60 * 1000 };
/// Per client address: 20 failed sign-ins within 15 minutes lock it for 15 minutes.
pub const IP_THROTTLE: ThrottleRule = ThrottleRule { max_failures: 20, window_ms: 15 * 60 * 1000 };
pub const SETUP_TTL_MS: i64 = 24 * 3600 * 1000;

/// Starts a session for `user_id`; a session this browser had before (another user's, say) ends.
async fn start_session(state: &AppState, headers: &HeaderMap, user_id: &str) -> PageResult<String> {
    if let Some(earlier) = get_cookie(headers, SESSION_COOKIE) {
        sessions::delete_session(&state.store, &sessions::hash_secret(earlier)).await?;
    }
    let (token, hash) = sessions::new_secret().map_err(anyhow::Error::from)?;
    sessions::create_session(&state.store, user_id, &hash).await?;
    Ok(token)
}

/// Sets the session cookie and a new CSRF token: a token a page of the signed-out browser may have leaked does not
/// carry over into the session.
fn with_session(mut res: Response, state: &AppState, token: &str) -> PageResult<Response> {
    let c = cookie(SESSION_COOKIE, token, Some(sessions::SESSION_TTL_MS / 1000), state.secure_cookies);
    res.headers_mut().append(header::SET_COOKIE, c);
    let (csrf, _) = sessions::new_secret().map_err(anyhow::Error::from)?;
    res.headers_mut().append(header::SET_COOKIE, cookie(CSRF_COOKIE, &csrf, None, state.secure_cookies));
    Ok(res)
}

// ---- setup ----

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    layout: Layout,
    token: String,
    form: SetupForm,
    errors: FieldErrors,
    timezones: Vec<String>,
    languages: Vec<(&'static str, &'static str)>,
}

#[derive(serde::Deserialize, Default, Clone)]
pub struct SetupForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    org_name: String,
    #[serde(default)]
    timezone: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

use super::layout::languages;

async fn setup_token_valid(state: &AppState, token: &str) -> PageResult<bool> {
    Ok(sessions::check_one_time_token(&state.store, "setup", &sessions::hash_secret(token)).await?.is_some())
}

pub async fn setup_form(ctx: Guest, Path(token): Path<String>) -> PageResult {
    if !setup_token_valid(&ctx.state, &token).await? {
        return Err(PageError::NotFound);
    }
    let form = SetupForm { timezone: "UTC".into(), language: "en".into(), ..Default::default() };
    let layout = ctx.layout("Set up Candor");
    let page = SetupPage {
        layout,
        token,
        form,
        errors: FieldErrors::new(),
        timezones: TimeZoneName::all(),
        languages: languages(),
    };
    render(&page, &page.layout)
}

pub async fn setup_submit(ctx: Guest, Path(token): Path<String>, Form(form): Form<SetupForm>) -> PageResult {
    ctx.verify(&form.csrf)?;
    if !setup_token_valid(&ctx.state, &token).await? {
        return Err(PageError::NotFound);
    }
    let mut errors = FieldErrors::new();
    let org_name = errors.check(OrgName::parse("org_name", &form.org_name));
    let timezone = errors.check(TimeZoneName::parse("timezone", &form.timezone));
    let language = errors.check(Language::parse("language", &form.language));
    let name = errors.check(PersonName::parse("name", &form.name));
    let email = errors.check(EmailAddress::parse("email", &form.email));
    let password = errors.check(Password::parse("password", &form.password));
    let invalid = |errors: FieldErrors, form: SetupForm| {
        let layout = ctx.layout("Set up Candor");
        let page = SetupPage {
            layout,
            token: token.clone(),
            form,
            errors,
            timezones: TimeZoneName::all(),
            languages: languages(),
        };
        render_invalid(&page, &page.layout)
    };
    let (Some(org_name), Some(timezone), Some(language), Some(name), Some(email), Some(password)) =
        (org_name, timezone, language, name, email, password)
    else {
        return invalid(errors, form);
    };
    let org = NewOrganization { name: org_name, timezone, language };
    match usecase::accounts::set_up(&ctx.state.usecases, &org, name, email, &password).await {
        Ok(user) => {
            let session = start_session(&ctx.state, &ctx.headers, &user.id).await?;
            with_session(
                ctx.redirect("/candidates", "Welcome to Candor. Your organization is ready."),
                &ctx.state,
                &session,
            )
        }
        Err(UseCaseError::Conflict("user_email")) => {
            errors.push("email", "This email already has a Candor account.");
            invalid(errors, form)
        }
        Err(UseCaseError::Conflict(_)) => {
            errors.push("org_name", "An organization with this name already exists.");
            invalid(errors, form)
        }
        Err(e) => Err(e.into()),
    }
}

// ---- sign in / out ----

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    layout: Layout,
    email: String,
    next: String,
    error: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn login_form(
    user: Option<CurrentUser>,
    csrf: CsrfToken,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> PageResult {
    let next = safe_next(q.next.as_deref());
    if user.is_some() {
        return Ok(Redirect::to(&next).into_response());
    }
    let layout = Layout::anonymous(&csrf, &headers, "Sign in");
    let page = LoginPage { layout, email: String::new(), next, error: None };
    render(&page, &page.layout)
}

#[derive(serde::Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

fn minutes_until(state: &AppState, until_ms: i64) -> i64 {
    ((until_ms - state.store.now_ms()) as f64 / 60_000.0).ceil().max(1.0) as i64
}

pub async fn login_submit(
    ctx: Guest,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Form(form): Form<LoginForm>,
) -> PageResult {
    ctx.verify(&form.csrf)?;
    let next = safe_next(form.next.as_deref());
    let fail = |message: String| {
        let layout = ctx.layout("Sign in");
        let page = LoginPage { layout, email: form.email.clone(), next: next.clone(), error: Some(message) };
        render_invalid(&page, &page.layout)
    };
    let client = client_ip(&ctx.headers, Some(peer), &ctx.state.config).to_string();
    let ip_key = format!("ip:{client}");
    let account_key = sessions::account_throttle_key(&form.email);
    // Each attempt is counted before its password is checked, so attempts made at once cannot get past the limit.
    if let Err(until) = sessions::throttle_take_attempt(&ctx.state.store, &ip_key, IP_THROTTLE).await? {
        return fail(too_many(&ctx.state, until));
    }
    if let Err(until) = sessions::throttle_take_attempt(&ctx.state.store, &account_key, ACCOUNT_THROTTLE).await? {
        sessions::throttle_give_back(&ctx.state.store, &ip_key).await?;
        return fail(too_many(&ctx.state, until));
    }
    let found = match EmailAddress::parse("email", &form.email) {
        Ok(email) => users::for_login(&ctx.state.store, &email).await?,
        Err(_) => None,
    };
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), hash),
        None => (None, None),
    };
    let ok = verify_password(form.password.clone(), hash).await?;
    match user {
        Some(user) if ok && user.active => {
            sessions::throttle_clear(&ctx.state.store, &account_key).await?;
            sessions::throttle_give_back(&ctx.state.store, &ip_key).await?;
            let two_factor = usecase::two_factor::state(&ctx.state.usecases, &user.id).await?;
            let org = crate::store::orgs::get(&ctx.state.store, &user.org_id).await?;
            if two_factor.enabled() || org.require_two_factor {
                return second_step_begin(&ctx.state, &user.id, &next).await;
            }
            let session = start_session(&ctx.state, &ctx.headers, &user.id).await?;
            usecase::audit::sign_in(&ctx.state.usecases, &user, &client, None).await?;
            tracing::info!(user_id = %user.id, org_id = %user.org_id, "signed in");
            with_session(Redirect::to(&next).into_response(), &ctx.state, &session)
        }
        Some(user) if ok => {
            sessions::throttle_give_back(&ctx.state.store, &account_key).await?;
            sessions::throttle_give_back(&ctx.state.store, &ip_key).await?;
            usecase::audit::sign_in(&ctx.state.usecases, &user, &client, Some("deactivated")).await?;
            tracing::info!(user_id = %user.id, "sign-in refused: deactivated");
            fail("This account has been deactivated. Ask an administrator of your organization.".into())
        }
        _ => {
            if let Some(user) = &user {
                usecase::audit::sign_in(&ctx.state.usecases, user, &client, Some("wrong password")).await?;
            }
            sessions::throttle_attempt_failed(&ctx.state.store, &account_key, ACCOUNT_THROTTLE).await?;
            sessions::throttle_attempt_failed(&ctx.state.store, &ip_key, IP_THROTTLE).await?;
            fail("The email or password is not right.".into())
        }
    }
}

// ---- the second step of a sign-in (two-factor) ----

/// The one-time token of a sign-in whose password was right and whose second step is to come.
const SECOND_STEP: &str = "second_step";
const SECOND_STEP_COOKIE: &str = "candor_second_step";
/// Minutes to finish the second step.
const SECOND_STEP_TTL_MS: i64 = 10 * 60 * 1000;

async fn second_step_begin(state: &AppState, user_id: &str, next: &str) -> PageResult {
    let (token, hash) = sessions::new_secret().map_err(anyhow::Error::from)?;
    sessions::create_one_time_token(&state.store, SECOND_STEP, Some(user_id), &hash, SECOND_STEP_TTL_MS, None).await?;
    let to = format!("/login/code?next={}", url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>());
    let mut res = Redirect::to(&to).into_response();
    let c = cookie(SECOND_STEP_COOKIE, &token, Some(SECOND_STEP_TTL_MS / 1000), state.secure_cookies);
    res.headers_mut().append(header::SET_COOKIE, c);
    Ok(res)
}

/// The user whose second step this browser is at, with the token's hash; `None` when there is none (or it ran out).
async fn second_step_user(state: &AppState, headers: &HeaderMap) -> PageResult<Option<(users::User, String)>> {
    let Some(token) = get_cookie(headers, SECOND_STEP_COOKIE) else { return Ok(None) };
    let hash = sessions::hash_secret(token);
    let Some(user_id) = sessions::check_one_time_token(&state.store, SECOND_STEP, &hash).await? else {
        return Ok(None);
    };
    let user = users::by_id(&state.store, &user_id).await?;
    Ok(user.active.then_some((user, hash)))
}

#[derive(Template)]
#[template(path = "second_step.html")]
struct SecondStepPage {
    layout: Layout,
    next: String,
    /// Setting up (the organization requires it): the secret to type in and where the QR code is.
    setup: Option<String>,
    error: Option<String>,
}

fn second_step_page(layout: Layout, next: String, setup: Option<String>, error: Option<String>) -> PageResult {
    let invalid = error.is_some();
    let page = SecondStepPage { layout, next, setup, error };
    if invalid { render_invalid(&page, &page.layout) } else { render(&page, &page.layout) }
}

pub async fn second_step_form(ctx: Guest, Query(q): Query<NextQuery>) -> PageResult {
    let next = safe_next(q.next.as_deref());
    let Some((user, _)) = second_step_user(&ctx.state, &ctx.headers).await? else {
        return Ok(redirect_with(&ctx.state, "/login", "Sign in again: the sign-in took too long."));
    };
    let org = crate::store::orgs::get(&ctx.state.store, &user.org_id).await?;
    let setup = usecase::two_factor::enrolment(&ctx.state.usecases, &user, &org.name).await?.map(|e| e.secret);
    second_step_page(ctx.layout("Sign-in code"), next, setup, None)
}

/// The QR code of the secret being set up during a sign-in.
pub async fn second_step_qr(ctx: Guest) -> PageResult {
    let Some((user, _)) = second_step_user(&ctx.state, &ctx.headers).await? else { return Err(PageError::NotFound) };
    let org = crate::store::orgs::get(&ctx.state.store, &user.org_id).await?;
    let enrolment = usecase::two_factor::enrolment(&ctx.state.usecases, &user, &org.name).await?;
    enrolment.map(|e| qr_response(e.qr_svg)).ok_or(PageError::NotFound)
}

fn qr_response(svg: String) -> Response {
    ([(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "no-store")], svg).into_response()
}

#[derive(serde::Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
    next: Option<String>,
    #[serde(default)]
    password: String,
}

#[derive(Template)]
#[template(path = "recovery_codes.html")]
struct RecoveryCodesPage {
    layout: Layout,
    codes: Vec<String>,
    next: String,
}

/// The second step: a code from the app or a recovery code (or, while setting up, the first code), throttled like
/// the password per account and per address.
pub async fn second_step_submit(
    ctx: Guest,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Form(form): Form<CodeForm>,
) -> PageResult {
    ctx.verify(&form.csrf)?;
    let next = safe_next(form.next.as_deref());
    let Some((user, token_hash)) = second_step_user(&ctx.state, &ctx.headers).await? else {
        return Ok(redirect_with(&ctx.state, "/login", "Sign in again: the sign-in took too long."));
    };
    let org = crate::store::orgs::get(&ctx.state.store, &user.org_id).await?;
    let client = client_ip(&ctx.headers, Some(peer), &ctx.state.config).to_string();
    let setting_up = usecase::two_factor::enrolment(&ctx.state.usecases, &user, &org.name).await?.map(|e| e.secret);
    let fail =
        |message: String| second_step_page(ctx.layout("Sign-in code"), next.clone(), setting_up.clone(), Some(message));
    let ip_key = format!("ip:{client}");
    let code_key = format!("second-step:{}", user.id);
    if let Err(until) = sessions::throttle_take_attempt(&ctx.state.store, &ip_key, IP_THROTTLE).await? {
        return fail(too_many(&ctx.state, until));
    }
    if let Err(until) = sessions::throttle_take_attempt(&ctx.state.store, &code_key, ACCOUNT_THROTTLE).await? {
        sessions::throttle_give_back(&ctx.state.store, &ip_key).await?;
        return fail(too_many(&ctx.state, until));
    }
    let (passed, codes, flash) = if setting_up.is_some() {
        match usecase::two_factor::enable(&ctx.state.usecases, &user, &form.code, &user.name).await {
            Ok(codes) => (true, Some(codes), None),
            Err(UseCaseError::Invalid(_)) => (false, None, None),
            Err(e) => return Err(e.into()),
        }
    } else {
        match usecase::two_factor::check(&ctx.state.usecases, &user, &form.code).await? {
            usecase::two_factor::Checked::Code => (true, None, None),
            usecase::two_factor::Checked::RecoveryCode(left) => (
                true,
                None,
                Some(format!(
                    "You signed in with a recovery code; {left} are left. Make new ones on your profile if you are running out."
                )),
            ),
            usecase::two_factor::Checked::Wrong => (false, None, None),
        }
    };
    if !passed || !sessions::spend_one_time_token(&ctx.state.store, SECOND_STEP, &token_hash).await? {
        usecase::two_factor::refused(&ctx.state.usecases, &user, &client).await?;
        sessions::throttle_attempt_failed(&ctx.state.store, &code_key, ACCOUNT_THROTTLE).await?;
        sessions::throttle_attempt_failed(&ctx.state.store, &ip_key, IP_THROTTLE).await?;
        return fail("That code is not right. Enter the six digits your app shows now, or a recovery code.".into());
    }
    sessions::throttle_clear(&ctx.state.store, &code_key).await?;
    sessions::throttle_give_back(&ctx.state.store, &ip_key).await?;
    let session = start_session(&ctx.state, &ctx.headers, &user.id).await?;
    usecase::audit::sign_in(&ctx.state.usecases, &user, &client, None).await?;
    tracing::info!(user_id = %user.id, org_id = %user.org_id, "signed in with a second factor");
    let mut res = match (codes, flash) {
        (Some(codes), _) => {
            let page = RecoveryCodesPage { layout: ctx.layout("Your recovery codes"), codes, next };
            render(&page, &page.layout)?
        }
        (None, Some(flash)) => redirect_with(&ctx.state, &next, &flash),
        (None, None) => Redirect::to(&next).into_response(),
    };
    res.headers_mut().append(header::SET_COOKIE, cookie(SECOND_STEP_COOKIE, "", Some(0), ctx.state.secure_cookies));
    with_session(res, &ctx.state, &session)
}

// ---- two-factor sign-in on one's profile ----

#[derive(Template)]
#[template(path = "two_factor.html")]
struct TwoFactorPage {
    layout: Layout,
    enabled: bool,
    codes_left: i64,
    required: bool,
    /// Setting up: the secret to type in by hand.
    secret: Option<String>,
    errors: FieldErrors,
}

async fn two_factor_page(ctx: &Page, errors: FieldErrors) -> PageResult {
    let actor = &ctx.user.actor;
    let state = usecase::two_factor::state(&ctx.state.usecases, &actor.user.id).await?;
    let secret = if state.enabled() {
        None
    } else {
        usecase::two_factor::enrolment(&ctx.state.usecases, &actor.user, &actor.org.name).await?.map(|e| e.secret)
    };
    let page = TwoFactorPage {
        layout: ctx.layout("Two-factor sign-in", "profile"),
        enabled: state.enabled(),
        codes_left: state.recovery_codes_left,
        required: actor.org.require_two_factor,
        secret,
        errors,
    };
    if page.errors.is_empty() { render(&page, &page.layout) } else { render_invalid(&page, &page.layout) }
}

pub async fn two_factor_form(ctx: Page) -> PageResult {
    two_factor_page(&ctx, FieldErrors::new()).await
}

pub async fn two_factor_qr(ctx: Page) -> PageResult {
    let actor = &ctx.user.actor;
    let enrolment = usecase::two_factor::enrolment(&ctx.state.usecases, &actor.user, &actor.org.name).await?;
    enrolment.map(|e| qr_response(e.qr_svg)).ok_or(PageError::NotFound)
}

/// Turns it on with the first code; the recovery codes are shown once.
pub async fn two_factor_enable(ctx: Page, Form(form): Form<CodeForm>) -> PageResult {
    ctx.verify(&form.csrf)?;
    let actor = &ctx.user.actor;
    let made = usecase::two_factor::enable(&ctx.state.usecases, &actor.user, &form.code, &actor.user.name).await;
    recovery_codes_page(&ctx, made).await
}

/// New recovery codes shown once, or the two-factor page with the code's error.
async fn recovery_codes_page(ctx: &Page, made: Result<Vec<String>, UseCaseError>) -> PageResult {
    match made {
        Ok(codes) => {
            let layout = ctx.layout("Your recovery codes", "profile");
            let page = RecoveryCodesPage { layout, codes, next: "/profile/two-factor".into() };
            render(&page, &page.layout)
        }
        Err(UseCaseError::Invalid(errors)) => two_factor_page(ctx, errors).await,
        Err(e) => Err(e.into()),
    }
}

/// Turns it off, after the password and a code again.
pub async fn two_factor_disable(ctx: Page, Form(form): Form<CodeForm>) -> PageResult {
    ctx.verify(&form.csrf)?;
    let actor = &ctx.user.actor;
    let hash = users::password_hash(&ctx.state.store, &actor.user.id).await?;
    if !verify_password(form.password.clone(), hash).await? {
        let mut errors = FieldErrors::new();
        errors.push("password", "That is not your password.");
        return two_factor_page(&ctx, errors).await;
    }
    match usecase::two_factor::disable(&ctx.state.usecases, actor, &form.code).await {
        Ok(()) => Ok(ctx.redirect("/profile/two-factor", "Two-factor sign-in is off.")),
        Err(UseCaseError::Invalid(errors)) => two_factor_page(&ctx, errors).await,
        Err(e) => Err(e.into()),
    }
}

/// New recovery codes, after a code; shown once.
pub async fn recovery_codes_renew(ctx: Page, Form(form): Form<CodeForm>) -> PageResult {
    ctx.verify(&form.csrf)?;
    let made = usecase::two_factor::renew_recovery_codes(&ctx.state.usecases, &ctx.user.actor, &form.code).await;
    recovery_codes_page(&ctx, made).await
}

fn too_many(state: &AppState, until: i64) -> String {
    format!(
        "Too many failed sign-in attempts. Try again in {} minutes, or reset your password.",
        minutes_until(state, until)
    )
}

pub async fn logout(
    State(state): State<AppState>,
    csrf: CsrfToken,
    user: Option<CurrentUser>,
    Form(form): Form<CsrfOnly>,
) -> PageResult {
    csrf.verify(&form.csrf)?;
    if let Some(user) = user {
        sessions::delete_session(&state.store, &user.session_hash).await?;
    }
    let mut res = redirect_with(&state, "/login", "You are signed out.");
    res.headers_mut().append(header::SET_COOKIE, cookie(SESSION_COOKIE, "", Some(0), state.secure_cookies));
    Ok(res)
}

// ---- forgotten password, set-password and reset links ----

#[derive(Template)]
#[template(path = "forgot.html")]
struct ForgotPage {
    layout: Layout,
    email: String,
    errors: FieldErrors,
}

pub async fn forgot_form(ctx: Guest) -> PageResult {
    let layout = ctx.layout("Reset your password");
    let page = ForgotPage { layout, email: String::new(), errors: FieldErrors::new() };
    render(&page, &page.layout)
}

#[derive(serde::Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
}

pub async fn forgot_submit(ctx: Guest, Form(form): Form<ForgotForm>) -> PageResult {
    ctx.verify(&form.csrf)?;
    let email = match EmailAddress::parse("email", &form.email) {
        Ok(e) => e,
        Err(e) => {
            let layout = ctx.layout("Reset your password");
            let page = ForgotPage { layout, email: form.email, errors: FieldErrors(vec![e]) };
            return render_invalid(&page, &page.layout);
        }
    };
    // The answer is the same whether or not the account exists.
    usecase::accounts::request_password_reset(&ctx.state.usecases, &email).await?;
    Ok(redirect_with(
        &ctx.state,
        "/login",
        "If an account uses that address, we have emailed it a link to choose a new password.",
    ))
}

#[derive(Template)]
#[template(path = "choose_password.html")]
struct ChoosePasswordPage {
    layout: Layout,
    action: String,
    errors: FieldErrors,
}

fn purpose_of(path: &str) -> Option<&'static str> {
    match path {
        "reset" => Some("reset_password"),
        "set" => Some("set_password"),
        _ => None,
    }
}

pub async fn choose_password_form(ctx: Guest, Path((purpose, token)): Path<(String, String)>) -> PageResult {
    let purpose_key = purpose_of(&purpose).ok_or(PageError::NotFound)?;
    if sessions::check_one_time_token(&ctx.state.store, purpose_key, &sessions::hash_secret(&token)).await?.is_none() {
        return Err(PageError::BadRequest(
            "This link has expired or was already used. Ask for a new one on the sign-in page (\"Forgot your password?\").".into(),
        ));
    }
    let layout = ctx.layout("Choose a password");
    let page =
        ChoosePasswordPage { layout, action: format!("/password/{purpose}/{token}"), errors: FieldErrors::new() };
    render(&page, &page.layout)
}

#[derive(serde::Deserialize)]
pub struct ChoosePasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

pub async fn choose_password_submit(
    ctx: Guest,
    Path((purpose, token)): Path<(String, String)>,
    Form(form): Form<ChoosePasswordForm>,
) -> PageResult {
    ctx.verify(&form.csrf)?;
    let purpose_key = purpose_of(&purpose).ok_or(PageError::NotFound)?;
    let mut errors = FieldErrors::new();
    let password = errors.check(Password::parse("password", &form.password));
    if password.is_some() && form.password != form.confirm {
        errors.push("confirm", "The two passwords are not the same.");
    }
    let Some(password) = password.filter(|_| errors.is_empty()) else {
        let layout = ctx.layout("Choose a password");
        let page = ChoosePasswordPage { layout, action: format!("/password/{purpose}/{token}"), errors };
        return render_invalid(&page, &page.layout);
    };
    usecase::accounts::choose_password(&ctx.state.usecases, purpose_key, &token, &password).await?;
    Ok(ctx.redirect("/login", "Your password is set. Sign in with it now."))
}

// ---- own profile ----

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    layout: Layout,
    name: String,
    email: String,
    errors: FieldErrors,
    password_errors: FieldErrors,
}

pub async fn profile_form(ctx: Page) -> PageResult {
    let layout = ctx.layout("Your profile", "profile");
    let page = ProfilePage {
        layout,
        name: ctx.user.actor.user.name.clone(),
        email: ctx.user.actor.user.email.clone(),
        errors: FieldErrors::new(),
        password_errors: FieldErrors::new(),
    };
    render(&page, &page.layout)
}

#[derive(serde::Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
}

pub async fn profile_submit(ctx: Page, Form(form): Form<ProfileForm>) -> PageResult {
    ctx.verify(&form.csrf)?;
    let mut errors = FieldErrors::new();
    let name = errors.check(PersonName::parse("name", &form.name));
    let email = errors.check(EmailAddress::parse("email", &form.email));
    if let (Some(name), Some(email)) = (&name, &email) {
        match usecase::accounts::update_profile(&ctx.state.usecases, &ctx.user.actor, name, email).await {
            Ok(()) => return Ok(ctx.redirect("/profile", "Your profile is saved.")),
            Err(UseCaseError::Conflict(_)) => errors.push("email", "Another account uses this email."),
            Err(e) => return Err(e.into()),
        }
    }
    let layout = ctx.layout("Your profile", "profile");
    let page = ProfilePage { layout, name: form.name, email: form.email, errors, password_errors: FieldErrors::new() };
    render_invalid(&page, &page.layout)
}

#[derive(serde::Deserialize)]
pub struct ChangePasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

pub async fn change_password(ctx: Page, Form(form): Form<ChangePasswordForm>) -> PageResult {
    ctx.verify(&form.csrf)?;
    let changed = usecase::accounts::change_password(
        &ctx.state.usecases,
        &ctx.user.actor,
        &ctx.user.session_hash,
        &form.current,
        &form.password,
        &form.confirm,
    )
    .await;
    let errors = match changed {
        Ok(()) => {
            return Ok(ctx.redirect("/profile", "Your password is changed. Your other sessions were signed out."));
        }
        Err(UseCaseError::Invalid(errors)) => errors,
        Err(e) => return Err(e.into()),
    };
    let layout = ctx.layout("Your profile", "profile");
    let page = ProfilePage {
        layout,
        name: ctx.user.actor.user.name.clone(),
        email: ctx.user.actor.user.email.clone(),
        errors: FieldErrors::new(),
        password_errors: errors,
    };
    render_invalid(&page, &page.layout)
}
