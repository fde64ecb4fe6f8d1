//! API tokens, managed by people on a page: each user makes and revokes their own, admins see and revoke every
//! token of the organization. A token is shown once, when it is made; only its hash is kept. Revoking deletes it, so
//! the next request with it fails on every node at once.

use super::{Context, UseCaseError, audit};
use crate::domain::FieldError;
use crate::store::audit as store_audit;
use crate::store::sessions::{self, Actor, TokenRow};

/// Makes a token for the actor under `name` (what it is for); gives the token, to show once.
pub async fn create(cx: &Context, actor: &Actor, name: &str) -> Result<String, UseCaseError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(FieldError::new("name", "Name the token (1–100 characters), e.g. “HR system”.").into());
    }
    let (token, hash) = sessions::new_secret().map_err(anyhow::Error::from)?;
    let id = sessions::create_api_token(&cx.store, &actor.user.id, &hash, name).await?;
    let detail = serde_json::json!({ "token_id": id, "name": name });
    audit::record(cx, actor, store_audit::API_TOKEN_CREATED, &actor.user.email, detail).await?;
    Ok(token)
}

/// The tokens the actor may manage: their own, or every one of the organization for admins.
pub async fn list(cx: &Context, actor: &Actor) -> Result<Vec<TokenRow>, UseCaseError> {
    let only = (!actor.user.is_admin()).then_some(actor.user.id.as_str());
    Ok(sessions::api_tokens(&cx.store, &actor.org.id, only).await?)
}

/// Revokes a token the actor may manage; `NotFound` for any other.
pub async fn revoke(cx: &Context, actor: &Actor, id: &str) -> Result<TokenRow, UseCaseError> {
    let only = (!actor.user.is_admin()).then_some(actor.user.id.as_str());
    let token = sessions::revoke_api_token(&cx.store, &actor.org.id, id, only).await?;
    let detail = serde_json::json!({ "token_id": token.id, "name": token.name });
    audit::record(cx, actor, store_audit::API_TOKEN_REVOKED, &token.user_email, detail).await?;
    Ok(token)
}
