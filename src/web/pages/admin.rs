//! Administration of an organization: settings and logo, users, the mail outbox, background jobs.

use super::layout::{
    AdminPage, CsrfOnly, Layout, Page, languages, local_time, read_capped, redirect_with, render, render_invalid,
};
use crate::domain::{EmailAddress, FieldErrors, Language, OrgName, PersonName, Role, TimeZoneName};
use crate::store::orgs::{LOGO_MAX_BYTES, NewOrganization};
use crate::store::{jobs, mail_log, orgs, privacy, users};
use crate::usecase::{self, UseCaseError};
use crate::web::auth::CurrentUser;
use crate::web::error::{PageError, PageResult};
use crate::web::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::header;
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
    notices: Vec<NoticeRow>,
    notice_errors: FieldErrors,
}

/// One language's privacy notice on the settings page.
struct NoticeRow {
    code: &'static str,
    name: &'static str,
    text: String,
    url: String,
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
    /// Blank: candidates are kept; absent from the request: unchanged.
    #[serde(default)]
    candidate_retention_months: Option<String>,
    /// Present when the form showed the sign-in policy (an unticked box sends nothing).
    #[serde(default)]
    policies_shown: Option<String>,
    #[serde(default)]
    require_two_factor: Option<String>,
}

fn settings_page(ctx: &Page, form: SettingsForm, notices: &[privacy::Notice]) -> SettingsPage {
    SettingsPage {
        layout: ctx.layout("Organization settings", "settings"),
        form,
        errors: FieldErrors::new(),
        logo_error: None,
        timezones: TimeZoneName::all(),
        languages: languages(),
        notices: Language::ALL
            .iter()
            .map(|l| {
                let n = notices.iter().find(|n| n.language == l.code());
                NoticeRow {
                    code: l.code(),
                    name: l.native_name(),
                    text: n.map(|n| n.text.clone()).unwrap_or_default(),
                    url: n.and_then(|n| n.url.clone()).unwrap_or_default(),
                }
            })
            .collect(),
        notice_errors: FieldErrors::new(),
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
        candidate_retention_months: Some(org.candidate_retention_months.map(|m| m.to_string()).unwrap_or_default()),
        policies_shown: Some("1".into()),
        require_two_factor: org.require_two_factor.then(|| "1".into()),
    }
}

pub async fn settings_form(ctx: AdminPage) -> PageResult {
    let notices = privacy::notices(&ctx.state.store, ctx.org_id()).await?;
    let page = settings_page(&ctx, current_settings(&ctx.user), &notices);
    render(&page, &page.layout)
}

pub async fn settings_submit(ctx: AdminPage, Form(form): Form<SettingsForm>) -> PageResult {
    ctx.verify(&form.csrf)?;
    let mut errors = FieldErrors::new();
    let name = errors.check(OrgName::parse("name", &form.name));
    let timezone = errors.check(TimeZoneName::parse("timezone", &form.timezone));
    let language = errors.check(Language::parse("language", &form.language));
    // A field left out of the request keeps its value.
    let org = &ctx.user.actor.org;
    let or_current = |v: &str, current: i64| if v.trim().is_empty() { current.to_string() } else { v.to_owned() };
    let reminder_days = errors
        .check(crate::domain::reminder_days("reminder_days", &or_current(&form.reminder_days, org.reminder_days)));
    let retention_months = errors.check(crate::domain::retention_months(
        "retention_months",
        &or_current(&form.retention_months, org.retention_months),
    ));
    let current_candidate_retention = org.candidate_retention_months.map(|m| m.to_string()).unwrap_or_default();
    let candidate_retention_months = errors.check(crate::domain::candidate_retention_months(
        "candidate_retention_months",
        form.candidate_retention_months.as_deref().unwrap_or(&current_candidate_retention),
    ));
    let require_two_factor =
        if form.policies_shown.is_some() { form.require_two_factor.is_some() } else { org.require_two_factor };
    if let (
        Some(name),
        Some(timezone),
        Some(language),
        Some(reminder_days),
        Some(retention_months),
        Some(candidate_retention_months),
    ) = (name, timezone, language, reminder_days, retention_months, candidate_retention_months)
    {
        let settings = NewOrganization { name, timezone, language };
        let policies =
            orgs::Policies { reminder_days, retention_months, candidate_retention_months, require_two_factor };
        match usecase::admin::update_settings(&ctx.state.usecases, &ctx.user.actor, &settings, policies).await {
            Ok(()) => return Ok(ctx.redirect("/settings", "Settings saved.")),
            Err(UseCaseError::Conflict(_)) => errors.push("name", "Another organization has this name."),
            Err(e) => return Err(e.into()),
        }
    }
    let notices = privacy::notices(&ctx.state.store, ctx.org_id()).await?;
    let mut page = settings_page(&ctx, form, &notices);
    page.errors = errors;
    render_invalid(&page, &page.layout)
}

/// `POST /settings/privacy`: the organization's own privacy notice per language (text and link), shown to
/// candidates beside Candor's paragraph before they consent.
pub async fn privacy_submit(ctx: AdminPage, Form(form): Form<Vec<(String, String)>>) -> PageResult {
    let csrf = form.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.as_str()).unwrap_or("");
    ctx.verify(csrf)?;
    let value = |name: String| form.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str()).unwrap_or("");
    let mut errors = FieldErrors::new();
    let mut notices = Vec::new();
    for l in Language::ALL {
        let code = l.code();
        let text = errors.check(crate::domain::parse_notes(notice_field(code), Some(value(format!("notice_{code}")))));
        let url = errors.check(crate::domain::privacy_url(&format!("url_{code}"), value(format!("url_{code}"))));
        if let (Some(text), Some(url)) = (text, url)
            && (text.is_some() || url.is_some())
        {
            notices.push(privacy::Notice { language: code.to_owned(), text: text.unwrap_or_default(), url });
        }
    }
    if errors.is_empty() {
        usecase::admin::set_privacy_notices(&ctx.state.usecases, &ctx.user.actor, &notices).await?;
        return Ok(ctx.redirect("/settings", "Privacy notice saved."));
    }
    let mut page = settings_page(&ctx, current_settings(&ctx.user), &[]);
    for row in &mut page.notices {
        row.text = value(format!("notice_{}", row.code)).to_owned();
        row.url = value(format!("url_{}", row.code)).to_owned();
    }
    page.notice_errors = errors;
    render_invalid(&page, &page.layout)
}

/// The field name of a language's notice (`notice_fi`).
fn notice_field(code: &str) -> &'static str {
    match code {
        "fi" => "notice_fi",
        "sv" => "notice_sv",
        "el" => "notice_el",
        "de" => "notice_de",
        "fr" => "notice_fr",
        "es" => "notice_es",
        _ => "notice_en",
    }
}

pub async fn logo_submit(ctx: AdminPage, mut multipart: Multipart) -> PageResult {
    let mut token = String::new();
    let mut logo: Option<Vec<u8>> = None;
    let mut remove = false;
    let mut too_large = false;
    while let Some(mut field) = multipart.next_field().await.map_err(|e| PageError::BadRequest(e.body_text()))? {
        match field.name().unwrap_or("") {
            "csrf" => token = field.text().await.map_err(|e| PageError::BadRequest(e.body_text()))?,
            "remove" => remove = true,
            "logo" => match read_capped(&mut field, LOGO_MAX_BYTES).await? {
                Some(bytes) => logo = Some(bytes),
                None => too_large = true,
            },
            _ => {}
        }
    }
    ctx.verify(&token)?;
    let error = if too_large {
        Some(format!("The logo is larger than {} KB. Use a smaller image.", LOGO_MAX_BYTES / 1024))
    } else if remove {
        usecase::admin::set_logo(&ctx.state.usecases, &ctx.user.actor, None).await?;
        return Ok(ctx.redirect("/settings", "The logo is removed."));
    } else {
        match logo.filter(|b| !b.is_empty()) {
            None => Some("Choose an image file.".to_owned()),
            Some(bytes) => match usecase::admin::set_logo(&ctx.state.usecases, &ctx.user.actor, Some(bytes)).await {
                Ok(()) => return Ok(ctx.redirect("/settings", "The logo is saved.")),
                Err(UseCaseError::Invalid(errors)) => errors.0.into_iter().next().map(|e| e.message),
                Err(e) => return Err(e.into()),
            },
        }
    };
    let notices = privacy::notices(&ctx.state.store, ctx.org_id()).await?;
    let mut page = settings_page(&ctx, current_settings(&ctx.user), &notices);
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

pub async fn users_list(ctx: AdminPage) -> PageResult {
    let users = users::list(&ctx.state.store, ctx.org_id())
        .await?
        .into_iter()
        .map(|u| UserRow {
            is_me: u.id == ctx.user.actor.user.id,
            id: u.id,
            name: u.name,
            email: u.email,
            role: u.role,
            active: u.active,
            pending: !u.has_password,
        })
        .collect();
    let page = UsersPage { layout: ctx.layout("Users", "users"), users };
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

pub async fn user_new(ctx: AdminPage) -> PageResult {
    let form = NewUserForm { role: "recruiter".into(), ..Default::default() };
    let page = NewUserPage { layout: ctx.layout("New user", "users"), form, errors: FieldErrors::new() };
    render(&page, &page.layout)
}

pub async fn user_create(ctx: AdminPage, Form(form): Form<NewUserForm>) -> PageResult {
    ctx.verify(&form.csrf)?;
    let mut errors = FieldErrors::new();
    let name = errors.check(PersonName::parse("name", &form.name));
    let email = errors.check(EmailAddress::parse("email", &form.email));
    let role = errors.check(Role::parse("role", &form.role));
    if let (Some(name), Some(email), Some(role)) = (name, email, role) {
        match usecase::admin::add_user(&ctx.state.usecases, &ctx.user.actor, name, email, role).await {
            Ok(user) => {
                return Ok(redirect_with(
                    &ctx.state,
                    "/users",
                    &format!("{} is added and was emailed a link to set a password.", user.name),
                ));
            }
            Err(UseCaseError::Conflict(_)) => errors.push("email", "This email already has a Candor account."),
            Err(e) => return Err(e.into()),
        }
    }
    let page = NewUserPage { layout: ctx.layout("New user", "users"), form, errors };
    render_invalid(&page, &page.layout)
}

#[derive(serde::Deserialize)]
pub struct ActiveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    active: String,
}

pub async fn user_set_active(ctx: AdminPage, Path(id): Path<String>, Form(form): Form<ActiveForm>) -> PageResult {
    ctx.verify(&form.csrf)?;
    let active = form.active == "1";
    let user = usecase::admin::set_active(&ctx.state.usecases, &ctx.user.actor, &id, active).await?;
    let message = if active {
        format!("{} can sign in again.", user.name)
    } else {
        format!("{} is deactivated and signed out.", user.name)
    };
    Ok(ctx.redirect("/users", &message))
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

pub async fn outbox_list(ctx: AdminPage) -> PageResult {
    let tz = &ctx.user.actor.org.tz();
    let mails = mail_log::list(&ctx.state.store, ctx.org_id(), 500)
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
    let page =
        OutboxPage { layout: ctx.layout("Outbox", "outbox"), mails, local_outbox: ctx.state.config.smtp_url.is_none() };
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

pub async fn outbox_view(ctx: AdminPage, Path(id): Path<String>) -> PageResult {
    let mail = mail_log::get(&ctx.state.store, ctx.org_id(), &id).await?;
    let srcdoc = format!("<base target=\"_blank\">{}", mail.html);
    let page = OutboxMailPage {
        layout: ctx.layout(mail.subject.clone(), "outbox"),
        sent_at: local_time(mail.sent_at, &ctx.user.actor.org.tz()),
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
pub async fn jobs_retry_dead(ctx: AdminPage, Form(form): Form<RetryDeadForm>) -> PageResult<Response> {
    ctx.verify(&form.csrf)?;
    let n = usecase::admin::retry_dead_of_kind(&ctx.state.usecases, &ctx.user.actor, &form.kind).await?;
    let message = match n {
        0 => "No dead job of that kind was left.".to_owned(),
        1 => "1 job is queued again.".to_owned(),
        n => format!("{n} jobs are queued again."),
    };
    Ok(ctx.redirect("/jobs", &message))
}

#[derive(serde::Deserialize)]
pub struct JobsQuery {
    #[serde(default)]
    status: String,
}

pub async fn jobs_list(ctx: AdminPage, Query(q): Query<JobsQuery>) -> PageResult {
    let status = match q.status.as_str() {
        "queued" | "running" | "done" | "dead" => Some(q.status.as_str()),
        _ => None,
    };
    let tz = &ctx.user.actor.org.tz();
    let jobs = jobs::list(&ctx.state.store, ctx.org_id(), status, 200)
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
        layout: ctx.layout("Background jobs", "jobs"),
        jobs,
        status: status.unwrap_or("").to_owned(),
        statuses: ["queued", "running", "done", "dead"].into_iter().map(|s| (s, Some(s) == status)).collect(),
        dead: jobs::dead_by_kind(&ctx.state.store, ctx.org_id()).await?,
    };
    render(&page, &page.layout)
}

pub async fn job_retry(ctx: AdminPage, Path(id): Path<String>, Form(form): Form<CsrfOnly>) -> PageResult<Response> {
    ctx.verify(&form.csrf)?;
    usecase::admin::retry_job(&ctx.state.usecases, &ctx.user.actor, &id).await?;
    Ok(ctx.redirect("/jobs", "The job is queued again."))
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
