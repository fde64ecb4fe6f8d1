//! Recruiter HTML views, one module per screen. Every page is a typed askama template extending `base.html`.

mod account;
pub use account::SETUP_TTL_MS;
mod admin;
mod answers;
mod candidates;
mod interviews;
pub(crate) mod invitations;
mod shared;

use super::AppState;
use super::auth::{CsrfToken, CurrentUser, FLASH_COOKIE, cookie, flash_cookie, take_flash};
use super::error::{PageError, PageResult};
use askama::Template;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};

/// Largest upload a page accepts (CSV import, logo): 20 MiB. Larger CSV files go through `candor import`.
pub const UPLOAD_LIMIT_BYTES: usize = 20 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/setup/{token}", get(account::setup_form).post(account::setup_submit))
        .route("/login", get(account::login_form).post(account::login_submit))
        .route("/logout", post(account::logout))
        .route("/password/forgot", get(account::forgot_form).post(account::forgot_submit))
        .route("/password/{purpose}/{token}", get(account::choose_password_form).post(account::choose_password_submit))
        .route("/profile", get(account::profile_form).post(account::profile_submit))
        .route("/profile/password", post(account::change_password))
        .route("/settings", get(admin::settings_form).post(admin::settings_submit))
        .route("/settings/logo", post(admin::logo_submit).layer(DefaultBodyLimit::max(UPLOAD_LIMIT_BYTES)))
        .route("/org/logo", get(admin::logo))
        .route("/users", get(admin::users_list).post(admin::user_create))
        .route("/users/new", get(admin::user_new))
        .route("/users/{id}/active", post(admin::user_set_active))
        .route("/outbox", get(admin::outbox_list))
        .route("/outbox/{id}", get(admin::outbox_view))
        .route("/jobs", get(admin::jobs_list))
        .route("/jobs/retry-dead", post(admin::jobs_retry_dead))
        .route("/jobs/{id}/retry", post(admin::job_retry))
        .route("/invitations", get(invitations::list).post(invitations::create))
        .route("/invitations/new", get(invitations::new_form))
        .route("/invitations/{id}/edit", get(invitations::edit_form).post(invitations::edit))
        .route("/invitations/{id}/resend", post(invitations::resend))
        .route("/invitations/{id}/disable", post(invitations::disable))
        .route("/invitations/{id}/delete", get(invitations::delete_confirm).post(invitations::delete))
        .route("/invitations/{id}/link", get(invitations::link))
        .route("/invitations/{id}/answers", get(answers::view))
        .route("/invitations/{id}/takes/{take}/media", get(answers::media))
        .route("/invitations/{id}/ratings", post(answers::rate))
        .route("/invitations/{id}/comments", post(answers::comment))
        .route("/invitations/{id}/comments/{comment}", post(answers::edit_comment))
        .route("/invitations/{id}/comments/{comment}/delete", post(answers::delete_comment))
        .route("/invitations/{id}/shares", post(answers::share))
        .route("/invitations/{id}/shares/{share}/revoke", post(answers::revoke_share))
        .route("/s/{token}", get(shared::view))
        .route("/s/{token}/ratings", post(shared::rate))
        .route("/s/{token}/takes/{take}/media", get(shared::media))
        .route("/interviews", get(interviews::list).post(interviews::create))
        .route("/interviews/new", get(interviews::new_form))
        .route("/interviews/{id}", post(interviews::update))
        .route("/interviews/{id}/edit", get(interviews::edit_form))
        .route("/interviews/{id}/clone", get(interviews::clone_form).post(interviews::clone))
        .route("/interviews/{id}/delete", get(interviews::delete_confirm).post(interviews::delete))
        .route("/candidates", get(candidates::list).post(candidates::create))
        .route("/candidates/new", get(candidates::new_form))
        .route("/candidates/suggest", get(candidates::suggest))
        .route(
            "/candidates/import",
            get(candidates::import_form)
                .post(candidates::import_submit)
                .layer(DefaultBodyLimit::max(UPLOAD_LIMIT_BYTES + 4 * 1024 * 1024)),
        )
        .route("/candidates/{id}", get(candidates::view).post(candidates::update))
        .route("/candidates/{id}/edit", get(candidates::edit_form))
        .route("/candidates/{id}/delete", get(candidates::delete_confirm).post(candidates::delete))
}

async fn home(user: Option<CurrentUser>) -> Redirect {
    match user {
        Some(_) => Redirect::to("/candidates"),
        None => Redirect::to("/login"),
    }
}

impl axum::extract::OptionalFromRequestParts<AppState> for CurrentUser {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Option<Self>, Self::Rejection> {
        match <CurrentUser as axum::extract::FromRequestParts<AppState>>::from_request_parts(parts, state).await {
            Ok(u) => Ok(Some(u)),
            Err(PageError::SignIn { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// A form that carries nothing but its CSRF token (confirmations, row actions).
#[derive(serde::Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    pub csrf: String,
}

/// What every page's frame shows: who is signed in, the navigation, the CSRF token and a one-time message.
pub struct Layout {
    pub title: String,
    pub signed_in: bool,
    pub user_name: String,
    pub org_name: String,
    pub is_admin: bool,
    pub has_logo: bool,
    pub nav: &'static str,
    pub csrf: String,
    pub flash: Option<String>,
    /// A warning about the server for admins (the disk filling up).
    pub server_warning: Option<String>,
}

impl Layout {
    pub fn new(
        user: &CurrentUser,
        csrf: &CsrfToken,
        headers: &HeaderMap,
        title: impl Into<String>,
        nav: &'static str,
    ) -> Self {
        Self {
            title: title.into(),
            signed_in: true,
            user_name: user.actor.user.name.clone(),
            org_name: user.actor.org.name.clone(),
            is_admin: user.actor.user.is_admin(),
            has_logo: user.actor.org.has_logo,
            nav,
            csrf: csrf.0.clone(),
            flash: take_flash(headers),
            server_warning: user.server_warning.clone(),
        }
    }

    pub fn anonymous(csrf: &CsrfToken, headers: &HeaderMap, title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            signed_in: false,
            user_name: String::new(),
            org_name: String::new(),
            is_admin: false,
            has_logo: false,
            nav: "",
            csrf: csrf.0.clone(),
            flash: take_flash(headers),
            server_warning: None,
        }
    }
}

/// Renders a page; a one-time message it showed is then cleared.
pub fn render(page: &impl Template, layout: &Layout) -> PageResult {
    let body = page.render()?;
    let mut res = Html(body).into_response();
    if layout.flash.is_some() {
        res.headers_mut().append(header::SET_COOKIE, cookie(FLASH_COOKIE, "", Some(0), false));
    }
    Ok(res)
}

/// Renders a form again with its errors, as 422 so scripts and tests can tell.
pub fn render_invalid(page: &impl Template, layout: &Layout) -> PageResult {
    let mut res = render(page, layout)?;
    *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    Ok(res)
}

/// A redirect (303, so the browser follows with GET) that shows `message` on the next page.
pub fn redirect_with(state: &AppState, to: &str, message: &str) -> Response {
    let mut res = Redirect::to(to).into_response();
    res.headers_mut().append(header::SET_COOKIE, flash_cookie(message, state.secure_cookies));
    res
}

/// A time as people read it, in the organization's time zone (`Organization::tz`, looked up once per page):
/// `2026-11-26 14:05`.
pub fn local_time(ms: i64, tz: &jiff::tz::TimeZone) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(t) => t.to_zoned_datetime(tz.clone()).strftime("%Y-%m-%d %H:%M").to_string(),
        Err(_) => String::new(),
    }
}

/// `next` after sign-in: only a path on this site. It is parsed as a URL against this site (as browsers will read
/// it): anything that leaves the site, carries control characters or white space (which browsers drop, turning
/// `/\t/evil.example` into `//evil.example`), or is not a plain path, goes to the candidates list instead.
pub fn safe_next(next: Option<&str>) -> String {
    const HOME: &str = "/candidates";
    const BASE: &str = "http://candor.invalid/";
    let Some(n) = next else { return HOME.to_owned() };
    if !n.starts_with('/') || n.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\') {
        return HOME.to_owned();
    }
    let Ok(base) = url::Url::parse(BASE) else { return HOME.to_owned() };
    match base.join(n) {
        Ok(u) if u.origin() == base.origin() && u.username().is_empty() && u.password().is_none() => {
            let mut out = u.path().to_owned();
            if let Some(q) = u.query() {
                out.push('?');
                out.push_str(q);
            }
            if out.starts_with("//") { HOME.to_owned() } else { out }
        }
        _ => HOME.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/candidates/new")), "/candidates/new");
        assert_eq!(safe_next(Some("/invitations?status=any&q=ann")), "/invitations?status=any&q=ann");
        for evil in [
            "//evil.example/",
            "/\t/evil.example/",
            "/\n/evil.example/",
            "/\\evil.example",
            "https://evil.example/",
            "/ /evil.example",
            "/\r\nSet-Cookie: x=1",
            "evil.example",
            "/\u{0}/x",
        ] {
            assert_eq!(safe_next(Some(evil)), "/candidates", "{evil:?}");
        }
        assert_eq!(safe_next(None), "/candidates");
    }
}
