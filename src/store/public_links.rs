//! Public links: one per interview, off by default. Anyone with the link registers and gets a personal link by
//! email; registrations that were taken are counted per client address (as a keyed hash) for the rate limit.

use super::invitations::keyed_token;
use super::sessions::hash_secret;
use super::{Store, StoreError, StoreResult, int, new_id, opt_text, text};

/// A public link's token: HMAC of its id under the server's link key, so the page can show the link again.
pub fn public_token(link_key: &[u8], id: &str) -> String {
    keyed_token(link_key, "candor-public", id)
}

#[derive(Debug, Clone)]
pub struct PublicLink {
    pub id: String,
    pub org_id: String,
    pub interview_id: String,
    pub created_by: String,
    pub enabled: bool,
    /// `YYYY-MM-DD`, inclusive.
    pub closes_on: Option<String>,
    pub language: String,
    pub access_code: Option<String>,
    pub answer_days: i64,
}

/// What the recruiter sets.
#[derive(Debug, Clone)]
pub struct PublicLinkSettings {
    pub enabled: bool,
    pub closes_on: Option<String>,
    pub language: String,
    pub access_code: Option<String>,
    pub answer_days: i64,
}

const COLUMNS: &str = "id, org_id, interview_id, created_by, enabled, closes_on, language, access_code, answer_days";

fn from_row(r: &sqlx::any::AnyRow) -> StoreResult<PublicLink> {
    Ok(PublicLink {
        id: text(r, "id")?,
        org_id: text(r, "org_id")?,
        interview_id: text(r, "interview_id")?,
        created_by: text(r, "created_by")?,
        enabled: int(r, "enabled")? != 0,
        closes_on: opt_text(r, "closes_on")?,
        language: text(r, "language")?,
        access_code: opt_text(r, "access_code")?,
        answer_days: int(r, "answer_days")?,
    })
}

/// The interview's public link, if one was ever set up (the interview is known to be the organization's).
pub async fn of_interview(store: &Store, org_id: &str, interview_id: &str) -> StoreResult<Option<PublicLink>> {
    let sql = format!("SELECT {COLUMNS} FROM public_links WHERE org_id = $1 AND interview_id = $2");
    sqlx::query(&sql)
        .bind(org_id)
        .bind(interview_id)
        .fetch_optional(store.read())
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// The link a token stands for, on or off; `None` for an unknown token.
pub async fn by_token(store: &Store, token: &str) -> StoreResult<Option<PublicLink>> {
    let sql = format!("SELECT {COLUMNS} FROM public_links WHERE token_hash = $1");
    sqlx::query(&sql).bind(hash_secret(token)).fetch_optional(store.read()).await?.as_ref().map(from_row).transpose()
}

/// Sets up or changes the interview's public link; `user_id` becomes its creator the first time.
pub async fn save(
    store: &Store,
    org_id: &str,
    interview_id: &str,
    user_id: &str,
    link_key: &[u8],
    settings: &PublicLinkSettings,
) -> StoreResult<PublicLink> {
    let now = store.now_ms();
    let mut tx = store.begin().await?;
    let found = sqlx::query("SELECT id FROM interviews WHERE org_id = $1 AND id = $2")
        .bind(org_id)
        .bind(interview_id)
        .fetch_optional(&mut *tx)
        .await?;
    if found.is_none() {
        return Err(StoreError::NotFound);
    }
    let updated = sqlx::query(
        "UPDATE public_links SET enabled = $1, closes_on = $2, language = $3, access_code = $4, answer_days = $5, \
         updated_at = $6 WHERE org_id = $7 AND interview_id = $8",
    )
    .bind(i64::from(settings.enabled))
    .bind(settings.closes_on.clone())
    .bind(&settings.language)
    .bind(settings.access_code.clone())
    .bind(settings.answer_days)
    .bind(now)
    .bind(org_id)
    .bind(interview_id)
    .execute(&mut *tx)
    .await?;
    if updated.rows_affected() == 0 {
        let id = new_id();
        sqlx::query(
            "INSERT INTO public_links (id, org_id, interview_id, token_hash, created_by, enabled, closes_on, language, \
             access_code, answer_days, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
        )
        .bind(&id)
        .bind(org_id)
        .bind(interview_id)
        .bind(hash_secret(&public_token(link_key, &id)))
        .bind(user_id)
        .bind(i64::from(settings.enabled))
        .bind(settings.closes_on.clone())
        .bind(&settings.language)
        .bind(settings.access_code.clone())
        .bind(settings.answer_days)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    of_interview(store, org_id, interview_id).await?.ok_or(StoreError::NotFound)
}

/// Registrations taken from this client (its keyed hash) since `since`.
pub async fn registrations_since(store: &Store, client_hash: &str, since: i64) -> StoreResult<i64> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM public_registrations WHERE client_hash = $1 AND created_at >= $2")
        .bind(client_hash)
        .bind(since)
        .fetch_one(store.read())
        .await?;
    int(&row, "n")
}

/// Counts a registration that was taken.
pub async fn record_registration(store: &Store, link_id: &str, client_hash: &str) -> StoreResult<()> {
    sqlx::query("INSERT INTO public_registrations (id, link_id, client_hash, created_at) VALUES ($1, $2, $3, $4)")
        .bind(new_id())
        .bind(link_id)
        .bind(client_hash)
        .bind(store.now_ms())
        .execute(store.write())
        .await?;
    Ok(())
}

/// An open invitation (pending or in progress, before its deadline) of the organization's candidate with this
/// email to the interview.
/// How many invitations to the interview the email's candidate has had (any state).
pub async fn invitations_of_email(
    store: &Store,
    org_id: &str,
    interview_id: &str,
    email_key: &str,
) -> StoreResult<i64> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM invitations i JOIN candidates c ON c.org_id = i.org_id AND c.id = i.candidate_id \
         WHERE i.org_id = $1 AND i.interview_id = $2 AND c.email_key = $3",
    )
    .bind(org_id)
    .bind(interview_id)
    .bind(email_key)
    .fetch_one(store.read())
    .await?;
    int(&row, "n")
}

pub async fn open_invitation_of(
    store: &Store,
    org_id: &str,
    interview_id: &str,
    email_key: &str,
) -> StoreResult<Option<String>> {
    let row = sqlx::query(
        "SELECT i.id FROM invitations i JOIN candidates c ON c.org_id = i.org_id AND c.id = i.candidate_id \
         WHERE i.org_id = $1 AND i.interview_id = $2 AND c.email_key = $3 AND i.status IN ('pending', 'in_progress') \
         AND i.closes_at > $4 ORDER BY i.id DESC LIMIT 1",
    )
    .bind(org_id)
    .bind(interview_id)
    .bind(email_key)
    .bind(store.now_ms())
    .fetch_optional(store.read())
    .await?;
    row.map(|r| text(&r, "id")).transpose()
}
