//! Administration of an organization, by its admins: its settings and logo, its users, and its background jobs.
//! Every function refuses an actor who is not an admin of the organization.

use super::{Context, UseCaseError, audit};
use crate::domain::{EmailAddress, PersonName, Role};
use crate::mail::templates as emails;
use crate::store::audit as store_audit;
use crate::store::jobs;
use crate::store::orgs::{self, NewOrganization, Policies};
use crate::store::sessions::{self, Actor};
use crate::store::users::{self, NewUser, User};

/// How long the link in a new user's set-password email works: a week.
pub const SET_PASSWORD_TTL_MS: i64 = 7 * 24 * 3600 * 1000;

pub(super) fn admin_only(actor: &Actor) -> Result<(), UseCaseError> {
    if actor.user.is_admin() {
        Ok(())
    } else {
        Err(UseCaseError::Refused("Only administrators of your organization can do this.".into()))
    }
}

/// Saves the organization's name, time zone, language and policies; `Conflict` for a name another organization has.
pub async fn update_settings(
    cx: &Context,
    actor: &Actor,
    settings: &NewOrganization,
    policies: Policies,
) -> Result<(), UseCaseError> {
    admin_only(actor)?;
    orgs::update_settings(&cx.store, &actor.org.id, settings, policies).await?;
    let detail = serde_json::json!({
        "name": settings.name.as_str(), "timezone": settings.timezone.as_str(), "language": settings.language.code(),
        "reminder_days": policies.reminder_days, "retention_months": policies.retention_months,
        "candidate_retention_months": policies.candidate_retention_months,
        "require_two_factor": policies.require_two_factor,
    });
    audit::record(cx, actor, store_audit::SETTINGS_CHANGED, &actor.org.name, detail).await
}

/// Sniffs an image type from its first bytes; only PNG, JPEG, GIF and WebP are served back as logos.
fn image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// Sets the organization's logo (`None` removes it); `Invalid` for a file that is not a PNG, JPEG, GIF or WebP
/// image.
pub async fn set_logo(cx: &Context, actor: &Actor, logo: Option<Vec<u8>>) -> Result<(), UseCaseError> {
    admin_only(actor)?;
    let logo = match logo {
        None => None,
        Some(bytes) => match image_type(&bytes) {
            Some(ctype) => Some((bytes, ctype)),
            None => {
                return Err(
                    crate::domain::FieldError::new("logo", "The logo must be a PNG, JPEG, GIF or WebP image.").into()
                );
            }
        },
    };
    let removed = logo.is_none();
    orgs::set_logo(&cx.store, &actor.org.id, logo).await?;
    audit::record(cx, actor, store_audit::LOGO_CHANGED, &actor.org.name, serde_json::json!({ "removed": removed }))
        .await
}

/// Adds a user with no password yet and emails them a link to set one (valid a week). `Conflict` for an email
/// that already has an account.
pub async fn add_user(
    cx: &Context,
    actor: &Actor,
    name: PersonName,
    email: EmailAddress,
    role: Role,
) -> Result<User, UseCaseError> {
    admin_only(actor)?;
    let (token, hash) = sessions::new_secret().map_err(anyhow::Error::from)?;
    let link = cx.link(&format!("/password/set/{token}"));
    let org = &actor.org;
    let message = emails::set_password(email.as_str(), name.as_str(), &org.name, &actor.user.name, &link)?;
    let new = NewUser { email, name, role, password_hash: None };
    let user =
        users::create_invited(&cx.store, &org.id, &new, &hash, SET_PASSWORD_TTL_MS, message.job(Some(&org.id))).await?;
    tracing::info!(user_id = %user.id, org_id = %org.id, "user created");
    audit::record(
        cx,
        actor,
        store_audit::USER_INVITED,
        &user.email,
        serde_json::json!({ "user_id": user.id, "role": user.role }),
    )
    .await?;
    Ok(user)
}

/// Lets a user sign in again, or deactivates them (their sessions end). Nobody deactivates themselves.
pub async fn set_active(cx: &Context, actor: &Actor, id: &str, active: bool) -> Result<User, UseCaseError> {
    admin_only(actor)?;
    if id == actor.user.id && !active {
        return Err(UseCaseError::Refused("You cannot deactivate your own account.".into()));
    }
    let user = users::get(&cx.store, &actor.org.id, id).await?;
    users::set_active(&cx.store, &actor.org.id, id, active).await?;
    let action = if active { store_audit::USER_REACTIVATED } else { store_audit::USER_DEACTIVATED };
    audit::record(cx, actor, action, &user.email, serde_json::json!({ "user_id": user.id })).await?;
    Ok(user)
}

/// Queues every dead job of one kind again (after a mail server outage: every undelivered email); gives how many.
pub async fn retry_dead_of_kind(cx: &Context, actor: &Actor, kind: &str) -> Result<u64, UseCaseError> {
    admin_only(actor)?;
    Ok(jobs::retry_dead_of_kind(&cx.store, &actor.org.id, kind).await?)
}

/// Queues one dead job again, with fresh attempts.
pub async fn retry_job(cx: &Context, actor: &Actor, id: &str) -> Result<(), UseCaseError> {
    admin_only(actor)?;
    Ok(jobs::retry_dead(&cx.store, &actor.org.id, id).await?)
}

/// Replaces the organization's own privacy notices (one per language; candidates reading another language get the
/// organization's language's).
pub async fn set_privacy_notices(
    cx: &Context,
    actor: &Actor,
    notices: &[crate::store::privacy::Notice],
) -> Result<(), UseCaseError> {
    admin_only(actor)?;
    crate::store::privacy::set_notices(&cx.store, &actor.org.id, notices).await?;
    let languages: Vec<&str> = notices.iter().map(|n| n.language.as_str()).collect();
    audit::record(
        cx,
        actor,
        store_audit::PRIVACY_NOTICE_CHANGED,
        &actor.org.name,
        serde_json::json!({ "languages": languages }),
    )
    .await
}
