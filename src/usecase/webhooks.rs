//! Webhook endpoints, registered by admins: an address (https; http or internal addresses only when the operator
//! allows), the events wanted, and a secret in the Standard Webhooks form (`whsec_` + base64) that every delivery is
//! signed with.

use super::admin::admin_only;
use super::{Context, UseCaseError};
use crate::domain::FieldErrors;
use crate::store::sessions::Actor;
use crate::store::webhooks::{self, EVENTS};
use base64::Engine;

/// The address and events as entered, checked; each field's error named.
fn checked(cx: &Context, url: &str, events: &[String]) -> Result<(String, Vec<String>), UseCaseError> {
    let mut errors = FieldErrors::new();
    let url = url.trim();
    match url::Url::parse(url) {
        Ok(u) if u.scheme() == "https" || (u.scheme() == "http" && cx.webhooks.allow_http) => {
            if u.host_str().is_none_or(str::is_empty) {
                errors.push("url", "Enter the full address of the endpoint, e.g. https://hooks.example.com/candor.");
            } else if !u.username().is_empty() || u.password().is_some() {
                errors.push("url", "Put no user name or password in the address; verify the signature instead.");
            } else if url.len() > 2000 {
                errors.push("url", "Use an address of at most 2000 characters.");
            }
        }
        Ok(u) if u.scheme() == "http" => {
            errors.push("url", "Use an https:// address (this server sends webhooks over https only).")
        }
        _ => errors.push("url", "Enter the full address of the endpoint, e.g. https://hooks.example.com/candor."),
    }
    let mut wanted: Vec<String> = Vec::new();
    for e in events {
        if !EVENTS.iter().any(|(name, _)| name == e) {
            errors.push("events", format!("Unknown event {e:?}."));
        } else if !wanted.contains(e) {
            wanted.push(e.clone());
        }
    }
    if wanted.is_empty() && errors.get("events").is_none() {
        errors.push("events", "Choose at least one event.");
    }
    if !errors.is_empty() {
        return Err(UseCaseError::Invalid(errors));
    }
    Ok((url.to_owned(), wanted))
}

/// A new secret: `whsec_` and 32 random bytes in base64.
fn new_secret() -> Result<String, UseCaseError> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| UseCaseError::Internal(anyhow::anyhow!("no randomness: {e}")))?;
    Ok(format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(key)))
}

/// Registers an endpoint (admins only); gives its id.
pub async fn create(cx: &Context, actor: &Actor, url: &str, events: &[String]) -> Result<String, UseCaseError> {
    admin_only(actor)?;
    let (url, events) = checked(cx, url, events)?;
    let id = webhooks::create_endpoint(&cx.store, &actor.org.id, &actor.user.id, &url, &events, &new_secret()?).await?;
    let detail = serde_json::json!({ "endpoint_id": id, "events": events });
    super::audit::record(cx, actor, crate::store::audit::WEBHOOK_ENDPOINT_CREATED, &url, detail).await?;
    Ok(id)
}

/// Changes an endpoint (admins only).
pub async fn update(
    cx: &Context,
    actor: &Actor,
    id: &str,
    url: &str,
    events: &[String],
    enabled: bool,
) -> Result<(), UseCaseError> {
    admin_only(actor)?;
    let (url, events) = checked(cx, url, events)?;
    Ok(webhooks::update_endpoint(&cx.store, &actor.org.id, id, &url, &events, enabled).await?)
}

pub async fn delete(cx: &Context, actor: &Actor, id: &str) -> Result<(), UseCaseError> {
    admin_only(actor)?;
    let endpoint = webhooks::endpoint(&cx.store, &actor.org.id, id).await?;
    webhooks::delete_endpoint(&cx.store, &actor.org.id, id).await?;
    let detail = serde_json::json!({ "endpoint_id": id });
    super::audit::record(cx, actor, crate::store::audit::WEBHOOK_ENDPOINT_DELETED, &endpoint.url, detail).await
}

/// Sends a `webhook.test` event to the endpoint.
pub async fn test(cx: &Context, actor: &Actor, id: &str) -> Result<String, UseCaseError> {
    admin_only(actor)?;
    Ok(webhooks::queue_test(&cx.store, &actor.org.id, id).await?)
}

/// Sends a delivery's event again (a new delivery).
pub async fn redeliver(cx: &Context, actor: &Actor, delivery_id: &str) -> Result<String, UseCaseError> {
    admin_only(actor)?;
    Ok(webhooks::redeliver(&cx.store, &actor.org.id, delivery_id).await?)
}
