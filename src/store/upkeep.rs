//! Time-driven work the worker's upkeep runs every minute, safe on any number of nodes at once: reminders before
//! the deadline, and deleting recordings once the organization's retention period is over. Candidates for either
//! are found with a coarse query on indexed columns; the exact moment is decided in Rust in the organization's time
//! zone; each change is claimed with a conditional UPDATE, so only one node acts on it.

use super::candidates::{EventActor, insert_event};
use super::jobs::NewJob;
use super::{Store, StoreResult, int, text};

const DAY_MS: i64 = 24 * 3600 * 1000;
/// The local hour a reminder goes out on its day.
pub const REMINDER_HOUR: i8 = 9;

/// An invitation that may be due a reminder, with what its email needs.
#[derive(Debug, Clone)]
pub struct ReminderTarget {
    pub invitation_id: String,
    pub org_id: String,
    pub org_name: String,
    pub timezone: String,
    pub reminder_days: i64,
    pub candidate_id: String,
    pub candidate_first_name: String,
    pub email: String,
    pub language: String,
    /// `YYYY-MM-DD`, inclusive.
    pub deadline: String,
    pub sent_at: i64,
    pub interview_name: String,
    pub interview_title: String,
    pub question_count: i64,
    pub typical_minutes: i64,
    pub reply_to: String,
}

impl ReminderTarget {
    /// When the reminder is due: [`REMINDER_HOUR`] o'clock, `reminder_days` before the deadline date, in the
    /// organization's zone. `None` when no reminder is sent (none configured, or the invitation went out later).
    pub fn due_at(&self) -> Option<i64> {
        let tz = jiff::tz::TimeZone::get(&self.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
        let date: jiff::civil::Date = self.deadline.parse().ok()?;
        let day = date.checked_sub(jiff::Span::new().days(self.reminder_days)).ok()?;
        let due = day.at(REMINDER_HOUR, 0, 0, 0).to_zoned_datetime(tz).ok()?.timestamp().as_millisecond();
        (self.reminder_days > 0 && self.sent_at < due).then_some(due)
    }
}

/// Open invitations (Pending, In progress) not reminded yet whose reminder is due now.
pub async fn due_reminders(store: &Store) -> StoreResult<Vec<ReminderTarget>> {
    let now = store.now_ms();
    let rows = sqlx::query(
        "SELECT i.id, i.org_id, o.name AS org_name, o.timezone, o.reminder_days, i.candidate_id, \
         c.first_name, i.email, i.language, i.deadline, i.sent_at, v.name AS interview_name, v.title, \
         (SELECT COUNT(*) FROM questions q WHERE q.interview_id = v.id) AS n, \
         (SELECT CAST(COALESCE(SUM(q.max_answer_seconds + COALESCE(q.think_seconds, 30)), 0) AS BIGINT) \
          FROM questions q WHERE q.interview_id = v.id) AS secs, u.email AS reply_to \
         FROM invitations i JOIN organizations o ON o.id = i.org_id \
         JOIN candidates c ON c.org_id = i.org_id AND c.id = i.candidate_id \
         JOIN interviews v ON v.id = i.interview_id JOIN users u ON u.id = i.invited_by \
         WHERE i.status IN ('pending', 'in_progress') AND i.closes_at > $1 \
         AND i.closes_at <= $1 + (o.reminder_days + 2) * $2 AND i.reminded_at IS NULL AND o.reminder_days > 0",
    )
    .bind(now)
    .bind(DAY_MS)
    .fetch_all(store.read())
    .await?;
    let mut out = Vec::new();
    for r in &rows {
        let t = ReminderTarget {
            invitation_id: text(r, "id")?,
            org_id: text(r, "org_id")?,
            org_name: text(r, "org_name")?,
            timezone: text(r, "timezone")?,
            reminder_days: int(r, "reminder_days")?,
            candidate_id: text(r, "candidate_id")?,
            candidate_first_name: text(r, "first_name")?,
            email: text(r, "email")?,
            language: text(r, "language")?,
            deadline: text(r, "deadline")?,
            sent_at: int(r, "sent_at")?,
            interview_name: text(r, "interview_name")?,
            interview_title: text(r, "title")?,
            question_count: int(r, "n")?,
            typical_minutes: (int(r, "secs")? + 59) / 60,
            reply_to: text(r, "reply_to")?,
        };
        if t.due_at().is_some_and(|due| now >= due) {
            out.push(t);
        }
    }
    Ok(out)
}

/// Records the reminder and queues its email in one transaction; `false` when another node did it first or the
/// invitation is no longer open.
pub async fn record_reminder(store: &Store, t: &ReminderTarget, job: &NewJob) -> StoreResult<bool> {
    let now = store.now_ms();
    let mut tx = store.begin().await?;
    let done = sqlx::query(
        "UPDATE invitations SET reminded_at = $1 WHERE id = $2 AND reminded_at IS NULL \
         AND status IN ('pending', 'in_progress') AND closes_at > $1",
    )
    .bind(now)
    .bind(&t.invitation_id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    super::jobs::enqueue(&mut tx, store, &job.clone().about_invitation(&t.invitation_id)).await?;
    let detail = serde_json::json!({
        "invitation_id": t.invitation_id, "interview": t.interview_name, "deadline": t.deadline, "email": t.email,
    });
    insert_event(&mut tx, store, &t.org_id, &t.candidate_id, "reminded", &EventActor::system(), detail).await?;
    tx.commit().await?;
    Ok(true)
}

/// Deletes the recordings of invitations whose retention period is over (`retention_months` after the end of the
/// deadline date, in the organization's zone): the takes' rows now, their bytes by a `delete_media` job, and a
/// timeline event where there were any. Returns how many invitations lost recordings.
pub async fn delete_expired_media(store: &Store) -> StoreResult<usize> {
    let now = store.now_ms();
    // Months are at least 28 days: the coarse filter never misses one that is due.
    let rows = sqlx::query(
        "SELECT i.id, i.org_id, i.candidate_id, i.closes_at, o.timezone, o.retention_months, v.name AS interview_name \
         FROM invitations i JOIN organizations o ON o.id = i.org_id JOIN interviews v ON v.id = i.interview_id \
         WHERE i.media_deleted_at IS NULL AND i.closes_at < $1 - o.retention_months * 28 * $2",
    )
    .bind(now)
    .bind(DAY_MS)
    .fetch_all(store.read())
    .await?;
    let mut deleted = 0;
    for r in &rows {
        let tz = jiff::tz::TimeZone::get(&text(r, "timezone")?).unwrap_or(jiff::tz::TimeZone::UTC);
        let months = int(r, "retention_months")?;
        let closes = jiff::Timestamp::from_millisecond(int(r, "closes_at")?)
            .map_err(|e| super::StoreError::Aborted(e.to_string()))?;
        let due = closes
            .to_zoned_datetime(tz)
            .checked_add(jiff::Span::new().months(months))
            .map_err(|e| super::StoreError::Aborted(e.to_string()))?
            .timestamp()
            .as_millisecond();
        if now < due {
            continue;
        }
        let id = text(r, "id")?;
        let mut tx = store.begin().await?;
        let claimed =
            sqlx::query("UPDATE invitations SET media_deleted_at = $1 WHERE id = $2 AND media_deleted_at IS NULL")
                .bind(now)
                .bind(&id)
                .execute(&mut *tx)
                .await?;
        if claimed.rows_affected() != 1 {
            continue;
        }
        super::takes::enqueue_media_deletion_of(
            &mut tx,
            store,
            "i.id = $1 AND i.org_id = $2",
            &id,
            &text(r, "org_id")?,
        )
        .await?;
        let takes = sqlx::query("DELETE FROM takes WHERE invitation_id = $1").bind(&id).execute(&mut *tx).await?;
        if takes.rows_affected() > 0 {
            let detail = serde_json::json!({
                "invitation_id": id, "interview": text(r, "interview_name")?, "months": months,
                "takes": takes.rows_affected(),
            });
            let system = EventActor { label: "Candor".to_owned() };
            insert_event(
                &mut tx,
                store,
                &text(r, "org_id")?,
                &text(r, "candidate_id")?,
                "media_deleted",
                &system,
                detail,
            )
            .await?;
            deleted += 1;
        }
        tx.commit().await?;
    }
    Ok(deleted)
}
