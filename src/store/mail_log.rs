//! Every email Candor sent, per organization: what the Outbox page shows.

use super::{Store, StoreError, StoreResult, int, new_id, opt_text, text};
use sqlx::any::AnyRow;

#[derive(Debug, Clone)]
pub struct SentMail {
    pub id: String,
    pub to: String,
    pub cc: String,
    pub bcc: String,
    pub subject: String,
    pub html: String,
    pub text: String,
    pub transport: String,
    pub eml_path: Option<String>,
    pub sent_at: i64,
}

pub struct NewSentMail<'a> {
    pub org_id: Option<&'a str>,
    pub job_id: Option<&'a str>,
    pub to: String,
    pub cc: String,
    pub bcc: String,
    pub subject: &'a str,
    pub html: &'a str,
    pub text: &'a str,
    pub transport: &'a str,
    pub eml_path: Option<String>,
}

fn from_row(row: &AnyRow) -> StoreResult<SentMail> {
    Ok(SentMail {
        id: text(row, "id")?,
        to: text(row, "mail_to")?,
        cc: text(row, "mail_cc")?,
        bcc: text(row, "mail_bcc")?,
        subject: text(row, "subject")?,
        html: text(row, "html")?,
        text: text(row, "text_body")?,
        transport: text(row, "transport")?,
        eml_path: opt_text(row, "eml_path")?,
        sent_at: int(row, "sent_at")?,
    })
}

/// Logs a delivered email and marks its job done, in one transaction; an invitation whose email had been given up
/// (`invitation_id`, the job's) is delivered now.
pub async fn record_and_complete(
    store: &Store,
    mail: NewSentMail<'_>,
    job_id: &str,
    invitation_id: Option<&str>,
) -> StoreResult<()> {
    let mut tx = store.begin().await?;
    insert(&mut tx, store, mail).await?;
    super::jobs::complete_on(&mut tx, store, job_id).await?;
    if let Some(id) = invitation_id {
        sqlx::query(
            "UPDATE invitations SET email_undelivered_at = NULL WHERE id = $1 AND email_undelivered_at IS NOT NULL",
        )
        .bind(id)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn insert(conn: &mut sqlx::AnyConnection, store: &Store, mail: NewSentMail<'_>) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO sent_mail (id, org_id, job_id, mail_to, mail_cc, mail_bcc, subject, html, text_body, transport, \
         eml_path, sent_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(new_id())
    .bind(mail.org_id.map(str::to_owned))
    .bind(mail.job_id.map(str::to_owned))
    .bind(mail.to)
    .bind(mail.cc)
    .bind(mail.bcc)
    .bind(mail.subject)
    .bind(mail.html)
    .bind(mail.text)
    .bind(mail.transport)
    .bind(mail.eml_path)
    .bind(store.now_ms())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn list(store: &Store, org_id: &str, limit: i64) -> StoreResult<Vec<SentMail>> {
    let rows = sqlx::query("SELECT * FROM sent_mail WHERE org_id = $1 ORDER BY sent_at DESC, id DESC LIMIT $2")
        .bind(org_id)
        .bind(limit)
        .fetch_all(store.read())
        .await?;
    rows.iter().map(from_row).collect()
}

pub async fn get(store: &Store, org_id: &str, id: &str) -> StoreResult<SentMail> {
    let row = sqlx::query("SELECT * FROM sent_mail WHERE org_id = $1 AND id = $2")
        .bind(org_id)
        .bind(id)
        .fetch_optional(store.read())
        .await?
        .ok_or(StoreError::NotFound)?;
    from_row(&row)
}
