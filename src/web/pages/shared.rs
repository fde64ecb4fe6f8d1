//! A share link `/s/{token}`: a colleague without an account watches the answers, read-only, until the link
//! expires or is revoked, and may rate with their name when the sharer allowed it. Every opening is on the
//! candidate's timeline. An unknown token is a plain 404; an expired or revoked one says so (410).

use super::layout::{Guest, local_time};
use super::playback::{AnswerRow, STAR_CHOICES, answer_rows, serve_take};
use crate::domain::{FieldErrors, Stars};
use crate::store::reviews::{self, ShareLink};
use crate::store::scorecards::{self, Criterion};
use crate::store::{interviews, invitations, orgs};
use crate::usecase;
use crate::web::auth::CsrfToken;
use crate::web::error::{PageError, PageResult};
use crate::web::state::{AppState, token_shape_ok};
use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use std::collections::HashMap;

#[derive(Template)]
#[template(path = "shared/answers.html")]
struct SharedPage {
    token: String,
    csrf: String,
    org_name: String,
    candidate_name: String,
    interview_name: String,
    until: String,
    shared_by: String,
    audio_only: bool,
    answers: Vec<AnswerRow>,
    allow_rating: bool,
    stars: [&'static str; 10],
    name: String,
    /// Submitted choices by subject, when the form comes back with errors.
    chosen: HashMap<String, String>,
    errors: Vec<(String, String)>,
    thanks: bool,
    /// The interview's scorecard criteria.
    criteria: Vec<Criterion>,
}

impl SharedPage {
    fn chosen_is(&self, subject: &str, s: &str) -> bool {
        self.chosen.get(subject).map(String::as_str) == Some(s)
    }

    fn error_of(&self, field: &str) -> Option<&str> {
        self.errors.iter().find(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }
}

/// The link while it works; a plain 404 for an unknown token, a 410 page saying when for an expired or revoked one.
async fn usable_link(state: &AppState, token: &str) -> Result<ShareLink, PageError> {
    if !token_shape_ok(token) {
        return Err(PageError::NotFound);
    }
    let link = reviews::share_by_token(&state.store, token).await?.ok_or(PageError::NotFound)?;
    if link.usable_at(state.store.now_ms()) {
        return Ok(link);
    }
    let org = orgs::get(&state.store, &link.org_id).await?;
    let when = |t| format!("{} ({})", local_time(t, &org.tz()), org.timezone);
    Err(match link.revoked_at {
        Some(t) => PageError::Gone {
            title: "Share link revoked",
            message: format!("This share link was revoked on {}. Ask the person who shared it for a new one.", when(t)),
        },
        None => PageError::Gone {
            title: "Share link expired",
            message: format!(
                "This share link expired on {}. Ask the person who shared it for a new one.",
                when(link.expires_at)
            ),
        },
    })
}

/// The page of a working link, with the invitation it shares.
async fn page(
    state: &AppState,
    token: &str,
    link: &ShareLink,
    csrf: &CsrfToken,
) -> Result<(SharedPage, invitations::InvitationRow), PageError> {
    let org = orgs::get(&state.store, &link.org_id).await?;
    let inv = invitations::get(&state.store, &org.id, &link.invitation_id).await?;
    let interview = interviews::get(&state.store, &org.id, &inv.interview_id).await?;
    let answers = answer_rows(state, &org, &inv, &interview, &format!("/s/{token}")).await?;
    let page = SharedPage {
        token: token.to_owned(),
        csrf: csrf.0.clone(),
        org_name: org.name.clone(),
        candidate_name: inv.candidate_name.clone(),
        interview_name: interview.title.clone(),
        until: format!("{} ({})", local_time(link.expires_at, &org.tz()), org.timezone),
        shared_by: link.created_by_name.clone(),
        audio_only: interview.audio_only,
        answers,
        allow_rating: link.allow_rating,
        stars: STAR_CHOICES,
        name: String::new(),
        chosen: HashMap::new(),
        errors: Vec::new(),
        thanks: false,
        criteria: scorecards::criteria_of(&state.store, &interview.id, false).await?,
    };
    Ok((page, inv))
}

/// The page, kept out of caches (the URL is the credential).
fn html(page: &SharedPage, status: StatusCode) -> PageResult {
    Ok((status, [(header::CACHE_CONTROL, "no-store")], Html(page.render()?)).into_response())
}

/// `GET /s/{token}`.
pub async fn view(ctx: Guest, Path(token): Path<String>, Query(q): Query<HashMap<String, String>>) -> PageResult {
    let link = usable_link(&ctx.state, &token).await?;
    let (mut p, inv) = page(&ctx.state, &token, &link, &ctx.csrf).await?;
    usecase::reviews::share_opened(&ctx.state.usecases, &link, &inv).await?;
    p.thanks = q.contains_key("rated");
    html(&p, StatusCode::OK)
}

/// `POST /s/{token}/ratings`: a colleague's name and their ratings (each answer and overall; blank = none), saved
/// together or not at all.
pub async fn rate(ctx: Guest, Path(token): Path<String>, Form(form): Form<HashMap<String, String>>) -> PageResult {
    ctx.verify(form.get("csrf").map(String::as_str).unwrap_or(""))?;
    let link = usable_link(&ctx.state, &token).await?;
    if !link.allow_rating {
        return Err(PageError::Forbidden("This share link is for watching only."));
    }
    let (mut p, inv) = page(&ctx.state, &token, &link, &ctx.csrf).await?;
    let mut errors = FieldErrors::new();
    let name = errors.check(crate::domain::reviewer_name("name", form.get("name").map(String::as_str).unwrap_or("")));
    let mut subjects: Vec<(String, Option<usize>)> =
        p.answers.iter().filter(|a| a.media_url.is_some()).map(|a| (a.question_id.clone(), Some(a.rank))).collect();
    subjects.push((reviews::OVERALL.to_owned(), None));
    let mut chosen = Vec::new();
    for (subject, rank) in &subjects {
        let field = format!("stars_{subject}");
        let value = form.get(&field).map(|s| s.trim()).unwrap_or("");
        if value.is_empty() {
            continue;
        }
        p.chosen.insert(subject.clone(), value.to_owned());
        if let Some(stars) = errors.check(Stars::parse(&field, value)) {
            chosen.push((reviews::Subject { inv: &inv, id: subject, rank: *rank }, Some(stars)));
        }
    }
    let scores: Vec<(String, String)> = p
        .criteria
        .iter()
        .filter_map(|c| {
            let value = form.get(&format!("score_{}", c.id)).map(|s| s.trim()).unwrap_or("");
            (!value.is_empty()).then(|| (c.id.clone(), value.to_owned()))
        })
        .collect();
    for (id, value) in &scores {
        p.chosen.insert(format!("score_{id}"), value.clone());
        errors.check(crate::domain::score(&format!("score_{id}"), value));
    }
    let (Some(name), true) = (name, errors.0.is_empty()) else {
        p.name = form.get("name").cloned().unwrap_or_default();
        p.errors = errors.0.into_iter().map(|e| (e.field, e.message)).collect();
        return html(&p, StatusCode::UNPROCESSABLE_ENTITY);
    };
    if chosen.is_empty() && scores.is_empty() {
        p.name = name;
        p.errors = vec![("form".into(), "Choose at least one rating or score.".into())];
        return html(&p, StatusCode::UNPROCESSABLE_ENTITY);
    }
    if !chosen.is_empty() {
        usecase::reviews::rate_as_guest(&ctx.state.usecases, &link, name.clone(), &chosen).await?;
    }
    if !scores.is_empty() {
        usecase::reviews::score_as_guest(&ctx.state.usecases, &link, &inv, name, &scores).await?;
    }
    Ok(Redirect::to(&format!("/s/{token}?rated=1")).into_response())
}

/// `GET /s/{token}/takes/{take}/media`: a kept take of the shared invitation, while the link works.
pub async fn media(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((token, take_id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let link = usable_link(&state, &token).await?;
    serve_take(&state, &link.org_id, &link.invitation_id, &take_id, &headers).await
}
