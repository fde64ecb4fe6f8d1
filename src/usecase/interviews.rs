//! Video interviews: creating, changing, copying and deleting one. Once candidates have answered an interview its
//! questions are fixed and only an admin may delete it, with the answers (`Conflict("interview_has_answers")`
//! otherwise).

use super::{Context, UseCaseError};
use crate::domain::{CRITERIA_MAX, InterviewSpec, criterion};
use crate::store::StoreError;
use crate::store::interviews::{self, Interview};
use crate::store::scorecards;
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

/// Adds a criterion to the interview's scorecard (at most [`crate::domain::CRITERIA_MAX`]); gives its id.
pub async fn add_criterion(
    cx: &Context,
    actor: &Actor,
    interview_id: &str,
    name: &str,
    description: &str,
) -> Result<String, UseCaseError> {
    let (name, description) = criterion(name, description).map_err(UseCaseError::Invalid)?;
    match scorecards::add_criterion(&cx.store, &actor.org.id, interview_id, &name, description.as_deref()).await {
        Err(StoreError::Conflict("criteria_full")) => Err(UseCaseError::Refused(format!(
            "A scorecard has at most {CRITERIA_MAX} criteria; delete one before adding another."
        ))),
        other => Ok(other?),
    }
}

/// Renames a criterion or changes its description; allowed after it was scored too.
pub async fn rename_criterion(
    cx: &Context,
    actor: &Actor,
    interview_id: &str,
    id: &str,
    name: &str,
    description: &str,
) -> Result<(), UseCaseError> {
    let (name, description) = criterion(name, description).map_err(UseCaseError::Invalid)?;
    Ok(scorecards::rename_criterion(&cx.store, &actor.org.id, interview_id, id, &name, description.as_deref()).await?)
}

/// Deletes a criterion: gone when nobody scored it, else kept out of every average with its scores. Gives how many
/// scores were kept out.
pub async fn delete_criterion(cx: &Context, actor: &Actor, interview_id: &str, id: &str) -> Result<i64, UseCaseError> {
    Ok(scorecards::delete_criterion(&cx.store, &actor.org.id, interview_id, id).await?)
}
