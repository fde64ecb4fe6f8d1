use super::{ApiJson, ApiQuery, ErrorBody, invalid};
use crate::store::StoreError;
use crate::store::candidates::{self, Candidate, Cursor, NewCandidate, Sort};
use crate::usecase::{self, UseCaseError};
use crate::web::auth::ApiActor;
use crate::web::error::{ApiError, ApiResult};
use crate::web::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct CandidateInput {
    #[schema(min_length = 1, max_length = 100, pattern = r"^[^\x00-\x1f\x7f]*[^\x00-\x20\x7f][^\x00-\x1f\x7f]*$")]
    pub first_name: String,
    #[schema(min_length = 1, max_length = 100, pattern = r"^[^\x00-\x1f\x7f]*[^\x00-\x20\x7f][^\x00-\x1f\x7f]*$")]
    pub last_name: String,
    #[schema(min_length = 3, max_length = 254, format = Email)]
    pub email: String,
    #[schema(max_length = 32)]
    pub phone: Option<String>,
    #[schema(max_length = 5000)]
    pub notes: Option<String>,
}

/// Only the fields present are changed; `null` clears `phone` or `notes`.
#[derive(serde::Deserialize, utoipa::ToSchema, Default)]
pub struct CandidatePatch {
    #[schema(min_length = 1, max_length = 100, pattern = r"^[^\x00-\x1f\x7f]*[^\x00-\x20\x7f][^\x00-\x1f\x7f]*$")]
    pub first_name: Option<String>,
    #[schema(min_length = 1, max_length = 100, pattern = r"^[^\x00-\x1f\x7f]*[^\x00-\x20\x7f][^\x00-\x1f\x7f]*$")]
    pub last_name: Option<String>,
    #[schema(min_length = 3, max_length = 254, format = Email)]
    pub email: Option<String>,
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub notes: Option<Option<String>>,
}

mod double_option {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
        Option::<String>::deserialize(d).map(Some)
    }
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct CandidatePage {
    pub items: Vec<Candidate>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Part of a first or last name: up to 10 matches, prefix matches first (no paging).
    q: Option<String>,
    /// `name` (default), `-name`, `created`, `-created`.
    sort: Option<String>,
    cursor: Option<String>,
    /// 1–200, default 50.
    limit: Option<i64>,
}

fn email_taken() -> ApiError {
    ApiError::conflict("Another candidate of this organization has this email.")
}

/// List candidates, or search them by name with `q`.
#[utoipa::path(get, operation_id = "list_candidates", path = "/api/v1/candidates", params(ListParams), tag = "candidates",
    responses((status = 200, body = CandidatePage), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<Json<CandidatePage>> {
    if let Some(q) = params.q.as_deref().filter(|q| !q.trim().is_empty()) {
        let items = candidates::search(&state.store, &actor.org.id, q, candidates::SEARCH_MAX).await?;
        return Ok(Json(CandidatePage { items, next_cursor: None }));
    }
    let sort = Sort::parse(params.sort.as_deref().unwrap_or(""))
        .ok_or_else(|| invalid("sort", "Use name, -name, created or -created."))?;
    let limit = params.limit.unwrap_or(50);
    if !(1..=candidates::PAGE_MAX).contains(&limit) {
        return Err(invalid("limit", "Use a limit from 1 to 200."));
    }
    let cursor = match params.cursor.as_deref() {
        Some(c) => Some(Cursor::decode(c).ok_or_else(|| invalid("cursor", "This cursor is not valid."))?),
        None => None,
    };
    let page = match candidates::list(&state.store, &actor.org.id, sort, cursor.as_ref(), limit).await {
        Err(StoreError::Conflict(_)) => {
            return Err(invalid("cursor", "This cursor does not belong to this sort order."));
        }
        other => other?,
    };
    Ok(Json(CandidatePage { items: page.items, next_cursor: page.next.map(|c| c.encode()) }))
}

/// Create a candidate.
#[utoipa::path(post, operation_id = "create_candidate", path = "/api/v1/candidates", request_body = CandidateInput, tag = "candidates",
    responses((status = 201, body = Candidate), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(input): ApiJson<CandidateInput>,
) -> ApiResult<Response> {
    let new = NewCandidate::parse(
        &input.first_name,
        &input.last_name,
        &input.email,
        input.phone.as_deref(),
        input.notes.as_deref(),
    )
    .map_err(|e| ApiError::validation(&e))?;
    match usecase::candidates::create(&state.usecases, &actor, &new).await {
        Ok(c) => {
            Ok((StatusCode::CREATED, [("location", format!("/api/v1/candidates/{}", c.id))], Json(c)).into_response())
        }
        Err(UseCaseError::Conflict(_)) => Err(email_taken()),
        Err(e) => Err(e.into()),
    }
}

/// One candidate.
#[utoipa::path(get, operation_id = "get_candidate", path = "/api/v1/candidates/{id}", tag = "candidates",
    responses((status = 200, body = Candidate), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<Candidate>> {
    Ok(Json(candidates::get(&state.store, &actor.org.id, &id).await?))
}

/// Change some of a candidate's fields.
#[utoipa::path(patch, operation_id = "update_candidate", path = "/api/v1/candidates/{id}", request_body = CandidatePatch, tag = "candidates",
    responses((status = 200, body = Candidate), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<CandidatePatch>,
) -> ApiResult<Json<Candidate>> {
    let current = candidates::get(&state.store, &actor.org.id, &id).await?;
    let phone = patch.phone.unwrap_or(current.phone);
    let notes = patch.notes.unwrap_or(current.notes);
    let new = NewCandidate::parse(
        patch.first_name.as_deref().unwrap_or(&current.first_name),
        patch.last_name.as_deref().unwrap_or(&current.last_name),
        patch.email.as_deref().unwrap_or(&current.email),
        phone.as_deref(),
        notes.as_deref(),
    )
    .map_err(|e| ApiError::validation(&e))?;
    match usecase::candidates::update(&state.usecases, &actor, &id, &new).await {
        Ok(c) => Ok(Json(c)),
        Err(UseCaseError::Conflict(_)) => Err(email_taken()),
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize)]
pub struct DeleteParams {
    erase: Option<bool>,
}

/// Erase a candidate: the candidate, their invitations, answers and recordings, timeline, ratings, comments,
/// scores, share links, consents and their emails in the mail log. One audit entry remains, without personal data.
/// `?erase=true` may be given; it changes nothing (every delete is an erasure).
#[utoipa::path(delete, operation_id = "delete_candidate", path = "/api/v1/candidates/{id}", tag = "candidates",
    params(("erase" = Option<bool>, Query, description = "Accepted for clarity; every delete erases (false is refused).")),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<DeleteParams>,
) -> ApiResult<StatusCode> {
    if params.erase == Some(false) {
        return Err(invalid(
            "erase",
            "Deleting a candidate erases everything held about them; leave `erase` out or set it to true.",
        ));
    }
    usecase::candidates::delete(&state.usecases, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Everything held about a candidate as one ZIP, streamed: `candidate.json` (the candidate, invitations with their
/// interviews' questions, answers, ratings, comments, scores, share links, consents, timeline and emails sent) and
/// each kept recording. Administrators only.
#[utoipa::path(get, operation_id = "export_candidate", path = "/api/v1/candidates/{id}/export", tag = "candidates",
    responses((status = 200, content_type = "application/zip", body = Vec<u8>), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> Result<axum::response::Response, ApiError> {
    if !actor.user.is_admin() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Only administrators of your organization can export a candidate's data.",
        ));
    }
    let export = usecase::privacy::export(&state.usecases, &actor, &id).await?;
    Ok(crate::web::export::candidate_zip(&state, export, &actor.org.tz()))
}
