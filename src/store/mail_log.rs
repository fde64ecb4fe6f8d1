//! Every email Candor sent, per organization: what the Outbox page shows.

use super::{Params, ROWS_PER_INSERT, Store, StoreError, StoreResult, int, new_id, opt_text, text};
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

/// A delivered email to log, with its job and the invitation it is about.
pub struct Delivered<'a> {
    pub mail: NewSentMail<'a>,
    pub job_id: &'a str,
    pub invitation_id: Option<&'a str>,
}

/// Logs delivered emails and marks their jobs done (keeping no payload), in one transaction (multi-row
/// statements); an invitation whose email had been given up is delivered now. An email whose job is gone — its
/// candidate was erased while it went out — is not logged: its outbox file, if any, is given back to be deleted.
pub async fn record_and_complete(store: &Store, delivered: &[Delivered<'_>]) -> StoreResult<Vec<String>> {
    if delivered.is_empty() {
        return Ok(Vec::new());
    }
    let now = store.now_ms();
    let mut tx = store.begin().await?;
    let mut existing = std::collections::HashSet::new();
    for chunk in delivered.chunks(ROWS_PER_INSERT) {
        // On PostgreSQL the rows are locked: an erasure deleting them waits, then finds the log rows made here.
        let lock = if store.backend() == super::Backend::Postgres { " FOR UPDATE" } else { "" };
        let list = Params::new(store.backend()).list(chunk.len());
        let sql = format!("SELECT id FROM jobs WHERE id IN ({list}){lock}");
        let mut q = sqlx::query(&sql);
        for d in chunk {
            q = q.bind(d.job_id);
        }
        for r in &q.fetch_all(&mut *tx).await? {
            existing.insert(text(r, "id")?);
        }
    }
    let (delivered, gone): (Vec<&Delivered>, Vec<&Delivered>) =
        delivered.iter().partition(|d| existing.contains(d.job_id));
    let orphans: Vec<String> = gone.iter().filter_map(|d| d.mail.eml_path.clone()).collect();
    for chunk in delivered.chunks(ROWS_PER_INSERT) {
        let mut p = Params::new(store.backend());
        let rows: Vec<String> = chunk.iter().map(|_| p.row(12)).collect();
        let sql = format!(
            "INSERT INTO sent_mail (id, org_id, job_id, mail_to, mail_cc, mail_bcc, subject, html, text_body, transport, \
             eml_path, sent_at) VALUES {}",
            rows.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for d in chunk {
            let m = &d.mail;
            query = query
                .bind(new_id())
                .bind(m.org_id)
                .bind(m.job_id)
                .bind(m.to.as_str())
                .bind(m.cc.as_str())
                .bind(m.bcc.as_str())
                .bind(m.subject)
                .bind(m.html)
                .bind(m.text)
                .bind(m.transport)
                .bind(m.eml_path.as_deref())
                .bind(now);
        }
        query.execute(&mut *tx).await?;
        let mut p = Params::new(store.backend());
        let sql = format!(
            "UPDATE jobs SET status = 'done', payload = '{{}}', lease_until = NULL, last_error = NULL, updated_at = {} \
             WHERE id IN ({})",
            p.next(),
            p.list(chunk.len())
        );
        let mut query = sqlx::query(&sql).bind(now);
        for d in chunk {
            query = query.bind(d.job_id);
        }
        query.execute(&mut *tx).await?;
        let invitations: Vec<&str> = chunk.iter().filter_map(|d| d.invitation_id).collect();
        if !invitations.is_empty() {
            let mut p = Params::new(store.backend());
            let sql = format!(
                "UPDATE invitations SET email_undelivered_at = NULL WHERE id IN ({}) AND email_undelivered_at IS NOT NULL",
                p.list(invitations.len())
            );
            let mut query = sqlx::query(&sql);
            for id in invitations {
                query = query.bind(id);
            }
            query.execute(&mut *tx).await?;
        }
    }
    tx.commit().await?;
    Ok(orphans)
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
