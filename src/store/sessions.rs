//! Sessions, API tokens, one-time tokens (setup, set/reset password) and sign-in throttling.
//! Only SHA-256 hashes of secrets are stored.

use super::orgs::{ORG_COLUMNS, Organization, org_from_row};
pub(crate) use super::tokens::{delete_password_links, insert_one_time_token};
use super::users::{USER_COLUMNS, User, user_from_row};
use super::{Store, StoreError, StoreResult, int, new_id, opt_int, text};
use base64::Engine;
use sha2::{Digest, Sha256};

/// A new random secret (256 bits, URL-safe) and the hash that is stored for it.
pub fn new_secret() -> std::io::Result<(String, String)> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(std::io::Error::other)?;
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_secret(&token);
    Ok((token, hash))
}

pub fn hash_secret(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Who is acting: an active user and their organization.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user: User,
    pub org: Organization,
}

pub const SESSION_TTL_MS: i64 = 7 * 24 * 3600 * 1000;

pub async fn create_session(store: &Store, user_id: &str, id_hash: &str) -> StoreResult<()> {
    let now = store.now_ms();
    sqlx::query("INSERT INTO sessions (id_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(id_hash)
        .bind(user_id)
        .bind(now)
        .bind(now + SESSION_TTL_MS)
        .execute(store.write())
        .await?;
    Ok(())
}

async fn actor_where(store: &Store, join: &str, cond: &str, arg: &str) -> StoreResult<Option<Actor>> {
    let sql = format!(
        "SELECT {USER_COLUMNS}, {ORG_COLUMNS} FROM {join} JOIN users u ON u.id = x.user_id \
         JOIN organizations o ON o.id = u.org_id WHERE {cond} AND u.active = 1"
    );
    let row = sqlx::query(&sql).bind(arg).bind(store.now_ms()).fetch_optional(store.keyed()).await?;
    match row {
        Some(row) => Ok(Some(Actor { user: user_from_row(&row)?, org: org_from_row(&row)? })),
        None => Ok(None),
    }
}

/// The actor behind a session, when the session exists, has not expired and its user is active.
pub async fn session_actor(store: &Store, id_hash: &str) -> StoreResult<Option<Actor>> {
    actor_where(store, "sessions x", "x.id_hash = $1 AND x.expires_at > $2", id_hash).await
}

pub async fn delete_session(store: &Store, id_hash: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash).execute(store.write()).await?;
    Ok(())
}

/// Stores an API token of `user_id` (only its hash) under a name; gives its id.
pub async fn create_api_token(store: &Store, user_id: &str, token_hash: &str, name: &str) -> StoreResult<String> {
    let id = new_id();
    sqlx::query("INSERT INTO api_tokens (id, user_id, token_hash, created_at, name) VALUES ($1, $2, $3, $4, $5)")
        .bind(&id)
        .bind(user_id)
        .bind(token_hash)
        .bind(store.now_ms())
        .bind(name)
        .execute(store.write())
        .await?;
    Ok(id)
}

/// How stale a token's "last used" may get before a request writes it again: a write a minute at most, not one a
/// request.
const TOKEN_SEEN_EVERY_MS: i64 = 60_000;

/// The actor behind an API token, when the token exists (a revoked one is gone at once) and its user is active.
pub async fn token_actor(store: &Store, token_hash: &str) -> StoreResult<Option<Actor>> {
    let sql = format!(
        "SELECT {USER_COLUMNS}, {ORG_COLUMNS}, x.id AS token_id, x.last_used_at AS token_seen FROM api_tokens x \
         JOIN users u ON u.id = x.user_id JOIN organizations o ON o.id = u.org_id \
         WHERE x.token_hash = $1 AND u.active = 1"
    );
    let Some(row) = sqlx::query(&sql).bind(token_hash).fetch_optional(store.keyed()).await? else {
        return Ok(None);
    };
    let now = store.now_ms();
    if opt_int(&row, "token_seen")?.is_none_or(|seen| seen < now - TOKEN_SEEN_EVERY_MS) {
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(text(&row, "token_id")?)
            .execute(store.write())
            .await?;
    }
    Ok(Some(Actor { user: user_from_row(&row)?, org: org_from_row(&row)? }))
}

/// An API token as its page shows it.
#[derive(Debug, Clone)]
pub struct TokenRow {
    pub id: String,
    pub name: String,
    pub user_id: String,
    pub user_name: String,
    pub user_email: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

const TOKEN_COLUMNS: &str = "t.id, t.name, t.user_id, u.name AS user_name, u.email AS user_email, t.created_at, \
    t.last_used_at";

fn token_from_row(r: &sqlx::any::AnyRow) -> StoreResult<TokenRow> {
    Ok(TokenRow {
        id: text(r, "id")?,
        name: text(r, "name")?,
        user_id: text(r, "user_id")?,
        user_name: text(r, "user_name")?,
        user_email: text(r, "user_email")?,
        created_at: int(r, "created_at")?,
        last_used_at: opt_int(r, "last_used_at")?,
    })
}

/// The organization's API tokens (of one user only, with `user_id`), newest first.
pub async fn api_tokens(store: &Store, org_id: &str, user_id: Option<&str>) -> StoreResult<Vec<TokenRow>> {
    let sql = format!(
        "SELECT {TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE u.org_id = $1 \
         AND ($2 = '' OR t.user_id = $2) ORDER BY t.created_at DESC, t.id DESC"
    );
    let rows = sqlx::query(&sql).bind(org_id).bind(user_id.unwrap_or("")).fetch_all(store.read()).await?;
    rows.iter().map(token_from_row).collect()
}

/// Deletes one of the organization's API tokens (of one user only, with `user_id`): requests with it fail at once,
/// on every node. Gives what it was; `NotFound` when it is not there.
pub async fn revoke_api_token(store: &Store, org_id: &str, id: &str, user_id: Option<&str>) -> StoreResult<TokenRow> {
    let sql = format!(
        "SELECT {TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE u.org_id = $1 AND t.id = $2 \
         AND ($3 = '' OR t.user_id = $3)"
    );
    let row = sqlx::query(&sql)
        .bind(org_id)
        .bind(id)
        .bind(user_id.unwrap_or(""))
        .fetch_optional(store.read())
        .await?
        .ok_or(StoreError::NotFound)?;
    let token = token_from_row(&row)?;
    sqlx::query("DELETE FROM api_tokens WHERE id = $1").bind(id).execute(store.write()).await?;
    Ok(token)
}

/// Stores a one-time token and, in the same transaction, queues the email that carries it.
pub async fn create_one_time_token(
    store: &Store,
    purpose: &str,
    user_id: Option<&str>,
    token_hash: &str,
    ttl_ms: i64,
    email: Option<&super::jobs::NewJob>,
) -> StoreResult<()> {
    let mut tx = store.begin().await?;
    insert_one_time_token(&mut tx, store, purpose, user_id, token_hash, ttl_ms).await?;
    if let Some(job) = email {
        super::jobs::enqueue(&mut tx, store, job).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Spends a one-time token: `true` when it was valid (and is gone now).
pub async fn spend_one_time_token(store: &Store, purpose: &str, token_hash: &str) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM one_time_tokens WHERE token_hash = $1 AND purpose = $2 AND expires_at > $3")
        .bind(token_hash)
        .bind(purpose)
        .bind(store.now_ms())
        .execute(store.write())
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether a one-time token is valid now; gives its user id ("" for tokens without a user).
pub async fn check_one_time_token(store: &Store, purpose: &str, token_hash: &str) -> StoreResult<Option<String>> {
    let row =
        sqlx::query("SELECT user_id FROM one_time_tokens WHERE token_hash = $1 AND purpose = $2 AND expires_at > $3")
            .bind(token_hash)
            .bind(purpose)
            .bind(store.now_ms())
            .fetch_optional(store.read())
            .await?;
    row.map(|r| text(&r, "user_id")).transpose()
}

/// Sets a user's password from a one-time token, spending the token and ending all of the user's sessions, in one
/// transaction. `false` when the token is not valid (used, expired, unknown).
pub async fn set_password_with_token(store: &Store, purpose: &str, token_hash: &str, hash: &str) -> StoreResult<bool> {
    let mut tx = store.begin().await?;
    let row = sqlx::query(
        "DELETE FROM one_time_tokens WHERE token_hash = $1 AND purpose = $2 AND expires_at > $3 RETURNING user_id",
    )
    .bind(token_hash)
    .bind(purpose)
    .bind(store.now_ms())
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else { return Ok(false) };
    let user_id = text(&row, "user_id")?;
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(&user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(&user_id).execute(&mut *tx).await?;
    delete_password_links(&mut tx, &user_id).await?;
    // A reset proves the owner of the mailbox: it lifts the lock of too many failed sign-ins.
    let email: Option<String> =
        sqlx::query_scalar("SELECT email FROM users WHERE id = $1").bind(&user_id).fetch_optional(&mut *tx).await?;
    if let Some(email) = email {
        sqlx::query("DELETE FROM login_throttle WHERE throttle_key = $1")
            .bind(account_throttle_key(&email))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// The sign-in throttle's key of an account, from the email as typed.
pub fn account_throttle_key(email: &str) -> String {
    let email: String = email.trim().chars().filter(|c| !c.is_control()).take(300).collect();
    format!("account:{}", email.to_lowercase())
}

impl super::candidates::EventActor {
    /// A signed-in user (or API token holder), as `Name <email>`.
    pub fn of(actor: &Actor) -> Self {
        Self { label: format!("{} <{}>", actor.user.name, actor.user.email) }
    }
}

/// Sign-in throttling: after `max_failures` failed attempts within `window_ms` the key is locked for `window_ms`.
#[derive(Debug, Clone, Copy)]
pub struct ThrottleRule {
    pub max_failures: i64,
    pub window_ms: i64,
}

/// Takes one sign-in attempt on `key`, in one statement, before the password is checked: within the rule's window
/// only `max_failures` attempts are let through to the check, however many arrive at once. `Err(until)` when the
/// key is locked (until that instant, Unix ms).
pub async fn throttle_take_attempt(store: &Store, key: &str, rule: ThrottleRule) -> StoreResult<Result<(), i64>> {
    let now = store.now_ms();
    let row = sqlx::query(
        "INSERT INTO login_throttle (throttle_key, failures, window_start, locked_until) VALUES ($1, 1, $2, 0) \
         ON CONFLICT (throttle_key) DO UPDATE SET \
           failures = CASE WHEN login_throttle.locked_until > $2 THEN login_throttle.failures \
                           WHEN $2 - login_throttle.window_start >= $3 THEN 1 \
                           ELSE login_throttle.failures + 1 END, \
           window_start = CASE WHEN login_throttle.locked_until <= $2 AND $2 - login_throttle.window_start >= $3 \
                               THEN $2 ELSE login_throttle.window_start END \
         RETURNING failures, window_start, locked_until",
    )
    .bind(key)
    .bind(now)
    .bind(rule.window_ms)
    .fetch_one(store.write())
    .await?;
    let locked_until = int(&row, "locked_until")?;
    if locked_until > now {
        return Ok(Err(locked_until));
    }
    if int(&row, "failures")? > rule.max_failures {
        // Attempts still being checked have used up the window: refused as if locked.
        return Ok(Err(int(&row, "window_start")? + rule.window_ms));
    }
    Ok(Ok(()))
}

/// The attempt taken on `key` failed: after the rule's number of failures the key is locked for its window.
pub async fn throttle_attempt_failed(store: &Store, key: &str, rule: ThrottleRule) -> StoreResult<()> {
    let now = store.now_ms();
    sqlx::query(
        "UPDATE login_throttle SET locked_until = $1 WHERE throttle_key = $2 AND failures >= $3 AND locked_until <= $4",
    )
    .bind(now + rule.window_ms)
    .bind(key)
    .bind(rule.max_failures)
    .bind(now)
    .execute(store.write())
    .await?;
    Ok(())
}

/// The attempt taken on `key` succeeded (or was never checked): it does not count.
pub async fn throttle_give_back(store: &Store, key: &str) -> StoreResult<()> {
    sqlx::query("UPDATE login_throttle SET failures = failures - 1 WHERE throttle_key = $1 AND failures > 0")
        .bind(key)
        .execute(store.write())
        .await?;
    Ok(())
}

pub async fn throttle_clear(store: &Store, key: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM login_throttle WHERE throttle_key = $1").bind(key).execute(store.write()).await?;
    Ok(())
}
