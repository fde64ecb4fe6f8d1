//! One-time tokens (setup, set-password and reset links): stored as hashes, spent once. Below `users` and
//! `sessions`, which both write them.

use super::{Store, StoreResult};

pub(crate) async fn insert_one_time_token(
    conn: &mut sqlx::AnyConnection,
    store: &Store,
    purpose: &str,
    user_id: Option<&str>,
    token_hash: &str,
    ttl_ms: i64,
) -> StoreResult<()> {
    let now = store.now_ms();
    sqlx::query(
        "INSERT INTO one_time_tokens (token_hash, purpose, user_id, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash)
    .bind(purpose)
    .bind(user_id.map(str::to_owned))
    .bind(now + ttl_ms)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Ends every set-password and reset link of a user (after a password or email change).
pub(crate) async fn delete_password_links(conn: &mut sqlx::AnyConnection, user_id: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM one_time_tokens WHERE user_id = $1 AND purpose IN ('set_password', 'reset_password')")
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
