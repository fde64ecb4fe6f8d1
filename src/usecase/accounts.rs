//! Accounts: setting up the first organization, passwords (hashing, reset and set-password links, changing one's
//! own) and one's own profile. Signing in and out stays at the web edge: it is about cookies and sessions.

use super::{Context, UseCaseError};
use crate::domain::{EmailAddress, FieldErrors, Password, PersonName, Role};
use crate::mail::templates as emails;
use crate::store::orgs::NewOrganization;
use crate::store::sessions::{self, Actor};
use crate::store::users::{self, NewUser, User};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};

/// How long a password-reset link works: an hour.
pub const RESET_TTL_MS: i64 = 3600 * 1000;

/// Hashes a password with argon2id on a blocking thread.
pub async fn hash_password(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("cannot hash password: {e}"))
    })
    .await?
}

/// Checks a password on a blocking thread. A missing hash still costs one verification, so that the answer time does
/// not tell whether an account exists.
pub async fn verify_password(password: String, hash: Option<String>) -> anyhow::Result<bool> {
    tokio::task::spawn_blocking(move || {
        const DUMMY: &str =
            "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3bCcCP2h3Bqh1Bb6+TdoiX9WhcaSHGPeMJfnjkTiCgs";
        let stored = hash.as_deref().unwrap_or(DUMMY);
        let parsed = PasswordHash::new(stored).map_err(|e| anyhow::anyhow!("stored hash unreadable: {e}"))?;
        let ok = Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
        Ok(ok && hash.is_some())
    })
    .await?
}

/// The first organization and its first admin, who chose `password`. `Conflict("user_email")` for an email that
/// already has an account; another `Conflict` for an organization name that is taken.
pub async fn set_up(
    cx: &Context,
    org: &NewOrganization,
    name: PersonName,
    email: EmailAddress,
    password: &Password,
) -> Result<User, UseCaseError> {
    let password_hash = hash_password(password.expose().to_owned()).await?;
    let admin = NewUser { email, name, role: Role::Admin, password_hash: Some(password_hash) };
    let (_, user) = crate::store::orgs::create_with_first_user(&cx.store, org, &admin).await?;
    Ok(user)
}

/// Emails a link to choose a new password to the active account with this email; nothing (and no sign of it) for
/// any other address.
pub async fn request_password_reset(cx: &Context, email: &EmailAddress) -> Result<(), UseCaseError> {
    let Some((user, _)) = users::for_login(&cx.store, email).await? else { return Ok(()) };
    if !user.active {
        return Ok(());
    }
    let (token, hash) = sessions::new_secret().map_err(anyhow::Error::from)?;
    let link = cx.link(&format!("/password/reset/{token}"));
    let message = emails::reset_password(&user.email, &user.name, &link)?;
    let job = message.job(Some(&user.org_id));
    sessions::create_one_time_token(&cx.store, "reset_password", Some(&user.id), &hash, RESET_TTL_MS, Some(&job))
        .await?;
    tracing::info!(user_id = %user.id, "password reset requested");
    Ok(())
}

/// Sets the password of the account a reset or set-password link (`purpose`) was for, and uses the link up;
/// `Refused` when the link has expired or was used.
pub async fn choose_password(
    cx: &Context,
    purpose: &str,
    token: &str,
    password: &Password,
) -> Result<(), UseCaseError> {
    let hash = hash_password(password.expose().to_owned()).await?;
    if sessions::set_password_with_token(&cx.store, purpose, &sessions::hash_secret(token), &hash).await? {
        Ok(())
    } else {
        Err(UseCaseError::Refused("This link has expired or was already used. Ask for a new one.".into()))
    }
}

/// Changes one's own name and email; `Conflict` when another account uses the email.
pub async fn update_profile(
    cx: &Context,
    actor: &Actor,
    name: &PersonName,
    email: &EmailAddress,
) -> Result<(), UseCaseError> {
    Ok(users::update_profile(&cx.store, &actor.user.id, name, email).await?)
}

/// Changes one's own password, given the current one; every other session of the account ends (`keep_session`
/// is the one that asked). `Invalid` with the fields' errors.
pub async fn change_password(
    cx: &Context,
    actor: &Actor,
    keep_session: &str,
    current: &str,
    password: &str,
    confirm: &str,
) -> Result<(), UseCaseError> {
    let mut errors = FieldErrors::new();
    let stored = users::password_hash(&cx.store, &actor.user.id).await?;
    if !verify_password(current.to_owned(), stored).await? {
        errors.push("current", "This is not your current password.");
    }
    let parsed = errors.check(Password::parse("password", password));
    if parsed.is_some() && password != confirm {
        errors.push("confirm", "The two passwords are not the same.");
    }
    let Some(password) = parsed.filter(|_| errors.is_empty()) else { return Err(UseCaseError::Invalid(errors)) };
    let hash = hash_password(password.expose().to_owned()).await?;
    Ok(users::set_password(&cx.store, &actor.user.id, &hash, Some(keep_session)).await?)
}
