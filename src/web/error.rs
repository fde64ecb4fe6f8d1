//! The two error types of the edge: [`PageError`] for the HTML pages (an error page with the request id, or a
//! redirect) and [`ApiError`] for the JSON API (the exact status, a code, a message and field errors).

use crate::domain::FieldErrors;
use crate::store::StoreError;
use askama::Template;
use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use std::collections::BTreeMap;

tokio::task_local! {
    /// The id of the request being served, for error pages and logs.
    pub static REQUEST_ID: String;
}

pub fn current_request_id() -> String {
    REQUEST_ID.try_with(|id| id.clone()).unwrap_or_default()
}

#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error("not found")]
    NotFound,
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("too large: {0}")]
    TooLarge(String),
    /// A link that worked once and no longer does (expired, revoked): 410 with the reason.
    #[error("gone: {title}")]
    Gone { title: &'static str, message: String },
    /// A page of its own instead of the handler's (a candidate's link closed by an erasure, say).
    #[error("answered with a page of its own")]
    Page(Box<Response>),
    /// Not signed in: go to the sign-in page, then back to `next`.
    #[error("sign-in required")]
    SignIn { next: String },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => PageError::NotFound,
            other => PageError::Internal(other.into()),
        }
    }
}

impl From<crate::usecase::UseCaseError> for PageError {
    fn from(e: crate::usecase::UseCaseError) -> Self {
        use crate::usecase::UseCaseError;
        match e {
            UseCaseError::NotFound => PageError::NotFound,
            UseCaseError::Refused(why) => PageError::BadRequest(why),
            UseCaseError::Conflict(what) => PageError::Internal(StoreError::Conflict(what).into()),
            UseCaseError::Invalid(errors) => {
                PageError::BadRequest(errors.0.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join(" "))
            }
            UseCaseError::Internal(e) => PageError::Internal(e),
        }
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> Self {
        PageError::Internal(e.into())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
    request_id: &'a str,
}

pub fn error_page(status: StatusCode, title: &str, message: &str) -> Response {
    let request_id = current_request_id();
    let body = ErrorPage { title, message, request_id: &request_id }
        .render()
        .unwrap_or_else(|_| "Something went wrong.".to_owned());
    (status, Html(body)).into_response()
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::NotFound => error_page(
                StatusCode::NOT_FOUND,
                "Not found",
                "There is nothing here. It may have been deleted, or the link is wrong.",
            ),
            PageError::Forbidden(why) => error_page(StatusCode::FORBIDDEN, "Not allowed", why),
            PageError::BadRequest(why) => error_page(StatusCode::BAD_REQUEST, "That did not work", &why),
            PageError::TooLarge(why) => error_page(StatusCode::PAYLOAD_TOO_LARGE, "Too large", &why),
            PageError::Gone { title, message } => error_page(StatusCode::GONE, title, &message),
            PageError::Page(page) => *page,
            PageError::SignIn { next } => {
                let to = format!(
                    "/login?next={}",
                    url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
                );
                Redirect::to(&to).into_response()
            }
            PageError::Internal(e) => {
                tracing::error!(request_id = %current_request_id(), error = %format!("{e:#}"), "request failed");
                error_page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "Candor could not finish this. Nothing was half-saved; try again, and if it keeps happening, \
                     give your administrator the request id below.",
                )
            }
        }
    }
}

pub type PageResult<T = Response> = Result<T, PageError>;

/// An API error: `{"error": {"code", "message", "fields"?}, "request_id"}` with the exact status.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub fields: BTreeMap<String, String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), fields: BTreeMap::new() }
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "No such resource.")
    }

    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", "Send a valid API token as `Authorization: Bearer TOKEN`.")
    }

    pub fn validation(errors: &FieldErrors) -> Self {
        let mut e = Self::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", "Some fields are not valid.");
        for f in &errors.0 {
            e.fields.entry(f.field.to_owned()).or_insert_with(|| f.message.clone());
        }
        e
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", message)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match &e {
            StoreError::NotFound => ApiError::not_found(),
            StoreError::Conflict(what) => ApiError::conflict(format!("Conflict: {what}.")),
            StoreError::Other(_) | StoreError::Aborted(_) => {
                tracing::error!(request_id = %current_request_id(), error = %e, "API request failed");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal error; nothing was changed.")
            }
        }
    }
}

impl From<crate::usecase::UseCaseError> for ApiError {
    fn from(e: crate::usecase::UseCaseError) -> Self {
        use crate::usecase::UseCaseError;
        match e {
            UseCaseError::NotFound => ApiError::not_found(),
            UseCaseError::Refused(why) => ApiError::conflict(why),
            UseCaseError::Conflict(what) => StoreError::Conflict(what).into(),
            UseCaseError::Invalid(errors) => ApiError::validation(&errors),
            UseCaseError::Internal(e) => {
                tracing::error!(request_id = %current_request_id(), error = %format!("{e:#}"), "API request failed");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal error; nothing was changed.")
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = serde_json::json!({ "code": self.code, "message": self.message });
        if !self.fields.is_empty() {
            error["fields"] = serde_json::json!(self.fields);
        }
        let body = serde_json::json!({ "error": error, "request_id": current_request_id() });
        let mut res = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        }
        res
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
