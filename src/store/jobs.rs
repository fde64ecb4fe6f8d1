//! The durable job table. Jobs are inserted in the transaction of the change that causes them; workers on any node
//! claim them in small batches with a lease (`UPDATE … WHERE id IN (SELECT … LIMIT n) AND <still claimable>
//! RETURNING`, which lets exactly one claimer win each job on both databases), retry with backoff and end `dead` after `max_attempts`, keeping the last error.

use super::{Params, ROWS_PER_INSERT, Store, StoreError, StoreResult, int, new_id, opt_text, text};
use sqlx::any::AnyRow;

#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: &'static str,
    pub org_id: Option<String>,
    pub payload: serde_json::Value,
    pub max_attempts: i64,
    /// How long after its transaction the job becomes due.
    pub delay_ms: i64,
    /// The invitation an email is about: one that cannot be delivered is shown on it.
    pub invitation_id: Option<String>,
}

impl NewJob {
    pub fn new(kind: &'static str, org_id: Option<&str>, payload: serde_json::Value) -> Self {
        Self {
            kind,
            org_id: org_id.map(str::to_owned),
            payload,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            delay_ms: 0,
            invitation_id: None,
        }
    }

    /// The same job, with `n` attempts before it is dead.
    pub fn attempts(mut self, n: i64) -> Self {
        self.max_attempts = n;
        self
    }

    /// The same job, about an invitation.
    pub fn about_invitation(mut self, id: &str) -> Self {
        self.invitation_id = Some(id.to_owned());
        self
    }

    /// The same job, due `ms` later.
    pub fn delayed(mut self, ms: i64) -> Self {
        self.delay_ms = ms;
        self
    }
}

pub const DEFAULT_MAX_ATTEMPTS: i64 = 8;

#[derive(Debug, Clone)]
pub struct Job {
    pub id: String,
    pub org_id: Option<String>,
    pub kind: String,
    pub payload: String,
    pub status: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// The invitation an email is about.
    pub invitation_id: Option<String>,
}

const COLUMNS: &str = "id, org_id, kind, payload, status, attempts, max_attempts, run_at, lease_until, last_error, created_at, updated_at, invitation_id";

fn from_row(row: &AnyRow) -> StoreResult<Job> {
    Ok(Job {
        id: text(row, "id")?,
        org_id: opt_text(row, "org_id")?,
        kind: text(row, "kind")?,
        payload: text(row, "payload")?,
        status: text(row, "status")?,
        attempts: int(row, "attempts")?,
        max_attempts: int(row, "max_attempts")?,
        run_at: int(row, "run_at")?,
        last_error: opt_text(row, "last_error")?,
        created_at: int(row, "created_at")?,
        updated_at: int(row, "updated_at")?,
        invitation_id: opt_text(row, "invitation_id")?,
    })
}

pub async fn enqueue(conn: &mut sqlx::AnyConnection, store: &Store, job: &NewJob) -> StoreResult<String> {
    let mut ids = enqueue_many(conn, store, std::slice::from_ref(job)).await?;
    ids.pop().ok_or(StoreError::NotFound)
}

/// Inserts jobs on an open transaction in multi-row inserts; gives their ids in order.
pub async fn enqueue_many(conn: &mut sqlx::AnyConnection, store: &Store, jobs: &[NewJob]) -> StoreResult<Vec<String>> {
    let now = store.now_ms();
    let ids: Vec<String> = jobs.iter().map(|_| new_id()).collect();
    for (chunk, chunk_ids) in jobs.chunks(ROWS_PER_INSERT).zip(ids.chunks(ROWS_PER_INSERT)) {
        let mut p = Params::new(store.backend());
        let rows: Vec<String> = chunk
            .iter()
            .map(|_| {
                let v: Vec<String> = (0..9).map(|_| p.next()).collect();
                format!("({}, {}, {}, {}, 'queued', 0, {})", v[0], v[1], v[2], v[3], v[4..].join(", "))
            })
            .collect();
        let sql = format!(
            "INSERT INTO jobs (id, org_id, kind, payload, status, attempts, max_attempts, run_at, created_at, updated_at, \
             invitation_id) VALUES {}",
            rows.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for (job, id) in chunk.iter().zip(chunk_ids) {
            query = query
                .bind(id)
                .bind(job.org_id.clone())
                .bind(job.kind)
                .bind(job.payload.to_string())
                .bind(job.max_attempts)
                .bind(now + job.delay_ms.max(0))
                .bind(now)
                .bind(now)
                .bind(job.invitation_id.clone());
        }
        query.execute(&mut *conn).await?;
    }
    Ok(ids)
}

/// Which jobs a claim loop takes. Emails have a lane of their own, so a mail server that stalls never holds up
/// reminders, expiry, rewrites and deletions (and the other way round).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    All,
    Mail,
    Other,
}

impl Lane {
    fn condition(self) -> &'static str {
        match self {
            Lane::All => "",
            Lane::Mail => " AND kind = 'send_email'",
            Lane::Other => " AND kind <> 'send_email'",
        }
    }
}

/// Claims the job that has waited longest among those due (queued and due, or running with an expired lease).
pub async fn claim(store: &Store, lease_ms: i64) -> StoreResult<Option<Job>> {
    Ok(claim_many(store, lease_ms, 1, Lane::All).await?.into_iter().next())
}

/// Claims up to `max` due jobs, oldest first: those whose lease expired (a crashed worker's), then queued ones that
/// are due. Each kind is one index walk — an `OR` of the two made both databases read and sort every due job on
/// every claim, which grew with the queue.
pub async fn claim_many(store: &Store, lease_ms: i64, max: usize, lane: Lane) -> StoreResult<Vec<Job>> {
    let now = store.now_ms();
    let mut jobs = Vec::new();
    for (due, order) in [
        ("status = 'running' AND lease_until < $2", "lease_until, id"),
        ("status = 'queued' AND run_at <= $2", "run_at, id"),
    ] {
        let left = max.saturating_sub(jobs.len());
        if left == 0 {
            break;
        }
        let claimable = format!("{due}{}", lane.condition());
        let set = "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_until = $1, updated_at = $2";
        let pick = format!("SELECT id FROM jobs WHERE {claimable} ORDER BY {order} LIMIT {left}");
        let sql = match store.backend() {
            // Concurrent claimers skip rows another one is taking instead of all racing for the same rows. The pick
            // is materialized first: as a plain `IN (…)` subquery PostgreSQL may run it again for every row it
            // updates, and a `LIMIT` with `SKIP LOCKED` then claims far more than `left`.
            super::Backend::Postgres => format!(
                "WITH due AS MATERIALIZED ({pick} FOR UPDATE SKIP LOCKED) \
                 {set} FROM due WHERE jobs.id = due.id AND {claimable} RETURNING {returning}",
                returning = COLUMNS.split(", ").map(|c| format!("jobs.{c}")).collect::<Vec<_>>().join(", ")
            ),
            // SQLite runs one write at a time.
            super::Backend::Sqlite => format!("{set} WHERE id IN ({pick}) AND {claimable} RETURNING {COLUMNS}"),
        };
        let rows = sqlx::query(&sql).bind(now + lease_ms).bind(now).fetch_all(store.write()).await?;
        for row in &rows {
            jobs.push(from_row(row)?);
        }
    }
    jobs.sort_by(|a, b| (a.run_at, &a.id).cmp(&(b.run_at, &b.id)));
    Ok(jobs)
}

pub async fn complete(store: &Store, id: &str) -> StoreResult<()> {
    let mut conn = store.write().acquire().await?;
    complete_on(&mut conn, store, id).await
}

/// Marks a job done. A finished job keeps no payload: what it carried (an email's text, object keys) has no use
/// left, and personal data should not linger in the queue.
pub(crate) async fn complete_on(conn: &mut sqlx::AnyConnection, store: &Store, id: &str) -> StoreResult<()> {
    sqlx::query(
        "UPDATE jobs SET status = 'done', payload = '{}', lease_until = NULL, last_error = NULL, updated_at = $1 \
         WHERE id = $2",
    )
    .bind(store.now_ms())
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Records a failed attempt: the job runs again after `retry_in_ms`, or is `dead` when it has used all attempts. A
/// dead email about an invitation marks the invitation's email as undelivered, in the same transaction.
pub async fn fail(store: &Store, job: &Job, error: &str, retry_in_ms: i64) -> StoreResult<()> {
    let now = store.now_ms();
    let dead = job.attempts >= job.max_attempts;
    let (status, run_at) = if dead { ("dead", now) } else { ("queued", now + retry_in_ms) };
    let error: String = error.chars().take(2000).collect();
    let mut tx = store.begin().await?;
    sqlx::query(
        "UPDATE jobs SET status = $1, run_at = $2, lease_until = NULL, last_error = $3, updated_at = $4 WHERE id = $5",
    )
    .bind(status)
    .bind(run_at)
    .bind(error)
    .bind(now)
    .bind(&job.id)
    .execute(&mut *tx)
    .await?;
    if dead && let Some(invitation_id) = &job.invitation_id {
        sqlx::query("UPDATE invitations SET email_undelivered_at = $1 WHERE id = $2")
            .bind(now)
            .bind(invitation_id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Extends the leases of jobs this worker is still running, so a long job is never taken over while it runs.
pub async fn renew_leases(store: &Store, ids: &[String], lease_ms: i64) -> StoreResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "UPDATE jobs SET lease_until = $1 WHERE status = 'running' AND id IN ({})",
        super::placeholders(2, ids.len())
    );
    let mut q = sqlx::query(&sql).bind(store.now_ms() + lease_ms);
    for id in ids {
        q = q.bind(id);
    }
    q.execute(store.write()).await?;
    Ok(())
}

/// Jobs per status, for the metrics.
pub async fn counts(store: &Store) -> StoreResult<Vec<(String, i64)>> {
    let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM jobs GROUP BY status").fetch_all(store.read()).await?;
    rows.iter().map(|r| Ok((text(r, "status")?, int(r, "n")?))).collect()
}

/// The organization's jobs, newest first; `status` filters when given.
pub async fn list(store: &Store, org_id: &str, status: Option<&str>, limit: i64) -> StoreResult<Vec<Job>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM jobs WHERE org_id = $1 AND ($2 = '' OR status = $2) ORDER BY created_at DESC, id DESC \
         LIMIT $3"
    ))
    .bind(org_id)
    .bind(status.unwrap_or(""))
    .bind(limit)
    .fetch_all(store.read())
    .await?;
    rows.iter().map(from_row).collect()
}

/// Puts a dead job of the organization back in the queue with fresh attempts.
pub async fn retry_dead(store: &Store, org_id: &str, id: &str) -> StoreResult<()> {
    match requeue_dead(store, org_id, "id", id).await? {
        0 => Err(StoreError::NotFound),
        _ => Ok(()),
    }
}

/// Queues the organization's dead jobs whose `column` is `value` again, with fresh attempts; returns how many.
async fn requeue_dead(store: &Store, org_id: &str, column: &'static str, value: &str) -> StoreResult<u64> {
    let done = sqlx::query(&format!(
        "UPDATE jobs SET status = 'queued', attempts = 0, run_at = $1, updated_at = $1 \
         WHERE org_id = $2 AND {column} = $3 AND status = 'dead'"
    ))
    .bind(store.now_ms())
    .bind(org_id)
    .bind(value)
    .execute(store.write())
    .await?;
    Ok(done.rows_affected())
}

/// How many of the organization's jobs are dead, per kind.
pub async fn dead_by_kind(store: &Store, org_id: &str) -> StoreResult<Vec<(String, i64)>> {
    let rows = sqlx::query(
        "SELECT kind, COUNT(*) AS n FROM jobs WHERE org_id = $1 AND status = 'dead' GROUP BY kind ORDER BY kind",
    )
    .bind(org_id)
    .fetch_all(store.read())
    .await?;
    rows.iter().map(|r| Ok((text(r, "kind")?, int(r, "n")?))).collect()
}

/// Puts every dead job of one kind of the organization back in the queue with fresh attempts; returns how many.
pub async fn retry_dead_of_kind(store: &Store, org_id: &str, kind: &str) -> StoreResult<u64> {
    requeue_dead(store, org_id, "kind", kind).await
}

/// Deletes finished jobs older than `age_ms`.
pub async fn purge_done(store: &Store, age_ms: i64) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM jobs WHERE status = 'done' AND updated_at < $1")
        .bind(store.now_ms() - age_ms)
        .execute(store.write())
        .await?;
    Ok(done.rows_affected())
}
