//! Administration of an organization: settings and logo, users, the mail outbox, background jobs.

use super::layout::{
    CsrfOnly, Layout, SET_PASSWORD_TTL_MS, languages, local_time, redirect_with, render, render_invalid,
};
use crate::domain::{EmailAddress, FieldErrors, Language, OrgName, PersonName, Role, TimeZoneName};
use crate::mail::templates as emails;
use crate::store::orgs::{LOGO_MAX_BYTES, NewOrganization};
use crate::store::users::NewUser;
use crate::store::{StoreError, jobs, mail_log, orgs, sessions, users};
use crate::web::AppState;
use crate::web::auth::{AdminUser, CsrfToken, CurrentUser};
use crate::web::error::{PageError, PageResult};
use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};

// ---- organization settings ----

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    layout: Layout,
    form: SettingsForm,
    errors: FieldErrors,
    logo_error: Option<String>,
    timezones: Vec<String>,
    languages: Vec<(&'static str, &'static str)>,
}

#[derive(serde::Deserialize, Default)]
pub struct SettingsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    timezone: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    reminder_days: String,
    #[serde(default)]
    retention_months: String,
}

fn settings_page(admin: &CurrentUser, csrf: &CsrfToken, headers: &HeaderMap, form: SettingsForm) -> SettingsPage {
    SettingsPage {
        layout: Layout::new(admin, csrf, headers, "Organization settings", "settings"),
        form,
        errors: FieldErrors::new(),
        logo_error: None,
        timezones: TimeZoneName::all(),
        languages: languages(),
    }
}

fn current_settings(admin: &CurrentUser) -> SettingsForm {
    let org = &admin.actor.org;
    SettingsForm {
        csrf: String::new(),
        name: org.name.clone(),
        timezone: org.timezone.clone(),
        language: org.language.clone(),
        reminder_days: org.reminder_days.to_string(),
        retention_months: org.retention_months.to_string(),
    }
}

pub async fn settings_form(AdminUser(admin): AdminUser, csrf: CsrfToken, headers: HeaderMap) -> PageResult {
    let page = settings_page(&admin, &csrf, &headers, current_settings(&admin));
    render(&page, &page.layout)
}

pub async fn settings_submit(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    csrf: CsrfToken,
    headers: HeaderMap,
    Form(form): Form<SettingsForm>,
) -> PageResult {
    csrf.verify(&form.csrf)?;
    let mut errors = FieldErrors::new();
    let name = errors.check(OrgName::parse("name", &form.name));
    let timezone = errors.check(TimeZoneName::parse("timezone", &form.timezone));
    let language = errors.check(Language::parse("language", &form.language));
    // A field left out of the request keeps its value.
    let org = &admin.actor.org;
    let or_current = |v: &str, current: i64| if v.trim().is_empty() { current.to_string() } else { v.to_owned() };
    let reminder_days = errors
        .check(crate::domain::reminder_days("reminder_days", &or_current(&form.reminder_days, org.reminder_days)));
    let retention_months = errors.check(crate::domain::retention_months(
        "retention_months",
        &or_current(&form.retention_months, org.retention_months),
    ));
    if let (Some(name), Some(timezone), Some(language), Some(reminder_days), Some(retention_months)) =
        (name, timezone, language, reminder_days, retention_months)
    {
        let settings = NewOrganization { name, timezone, language };
        let policies = orgs::Policies { reminder_days, retention_months };
        match orgs::update_settings(&state.store, &admin.actor.org.id, &settings, policies).await {
            Ok(()) => return Ok(redirect_with(&state, "/settings", "Settings saved.")),
            Err(StoreError::Conflict(_)) => errors.push("name", "Another organization has this name."),
            Err(e) => return Err(e.into()),
        }
    }
    let mut page = settings_page(&admin, &csrf, &headers, form);
    page.errors = errors;
    render_invalid(&page, &page.layout)
}

/// Sniffs an image type from its first bytes; only PNG, JPEG, GIF and WebP are served back as logos.
fn image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

pub async fn logo_submit(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    csrf: CsrfToken,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> PageResult {
    let mut token = String::new();
    let mut logo: Option<Vec<u8>> = None;
    let mut remove = false;
    let mut too_large = false;
    while let Some(mut field) = multipart.next_field().await.map_err(|e| PageError::BadRequest(e.body_text()))? {
        match field.name().unwrap_or("") {
            "csrf" => token = field.text().await.map_err(|e| PageError::BadRequest(e.body_text()))?,
            "remove" => remove = true,
            "logo" => {
                let mut bytes = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(|e| PageError::BadRequest(e.body_text()))? {
                    bytes.extend_from_slice(&chunk);
                    if bytes.len() > LOGO_MAX_BYTES {
                        too_large = true;
                        break;
                    }
                }
                if too_large {
                    break;
                }
                logo = Some(bytes);
            }
            _ => {}
        }
    }
    csrf.verify(&token)?;
    let error = if too_large {
        Some(format!("The logo is larger than {} KB. Use a smaller image.", LOGO_MAX_BYTES / 1024))
    } else if remove {
        orgs::set_logo(&state.store, &admin.actor.org.id, None).await?;
        return Ok(redirect_with(&state, "/settings", "The logo is removed."));
    } else {
        match logo.filter(|b| !b.is_empty()) {
            None => Some("Choose an image file.".to_owned()),
            Some(bytes) => match image_type(&bytes) {
                None => Some("The logo must be a PNG, JPEG, GIF or WebP image.".to_owned()),
                Some(ctype) => {
                    orgs::set_logo(&state.store, &admin.actor.org.id, Some((bytes, ctype))).await?;
                    return Ok(redirect_with(&state, "/settings", "The logo is saved."));
                }
            },
        }
    };
    let mut page = settings_page(&admin, &csrf, &headers, current_settings(&admin));
    page.logo_error = error;
    render_invalid(&page, &page.layout)
}

pub async fn logo(State(state): State<AppState>, user: CurrentUser) -> PageResult {
    let (bytes, ctype) = orgs::logo(&state.store, &user.actor.org.id).await?;
    Ok(([(header::CONTENT_TYPE, ctype), (header::CACHE_CONTROL, "private, max-age=300".to_owned())], bytes)
        .into_response())
}

// ---- users ----

struct UserRow {
    id: String,
    name: String,
    email: String,
    role: String,
    active: bool,
    pending: bool,
    is_me: bool,
}

#[derive(Template)]
#[template(path = "users/list.html")]
struct UsersPage {
    layout: Layout,
    users: Vec<UserRow>,
}

pub async fn users_list(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    csrf: CsrfToken,
    headers: HeaderMap,
) -> PageResult {
    let users = users::list(&state.store, &admin.actor.org.id)
        .await?
        .into_iter()
        .map(|u| UserRow {
            is_me: u.id == admin.actor.user.id,
            id: u.id,
            name: u.name,
            email: u.email,
            role: u.role,
            active: u.active,
            pending: !u.has_password,
        })
        .collect();
    let page = UsersPage { layout: Layout::new(&admin, &csrf, &headers, "Users", "users"), users };
    render(&page, &page.layout)
}

#[derive(Template)]
#[template(path = "users/new.html")]
struct NewUserPage {
    layout: Layout,
    form: NewUserForm,
    errors: FieldErrors,
}

#[derive(serde::Deserialize, Default)]
pub struct NewUserForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

pub async fn user_new(AdminUser(admin): AdminUser, csrf: CsrfToken, headers: HeaderMap) -> PageResult {
    let form = NewUserForm { role: "recruiter".into(), ..Default::default() };
    let page = NewUserPage {
        layout: Layout::new(&admin, &csrf, &headers, "New user", "users"),
        form,
        errors: FieldErrors::new(),
    };
    render(&page, &page.layout)
}

pub async fn user_create(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    csrf: CsrfToken,
    headers: HeaderMap,
    Form(form): Form<NewUserForm>,
) -> PageResult {
    csrf.verify(&form.csrf)?;
    let mut errors = FieldErrors::new();
    let name = errors.check(PersonName::parse("name", &form.name));
    let email = errors.check(EmailAddress::parse("email", &form.email));
    let role = errors.check(Role::parse("role", &form.role));
    if let (Some(name), Some(email), Some(role)) = (name, email, role) {
        let (token, hash) = sessions::new_secret().map_err(anyhow::Error::from)?;
        let link = state.link(&format!("/password/set/{token}"));
        let org = &admin.actor.org;
        let message = emails::set_password(email.as_str(), name.as_str(), &org.name, &admin.actor.user.name, &link)?;
        let new = NewUser { email, name, role, password_hash: None };
        match users::create_invited(&state.store, &org.id, &new, &hash, SET_PASSWORD_TTL_MS, message.job(Some(&org.id)))
            .await
        {
            Ok(user) => {
                tracing::info!(user_id = %user.id, org_id = %org.id, "user created");
                return Ok(redirect_with(
                    &state,
                    "/users",
                    &format!("{} is added and was emailed a link to set a password.", user.name),
                ));
            }
            Err(StoreError::Conflict(_)) => errors.push("email", "This email already has a Candor account."),
            Err(e) => return Err(e.into()),
        }
    }
    let page = NewUserPage { layout: Layout::new(&admin, &csrf, &headers, "New user", "users"), form, errors };
    render_invalid(&page, &page.layout)
}

#[derive(serde::Deserialize)]
pub struct ActiveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    active: String,
}

pub async fn user_set_active(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    Form(form): Form<ActiveForm>,
) -> PageResult {
    csrf.verify(&form.csrf)?;
    let active = form.active == "1";
    if id == admin.actor.user.id && !active {
        return Err(PageError::BadRequest("You cannot deactivate your own account.".into()));
    }
    let user = users::get(&state.store, &admin.actor.org.id, &id).await?;
    users::set_active(&state.store, &admin.actor.org.id, &id, active).await?;
    let message = if active {
        format!("{} can sign in again.", user.name)
    } else {
        format!("{} is deactivated and signed out.", user.name)
    };
    Ok(redirect_with(&state, "/users", &message))
}

// ---- outbox ----

struct MailRow {
    id: String,
    to: String,
    cc: String,
    bcc: String,
    subject: String,
    sent_at: String,
    transport: String,
}

#[derive(Template)]
#[template(path = "outbox/list.html")]
struct OutboxPage {
    layout: Layout,
    mails: Vec<MailRow>,
    local_outbox: bool,
}

pub async fn outbox_list(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    csrf: CsrfToken,
    headers: HeaderMap,
) -> PageResult {
    let tz = &admin.actor.org.tz();
    let mails = mail_log::list(&state.store, &admin.actor.org.id, 500)
        .await?
        .into_iter()
        .map(|m| MailRow {
            id: m.id,
            to: m.to,
            cc: m.cc,
            bcc: m.bcc,
            subject: m.subject,
            sent_at: local_time(m.sent_at, tz),
            transport: m.transport,
        })
        .collect();
    let page = OutboxPage {
        layout: Layout::new(&admin, &csrf, &headers, "Outbox", "outbox"),
        mails,
        local_outbox: state.config.smtp_url.is_none(),
    };
    render(&page, &page.layout)
}

#[derive(Template)]
#[template(path = "outbox/view.html")]
struct OutboxMailPage {
    layout: Layout,
    mail: mail_log::SentMail,
    sent_at: String,
    /// The HTML part, framed in a sandbox with links opening outside it.
    srcdoc: String,
    /// The text part, escaped, with its links made clickable.
    text_html: String,
}

pub async fn outbox_view(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    csrf: CsrfToken,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> PageResult {
    let mail = mail_log::get(&state.store, &admin.actor.org.id, &id).await?;
    let srcdoc = format!("<base target=\"_blank\">{}", mail.html);
    let page = OutboxMailPage {
        layout: Layout::new(&admin, &csrf, &headers, mail.subject.clone(), "outbox"),
        sent_at: local_time(mail.sent_at, &admin.actor.org.tz()),
        text_html: linkify(&mail.text),
        mail,
        srcdoc,
    };
    let mut res = render(&page, &page.layout)?;
    res.headers_mut().insert("x-frame-options", header::HeaderValue::from_static("SAMEORIGIN"));
    Ok(res)
}

// ---- jobs ----

struct JobRow {
    id: String,
    kind: String,
    status: String,
    attempts: String,
    run_at: String,
    updated_at: String,
    last_error: String,
}

#[derive(Template)]
#[template(path = "jobs.html")]
struct JobsPage {
    layout: Layout,
    jobs: Vec<JobRow>,
    status: String,
    /// (status, selected)
    statuses: Vec<(&'static str, bool)>,
    /// (kind, how many are dead)
    dead: Vec<(String, i64)>,
}

#[derive(serde::Deserialize)]
pub struct RetryDeadForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
}

/// Puts every dead job of one kind back in the queue (after a mail server outage: every undelivered email).
pub async fn jobs_retry_dead(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    csrf: CsrfToken,
    Form(form): Form<RetryDeadForm>,
) -> PageResult<Response> {
    csrf.verify(&form.csrf)?;
    let n = jobs::retry_dead_of_kind(&state.store, &admin.actor.org.id, &form.kind).await?;
    let message = match n {
        0 => "No dead job of that kind was left.".to_owned(),
        1 => "1 job is queued again.".to_owned(),
        n => format!("{n} jobs are queued again."),
    };
    Ok(redirect_with(&state, "/jobs", &message))
}

#[derive(serde::Deserialize)]
pub struct JobsQuery {
    #[serde(default)]
    status: String,
}

pub async fn jobs_list(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    csrf: CsrfToken,
    headers: HeaderMap,
    Query(q): Query<JobsQuery>,
) -> PageResult {
    let status = match q.status.as_str() {
        "queued" | "running" | "done" | "dead" => Some(q.status.as_str()),
        _ => None,
    };
    let tz = &admin.actor.org.tz();
    let jobs = jobs::list(&state.store, &admin.actor.org.id, status, 200)
        .await?
        .into_iter()
        .map(|j| JobRow {
            attempts: format!("{} of {}", j.attempts, j.max_attempts),
            run_at: local_time(j.run_at, tz),
            updated_at: local_time(j.updated_at, tz),
            id: j.id,
            kind: j.kind,
            status: j.status,
            last_error: j.last_error.unwrap_or_default(),
        })
        .collect();
    let page = JobsPage {
        layout: Layout::new(&admin, &csrf, &headers, "Background jobs", "jobs"),
        jobs,
        status: status.unwrap_or("").to_owned(),
        statuses: ["queued", "running", "done", "dead"].into_iter().map(|s| (s, Some(s) == status)).collect(),
        dead: jobs::dead_by_kind(&state.store, &admin.actor.org.id).await?,
    };
    render(&page, &page.layout)
}

pub async fn job_retry(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> PageResult<Response> {
    csrf.verify(&form.csrf)?;
    jobs::retry_dead(&state.store, &admin.actor.org.id, &id).await?;
    Ok(redirect_with(&state, "/jobs", "The job is queued again."))
}

/// Escapes text for HTML and makes its http(s) links clickable (opening in a new tab).
fn linkify(text: &str) -> String {
    {
        let mut out = String::with_capacity(text.len());
        for (i, word) in text.split(' ').enumerate() {
            if i > 0 {
                out.push(' ');
            }
            let (head, tail) = match word.find("https://").or_else(|| word.find("http://")) {
                Some(at) => word.split_at(at),
                None => (word, ""),
            };
            out.push_str(&escape(head));
            if !tail.is_empty() {
                let end = tail.find(|c: char| c.is_whitespace()).unwrap_or(tail.len());
                let (url, rest) = tail.split_at(end);
                let url = escape(url);
                out.push_str(&format!("<a href=\"{url}\" target=\"_blank\" rel=\"noopener\">{url}</a>"));
                out.push_str(&escape(rest));
            }
        }
        out
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}
