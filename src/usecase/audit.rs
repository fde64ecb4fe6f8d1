//! The audit log from the use cases' side: what each security-relevant use case records (with the actor as they are
//! now), the sign-in outcomes, and the admins' view of it. A client address is kept only as a keyed hash, enough to
//! tell one client from another and nothing more. Entries name no candidate (an invitation's id and its interview
//! at most): the log outlives a candidate's erasure.

use super::{Context, UseCaseError};
use crate::store::audit::{self, Entry, Filter, NewEntry};
use crate::store::invitations::keyed_token;
use crate::store::sessions::Actor;
use crate::store::users::User;

/// A keyed hash of a client address, the same one the public links' rate limit keeps: the same address gives the
/// same hash on every node.
pub fn client_hash(cx: &Context, address: &str) -> String {
    keyed_token(&cx.link_key, "candor-client", address)
}

/// Records an action `actor` took on `target`.
pub async fn record(
    cx: &Context,
    actor: &Actor,
    action: &'static str,
    target: &str,
    detail: serde_json::Value,
) -> Result<(), UseCaseError> {
    let entry = NewEntry {
        org_id: &actor.org.id,
        user_id: Some(&actor.user.id),
        actor: &actor.user.name,
        action,
        target,
        detail,
        client: "",
    };
    Ok(audit::record(&cx.store, &entry).await?)
}

/// Records a sign-in to `user`'s account from `client_address`: made, or refused (`reason`, never the password).
pub async fn sign_in(
    cx: &Context,
    user: &User,
    client_address: &str,
    refused: Option<&str>,
) -> Result<(), UseCaseError> {
    let entry = NewEntry {
        org_id: &user.org_id,
        user_id: Some(&user.id),
        actor: &user.name,
        action: if refused.is_some() { audit::SIGN_IN_FAILED } else { audit::SIGN_IN },
        target: &user.email,
        detail: refused.map_or(serde_json::json!({}), |r| serde_json::json!({ "reason": r })),
        client: &client_hash(cx, client_address),
    };
    Ok(audit::record(&cx.store, &entry).await?)
}

/// A page of the organization's log, for admins.
pub async fn list(cx: &Context, actor: &Actor, filter: &Filter) -> Result<Vec<Entry>, UseCaseError> {
    if !actor.user.is_admin() {
        return Err(UseCaseError::Refused("Only administrators of your organization can do this.".into()));
    }
    Ok(audit::list(&cx.store, &actor.org.id, filter).await?)
}
