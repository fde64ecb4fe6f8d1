//! Two-factor sign-in (TOTP) of a user: the shared secret (as the use case seals it; pending until a first code
//! confirms it), the last time step a code was accepted for (a code is good once: a step at or before it is
//! refused), and ten one-time recovery codes, stored as SHA-256 hashes.

use super::{Store, StoreError, StoreResult, opt_int, opt_text};

/// Where a user stands.
#[derive(Debug, Clone, Default)]
pub struct TwoFactor {
    /// The sealed secret: confirmed when `enabled_at` is set, else one being set up.
    pub secret: Option<String>,
    pub enabled_at: Option<i64>,
    pub recovery_codes_left: i64,
}

impl TwoFactor {
    pub fn enabled(&self) -> bool {
        self.enabled_at.is_some() && self.secret.is_some()
    }
}

pub async fn get(store: &Store, user_id: &str) -> StoreResult<TwoFactor> {
    let row = sqlx::query(
        "SELECT totp_secret, totp_enabled_at, \
         (SELECT COUNT(*) FROM recovery_codes r WHERE r.user_id = u.id AND r.used_at IS NULL) AS left_ \
         FROM users u WHERE u.id = $1",
    )
    .bind(user_id)
    .fetch_optional(store.read())
    .await?
    .ok_or(StoreError::NotFound)?;
    Ok(TwoFactor {
        secret: opt_text(&row, "totp_secret")?,
        enabled_at: opt_int(&row, "totp_enabled_at")?,
        recovery_codes_left: super::int(&row, "left_")?,
    })
}

/// Keeps a secret being set up (nothing changes for a user whose two-factor sign-in is on).
pub async fn set_pending(store: &Store, user_id: &str, sealed: &str) -> StoreResult<()> {
    sqlx::query("UPDATE users SET totp_secret = $1, totp_last_step = NULL WHERE id = $2 AND totp_enabled_at IS NULL")
        .bind(sealed)
        .bind(user_id)
        .execute(store.write())
        .await?;
    Ok(())
}

/// Turns two-factor sign-in on with the pending secret, confirmed by a code of `step`, with new recovery codes —
/// in one transaction. `false` when the pending secret changed meanwhile.
pub async fn enable(
    store: &Store,
    user_id: &str,
    sealed: &str,
    step: i64,
    code_hashes: &[String],
) -> StoreResult<bool> {
    let mut tx = store.begin().await?;
    let done = sqlx::query(
        "UPDATE users SET totp_enabled_at = $1, totp_last_step = $2 \
         WHERE id = $3 AND totp_secret = $4 AND totp_enabled_at IS NULL",
    )
    .bind(store.now_ms())
    .bind(step)
    .bind(user_id)
    .bind(sealed)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    replace_codes(&mut tx, store, user_id, code_hashes).await?;
    tx.commit().await?;
    Ok(true)
}

async fn replace_codes(
    conn: &mut sqlx::AnyConnection,
    store: &Store,
    user_id: &str,
    code_hashes: &[String],
) -> StoreResult<()> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user_id).execute(&mut *conn).await?;
    for h in code_hashes {
        sqlx::query("INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES ($1, $2, $3)")
            .bind(user_id)
            .bind(h)
            .bind(store.now_ms())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// New recovery codes in place of the old ones.
pub async fn renew_codes(store: &Store, user_id: &str, code_hashes: &[String]) -> StoreResult<()> {
    let mut tx = store.begin().await?;
    replace_codes(&mut tx, store, user_id, code_hashes).await?;
    tx.commit().await?;
    Ok(())
}

/// Turns two-factor sign-in off: the secret and the recovery codes go.
pub async fn disable(store: &Store, user_id: &str) -> StoreResult<()> {
    let mut tx = store.begin().await?;
    sqlx::query("UPDATE users SET totp_secret = NULL, totp_enabled_at = NULL, totp_last_step = NULL WHERE id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Spends the time step of an accepted code: `false` when a code of this step or a later one was used already (a
/// replayed code), decided by the database so that two requests with one code cannot both pass.
pub async fn spend_step(store: &Store, user_id: &str, step: i64) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_enabled_at IS NOT NULL \
         AND (totp_last_step IS NULL OR totp_last_step < $1)",
    )
    .bind(step)
    .bind(user_id)
    .execute(store.write())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Spends a recovery code: `false` when it is not one of the user's unused codes.
pub async fn spend_recovery_code(store: &Store, user_id: &str, code_hash: &str) -> StoreResult<bool> {
    let done =
        sqlx::query("UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL")
            .bind(store.now_ms())
            .bind(user_id)
            .bind(code_hash)
            .execute(store.write())
            .await?;
    Ok(done.rows_affected() == 1)
}
