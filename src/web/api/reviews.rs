//! Reviewing through the API: an interview's responses (JSON pages and the CSV export), its scorecard criteria, and
//! an invitation's ratings, scores, comments and decision.

use super::{ApiJson, ApiQuery, ErrorBody, invalid};
use crate::domain::{Decision, Stars, halves_average, score_average};
use crate::store::interviews;
use crate::store::invitations;
use crate::store::responses::{self, Funnel};
use crate::store::reviews::{self, OVERALL, Reviewer};
use crate::store::scorecards::{self, Criterion};
use crate::usecase::reviews::{encode_cursor, response_filter};
use crate::usecase::{self, UseCaseError};
use crate::web::auth::ApiActor;
use crate::web::error::{ApiError, ApiResult};
use crate::web::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResponseParams {
    /// `any` (default), `open`, or one status.
    status: Option<String>,
    /// `any` (default), `undecided`, `advance`, `hold`, `reject`.
    decision: Option<String>,
    /// `answered` (default: newest answers first), `name`, `rating` (highest average first).
    sort: Option<String>,
    cursor: Option<String>,
    /// 1–200, default 50.
    limit: Option<i64>,
}

/// An average and how many it is of.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Average {
    /// One decimal, e.g. `4.3`.
    pub average: String,
    pub count: i64,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ResponseItem {
    /// The invitation's id.
    pub id: String,
    pub candidate_id: String,
    pub candidate_name: String,
    pub email: String,
    pub status: String,
    /// Unix milliseconds.
    pub sent_at: i64,
    /// Unix milliseconds.
    pub answered_at: Option<i64>,
    pub decision: Decision,
    /// The interview overall, averaged over reviewers (stars).
    pub overall: Option<Average>,
    /// Your own overall rating (stars).
    pub my_overall: Option<f64>,
    /// Question id → average rating (stars).
    pub questions: BTreeMap<String, Average>,
    /// Criterion id → average score (1–5); deleted criteria left out.
    pub scores: BTreeMap<String, Average>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ResponsePage {
    pub items: Vec<ResponseItem>,
    pub next_cursor: Option<String>,
}

/// The invitations to an interview with their ratings, scorecard averages and decisions, in pages.
#[utoipa::path(get, operation_id = "list_responses", path = "/api/v1/interviews/{id}/responses", params(ResponseParams), tag = "reviews",
    responses((status = 200, body = ResponsePage), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiQuery(p): ApiQuery<ResponseParams>,
) -> ApiResult<Json<ResponsePage>> {
    interviews::get(&state.store, &actor.org.id, &id).await?;
    let filter = response_filter(
        p.status.as_deref().unwrap_or(""),
        p.decision.as_deref().unwrap_or(""),
        p.sort.as_deref().unwrap_or(""),
        p.cursor.as_deref().unwrap_or(""),
        p.limit.unwrap_or(50),
    )
    .map_err(|e| ApiError::validation(&e))?;
    let me = Reviewer::of(&actor).key();
    let page = responses::list(&state.store, &actor.org.id, &id, &me, &filter).await?;
    let stars = |t: &responses::Tally| halves_average(t.sum, t.n).map(|average| Average { average, count: t.n });
    let items = page
        .items
        .into_iter()
        .map(|r| ResponseItem {
            overall: r.ratings.get(OVERALL).and_then(stars),
            my_overall: r.mine.get(OVERALL).map(|h| *h as f64 / 2.0),
            questions: r
                .ratings
                .iter()
                .filter(|(k, _)| k.as_str() != OVERALL)
                .filter_map(|(k, t)| stars(t).map(|a| (k.clone(), a)))
                .collect(),
            scores: r
                .scores
                .iter()
                .filter_map(|(k, t)| {
                    score_average(t.sum, t.n).map(|average| (k.clone(), Average { average, count: t.n }))
                })
                .collect(),
            id: r.id,
            candidate_id: r.candidate_id,
            candidate_name: r.candidate_name,
            email: r.email,
            status: r.status,
            sent_at: r.sent_at,
            answered_at: r.answered_at,
            decision: r.decision,
        })
        .collect();
    Ok(Json(ResponsePage { items, next_cursor: page.next.map(|(k, id)| encode_cursor(&k, &id)) }))
}

/// The interview's responses as a CSV file (UTF-8 with BOM; formula cells neutralized).
#[utoipa::path(get, operation_id = "export_responses", path = "/api/v1/interviews/{id}/responses.csv", tag = "reviews",
    responses((status = 200, content_type = "text/csv", body = String), (status = 404, body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let interview = interviews::get(&state.store, &actor.org.id, &id).await?;
    let me = Reviewer::of(&actor).key();
    let body = crate::web::export::responses_csv(&state, &actor.org, &interview, &me).await?;
    Ok(crate::web::export::csv_response(&interview, body))
}

/// The organization's funnel, or one interview's with `interview_id`; completions per period are the last 12
/// weeks, oldest first.
#[utoipa::path(get, operation_id = "get_funnel", path = "/api/v1/funnel", tag = "reviews",
    params(("interview_id" = Option<String>, Query, description = "One interview's funnel")),
    responses((status = 200, body = Funnel), (status = 404, body = ErrorBody)))]
pub async fn funnel(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<BTreeMap<String, String>>,
) -> ApiResult<Json<Funnel>> {
    let interview = q.get("interview_id");
    if let Some(id) = interview {
        interviews::get(&state.store, &actor.org.id, id).await?;
    }
    // Completions per week, the last 12 weeks (7 × 24 hours each).
    // Up to the end of this minute, so requests within a minute ask for the same periods.
    let now = state.store.now_ms() / 60_000 * 60_000 + 60_000;
    let week = 7 * 24 * 3600 * 1000;
    let boundaries: Vec<i64> = (0..=12).rev().map(|w| now - w * week).collect();
    Ok(Json(state.funnels.funnel(&state.store, &actor.org.id, interview.map(String::as_str), &boundaries).await?))
}

/// The interview's scorecard criteria, deleted ones too (with `deleted_at`).
#[utoipa::path(get, operation_id = "list_criteria", path = "/api/v1/interviews/{id}/criteria", tag = "reviews",
    responses((status = 200, body = Vec<Criterion>), (status = 404, body = ErrorBody)))]
pub async fn criteria(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<Criterion>>> {
    interviews::get(&state.store, &actor.org.id, &id).await?;
    Ok(Json(scorecards::criteria_of(&state.store, &id, true).await?))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct CriterionBody {
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    #[schema(max_length = 500)]
    pub description: Option<String>,
}

async fn criterion_of(state: &AppState, interview_id: &str, id: &str) -> ApiResult<Criterion> {
    scorecards::criteria_of(&state.store, interview_id, true)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or_else(ApiError::not_found)
}

/// Add a criterion to the scorecard (at most 10; 409 past that).
#[utoipa::path(post, operation_id = "create_criterion", path = "/api/v1/interviews/{id}/criteria", request_body = CriterionBody, tag = "reviews",
    responses((status = 201, body = Criterion), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_criterion(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CriterionBody>,
) -> ApiResult<Response> {
    let description = body.description.unwrap_or_default();
    let cid = usecase::interviews::add_criterion(&state.usecases, &actor, &id, &body.name, &description).await?;
    Ok((StatusCode::CREATED, Json(criterion_of(&state, &id, &cid).await?)).into_response())
}

/// Rename a criterion or change its description (allowed after it was scored too).
#[utoipa::path(patch, operation_id = "update_criterion", path = "/api/v1/interviews/{id}/criteria/{criterion}", request_body = CriterionBody, tag = "reviews",
    responses((status = 200, body = Criterion), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn rename_criterion(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((id, criterion)): Path<(String, String)>,
    ApiJson(body): ApiJson<CriterionBody>,
) -> ApiResult<Json<Criterion>> {
    let description = body.description.unwrap_or_default();
    usecase::interviews::rename_criterion(&state.usecases, &actor, &id, &criterion, &body.name, &description).await?;
    Ok(Json(criterion_of(&state, &id, &criterion).await?))
}

/// Delete a criterion: removed when nobody scored it; else kept with its scores, out of every average.
#[utoipa::path(delete, operation_id = "delete_criterion", path = "/api/v1/interviews/{id}/criteria/{criterion}", tag = "reviews",
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_criterion(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path((id, criterion)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    usecase::interviews::delete_criterion(&state.usecases, &actor, &id, &criterion).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct RatingItem {
    /// A question id, or `overall`.
    pub subject: String,
    pub reviewer_name: String,
    /// 0.5–5 in halves.
    pub stars: f64,
    /// Yours.
    pub mine: bool,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ScoreItem {
    pub criterion_id: String,
    pub reviewer_name: String,
    /// 1–5.
    pub score: i64,
    pub mine: bool,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct CommentItem {
    pub id: String,
    pub subject: String,
    pub reviewer_name: String,
    pub body: String,
    /// Unix milliseconds.
    pub created_at: i64,
    pub mine: bool,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Review {
    pub decision: Decision,
    pub ratings: Vec<RatingItem>,
    /// Scores on deleted criteria too (the criteria list says which).
    pub scores: Vec<ScoreItem>,
    pub comments: Vec<CommentItem>,
}

async fn review_of(state: &AppState, actor: &crate::store::sessions::Actor, id: &str) -> ApiResult<Review> {
    let inv = invitations::get(&state.store, &actor.org.id, id).await?;
    let me = Reviewer::of(actor).key();
    let (ratings, comments) = reviews::of_invitation(&state.store, &inv.id).await?;
    let scores = scorecards::scores_of(&state.store, &inv.id).await?;
    Ok(Review {
        decision: Decision::parse(&inv.decision).unwrap_or_default(),
        ratings: ratings
            .into_iter()
            .map(|r| RatingItem {
                mine: r.reviewer == me,
                subject: r.subject,
                reviewer_name: r.reviewer_name,
                stars: r.stars.halves() as f64 / 2.0,
            })
            .collect(),
        scores: scores
            .into_iter()
            .map(|s| ScoreItem {
                mine: s.reviewer == me,
                criterion_id: s.criterion_id,
                reviewer_name: s.reviewer_name,
                score: s.score,
            })
            .collect(),
        comments: comments
            .into_iter()
            .map(|c| CommentItem {
                mine: c.reviewer == me,
                id: c.id,
                subject: c.subject,
                reviewer_name: c.reviewer_name,
                body: c.body,
                created_at: c.created_at,
            })
            .collect(),
    })
}

/// An invitation's decision, ratings, scores and comments.
#[utoipa::path(get, operation_id = "get_review", path = "/api/v1/invitations/{id}/reviews", tag = "reviews",
    responses((status = 200, body = Review), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<Review>> {
    Ok(Json(review_of(&state, &actor, &id).await?))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct RatingBody {
    /// A question id, or `overall`.
    pub subject: String,
    /// 0.5–5 in steps of 0.5; `null` removes your rating.
    pub stars: Option<f64>,
}

/// Set, change or remove your rating of an answer or of the interview overall.
#[utoipa::path(post, operation_id = "rate_invitation", path = "/api/v1/invitations/{id}/ratings", request_body = RatingBody, tag = "reviews",
    responses((status = 200, body = Review), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn rate(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RatingBody>,
) -> ApiResult<Json<Review>> {
    let stars = match body.stars {
        None => String::new(),
        Some(s) if s.is_finite() => s.to_string(),
        Some(_) => return Err(invalid("stars", "Choose a rating from 0.5 to 5, in steps of 0.5.")),
    };
    if body.stars.is_some() {
        Stars::parse("stars", &stars).map_err(|e| invalid("stars", &e.message))?;
    }
    usecase::reviews::rate(&state.usecases, &actor, &id, &body.subject, &stars).await?;
    Ok(Json(review_of(&state, &actor, &id).await?))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct ScoresBody {
    /// Criterion id → 1–5, or `null` to remove your score. All are saved, or none.
    pub scores: BTreeMap<String, Option<i64>>,
}

/// Set, change or remove your scores of the candidate on the interview's criteria.
#[utoipa::path(put, operation_id = "score_invitation", path = "/api/v1/invitations/{id}/scores", request_body = ScoresBody, tag = "reviews",
    responses((status = 200, body = Review), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn score(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ScoresBody>,
) -> ApiResult<Json<Review>> {
    let scores: Vec<(String, String)> =
        body.scores.into_iter().map(|(k, v)| (k, v.map(|n| n.to_string()).unwrap_or_default())).collect();
    usecase::reviews::score_candidate(&state.usecases, &actor, &id, &scores).await?;
    Ok(Json(review_of(&state, &actor, &id).await?))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct CommentBody {
    /// A question id, or `overall`.
    pub subject: String,
    #[schema(min_length = 1, max_length = 5000)]
    pub body: String,
}

/// Comment on an answer or the interview overall.
#[utoipa::path(post, operation_id = "create_comment", path = "/api/v1/invitations/{id}/comments", request_body = CommentBody, tag = "reviews",
    responses((status = 201, body = Review), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn comment(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CommentBody>,
) -> ApiResult<Response> {
    usecase::reviews::comment(&state.usecases, &actor, &id, &body.subject, &body.body).await?;
    Ok((StatusCode::CREATED, Json(review_of(&state, &actor, &id).await?)).into_response())
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct DecisionBody {
    pub decision: Decision,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Decided {
    pub decision: Decision,
    /// False when it already was this decision.
    pub changed: bool,
}

/// Record your decision on the invitation; on the candidate's timeline with who decided.
#[utoipa::path(put, operation_id = "decide_invitation", path = "/api/v1/invitations/{id}/decision", request_body = DecisionBody, tag = "reviews",
    responses((status = 200, body = Decided), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decide(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<DecisionBody>,
) -> ApiResult<Json<Decided>> {
    match usecase::reviews::decide(&state.usecases, &actor, &id, body.decision.as_str()).await {
        Ok((decision, changed)) => Ok(Json(Decided { decision, changed })),
        Err(UseCaseError::NotFound) => Err(ApiError::not_found()),
        Err(e) => Err(e.into()),
    }
}
