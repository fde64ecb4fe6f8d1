//! JSON API v1 under `/api/v1`, authenticated with `Authorization: Bearer TOKEN`. Errors are JSON with the exact
//! status (see [`ApiError`]); the OpenAPI document is served at `/api/v1/openapi.json`.

mod candidates;
mod interviews;
mod invitations;
mod reviews;

use super::error::ApiError;
use crate::web::state::AppState;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(|| async { Json(ApiDoc::openapi()) }))
        .route("/candidates", get(candidates::list).post(candidates::create))
        .route("/candidates/{id}", get(candidates::get).patch(candidates::update).delete(candidates::delete))
        .route("/candidates/{id}/export", get(candidates::export))
        .route("/invitations", get(invitations::list).post(invitations::create))
        .route("/invitations/{id}", get(invitations::get).patch(invitations::update).delete(invitations::delete))
        .route("/invitations/bulk", axum::routing::post(invitations::bulk))
        .route("/invitations/bulk/{id}", get(invitations::bulk_status))
        .route("/invitations/{id}/resend", axum::routing::post(invitations::resend))
        .route("/invitations/{id}/disable", axum::routing::post(invitations::disable))
        .route("/interviews", get(interviews::list).post(interviews::create))
        .route("/interviews/{id}", get(interviews::get).patch(interviews::update).delete(interviews::delete))
        .route("/interviews/{id}/responses", get(reviews::list))
        .route("/interviews/{id}/responses.csv", get(reviews::export))
        .route("/interviews/{id}/criteria", get(reviews::criteria).post(reviews::add_criterion))
        .route(
            "/interviews/{id}/criteria/{criterion}",
            axum::routing::patch(reviews::rename_criterion).delete(reviews::delete_criterion),
        )
        .route("/invitations/{id}/reviews", get(reviews::get))
        .route("/invitations/{id}/ratings", axum::routing::post(reviews::rate))
        .route("/invitations/{id}/scores", axum::routing::put(reviews::score))
        .route("/invitations/{id}/comments", axum::routing::post(reviews::comment))
        .route("/invitations/{id}/decision", axum::routing::put(reviews::decide))
        .route("/funnel", get(reviews::funnel))
        .fallback(|| async { ApiError::not_found() })
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Candor API", version = "1", description = "One-way video interviews. Authenticate with `Authorization: Bearer TOKEN` (create a token with `candor admin create-token`)."),
    paths(
        candidates::list, candidates::create, candidates::get, candidates::update, candidates::delete,
        candidates::export,
        interviews::list, interviews::create, interviews::get, interviews::update, interviews::delete,
        invitations::list, invitations::create, invitations::get, invitations::update, invitations::delete,
        invitations::resend,
        invitations::disable, invitations::bulk, invitations::bulk_status,
        reviews::list, reviews::export, reviews::funnel, reviews::criteria, reviews::add_criterion,
        reviews::rename_criterion, reviews::delete_criterion, reviews::get, reviews::rate, reviews::score,
        reviews::comment, reviews::decide,
    ),
    components(schemas(
        crate::store::candidates::Candidate, candidates::CandidateInput, candidates::CandidatePatch,
        candidates::CandidatePage, crate::store::interviews::Interview, crate::store::interviews::Question,
        interviews::InterviewBody, interviews::QuestionBody, interviews::InterviewPatch, interviews::InterviewList,
        interviews::InterviewSummary, crate::store::invitations::InvitationRow, invitations::InvitationBody,
        invitations::ExternalCandidate, invitations::InvitationPage, invitations::InvitationPatch, ErrorBody,
        ErrorDetail, reviews::ResponsePage, reviews::ResponseItem, reviews::Average, reviews::CriterionBody,
        crate::store::scorecards::Criterion, reviews::Review, reviews::RatingItem, reviews::ScoreItem,
        reviews::CommentItem, reviews::RatingBody, reviews::ScoresBody, reviews::CommentBody, reviews::DecisionBody,
        reviews::Decided, crate::domain::Decision, crate::store::responses::Funnel, invitations::BulkBody,
        invitations::BulkPerson, invitations::BulkSummary, invitations::BulkRowProblem,
    )),
    modifiers(&BearerAuth, &StandardResponses),
    security(("bearer" = []))
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Every answer described, and the refusals every operation can give listed: 400 (a query or JSON body that does
/// not parse), 401, and for operations with a body 413 (over the size limit) and 415 (not JSON).
struct StandardResponses;

impl utoipa::Modify for StandardResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{RefOr, ResponseBuilder, content::Content, schema::Ref};
        let error = |status: &str| {
            let body = Content::new(Some(Ref::from_schema_name("ErrorBody")));
            ResponseBuilder::new().description(describe(status)).content("application/json", body).build().into()
        };
        // The operations on one resource by id (`get_candidate`, `resend_invitation` …), for links from its creation.
        let mut by_id: Vec<String> = Vec::new();
        for (path, item) in &openapi.paths.paths {
            if path.contains("{id}") {
                let ops = [&item.get, &item.post, &item.put, &item.patch, &item.delete];
                by_id.extend(ops.into_iter().flatten().filter_map(|op| op.operation_id.clone()));
            }
        }
        for item in openapi.paths.paths.values_mut() {
            let ops = [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete];
            for op in ops.into_iter().flatten() {
                let has_body = op.request_body.is_some();
                // What a creation returns leads to the operations on it: `id` from the body.
                if let Some(resource) = op.operation_id.as_deref().and_then(|id| id.strip_prefix("create_"))
                    && let Some(RefOr::T(created)) = op.responses.responses.get_mut("201")
                {
                    for target in by_id.iter().filter(|t| t.ends_with(&format!("_{resource}"))) {
                        let link = utoipa::openapi::link::LinkBuilder::new()
                            .operation_id(target.clone())
                            .parameter("id", "$response.body#/id")
                            .build();
                        created.links.insert(target.clone(), RefOr::T(link));
                    }
                }
                let responses = &mut op.responses.responses;
                let standard: &[&str] = if has_body { &["400", "401", "413", "415"] } else { &["400", "401"] };
                for status in standard {
                    responses.entry((*status).to_owned()).or_insert_with(|| error(status));
                }
                for (status, response) in responses.iter_mut() {
                    if let RefOr::T(r) = response
                        && r.description.is_empty()
                    {
                        r.description = describe(status).to_owned();
                    }
                }
            }
        }
    }
}

fn describe(status: &str) -> &'static str {
    match status {
        "200" => "OK.",
        "201" => "Created.",
        "204" => "Done; no content.",
        "400" => "Malformed request: a query or JSON body that does not parse.",
        "401" => "No valid API token.",
        "404" => "No such resource in your organization.",
        "409" => "Conflicts with the current state (a unique value taken, a status that does not allow it).",
        "413" => "The body is larger than the API accepts.",
        "415" => "The body is not sent as `Content-Type: application/json`.",
        "422" => "Some fields are not valid; `error.fields` names them.",
        _ => "See the error body.",
    }
}

/// A 422 naming one field.
pub(crate) fn invalid(field: &'static str, message: &str) -> ApiError {
    let mut errors = crate::domain::FieldErrors::new();
    errors.push(field, message);
    ApiError::validation(&errors)
}

/// The body of every error answer.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
    pub request_id: String,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// `unauthorized`, `not_found`, `conflict`, `validation_failed`, `bad_request`, `unsupported_media_type` …
    pub code: String,
    pub message: String,
    /// Field name → message, for `validation_failed`.
    pub fields: Option<std::collections::BTreeMap<String, String>>,
}

/// Query parameters whose rejections are JSON errors too (400 with `code: bad_request`).
pub struct ApiQuery<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for ApiQuery<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(rejection) => Err(ApiError::new(rejection.status(), "bad_request", rejection.body_text())),
        }
    }
}

/// A JSON body whose rejections are JSON errors too: 415 without `Content-Type: application/json`, 400 for
/// malformed JSON, 422 for JSON of the wrong shape.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    Json<T>: FromRequest<S, Rejection = axum::extract::rejection::JsonRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => {
                let status = rejection.status();
                let code = match status {
                    StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
                    StatusCode::UNPROCESSABLE_ENTITY => "validation_failed",
                    StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
                    _ => "bad_request",
                };
                Err(ApiError::new(status, code, rejection.body_text()))
            }
        }
    }
}
