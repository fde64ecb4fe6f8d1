//! What people do, decided in one place: each function takes the [`Context`], the acting user and parsed `domain`
//! input, runs one store transaction (queuing its jobs and building its emails in it) and returns a domain result or
//! a [`UseCaseError`]. The web pages, the JSON API, the command line and the worker call these; use cases never see
//! HTTP types, templates or page helpers.

pub mod accounts;
pub mod admin;
pub mod answering;
pub mod audit;
pub mod bulk;
pub mod candidates;
pub mod interviews;
pub mod invitations;
pub mod privacy;
pub mod public_links;
pub mod reviews;
pub mod tokens;
pub mod two_factor;
pub mod webhooks;

use crate::domain::{FieldError, FieldErrors};
use crate::store::{Store, StoreError};

/// What a use case needs beyond its input: the database, the key links are derived from, and the address people
/// reach Candor at. The web state holds one; the command line and the worker can build their own.
#[derive(Clone)]
pub struct Context {
    pub store: Store,
    pub link_key: Vec<u8>,
    /// The public address, without a trailing slash.
    pub base_url: String,
    /// Where webhooks may be sent.
    pub webhooks: crate::config::WebhookPolicy,
}

impl Context {
    /// An absolute link to `path` on this site.
    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }
}

/// Why a use case did not happen.
#[derive(Debug, thiserror::Error)]
pub enum UseCaseError {
    /// Nothing of that id in the actor's organization.
    #[error("not found")]
    NotFound,
    /// Input that breaks a rule, per field.
    #[error("invalid input")]
    Invalid(FieldErrors),
    /// The thing is in a state that does not allow it; the message says why, in the product's words.
    #[error("{0}")]
    Refused(String),
    /// It clashes with what is stored (the store's name for the clash, e.g. `candidate_email`); each edge words it.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<StoreError> for UseCaseError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => UseCaseError::NotFound,
            StoreError::Conflict(what) => UseCaseError::Conflict(what),
            other => UseCaseError::Internal(other.into()),
        }
    }
}

impl From<askama::Error> for UseCaseError {
    fn from(e: askama::Error) -> Self {
        UseCaseError::Internal(e.into())
    }
}

impl From<FieldError> for UseCaseError {
    fn from(e: FieldError) -> Self {
        UseCaseError::Invalid(FieldErrors(vec![e]))
    }
}
