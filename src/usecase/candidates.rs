//! Candidates: adding, changing and deleting one, with the change on the candidate's timeline in the same
//! transaction. An email another candidate of the organization has is `Conflict("candidate_email")`.

use super::{Context, UseCaseError};
use crate::store::candidates::{self, Candidate, EventActor, NewCandidate};
use crate::store::sessions::Actor;

/// Adds a candidate; `created` by `actor` is the first entry of their timeline.
pub async fn create(cx: &Context, actor: &Actor, new: &NewCandidate) -> Result<Candidate, UseCaseError> {
    Ok(candidates::create(&cx.store, &actor.org.id, &EventActor::of(actor), new).await?)
}

/// Replaces a candidate's fields; a foreign or deleted id is `NotFound`.
pub async fn update(cx: &Context, actor: &Actor, id: &str, new: &NewCandidate) -> Result<Candidate, UseCaseError> {
    Ok(candidates::update(&cx.store, &actor.org.id, id, &EventActor::of(actor), new).await?)
}

/// Deletes a candidate: an erasure of everything held about them (`privacy::erase`), with its audit entry.
pub async fn delete(cx: &Context, actor: &Actor, id: &str) -> Result<(), UseCaseError> {
    super::privacy::erase(cx, actor, id).await.map(|_| ())
}
