use super::{ApiJson, ApiQuery, ErrorBody};
use crate::domain::{InterviewInput, QuestionInput};
use crate::store::interviews::{self, Interview};
use crate::usecase::{self, UseCaseError};
use crate::web::auth::ApiActor;
use crate::web::error::{ApiError, ApiResult};
use crate::web::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(serde::Deserialize, utoipa::ToSchema, Clone)]
pub struct QuestionBody {
    #[schema(min_length = 1, max_length = 1000)]
    pub text: String,
    #[schema(max_length = 2000)]
    pub instructions: Option<String>,
    /// 30–600.
    #[schema(minimum = 30, maximum = 600)]
    pub max_answer_seconds: i64,
    /// 1–5.
    #[schema(minimum = 1, maximum = 5)]
    pub max_takes: i64,
    /// 0–600, or `null` for no limit.
    #[schema(minimum = 0, maximum = 600)]
    pub think_seconds: Option<i64>,
    #[serde(default)]
    pub notes_allowed: bool,
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct InterviewBody {
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    #[schema(max_length = 5000)]
    pub intro_text: Option<String>,
    #[schema(max_length = 5000)]
    pub outro_text: Option<String>,
    #[serde(default)]
    pub show_questions_upfront: bool,
    #[serde(default)]
    pub audio_only: bool,
    /// 1–20 questions, in order.
    #[schema(min_items = 1, max_items = 20)]
    pub questions: Vec<QuestionBody>,
}

/// Only the fields present change; `questions`, when present, replaces all of them.
#[derive(serde::Deserialize, utoipa::ToSchema, Default)]
pub struct InterviewPatch {
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    #[schema(max_length = 5000)]
    pub intro_text: Option<String>,
    #[schema(max_length = 5000)]
    pub outro_text: Option<String>,
    pub show_questions_upfront: Option<bool>,
    pub audio_only: Option<bool>,
    #[schema(min_items = 1, max_items = 20)]
    pub questions: Option<Vec<QuestionBody>>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct InterviewSummary {
    pub id: String,
    pub name: String,
    pub title: String,
    pub questions: i64,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct InterviewList {
    pub items: Vec<InterviewSummary>,
}

fn questions_input(questions: &[QuestionBody]) -> Vec<QuestionInput> {
    questions
        .iter()
        .map(|q| QuestionInput {
            text: q.text.clone(),
            instructions: q.instructions.clone().unwrap_or_default(),
            max_answer_seconds: Some(q.max_answer_seconds),
            max_takes: Some(q.max_takes),
            think_seconds: q.think_seconds,
            notes_allowed: q.notes_allowed,
        })
        .collect()
}

fn existing_questions(i: &Interview) -> Vec<QuestionBody> {
    i.questions
        .iter()
        .map(|q| QuestionBody {
            text: q.text.clone(),
            instructions: q.instructions.clone(),
            max_answer_seconds: q.max_answer_seconds,
            max_takes: q.max_takes,
            think_seconds: q.think_seconds,
            notes_allowed: q.notes_allowed,
        })
        .collect()
}

/// The organization's video interviews.
#[utoipa::path(get, operation_id = "list_interviews", path = "/api/v1/interviews", tag = "interviews",
    responses((status = 200, body = InterviewList), (status = 401, body = ErrorBody)))]
pub async fn list(State(state): State<AppState>, ApiActor(actor): ApiActor) -> ApiResult<Json<InterviewList>> {
    let items = interviews::list(&state.store, &actor.org.id)
        .await?
        .into_iter()
        .map(|i| InterviewSummary { id: i.id, name: i.name, title: i.title, questions: i.questions })
        .collect();
    Ok(Json(InterviewList { items }))
}

/// Create a video interview with its questions.
#[utoipa::path(post, operation_id = "create_interview", path = "/api/v1/interviews", request_body = InterviewBody, tag = "interviews",
    responses((status = 201, body = Interview), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(body): ApiJson<InterviewBody>,
) -> ApiResult<Response> {
    let input = InterviewInput {
        name: body.name,
        title: body.title,
        intro: body.intro_text.unwrap_or_default(),
        outro: body.outro_text.unwrap_or_default(),
        show_questions_upfront: body.show_questions_upfront,
        audio_only: body.audio_only,
        questions: questions_input(&body.questions),
    };
    let spec = input.parse().map_err(|e| ApiError::validation(&e))?;
    let created = usecase::interviews::create(&state.usecases, &actor, &spec).await?;
    Ok((StatusCode::CREATED, [("location", format!("/api/v1/interviews/{}", created.id))], Json(created))
        .into_response())
}

/// One video interview with its questions.
#[utoipa::path(get, operation_id = "get_interview", path = "/api/v1/interviews/{id}", tag = "interviews",
    responses((status = 200, body = Interview), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<Interview>> {
    Ok(Json(interviews::get(&state.store, &actor.org.id, &id).await?))
}

/// Change a video interview.
#[utoipa::path(patch, operation_id = "update_interview", path = "/api/v1/interviews/{id}", request_body = InterviewPatch, tag = "interviews",
    responses((status = 200, body = Interview), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<InterviewPatch>,
) -> ApiResult<Json<Interview>> {
    let current = interviews::get(&state.store, &actor.org.id, &id).await?;
    let questions = patch.questions.unwrap_or_else(|| existing_questions(&current));
    let input = InterviewInput {
        name: patch.name.unwrap_or(current.name),
        title: patch.title.unwrap_or(current.title),
        intro: patch.intro_text.or(current.intro_text).unwrap_or_default(),
        outro: patch.outro_text.or(current.outro_text).unwrap_or_default(),
        show_questions_upfront: patch.show_questions_upfront.unwrap_or(current.show_questions_upfront),
        audio_only: patch.audio_only.unwrap_or(current.audio_only),
        questions: questions_input(&questions),
    };
    let spec = input.parse().map_err(|e| ApiError::validation(&e))?;
    match usecase::interviews::update(&state.usecases, &actor, &id, &spec).await {
        Ok(saved) => Ok(Json(saved)),
        Err(UseCaseError::Conflict("interview_has_answers")) => {
            Err(ApiError::conflict(crate::domain::ANSWERED_QUESTIONS_FIXED))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteParams {
    /// For an interview candidates have answered: `true` deletes their answers and recordings too (admins only).
    #[serde(default)]
    pub delete_answers: bool,
}

/// Delete a video interview and its invitations. Once candidates have answered it: 409, unless an admin passes
/// `delete_answers=true`.
#[utoipa::path(delete, operation_id = "delete_interview", path = "/api/v1/interviews/{id}", tag = "interviews", params(DeleteParams),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<DeleteParams>,
) -> ApiResult<StatusCode> {
    match usecase::interviews::delete(&state.usecases, &actor, &id, params.delete_answers).await {
        Ok(_) => Ok(StatusCode::NO_CONTENT),
        Err(UseCaseError::Conflict("interview_has_answers")) => Err(ApiError::conflict(if actor.user.is_admin() {
            "Candidates have answered this interview; pass delete_answers=true to delete their answers too."
        } else {
            "Candidates have answered this interview; only an admin can delete it."
        })),
        Err(e) => Err(e.into()),
    }
}
