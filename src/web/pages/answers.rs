//! The completed interview: the target of the Notify-me link. Every question with the kept take (played from
//! `…/takes/{id}/media`, served with HTTP ranges behind the recruiter's session), the candidate's notes and the
//! candidate's timeline.

use super::layout::{CsrfOnly, Page, redirect_with, render_invalid};
use super::layout::{Layout, local_time, render};
use super::playback::{AnswerRow, CommentRow, ReviewBlock, STAR_CHOICES, answer_rows, serve_take};
use super::timeline::describe_event;
use crate::domain::{Decision, FieldErrors, InvitationStatus, score_average};
use crate::store::responses::{self, Neighbours};
use crate::store::reviews::{self, Reviewer};
use crate::store::scorecards::{self, Criterion, Score};
use crate::store::{candidates, interviews, invitations};
use crate::usecase::reviews::Rated;
use crate::usecase::{self, UseCaseError};
use crate::web::auth::CurrentUser;
use crate::web::error::{PageError, PageResult};
use crate::web::state::AppState;
use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::HeaderMap;
use axum::response::Response;

struct EventRow {
    when: String,
    actor: String,
    what: String,
}

struct ShareRow {
    id: String,
    url: String,
    by: String,
    /// "works until …", "expired on …", "revoked on …".
    state: String,
    usable: bool,
    allow_rating: bool,
}

#[derive(Template)]
#[template(path = "invitations/answers.html")]
struct AnswersPage {
    layout: Layout,
    inv: invitations::InvitationRow,
    status: &'static str,
    title: String,
    audio_only: bool,
    sent: String,
    answered: String,
    answers: Vec<AnswerRow>,
    overall: ReviewBlock,
    stars: [&'static str; 10],
    shares: Vec<ShareRow>,
    share_days: [i64; 5],
    share_days_default: i64,
    events: Vec<EventRow>,
    media_deleted: Option<String>,
    /// The candidates before and after this one among the interview's answered ones.
    nav: Neighbours,
    criteria: Vec<CriterionRow>,
    score_error: Option<String>,
    decision: Decision,
    decisions: [Decision; 4],
}

/// A scorecard criterion as the reviewer sees it: their score and everyone's average.
pub(crate) struct CriterionRow {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub mine: Option<i64>,
    pub average: Option<String>,
    pub count: i64,
}

/// The scorecard of an invitation: `scores` of live `criteria`, as `me` sees it.
pub(crate) fn criterion_rows(criteria: &[Criterion], scores: &[Score], me: &str) -> Vec<CriterionRow> {
    criteria
        .iter()
        .filter(|c| c.deleted_at.is_none())
        .map(|c| {
            let of: Vec<&Score> = scores.iter().filter(|s| s.criterion_id == c.id).collect();
            CriterionRow {
                id: c.id.clone(),
                name: c.name.clone(),
                description: c.description.clone(),
                mine: of.iter().find(|s| s.reviewer == me).map(|s| s.score),
                average: score_average(of.iter().map(|s| s.score).sum(), of.len() as i64),
                count: of.len() as i64,
            }
        })
        .collect()
}

/// A form's problem to show on the page again (422), in the block of `subject`.
#[derive(Default)]
struct Problem {
    subject: String,
    rating: Option<String>,
    comment: Option<String>,
    draft: String,
    score: Option<String>,
}

/// The answers of an invitation, question by question, with media under `media_base` (`/invitations/{id}` for
/// recruiters, `/s/{token}` on a share link).
/// Fills a subject's block from the invitation's ratings and comments, as `me` sees it.
fn review_block(
    subject: &str,
    ratings: &[reviews::Rating],
    comments: &[reviews::Comment],
    me: &str,
    tz: &jiff::tz::TimeZone,
) -> ReviewBlock {
    let mine: Vec<&reviews::Rating> = ratings.iter().filter(|r| r.subject == subject).collect();
    ReviewBlock {
        subject: subject.to_owned(),
        average: crate::domain::average(mine.iter().map(|r| r.stars.halves())),
        ratings: mine.iter().map(|r| (r.reviewer_name.clone(), r.stars.label())).collect(),
        mine: mine.iter().find(|r| r.reviewer == me).map(|r| r.stars.label()),
        comments: comments
            .iter()
            .filter(|c| c.subject == subject)
            .map(|c| CommentRow {
                id: c.id.clone(),
                who: c.reviewer_name.clone(),
                when: local_time(c.created_at, tz),
                body: c.body.clone(),
                edited: c.updated_at > c.created_at,
                mine: c.reviewer == me,
            })
            .collect(),
        ..Default::default()
    }
}

/// `GET /invitations/{id}/answers`.
pub async fn view(ctx: Page, Path(id): Path<String>) -> PageResult {
    let page = answers_page(&ctx, &id, Problem::default()).await?;
    render(&page, &page.layout)
}

async fn answers_page(ctx: &Page, id: &str, problem: Problem) -> Result<AnswersPage, PageError> {
    let org = &ctx.user.actor.org;
    let inv = invitations::get(&ctx.state.store, &org.id, id).await?;
    let interview = interviews::get(&ctx.state.store, &org.id, &inv.interview_id).await?;
    let tz = org.tz();
    let mut rows = answer_rows(&ctx.state, org, &inv, &interview, &format!("/invitations/{id}")).await?;
    let (ratings, comments) = reviews::of_invitation(&ctx.state.store, &inv.id).await?;
    let me = Reviewer::of(&ctx.user.actor).key();
    let mut overall = review_block(reviews::OVERALL, &ratings, &comments, &me, &tz);
    for row in &mut rows {
        row.review = review_block(&row.question_id, &ratings, &comments, &me, &tz);
    }
    for block in rows.iter_mut().map(|r| &mut r.review).chain(std::iter::once(&mut overall)) {
        if block.subject == problem.subject {
            block.rating_error = problem.rating.clone();
            block.comment_error = problem.comment.clone();
            block.comment_draft = problem.draft.clone();
        }
    }
    let criteria = scorecards::criteria_of(&ctx.state.store, &interview.id, false).await?;
    let scores = scorecards::scores_of(&ctx.state.store, &inv.id).await?;
    let nav = responses::neighbours(&ctx.state.store, &org.id, &inv.interview_id, &inv.id, inv.answered_at).await?;
    let now = ctx.state.store.now_ms();
    let shares = reviews::shares_of(&ctx.state.store, &inv.id)
        .await?
        .into_iter()
        .map(|s| ShareRow {
            url: ctx.state.link(&format!("/s/{}", reviews::share_token(&ctx.state.usecases.link_key, &s.id))),
            by: s.created_by_name.clone(),
            state: match s.revoked_at {
                Some(t) => format!("revoked on {}", local_time(t, &tz)),
                None if now >= s.expires_at => format!("expired on {}", local_time(s.expires_at, &tz)),
                None => format!("works until {}", local_time(s.expires_at, &tz)),
            },
            usable: s.usable_at(now),
            allow_rating: s.allow_rating,
            id: s.id,
        })
        .collect();
    let events = candidates::timeline(&ctx.state.store, &org.id, &inv.candidate_id)
        .await?
        .into_iter()
        .map(|e| EventRow {
            when: local_time(e.created_at, &tz),
            what: describe_event(&e.kind, &e.detail),
            actor: e.actor,
        })
        .collect();
    Ok(AnswersPage {
        layout: ctx.layout(format!("{} — {}", inv.candidate_name, interview.name), "invitations"),
        status: InvitationStatus::parse(&inv.status).map(InvitationStatus::label).unwrap_or("?"),
        title: interview.title.clone(),
        audio_only: interview.audio_only,
        sent: local_time(inv.sent_at, &tz),
        answered: inv.answered_at.map(|t| local_time(t, &tz)).unwrap_or_default(),
        media_deleted: inv.media_deleted_at.map(|t| local_time(t, &tz)),
        answers: rows,
        overall,
        stars: STAR_CHOICES,
        shares,
        share_days: crate::domain::SHARE_DAYS,
        share_days_default: crate::domain::SHARE_DAYS_DEFAULT,
        events,
        nav,
        criteria: criterion_rows(&criteria, &scores, &me),
        score_error: problem.score,
        decision: Decision::parse(&inv.decision).unwrap_or_default(),
        decisions: Decision::ALL,
        inv,
    })
}

#[derive(serde::Deserialize)]
pub struct RatingForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    subject: String,
    /// Empty: remove the rating.
    #[serde(default)]
    stars: String,
}

/// `POST /invitations/{id}/ratings`: sets, changes or removes the user's rating of an answer or the interview.
pub async fn rate(ctx: Page, Path(id): Path<String>, Form(form): Form<RatingForm>) -> PageResult {
    ctx.verify(&form.csrf)?;
    let rated = usecase::reviews::rate(&ctx.state.usecases, &ctx.user.actor, &id, &form.subject, &form.stars).await;
    let Rated { rank, stars } = match rated {
        Ok(r) => r,
        Err(UseCaseError::Invalid(e)) => {
            let problem = Problem { subject: form.subject, rating: first_message(e), ..Default::default() };
            let page = answers_page(&ctx, &id, problem).await?;
            return render_invalid(&page, &page.layout);
        }
        Err(e) => return Err(e.into()),
    };
    let message = match stars {
        Some(s) => format!("Rated {}.", s.label()),
        None => "Rating removed.".to_owned(),
    };
    Ok(ctx.redirect(&format!("/invitations/{id}/answers#{}", anchor(rank)), &message))
}

/// The first field error's message, for the block that shows it.
fn first_message(errors: FieldErrors) -> Option<String> {
    errors.0.into_iter().next().map(|e| e.message)
}

/// The page anchor of a subject's block.
fn anchor(rank: Option<usize>) -> String {
    rank.map_or_else(|| "overall".to_owned(), |r| format!("q{r}"))
}

#[derive(serde::Deserialize)]
pub struct CommentForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
}

/// `POST /invitations/{id}/comments`.
pub async fn comment(ctx: Page, Path(id): Path<String>, Form(form): Form<CommentForm>) -> PageResult {
    ctx.verify(&form.csrf)?;
    let rank = match usecase::reviews::comment(&ctx.state.usecases, &ctx.user.actor, &id, &form.subject, &form.body)
        .await
    {
        Ok(rank) => rank,
        Err(UseCaseError::Invalid(e)) => {
            let problem =
                Problem { subject: form.subject, comment: first_message(e), draft: form.body, ..Default::default() };
            let page = answers_page(&ctx, &id, problem).await?;
            return render_invalid(&page, &page.layout);
        }
        Err(e) => return Err(e.into()),
    };
    Ok(ctx.redirect(&format!("/invitations/{id}/answers#{}", anchor(rank)), "Comment added."))
}

/// `POST /invitations/{id}/comments/{comment}`: the author changes their comment.
pub async fn edit_comment(
    ctx: Page,
    Path((id, comment_id)): Path<(String, String)>,
    Form(form): Form<CommentForm>,
) -> PageResult {
    ctx.verify(&form.csrf)?;
    usecase::reviews::change_comment(&ctx.state.usecases, &ctx.user.actor, &id, &comment_id, Some(&form.body)).await?;
    Ok(ctx.redirect(&format!("/invitations/{id}/answers"), "Comment changed."))
}

/// `POST /invitations/{id}/comments/{comment}/delete`: the author deletes their comment.
pub async fn delete_comment(
    ctx: Page,
    Path((id, comment_id)): Path<(String, String)>,
    Form(form): Form<CsrfOnly>,
) -> PageResult {
    ctx.verify(&form.csrf)?;
    usecase::reviews::change_comment(&ctx.state.usecases, &ctx.user.actor, &id, &comment_id, None).await?;
    Ok(ctx.redirect(&format!("/invitations/{id}/answers"), "Comment deleted."))
}

/// `POST /invitations/{id}/scores`: the user's scorecard of the candidate (`scores.<criterion id>` = 1–5, blank to
/// remove), saved together or not at all.
pub async fn score(ctx: Page, Path(id): Path<String>, Form(form): Form<Vec<(String, String)>>) -> PageResult {
    let csrf = form.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v.as_str()).unwrap_or("");
    ctx.verify(csrf)?;
    let scores: Vec<(String, String)> =
        form.iter().filter_map(|(k, v)| k.strip_prefix("scores.").map(|c| (c.to_owned(), v.clone()))).collect();
    match usecase::reviews::score_candidate(&ctx.state.usecases, &ctx.user.actor, &id, &scores).await {
        Ok(()) => Ok(ctx.redirect(&format!("/invitations/{id}/answers#scorecard"), "Scores saved.")),
        Err(UseCaseError::Invalid(e)) => {
            let problem = Problem { score: first_message(e), ..Default::default() };
            let page = answers_page(&ctx, &id, problem).await?;
            render_invalid(&page, &page.layout)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    decision: String,
}

/// `POST /invitations/{id}/decision`: undecided, advance, hold or reject; on the candidate's timeline.
pub async fn decide(ctx: Page, Path(id): Path<String>, Form(form): Form<DecisionForm>) -> PageResult {
    ctx.verify(&form.csrf)?;
    let (decision, _) = usecase::reviews::decide(&ctx.state.usecases, &ctx.user.actor, &id, &form.decision).await?;
    Ok(ctx.redirect(&format!("/invitations/{id}/answers#decision"), &format!("Decision: {}.", decision.label())))
}

#[derive(serde::Deserialize)]
pub struct ShareForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    days: String,
    #[serde(default)]
    allow_rating: Option<String>,
}

/// `POST /invitations/{id}/shares`: a new read-only link for colleagues.
pub async fn share(ctx: Page, Path(id): Path<String>, Form(form): Form<ShareForm>) -> PageResult {
    ctx.verify(&form.csrf)?;
    let allow_rating = form.allow_rating.is_some();
    let link = usecase::reviews::share(&ctx.state.usecases, &ctx.user.actor, &id, &form.days, allow_rating).await?;
    let until = local_time(link.expires_at, &ctx.user.actor.org.tz());
    Ok(redirect_with(
        &ctx.state,
        &format!("/invitations/{id}/answers#share"),
        &format!("Share link created: it works until {until}. Copy it below."),
    ))
}

/// `POST /invitations/{id}/shares/{share}/revoke`.
pub async fn revoke_share(
    ctx: Page,
    Path((id, share_id)): Path<(String, String)>,
    Form(form): Form<CsrfOnly>,
) -> PageResult {
    ctx.verify(&form.csrf)?;
    usecase::reviews::revoke_share(&ctx.state.usecases, &ctx.user.actor, &id, &share_id).await?;
    Ok(ctx.redirect(&format!("/invitations/{id}/answers#share"), "Share link revoked: it no longer works."))
}

/// `GET /invitations/{id}/takes/{take}/media`: a kept take, behind the recruiter's session. Its URL is no
/// credential.
pub async fn media(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path((id, take_id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    serve_take(&state, &user.actor.org.id, &id, &take_id, &headers).await
}
