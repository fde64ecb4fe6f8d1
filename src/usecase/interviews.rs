//! Video interviews: creating, changing, copying and deleting one. Once candidates have answered an interview its
//! questions are fixed and only an admin may delete it, with the answers (`Conflict("interview_has_answers")`
//! otherwise).

use super::{Context, UseCaseError};
use crate::domain::InterviewSpec;
use crate::store::interviews::{self, Interview};
use crate::store::sessions::Actor;

pub async fn create(cx: &Context, actor: &Actor, spec: &InterviewSpec) -> Result<Interview, UseCaseError> {
    Ok(interviews::create(&cx.store, &actor.org.id, spec).await?)
}

/// Saves an interview's new text and questions; questions of an answered interview cannot change.
pub async fn update(cx: &Context, actor: &Actor, id: &str, spec: &InterviewSpec) -> Result<Interview, UseCaseError> {
    Ok(interviews::update(&cx.store, &actor.org.id, id, spec).await?)
}

/// A copy of an interview under a new name, with no invitations.
pub async fn copy(cx: &Context, actor: &Actor, id: &str, new_name: &str) -> Result<Interview, UseCaseError> {
    Ok(interviews::clone(&cx.store, &actor.org.id, id, new_name).await?)
}

/// Deletes an interview and its invitations. `delete_answers` is the second confirmation an answered interview
/// needs; it counts only when `actor` is an admin.
pub async fn delete(cx: &Context, actor: &Actor, id: &str, delete_answers: bool) -> Result<(), UseCaseError> {
    let delete_answers = delete_answers && actor.user.is_admin();
    Ok(interviews::delete(&cx.store, &actor.org.id, id, delete_answers).await?)
}
