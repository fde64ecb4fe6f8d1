use super::{Store, StoreError, StoreResult, conflict_as, int, jobs, new_id, opt_text, text};
use crate::domain::{EmailAddress, PersonName, Role};
use sqlx::any::AnyRow;

#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub org_id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    pub active: bool,
    pub has_password: bool,
    pub created_at: i64,
}

impl User {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin.as_str()
    }
}

pub struct NewUser {
    pub email: EmailAddress,
    pub name: PersonName,
    pub role: Role,
    /// An argon2id PHC string, or `None` for a user who sets a password through an emailed link.
    pub password_hash: Option<String>,
}

pub(crate) const USER_COLUMNS: &str = "u.id AS user_id_, u.org_id AS user_org_id_, u.email AS user_email_, \
     u.name AS user_name_, u.role AS user_role_, u.active AS user_active_, u.password_hash AS user_password_hash_, \
     u.created_at AS user_created_at_";

pub(crate) fn user_from_row(row: &AnyRow) -> StoreResult<User> {
    Ok(User {
        id: text(row, "user_id_")?,
        org_id: text(row, "user_org_id_")?,
        email: text(row, "user_email_")?,
        name: text(row, "user_name_")?,
        role: text(row, "user_role_")?,
        active: int(row, "user_active_")? != 0,
        has_password: opt_text(row, "user_password_hash_")?.is_some(),
        created_at: int(row, "user_created_at_")?,
    })
}

pub(crate) async fn insert(
    conn: &mut sqlx::AnyConnection,
    store: &Store,
    org_id: &str,
    user: &NewUser,
) -> StoreResult<User> {
    let id = new_id();
    let now = store.now_ms();
    sqlx::query(
        "INSERT INTO users (id, org_id, email, email_key, name, role, password_hash, active, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8)",
    )
    .bind(&id)
    .bind(org_id)
    .bind(user.email.as_str())
    .bind(user.email.key())
    .bind(user.name.as_str())
    .bind(user.role.as_str())
    .bind(user.password_hash.clone())
    .bind(now)
    .execute(&mut *conn)
    .await
    .map_err(conflict_as("user_email"))?;
    Ok(User {
        id,
        org_id: org_id.to_owned(),
        email: user.email.as_str().to_owned(),
        name: user.name.as_str().to_owned(),
        role: user.role.as_str().to_owned(),
        active: true,
        has_password: user.password_hash.is_some(),
        created_at: now,
    })
}

/// Adds a user to an organization and, in the same transaction, stores a set-password token and queues the email
/// that carries it.
pub async fn create_invited(
    store: &Store,
    org_id: &str,
    user: &NewUser,
    token_hash: &str,
    token_ttl_ms: i64,
    email: jobs::NewJob,
) -> StoreResult<User> {
    let mut tx = store.begin().await?;
    let created = insert(&mut tx, store, org_id, user).await?;
    super::tokens::insert_one_time_token(&mut tx, store, "set_password", Some(&created.id), token_hash, token_ttl_ms)
        .await?;
    jobs::enqueue(&mut tx, store, &email).await?;
    tx.commit().await?;
    Ok(created)
}

/// Creates a user from the command line, in an organization that exists.
pub async fn create(store: &Store, org_id: &str, user: &NewUser) -> StoreResult<User> {
    let mut tx = store.begin().await?;
    let created = insert(&mut tx, store, org_id, user).await?;
    tx.commit().await?;
    Ok(created)
}

/// The user with this email (any organization) and their password hash, for signing in.
pub async fn for_login(store: &Store, email: &EmailAddress) -> StoreResult<Option<(User, Option<String>)>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.email_key = $1");
    let Some(row) = sqlx::query(&sql).bind(email.key()).fetch_optional(store.read()).await? else {
        return Ok(None);
    };
    Ok(Some((user_from_row(&row)?, opt_text(&row, "user_password_hash_")?)))
}

pub async fn get(store: &Store, org_id: &str, id: &str) -> StoreResult<User> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.org_id = $1 AND u.id = $2");
    let row =
        sqlx::query(&sql).bind(org_id).bind(id).fetch_optional(store.read()).await?.ok_or(StoreError::NotFound)?;
    user_from_row(&row)
}

/// A user by id alone: for a sign-in half done (the password checked, the second step to come).
pub async fn by_id(store: &Store, id: &str) -> StoreResult<User> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(store.read()).await?.ok_or(StoreError::NotFound)?;
    user_from_row(&row)
}

pub async fn list(store: &Store, org_id: &str) -> StoreResult<Vec<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.org_id = $1 ORDER BY u.name, u.id");
    sqlx::query(&sql).bind(org_id).fetch_all(store.read()).await?.iter().map(user_from_row).collect()
}

/// Activates or deactivates a user; deactivation also ends their sessions and revokes their API tokens.
pub async fn set_active(store: &Store, org_id: &str, id: &str, active: bool) -> StoreResult<()> {
    let mut tx = store.begin().await?;
    let done = sqlx::query("UPDATE users SET active = $1 WHERE org_id = $2 AND id = $3")
        .bind(i64::from(active))
        .bind(org_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    if !active {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM api_tokens WHERE user_id = $1").bind(id).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Changes a user's name and email. A new email ends the reset and set-password links sent to the old one.
pub async fn update_profile(store: &Store, id: &str, name: &PersonName, email: &EmailAddress) -> StoreResult<()> {
    let mut tx = store.begin().await?;
    let before: Option<String> =
        sqlx::query_scalar("SELECT email_key FROM users WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?;
    sqlx::query("UPDATE users SET name = $1, email = $2, email_key = $3 WHERE id = $4")
        .bind(name.as_str())
        .bind(email.as_str())
        .bind(email.key())
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(conflict_as("user_email"))?;
    if before.is_some_and(|k| k != email.key()) {
        super::tokens::delete_password_links(&mut tx, id).await?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn password_hash(store: &Store, id: &str) -> StoreResult<Option<String>> {
    let row = sqlx::query("SELECT password_hash FROM users WHERE id = $1")
        .bind(id)
        .fetch_optional(store.read())
        .await?
        .ok_or(StoreError::NotFound)?;
    opt_text(&row, "password_hash")
}

/// Sets a new password and ends every other session of the user (all of them when `keep_session` is `None`).
pub async fn set_password(store: &Store, id: &str, hash: &str, keep_session: Option<&str>) -> StoreResult<()> {
    let mut tx = store.begin().await?;
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2").bind(hash).bind(id).execute(&mut *tx).await?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
        .bind(id)
        .bind(keep_session.unwrap_or(""))
        .execute(&mut *tx)
        .await?;
    // A reset link sent before the change must not undo it.
    super::tokens::delete_password_links(&mut tx, id).await?;
    tx.commit().await?;
    Ok(())
}
