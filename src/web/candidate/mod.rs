//! The public candidate flow behind the personal link `/i/{token}`: no account; the token is the credential. Every
//! page speaks the invitation's language. An unknown token is a plain 404 that reveals nothing; a link that no
//! longer takes answers (expired, disabled, withdrawn, answered) shows a clear page saying so.

use super::AppState;
use super::auth::CsrfToken;
use super::error::{PageError, PageResult};
use crate::domain::InvitationStatus;
use crate::i18n::{self, CandidateTexts, candidate_texts, fill};
use crate::store::answering::{self, Link};
use crate::store::orgs;
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};

/// How long recordings are kept after the deadline, as the privacy notice states it.
pub const RETENTION_MONTHS: i64 = 12;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/i/{token}", get(landing))
        .route("/i/{token}/start", post(start))
        .route("/i/{token}/logo", get(logo))
}

/// The link's invitation, or a 404 that says nothing about why.
async fn link_of(state: &AppState, token: &str) -> Result<Link, PageError> {
    if token.len() > 64 || !token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(PageError::NotFound);
    }
    answering::by_token(&state.store, token).await?.ok_or(PageError::NotFound)
}

struct QuestionView {
    text: String,
    limits: Vec<String>,
}

#[derive(Template)]
#[template(path = "candidate/landing.html")]
struct LandingPage<'a> {
    t: &'a CandidateTexts,
    token: &'a str,
    csrf: String,
    org_name: String,
    has_logo: bool,
    title: String,
    intro: Option<String>,
    invites: String,
    deadline: String,
    deadline_note: String,
    questions_count: String,
    upfront: bool,
    audio_only: bool,
    questions: Vec<QuestionView>,
    privacy: String,
    consent_error: Option<&'a str>,
    started: bool,
}

#[derive(Template)]
#[template(path = "candidate/closed.html")]
struct ClosedPage<'a> {
    t: &'a CandidateTexts,
    token: &'a str,
    org_name: String,
    has_logo: bool,
    title: String,
    message: &'a str,
    contact: String,
}

fn closed_page(link: &Link, token: &str, status: InvitationStatus) -> PageResult {
    let t = candidate_texts(link.language);
    let message = match status {
        InvitationStatus::Expired => t.closed_expired,
        InvitationStatus::Disabled => t.closed_disabled,
        InvitationStatus::Withdrawn => t.closed_withdrawn,
        _ => t.closed_answered,
    };
    let page = ClosedPage {
        t,
        token,
        org_name: link.org.name.clone(),
        has_logo: link.org.has_logo,
        title: link.interview.title.clone(),
        message,
        contact: fill(t.closed_contact, &[("org", &link.org.name)]),
    };
    // Answered is a success; the others are gone for good (410), which also keeps them out of caches and indexes.
    let code = if status == InvitationStatus::Answered { StatusCode::OK } else { StatusCode::GONE };
    Ok((code, [(header::CACHE_CONTROL, "no-store")], Html(page.render()?)).into_response())
}

fn landing_page(link: &Link, token: &str, csrf: &CsrfToken, consent_error: bool) -> PageResult {
    let t = candidate_texts(link.language);
    let org = link.org.name.as_str();
    let tz = link.org.tz();
    let questions = link
        .interview
        .questions
        .iter()
        .map(|q| {
            let mut limits = vec![
                fill(t.answer_time, &[("duration", &t.duration(q.max_answer_seconds))]),
                fill(t.takes, &[("takes", &q.max_takes.to_string())]),
            ];
            limits.push(match q.think_seconds {
                Some(s) => fill(t.think_time, &[("duration", &t.duration(s))]),
                None => t.think_no_limit.to_owned(),
            });
            QuestionView { text: q.text.clone(), limits }
        })
        .collect();
    let page = LandingPage {
        t,
        token,
        csrf: csrf.0.clone(),
        org_name: org.to_owned(),
        has_logo: link.org.has_logo,
        title: link.interview.title.clone(),
        intro: link.interview.intro_text.clone(),
        invites: fill(t.invites, &[("org", org)]),
        deadline: i18n::long_date(link.language, link.deadline.date()),
        deadline_note: fill(t.deadline_note, &[("zone", tz.iana_name().unwrap_or("UTC"))]),
        questions_count: fill(t.questions_count, &[("count", &link.interview.questions.len().to_string())]),
        upfront: link.interview.show_questions_upfront,
        audio_only: link.interview.audio_only,
        questions,
        privacy: fill(
            t.privacy_text,
            &[
                ("org", org),
                ("months", &RETENTION_MONTHS.to_string()),
                ("what", i18n::recorded_what(link.language, link.interview.audio_only)),
            ],
        ),
        consent_error: consent_error.then_some(t.consent_required),
        started: link.consented_at.is_some(),
    };
    let code = if consent_error { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((code, [(header::CACHE_CONTROL, "no-store")], Html(page.render()?)).into_response())
}

/// `/i/{token}`: what the interview is, the deadline, the questions' limits, the privacy notice and the consent.
async fn landing(State(state): State<AppState>, Path(token): Path<String>, csrf: CsrfToken) -> PageResult {
    let link = link_of(&state, &token).await?;
    answering::mark_opened(&state.store, &link).await?;
    let status = link.status_now(state.store.now_ms());
    if !status.is_open() {
        return closed_page(&link, &token, status);
    }
    landing_page(&link, &token, &csrf, false)
}

#[derive(serde::Deserialize)]
struct StartForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    consent: Option<String>,
}

/// Consent given: on to the interview.
async fn start(
    State(state): State<AppState>,
    Path(token): Path<String>,
    csrf: CsrfToken,
    Form(form): Form<StartForm>,
) -> PageResult {
    csrf.verify(&form.csrf)?;
    let link = link_of(&state, &token).await?;
    let status = link.status_now(state.store.now_ms());
    if !status.is_open() {
        return closed_page(&link, &token, status);
    }
    if link.consented_at.is_none() && form.consent.is_none() {
        return landing_page(&link, &token, &csrf, true);
    }
    answering::consent(&state.store, &link).await?;
    Ok(Redirect::to(&format!("/i/{token}/interview")).into_response())
}

/// The organization's logo, for the candidate's pages.
async fn logo(State(state): State<AppState>, Path(token): Path<String>) -> Result<Response, PageError> {
    let link = link_of(&state, &token).await?;
    let (bytes, ctype) = orgs::logo(&state.store, &link.org.id).await?;
    Ok(([(header::CONTENT_TYPE, ctype), (header::CACHE_CONTROL, "private, max-age=300".to_owned())], bytes)
        .into_response())
}
