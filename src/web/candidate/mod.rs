//! The public candidate flow behind the personal link `/i/{token}`: no account; the token is the credential. Every
//! page speaks the invitation's language. An unknown token is a plain 404 that reveals nothing; a link that no
//! longer takes answers (expired, disabled, withdrawn, answered) shows a clear page saying so.

pub mod public;
pub mod tus;

use super::auth::CsrfToken;
use super::error::{PageError, PageResult};
use crate::domain::InvitationStatus;
use crate::i18n::{self, CandidateTexts, candidate_texts, fill};
use crate::store::answering::{self, Link};
use crate::store::{orgs, privacy};
use crate::usecase::{self, UseCaseError};
use crate::web::state::{AppState, token_shape_ok};
use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Form, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};

pub fn routes() -> Router<AppState> {
    // Uploads stream with their own size caps (per take), not the general body limit.
    let uploads = Router::new()
        .route("/i/{token}/uploads", axum::routing::options(tus::options).post(tus::create))
        .route(
            "/i/{token}/uploads/{id}",
            axum::routing::head(tus::head).patch(tus::patch).delete(tus::terminate).options(tus::options),
        )
        .layer(DefaultBodyLimit::disable());
    Router::new()
        .route("/i/{token}", get(landing))
        .route("/i/{token}/start", post(start))
        .route("/i/{token}/logo", get(logo))
        .route("/i/{token}/interview", get(interview))
        .route("/i/{token}/answers/{question_id}", post(keep_answer))
        .route("/i/{token}/withdraw", post(withdraw))
        .route("/p/{token}", get(public::view).post(public::submit))
        .merge(uploads)
}

/// The link's invitation; for a link whose invitation was erased, the closed-link page; else a 404 that says
/// nothing about why.
async fn link_of(state: &AppState, token: &str) -> Result<Link, PageError> {
    if !token_shape_ok(token) {
        return Err(PageError::NotFound);
    }
    if let Some(link) = answering::by_token(&state.store, token).await? {
        return Ok(link);
    }
    match privacy::closed_link(&state.store, token).await? {
        Some(closed) => Err(PageError::Page(Box::new(erased_page(state, &closed).await?))),
        None => Err(PageError::NotFound),
    }
}

/// The page of a link whose invitation was erased with the candidate's data, in its language (410).
async fn erased_page(state: &AppState, closed: &privacy::ClosedLink) -> PageResult {
    let org = orgs::get(&state.store, &closed.org_id).await?;
    let language = crate::domain::Language::parse("language", &closed.language).unwrap_or(crate::domain::Language::En);
    let t = candidate_texts(language);
    let page = ClosedPage {
        t,
        token: "",
        org_name: org.name.clone(),
        has_logo: false,
        title: org.name,
        message: t.closed_erased,
        outro: None,
        contact: String::new(),
        contact_email: String::new(),
    };
    Ok((StatusCode::GONE, [(header::CACHE_CONTROL, "no-store")], Html(page.render()?)).into_response())
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
    /// The organization's own notice and its link.
    notice: Option<String>,
    notice_url: Option<String>,
    notice_link: String,
    /// The version of what is shown, sent back with the consent.
    version: String,
    consent_error: Option<&'a str>,
    /// For a candidate who comes back: how many questions they have answered.
    progress: Option<String>,
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
    /// The interview's outro, once the candidate has answered.
    outro: Option<String>,
    contact: String,
    contact_email: String,
}

/// Why a link takes no more answers, in the candidate's words.
fn closed_message(t: &'static crate::i18n::CandidateTexts, status: InvitationStatus) -> &'static str {
    match status {
        InvitationStatus::Expired => t.closed_expired,
        InvitationStatus::Disabled => t.closed_disabled,
        InvitationStatus::Withdrawn => t.closed_withdrawn,
        _ => t.closed_answered,
    }
}

fn closed_page(link: &Link, token: &str, status: InvitationStatus) -> PageResult {
    let t = candidate_texts(link.language);
    let message = closed_message(t, status);
    let page = ClosedPage {
        t,
        token,
        org_name: link.org.name.clone(),
        has_logo: link.org.has_logo,
        title: link.interview.title.clone(),
        message,
        outro: link.interview.outro_text.clone().filter(|_| status == InvitationStatus::Answered),
        contact: fill(t.closed_contact, &[("org", &link.org.name), ("name", &link.inviter_name)]),
        contact_email: link.inviter_email.clone(),
    };
    // Answered is a success; the others are gone for good (410), which also keeps them out of caches and indexes.
    let code = if status == InvitationStatus::Answered { StatusCode::OK } else { StatusCode::GONE };
    Ok((code, [(header::CACHE_CONTROL, "no-store")], Html(page.render()?)).into_response())
}

/// Candor's privacy paragraph for the link, in its language.
fn privacy_paragraph(link: &Link) -> String {
    let t = candidate_texts(link.language);
    fill(
        t.privacy_text,
        &[
            ("org", link.org.name.as_str()),
            ("months", &link.org.retention_months.to_string()),
            ("what", i18n::recorded_what(link.language, link.interview.audio_only)),
        ],
    )
}

/// What the candidate is asked to agree to: Candor's paragraph, the organization's notice in the link's language
/// (or the organization's), the consent's words.
fn consent_text<'a>(
    link: &Link,
    privacy: &'a str,
    notice: Option<&'a privacy::Notice>,
) -> usecase::answering::ConsentText<'a> {
    usecase::answering::ConsentText {
        privacy,
        notice: notice.map(|n| n.text.as_str()).filter(|t| !t.is_empty()),
        url: notice.and_then(|n| n.url.as_deref()),
        label: candidate_texts(link.language).consent_label,
    }
}

async fn notice_of(state: &AppState, link: &Link) -> PageResult<Option<privacy::Notice>> {
    Ok(privacy::notice_for(&state.store, &link.org.id, link.language.code(), &link.org.language).await?)
}

fn landing_page(
    link: &Link,
    token: &str,
    csrf: &CsrfToken,
    consent_error: bool,
    answered: usize,
    notice: Option<&privacy::Notice>,
) -> PageResult {
    let t = candidate_texts(link.language);
    let org = link.org.name.as_str();
    let privacy = privacy_paragraph(link);
    let consent = consent_text(link, &privacy, notice);
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
        deadline_note: fill(
            t.deadline_note,
            &[(
                "zone",
                &i18n::zone_for_people(&tz, jiff::Timestamp::from_millisecond(link.closes_at - 1).unwrap_or_default()),
            )],
        ),
        questions_count: fill(t.questions_count, &[("count", &link.interview.questions.len().to_string())]),
        upfront: link.interview.show_questions_upfront,
        audio_only: link.interview.audio_only,
        questions,
        notice: consent.notice.map(str::to_owned),
        notice_url: consent.url.map(str::to_owned),
        notice_link: fill(t.privacy_notice_link, &[("org", org)]),
        version: consent.version(),
        privacy: privacy.clone(),
        consent_error: consent_error.then_some(t.consent_required),
        started: link.consented_at.is_some(),
        progress: link.consented_at.is_some().then(|| {
            let total = link.interview.questions.len().to_string();
            fill(t.answered_so_far, &[("n", &answered.to_string()), ("total", &total)])
        }),
    };
    let code = if consent_error { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((code, [(header::CACHE_CONTROL, "no-store")], Html(page.render()?)).into_response())
}

/// How many of the link's questions have a kept answer (none before the candidate consented: nothing is asked).
async fn answered_count(state: &AppState, link: &Link) -> PageResult<usize> {
    if link.consented_at.is_none() {
        return Ok(0);
    }
    let progress = answering::progress(&state.store, &link.invitation_id).await?;
    Ok(progress.iter().filter(|p| p.kept).count())
}

/// `/i/{token}`: what the interview is, the deadline, the questions' limits, the privacy notice and the consent.
async fn landing(State(state): State<AppState>, Path(token): Path<String>, csrf: CsrfToken) -> PageResult {
    let link = link_of(&state, &token).await?;
    answering::mark_opened(&state.store, &link).await?;
    let status = link.status_now(state.store.now_ms());
    if !status.is_open() {
        return closed_page(&link, &token, status);
    }
    let answered = answered_count(&state, &link).await?;
    let notice = notice_of(&state, &link).await?;
    landing_page(&link, &token, &csrf, false, answered, notice.as_ref())
}

#[derive(serde::Deserialize)]
struct StartForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    consent: Option<String>,
    /// The version of the text the candidate read.
    #[serde(default)]
    version: String,
}

/// Consent given: on to the interview.
async fn start(
    State(state): State<AppState>,
    Path(token): Path<String>,
    csrf: CsrfToken,
    headers: axum::http::HeaderMap,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    Form(form): Form<StartForm>,
) -> PageResult {
    csrf.verify(&form.csrf)?;
    let link = link_of(&state, &token).await?;
    let status = link.status_now(state.store.now_ms());
    if !status.is_open() {
        return closed_page(&link, &token, status);
    }
    let notice = notice_of(&state, &link).await?;
    let privacy = privacy_paragraph(&link);
    let text = consent_text(&link, &privacy, notice.as_ref());
    // Consent counts only for the text the candidate read: a notice changed meanwhile is shown again.
    // (A form without the field, made before versions were carried, counts for the current text.)
    let changed = !form.version.is_empty() && form.version != text.version();
    if link.consented_at.is_none() && (form.consent.is_none() || changed) {
        return landing_page(&link, &token, &csrf, true, 0, notice.as_ref());
    }
    let client = crate::web::auth::client_ip(&headers, Some(peer), &state.config);
    usecase::answering::consent(&state.usecases, &link, &text, &client).await?;
    Ok(Redirect::to(&format!("/i/{token}/interview")).into_response())
}

/// The organization's logo, for the candidate's pages.
async fn logo(State(state): State<AppState>, Path(token): Path<String>) -> Result<Response, PageError> {
    let link = link_of(&state, &token).await?;
    let (bytes, ctype) = orgs::logo(&state.store, &link.org.id).await?;
    Ok(([(header::CONTENT_TYPE, ctype), (header::CACHE_CONTROL, "private, max-age=300".to_owned())], bytes)
        .into_response())
}

#[derive(serde::Serialize)]
struct QuestionConfig<'a> {
    id: &'a str,
    text: &'a str,
    instructions: Option<&'a str>,
    max_answer_seconds: i64,
    max_takes: i64,
    think_seconds: Option<i64>,
    notes_allowed: bool,
    takes_used: i64,
    kept: bool,
}

/// What `static/recorder.js` runs on, handed over in a `data-config` attribute (escaped like any attribute).
#[derive(serde::Serialize)]
struct RecorderConfig<'a> {
    uploads: String,
    answers: String,
    csrf: &'a str,
    audio_only: bool,
    upfront: bool,
    questions: Vec<QuestionConfig<'a>>,
    texts: &'static i18n::RecorderTexts,
}

#[derive(Template)]
#[template(path = "candidate/interview.html")]
struct InterviewPage<'a> {
    t: &'a CandidateTexts,
    r: &'static i18n::RecorderTexts,
    token: &'a str,
    csrf: &'a str,
    org_name: String,
    has_logo: bool,
    title: String,
    config: String,
    /// Said once, when the candidate comes back: which last takes were interrupted and kept as they were.
    notice: Option<String>,
}

/// `/i/{token}/interview`: the device check, the practice and the questions (driven by `static/recorder.js`),
/// starting at the first question not answered yet.
async fn interview(State(state): State<AppState>, Path(token): Path<String>, csrf: CsrfToken) -> PageResult {
    let link = link_of(&state, &token).await?;
    let status = link.status_now(state.store.now_ms());
    if !status.is_open() {
        return closed_page(&link, &token, status);
    }
    if link.consented_at.is_none() {
        return Ok(Redirect::to(&format!("/i/{token}")).into_response());
    }
    // The last allowed take of a question, left unkept when the page closed, is the answer (or, when nothing of it
    // arrived, is given back): with no take left, that is the only way on.
    let resumed = usecase::answering::resume(&state.usecases, &link).await?;
    if resumed.completed {
        return Ok(Redirect::to(&format!("/i/{token}")).into_response());
    }
    let interrupted: Vec<&str> = resumed.interrupted.iter().map(String::as_str).collect();
    let progress = answering::progress(&state.store, &link.invitation_id).await?;
    let questions = link
        .interview
        .questions
        .iter()
        .map(|q| {
            let p = progress.iter().find(|p| p.question_id == q.id);
            QuestionConfig {
                id: &q.id,
                text: &q.text,
                instructions: q.instructions.as_deref(),
                max_answer_seconds: q.max_answer_seconds,
                max_takes: q.max_takes,
                think_seconds: q.think_seconds,
                notes_allowed: q.notes_allowed,
                takes_used: p.map(|p| p.takes_used).unwrap_or(0),
                kept: p.is_some_and(|p| p.kept),
            }
        })
        .collect();
    let r = i18n::recorder_texts(link.language);
    let config = RecorderConfig {
        uploads: format!("/i/{token}/uploads"),
        answers: format!("/i/{token}/answers/"),
        csrf: &csrf.0,
        audio_only: link.interview.audio_only,
        upfront: link.interview.show_questions_upfront,
        questions,
        texts: r,
    };
    let page = InterviewPage {
        t: candidate_texts(link.language),
        r,
        token: &token,
        csrf: &csrf.0,
        org_name: link.org.name.clone(),
        has_logo: link.org.has_logo,
        title: link.interview.title.clone(),
        config: serde_json::to_string(&config).map_err(|e| PageError::Internal(e.into()))?,
        notice: interrupted_notice(r, &link.interview.questions, &interrupted),
    };
    Ok(([(header::CACHE_CONTROL, "no-store")], Html(page.render()?)).into_response())
}

/// "Your last take of question 2 was interrupted…", naming the questions by their numbers.
fn interrupted_notice(
    r: &i18n::RecorderTexts,
    questions: &[crate::store::interviews::Question],
    interrupted: &[&str],
) -> Option<String> {
    if interrupted.is_empty() {
        return None;
    }
    let numbers: Vec<String> = questions
        .iter()
        .enumerate()
        .filter(|(_, q)| interrupted.contains(&q.id.as_str()))
        .map(|(i, _)| (i + 1).to_string())
        .collect();
    Some(fill(r.interrupted_kept, &[("n", &numbers.join(", "))]))
}

#[derive(serde::Deserialize)]
struct KeepBody {
    take_id: String,
    #[serde(default)]
    notes: Option<String>,
    #[serde(default)]
    csrf: String,
}

fn json_error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(serde_json::json!({ "error": message }))).into_response()
}

/// `POST /i/{token}/answers/{question_id}`: keeps a complete take as the answer (JSON `{take_id, notes?}`); the
/// last one completes the interview.
async fn keep_answer(
    State(state): State<AppState>,
    Path((token, question_id)): Path<(String, String)>,
    csrf: CsrfToken,
    body: Result<axum::Json<KeepBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Ok(axum::Json(body)) = body else {
        return json_error(StatusCode::BAD_REQUEST, "Send JSON: {\"take_id\": …, \"notes\": …}.");
    };
    if csrf.verify(&body.csrf).is_err() {
        return json_error(StatusCode::FORBIDDEN, "Reload the page and try again.");
    }
    let Ok(link) = link_of(&state, &token).await else {
        return json_error(StatusCode::NOT_FOUND, "Not found.");
    };
    let result =
        usecase::answering::keep(&state.usecases, &link, &question_id, &body.take_id, body.notes.as_deref()).await;
    match result {
        Ok(kept) => axum::Json(serde_json::json!({ "completed": kept.completed })).into_response(),
        Err(UseCaseError::Invalid(errors)) => {
            let message = errors.0.first().map(|f| f.message.as_str()).unwrap_or("These notes cannot be saved.");
            json_error(StatusCode::UNPROCESSABLE_ENTITY, message)
        }
        Err(UseCaseError::NotFound) => json_error(StatusCode::NOT_FOUND, "Not found."),
        Err(UseCaseError::Conflict("take_incomplete")) => {
            json_error(StatusCode::CONFLICT, "This take has not finished uploading yet.")
        }
        Err(UseCaseError::Conflict("answer_kept")) => {
            json_error(StatusCode::CONFLICT, "This question is already answered.")
        }
        Err(UseCaseError::Conflict(_)) => {
            // The link no longer takes answers: say why, as it stands now.
            let t = candidate_texts(link.language);
            match answering::state_by_token(&state.store, &token).await {
                Ok(Some(now)) if now.status == InvitationStatus::Pending => {
                    json_error(StatusCode::CONFLICT, "Record an answer to this question first.")
                }
                // Still in progress: the deadline (and its grace for an upload begun in time) has passed.
                Ok(Some(now)) if now.status == InvitationStatus::InProgress => {
                    json_error(StatusCode::GONE, t.closed_expired)
                }
                Ok(Some(now)) => json_error(StatusCode::GONE, closed_message(t, now.status)),
                Ok(None) => json_error(StatusCode::NOT_FOUND, "Not found."),
                Err(e) => {
                    tracing::error!(error = %e, "cannot keep an answer");
                    json_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal error; try again.")
                }
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot keep an answer");
            json_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal error; try again.")
        }
    }
}

#[derive(serde::Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /i/{token}/withdraw`: the candidate withdraws (the page asked for confirmation).
async fn withdraw(
    State(state): State<AppState>,
    Path(token): Path<String>,
    csrf: CsrfToken,
    Form(form): Form<CsrfForm>,
) -> PageResult {
    csrf.verify(&form.csrf)?;
    let link = link_of(&state, &token).await?;
    match usecase::answering::withdraw(&state.usecases, &link).await {
        Ok(()) | Err(UseCaseError::Conflict(_)) => Ok(Redirect::to(&format!("/i/{token}")).into_response()),
        Err(e) => Err(e.into()),
    }
}
