//! Bulk invitations: the people of one bulk send as rows (each pending, skipped or invalid from the start), its
//! state (preview → sending → done, or cancelled), and the rows' outcomes as the job sends them.

use super::invitations::{self, EmailContext, NewInvitation};
use super::jobs::{self, NewJob};
use super::sessions::Actor;
use super::{Params, ROWS_PER_INSERT, Store, StoreError, StoreResult, conflict_as, int, new_id, opt_text, text};

pub const BULK_SEND: &str = "bulk_send";

/// A row as checked before anything is sent.
#[derive(Debug, Clone, Default)]
pub struct NewRow {
    /// The CSV line (or the list position, from 1).
    pub line: i64,
    pub candidate_id: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub language: Option<String>,
    /// `pending`, `skipped` or `invalid`.
    pub outcome: &'static str,
    pub message: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Bulk {
    pub id: String,
    pub org_id: String,
    pub created_by: String,
    pub interview_id: String,
    pub interview_name: String,
    pub language: Option<String>,
    pub deadline: String,
    pub notify_me: bool,
    pub status: String,
    pub pending: i64,
    pub sent: i64,
    pub skipped: i64,
    pub invalid: i64,
    pub not_sent: i64,
}

/// Stores a bulk send in preview, with its rows, in one transaction; a repeated idempotency key gives the first one.
#[allow(clippy::too_many_arguments)]
pub async fn create(
    store: &Store,
    org_id: &str,
    user_id: &str,
    interview_id: &str,
    language: Option<&str>,
    deadline: &str,
    notify_me: bool,
    idempotency_key: Option<&str>,
    rows: &[NewRow],
) -> StoreResult<(String, bool)> {
    if let Some(key) = idempotency_key
        && let Some(r) = sqlx::query("SELECT id FROM bulk_sends WHERE org_id = $1 AND idempotency_key = $2")
            .bind(org_id)
            .bind(key)
            .fetch_optional(store.read())
            .await?
    {
        return Ok((text(&r, "id")?, true));
    }
    let id = new_id();
    let now = store.now_ms();
    let mut tx = store.begin().await?;
    sqlx::query(
        "INSERT INTO bulk_sends (id, org_id, created_by, interview_id, language, deadline, notify_me, status, \
         idempotency_key, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'preview', $8, $9, $9)",
    )
    .bind(&id)
    .bind(org_id)
    .bind(user_id)
    .bind(interview_id)
    .bind(language)
    .bind(deadline)
    .bind(i64::from(notify_me))
    .bind(idempotency_key)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(conflict_as("bulk_idempotency"))?;
    for chunk in rows.chunks(100) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| {
                let b = i * 9;
                format!(
                    "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                    b + 1,
                    b + 2,
                    b + 3,
                    b + 4,
                    b + 5,
                    b + 6,
                    b + 7,
                    b + 8,
                    b + 9
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO bulk_rows (bulk_id, line, candidate_id, first_name, last_name, email, language, outcome, message) \
             VALUES {}",
            values.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for r in chunk {
            q = q
                .bind(&id)
                .bind(r.line)
                .bind(r.candidate_id.clone())
                .bind(r.first_name.clone())
                .bind(r.last_name.clone())
                .bind(r.email.clone())
                .bind(r.language.clone())
                .bind(r.outcome)
                .bind(r.message.clone());
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok((id, false))
}

pub async fn get(store: &Store, org_id: &str, id: &str) -> StoreResult<Bulk> {
    let r = sqlx::query(
        "SELECT b.id, b.org_id, b.created_by, b.interview_id, v.name AS interview_name, b.language, b.deadline, \
         b.notify_me, b.status FROM bulk_sends b JOIN interviews v ON v.id = b.interview_id \
         WHERE b.org_id = $1 AND b.id = $2",
    )
    .bind(org_id)
    .bind(id)
    .fetch_optional(store.read())
    .await?
    .ok_or(StoreError::NotFound)?;
    let mut bulk = Bulk {
        id: text(&r, "id")?,
        org_id: text(&r, "org_id")?,
        created_by: text(&r, "created_by")?,
        interview_id: text(&r, "interview_id")?,
        interview_name: text(&r, "interview_name")?,
        language: opt_text(&r, "language")?,
        deadline: text(&r, "deadline")?,
        notify_me: int(&r, "notify_me")? != 0,
        status: text(&r, "status")?,
        pending: 0,
        sent: 0,
        skipped: 0,
        invalid: 0,
        not_sent: 0,
    };
    let counts = sqlx::query("SELECT outcome, COUNT(*) AS n FROM bulk_rows WHERE bulk_id = $1 GROUP BY outcome")
        .bind(id)
        .fetch_all(store.read())
        .await?;
    for c in counts {
        let n = int(&c, "n")?;
        match text(&c, "outcome")?.as_str() {
            "pending" => bulk.pending = n,
            "sent" => bulk.sent = n,
            "skipped" => bulk.skipped = n,
            "invalid" => bulk.invalid = n,
            _ => bulk.not_sent = n,
        }
    }
    Ok(bulk)
}

/// Rows with an outcome (`invalid`, `skipped` …), in line order: (line, who, message).
pub async fn rows_with(store: &Store, id: &str, outcome: &str, limit: i64) -> StoreResult<Vec<(i64, String, String)>> {
    sqlx::query(
        "SELECT line, COALESCE(email, candidate_id, '') AS who, COALESCE(message, '') AS message FROM bulk_rows \
         WHERE bulk_id = $1 AND outcome = $2 ORDER BY line LIMIT $3",
    )
    .bind(id)
    .bind(outcome)
    .bind(limit)
    .fetch_all(store.read())
    .await?
    .iter()
    .map(|r| Ok((int(r, "line")?, text(r, "who")?, text(r, "message")?)))
    .collect()
}

/// Preview → sending, with the job that sends, in one transaction; `Conflict("bulk_status")` from any other state.
pub async fn start(store: &Store, org_id: &str, id: &str) -> StoreResult<()> {
    get(store, org_id, id).await?;
    let mut tx = store.begin().await?;
    let done = sqlx::query(
        "UPDATE bulk_sends SET status = 'sending', updated_at = $1 WHERE org_id = $2 AND id = $3 AND status = 'preview'",
    )
    .bind(store.now_ms())
    .bind(org_id)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::Conflict("bulk_status"));
    }
    jobs::enqueue(&mut tx, store, &NewJob::new(BULK_SEND, Some(org_id), serde_json::json!({ "bulk_id": id }))).await?;
    tx.commit().await?;
    Ok(())
}

/// Cancels a preview or a send under way: the rows not sent yet are not sent; those sent stay sent.
pub async fn cancel(store: &Store, org_id: &str, id: &str) -> StoreResult<()> {
    get(store, org_id, id).await?;
    let mut tx = store.begin().await?;
    let done = sqlx::query(
        "UPDATE bulk_sends SET status = 'cancelled', updated_at = $1 WHERE org_id = $2 AND id = $3 \
         AND status IN ('preview', 'sending')",
    )
    .bind(store.now_ms())
    .bind(org_id)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::Conflict("bulk_status"));
    }
    sqlx::query("UPDATE bulk_rows SET outcome = 'not_sent' WHERE bulk_id = $1 AND outcome = 'pending'")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// The next rows to send, while the bulk send is still sending.
pub async fn next_rows(store: &Store, id: &str, limit: i64) -> StoreResult<Vec<NewRow>> {
    sqlx::query(
        "SELECT r.line, r.candidate_id, r.first_name, r.last_name, r.email, r.language FROM bulk_rows r \
         JOIN bulk_sends b ON b.id = r.bulk_id WHERE r.bulk_id = $1 AND r.outcome = 'pending' AND b.status = 'sending' \
         ORDER BY r.line LIMIT $2",
    )
    .bind(id)
    .bind(limit)
    .fetch_all(store.read())
    .await?
    .iter()
    .map(|r| {
        Ok(NewRow {
            line: int(r, "line")?,
            candidate_id: opt_text(r, "candidate_id")?,
            first_name: opt_text(r, "first_name")?,
            last_name: opt_text(r, "last_name")?,
            email: opt_text(r, "email")?,
            language: opt_text(r, "language")?,
            outcome: "pending",
            message: None,
        })
    })
    .collect()
}

/// What the job decided for one pending row.
pub enum RowSend {
    Invite(NewInvitation),
    Invalid(&'static str),
}

/// Sends a batch of pending rows in one transaction: each row's invitation (with its candidate, timeline event and
/// email job) and its outcome. The send's row is locked first, so a cancel either comes before (nothing of the batch
/// is sent: `Ok(false)`) or waits for the batch to commit. A row whose candidate is gone is marked invalid.
pub async fn send_rows(
    store: &Store,
    actor: &Actor,
    id: &str,
    interview_id: &str,
    rows: &[(i64, RowSend)],
    link_key: &[u8],
    email: impl Fn(&NewInvitation, &EmailContext) -> Result<NewJob, String>,
) -> StoreResult<bool> {
    let mut tx = store.begin().await?;
    let sending = sqlx::query("UPDATE bulk_sends SET updated_at = $1 WHERE id = $2 AND status = 'sending'")
        .bind(store.now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if sending.rows_affected() != 1 {
        return Ok(false);
    }
    let interview = invitations::interview_facts(&mut tx, &actor.org.id, interview_id).await?;
    let news: Vec<NewInvitation> = rows
        .iter()
        .filter_map(|(_, r)| match r {
            RowSend::Invite(new) => Some(new.clone()),
            RowSend::Invalid(_) => None,
        })
        .collect();
    let mut made =
        invitations::insert_many(&mut tx, store, actor, &interview, &news, link_key, |_, new, ctx| email(new, ctx))
            .await?
            .into_iter();
    let mut outcomes: Vec<(i64, &str, Option<String>, Option<&str>)> = Vec::with_capacity(rows.len());
    for (line, row) in rows {
        outcomes.push(match row {
            RowSend::Invalid(message) => (*line, "invalid", None, Some(*message)),
            RowSend::Invite(_) => match made.next() {
                Some(Ok((invitation, _))) => (*line, "sent", Some(invitation.id), None),
                Some(Err(StoreError::NotFound)) => (*line, "invalid", None, Some("The candidate is gone.")),
                Some(Err(e)) => return Err(e),
                None => return Err(StoreError::Aborted("an invitation of the batch is missing".into())),
            },
        });
    }
    // The outcomes in one statement per chunk: CASE on the line.
    for chunk in outcomes.chunks(ROWS_PER_INSERT) {
        let mut p = Params::new(store.backend());
        // Placeholders in the order they appear in the statement, which is the order they are bound in.
        let mut cases = [String::new(), String::new(), String::new()];
        for case in cases.iter_mut() {
            for _ in chunk {
                case.push_str(&format!(" WHEN {} THEN {}", p.next(), p.next()));
            }
        }
        let sql = format!(
            "UPDATE bulk_rows SET outcome = CASE line{} END, invitation_id = CASE line{} END, message = CASE line{} END \
             WHERE bulk_id = {} AND outcome = 'pending' AND line IN ({})",
            cases[0],
            cases[1],
            cases[2],
            p.next(),
            p.list(chunk.len())
        );
        let mut query = sqlx::query(&sql);
        for (line, outcome, _, _) in chunk {
            query = query.bind(*line).bind(*outcome);
        }
        for (line, _, invitation_id, _) in chunk {
            query = query.bind(*line).bind(invitation_id.clone());
        }
        for (line, _, _, message) in chunk {
            query = query.bind(*line).bind(*message);
        }
        query = query.bind(id);
        for (line, _, _, _) in chunk {
            query = query.bind(*line);
        }
        query.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// Sending → done once no row is pending.
pub async fn finish(store: &Store, id: &str) -> StoreResult<()> {
    sqlx::query(
        "UPDATE bulk_sends SET status = 'done', updated_at = $1 WHERE id = $2 AND status = 'sending' \
         AND NOT EXISTS (SELECT 1 FROM bulk_rows WHERE bulk_id = $2 AND outcome = 'pending')",
    )
    .bind(store.now_ms())
    .bind(id)
    .execute(store.write())
    .await?;
    Ok(())
}

/// Email keys and candidate ids with an open invitation to the interview (pending or in progress, before its
/// deadline), for the preview's skips.
pub async fn open_to(store: &Store, org_id: &str, interview_id: &str) -> StoreResult<Vec<(String, String)>> {
    sqlx::query(
        // CROSS JOIN keeps SQLite to this order, as in `responses::list`: left free, it scanned every candidate.
        "SELECT c.id, c.email_key FROM invitations i CROSS JOIN candidates c \
         WHERE c.org_id = i.org_id AND c.id = i.candidate_id AND i.org_id = $1 AND i.interview_id = $2 \
         AND i.status IN ('pending', 'in_progress') AND i.closes_at > $3",
    )
    .bind(org_id)
    .bind(interview_id)
    .bind(store.now_ms())
    .fetch_all(store.read())
    .await?
    .iter()
    .map(|r| Ok((text(r, "id")?, text(r, "email_key")?)))
    .collect()
}

/// Candidates of the organization by id: (id, email key, first name, email).
pub async fn candidates_by_id(
    store: &Store,
    org_id: &str,
    ids: &[String],
) -> StoreResult<Vec<(String, String, String)>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT id, email_key, email FROM candidates WHERE org_id = $1 AND id IN ({})",
            super::placeholders(2, chunk.len())
        );
        let mut q = sqlx::query(&sql).bind(org_id);
        for id in chunk {
            q = q.bind(id);
        }
        for r in q.fetch_all(store.read()).await? {
            out.push((text(&r, "id")?, text(&r, "email_key")?, text(&r, "email")?));
        }
    }
    Ok(out)
}
