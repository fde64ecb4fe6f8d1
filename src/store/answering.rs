//! The candidate's side behind the personal link: what the link shows, the first opening and the consent, each
//! recorded on the candidate's timeline. The token is the credential: it is looked up by its hash only.

use super::candidates::{EventActor, insert_event};
use super::interviews::{self, Interview};
use super::orgs::{self, Organization};
use super::sessions::hash_secret;
use super::{Store, StoreError, StoreResult, int, opt_int, text};
use crate::domain::{Deadline, InvitationEvent, InvitationStatus, Language};

/// An invitation as its personal link sees it.
#[derive(Debug, Clone)]
pub struct Link {
    pub invitation_id: String,
    pub candidate_id: String,
    pub candidate_first_name: String,
    /// The stored status; see [`Link::status_now`] for what applies at a given instant.
    pub status: InvitationStatus,
    pub language: Language,
    pub deadline: Deadline,
    /// The first instant past the deadline (Unix ms).
    pub closes_at: i64,
    pub opened_at: Option<i64>,
    pub consented_at: Option<i64>,
    pub org: Organization,
    pub interview: Interview,
    /// Who sent the invitation: the candidate's contact.
    pub inviter_name: String,
    pub inviter_email: String,
}

impl Link {
    /// The status at `now_ms`: an open invitation whose deadline has passed is Expired even before the upkeep job
    /// has written it.
    pub fn status_now(&self, now_ms: i64) -> InvitationStatus {
        if self.status.is_open() && now_ms >= self.closes_at {
            self.status.apply(InvitationEvent::Expire).unwrap_or(self.status)
        } else {
            self.status
        }
    }
}

/// What an upload request needs of its link: which invitation, where it stands, when it closes.
#[derive(Debug, Clone)]
pub struct LinkState {
    pub invitation_id: String,
    pub status: InvitationStatus,
    /// The first instant past the deadline (Unix ms).
    pub closes_at: i64,
}

impl LinkState {
    /// Whether answers are still taken at `now_ms`, allowing `grace_ms` past the deadline.
    pub fn takes_answers(&self, now_ms: i64, grace_ms: i64) -> bool {
        matches!(self.status, InvitationStatus::Pending | InvitationStatus::InProgress)
            && now_ms < self.closes_at + grace_ms
    }
}

impl Link {
    /// Whose a take recorded through this link is.
    pub fn take_owner(&self) -> super::takes::TakeOwner<'_> {
        super::takes::TakeOwner {
            org_id: &self.org.id,
            invitation_id: &self.invitation_id,
            candidate_id: &self.candidate_id,
            interview_name: &self.interview.name,
        }
    }

    pub fn state(&self) -> LinkState {
        LinkState { invitation_id: self.invitation_id.clone(), status: self.status, closes_at: self.closes_at }
    }
}

/// The state of the invitation behind a token, in one query — for the upload requests that come every second
/// while a candidate records, which need nothing of the organization or the interview.
pub async fn state_by_token(store: &Store, token: &str) -> StoreResult<Option<LinkState>> {
    let row = sqlx::query("SELECT id, status, closes_at FROM invitations WHERE token_hash = $1")
        .bind(hash_secret(token))
        .fetch_optional(store.read())
        .await?;
    row.map(|r| {
        Ok(LinkState {
            invitation_id: text(&r, "id")?,
            status: InvitationStatus::parse(&text(&r, "status")?).ok_or(StoreError::NotFound)?,
            closes_at: int(&r, "closes_at")?,
        })
    })
    .transpose()
}

/// The invitation behind a personal link's token, of any organization; `None` for an unknown token.
pub async fn by_token(store: &Store, token: &str) -> StoreResult<Option<Link>> {
    let row = sqlx::query(
        "SELECT i.id, i.org_id, i.candidate_id, i.interview_id, i.status, i.language, i.deadline, i.closes_at, \
         i.opened_at, i.consented_at, c.first_name, u.name AS inviter_name, u.email AS inviter_email \
         FROM invitations i JOIN candidates c ON c.org_id = i.org_id AND c.id = i.candidate_id \
         JOIN users u ON u.id = i.invited_by WHERE i.token_hash = $1",
    )
    .bind(hash_secret(token))
    .fetch_optional(store.read())
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let org_id = text(&row, "org_id")?;
    let org = orgs::get(store, &org_id).await?;
    let interview = match interviews::get(store, &org_id, &text(&row, "interview_id")?).await {
        Ok(i) => i,
        Err(StoreError::NotFound) => return Ok(None),
        Err(e) => return Err(e),
    };
    let status = InvitationStatus::parse(&text(&row, "status")?).ok_or(StoreError::NotFound)?;
    let language = Language::parse("language", &text(&row, "language")?).unwrap_or(Language::En);
    let deadline = Deadline::from_stored(&text(&row, "deadline")?).ok_or(StoreError::NotFound)?;
    Ok(Some(Link {
        invitation_id: text(&row, "id")?,
        candidate_id: text(&row, "candidate_id")?,
        candidate_first_name: text(&row, "first_name")?,
        status,
        language,
        deadline,
        closes_at: int(&row, "closes_at")?,
        opened_at: opt_int(&row, "opened_at")?,
        consented_at: opt_int(&row, "consented_at")?,
        org,
        interview,
        inviter_name: text(&row, "inviter_name")?,
        inviter_email: text(&row, "inviter_email")?,
    }))
}

fn candidate_actor() -> EventActor {
    EventActor { label: "Candidate".to_owned() }
}

/// Records the first opening of the link (once; later openings change nothing).
pub async fn mark_opened(store: &Store, link: &Link) -> StoreResult<()> {
    if link.opened_at.is_some() {
        return Ok(());
    }
    record_once(store, link, "opened_at", "", "opened").await
}

/// Records the candidate's consent to recording (once), with what they read (`record`: a consents row, and its
/// version on the timeline event). An invitation that is no longer open is `Conflict("invitation_status")`.
pub async fn consent(store: &Store, link: &Link, record: &super::privacy::NewConsent<'_>) -> StoreResult<()> {
    if !link.status_now(store.now_ms()).is_open() {
        return Err(StoreError::Conflict("invitation_status"));
    }
    if link.consented_at.is_some() {
        return Ok(());
    }
    let mut tx = store.begin().await?;
    let done = sqlx::query(
        "UPDATE invitations SET consented_at = $1 WHERE id = $2 AND consented_at IS NULL \
         AND status IN ('pending', 'in_progress') AND closes_at > $1",
    )
    .bind(store.now_ms())
    .bind(&link.invitation_id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 1 {
        super::privacy::insert_consent(&mut tx, store, record).await?;
        let detail = serde_json::json!({
            "invitation_id": link.invitation_id, "interview": link.interview.name, "version": record.version,
        });
        insert_event(&mut tx, store, &link.org.id, &link.candidate_id, "consented", &candidate_actor(), detail).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Sets the moment `column` (still empty, and `condition` holding) and adds the `kind` timeline event, in one
/// transaction; nothing when another request was first.
async fn record_once(store: &Store, link: &Link, column: &str, condition: &str, kind: &str) -> StoreResult<()> {
    let mut tx = store.begin().await?;
    let done =
        sqlx::query(&format!("UPDATE invitations SET {column} = $1 WHERE id = $2 AND {column} IS NULL{condition}"))
            .bind(store.now_ms())
            .bind(&link.invitation_id)
            .execute(&mut *tx)
            .await?;
    if done.rows_affected() == 1 {
        let detail = serde_json::json!({ "invitation_id": link.invitation_id, "interview": link.interview.name });
        insert_event(&mut tx, store, &link.org.id, &link.candidate_id, kind, &candidate_actor(), detail).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Where the candidate stands on one question.
#[derive(Debug, Clone, serde::Serialize)]
pub struct QuestionProgress {
    pub question_id: String,
    /// Takes begun so far (an interrupted take still counts, unless nothing of it arrived).
    pub takes_used: i64,
    pub kept: bool,
}

/// The candidate's progress, per question that has an answer.
pub async fn progress(store: &Store, invitation_id: &str) -> StoreResult<Vec<QuestionProgress>> {
    let rows = sqlx::query("SELECT question_id, takes_used, kept_take_id FROM answers WHERE invitation_id = $1")
        .bind(invitation_id)
        .fetch_all(store.read())
        .await?;
    rows.iter()
        .map(|r| {
            Ok(QuestionProgress {
                question_id: text(r, "question_id")?,
                takes_used: int(r, "takes_used")?,
                kept: super::opt_text(r, "kept_take_id")?.is_some(),
            })
        })
        .collect()
}

/// The last allowed take of a question not answered yet, as found when the candidate comes back to the page (so the
/// page that recorded it is gone) — see [`settle_last_takes`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastTake {
    pub question_id: String,
    pub take_id: String,
    /// Its upload broke off: it was closed with what had arrived.
    pub interrupted: bool,
}

/// Settles the last allowed takes of unanswered questions when the candidate comes back, so no question is left
/// without a way on: a take that finished uploading but was never kept (the page was closed before Keep) is
/// returned to be kept; one whose upload broke off (the page closed or crashed while recording) is closed with the
/// bytes that arrived, marked interrupted, and returned to be kept too; one of which nothing arrived is removed
/// and its take given back — nothing of it exists that could count. Questions with takes left are not touched:
/// the candidate records again there (a new take discards the unkept ones; used takes stay counted).
pub async fn settle_last_takes(store: &Store, link: &Link) -> StoreResult<Vec<LastTake>> {
    let rows = sqlx::query(
        "SELECT a.id AS answer_id, a.question_id, a.takes_used, t.id, t.status, t.upload_offset, t.container \
         FROM answers a JOIN takes t ON t.answer_id = a.id AND t.number = a.takes_used \
         WHERE a.invitation_id = $1 AND a.kept_take_id IS NULL AND t.status IN ('complete', 'uploading')",
    )
    .bind(&link.invitation_id)
    .fetch_all(store.read())
    .await?;
    let now = store.now_ms();
    let mut out = Vec::new();
    for r in &rows {
        let question_id = text(r, "question_id")?;
        let max = link.interview.questions.iter().find(|q| q.id == question_id).map(|q| q.max_takes);
        let used = int(r, "takes_used")?;
        if max.is_none_or(|m| used < m) {
            continue;
        }
        let take_id = text(r, "id")?;
        let offset = int(r, "upload_offset")?;
        if text(r, "status")? == super::takes::COMPLETE {
            out.push(LastTake { question_id, take_id, interrupted: false });
        } else if offset > 0 && super::opt_text(r, "container")?.is_some() {
            // A PATCH still streaming for a page that is gone loses its lock here; its bytes are then dropped.
            let done = sqlx::query(
                "UPDATE takes SET status = 'complete', upload_length = upload_offset, completed_at = $1, \
                 interrupted_at = $1, lock_owner = NULL, lock_until = NULL, updated_at = $1 \
                 WHERE id = $2 AND status = 'uploading' AND upload_offset = $3",
            )
            .bind(now)
            .bind(&take_id)
            .bind(offset)
            .execute(store.write())
            .await?;
            if done.rows_affected() == 1 {
                out.push(LastTake { question_id, take_id, interrupted: true });
            }
        } else {
            super::takes::give_back_by_id(store, &take_id, &text(r, "answer_id")?, used).await?;
        }
    }
    Ok(out)
}

/// What keeping a take led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kept {
    /// That was the last question: the invitation is Answered.
    pub completed: bool,
}

/// What the Notify-me email is built from.
pub struct CompletedContext<'a> {
    pub invitation_id: &'a str,
    pub user_email: &'a str,
    pub user_name: &'a str,
    pub candidate_name: &'a str,
}

/// Keeps a complete take as the answer to its question (with the candidate's notes), in one transaction. When every
/// question is answered the invitation becomes Answered (timeline event), and with *Notify me* the inviting user's
/// email is queued. `grace_ms`: how long after the deadline a take that had started may still be kept.
/// Refusals: `NotFound` (no such take of this question), `Conflict("take_incomplete")`, `Conflict("answer_kept")`,
/// `Conflict("invitation_status")`.
pub async fn keep(
    store: &Store,
    link: &Link,
    question_id: &str,
    take_id: &str,
    notes: Option<&str>,
    grace_ms: i64,
    notify: impl FnOnce(&CompletedContext) -> Result<super::jobs::NewJob, String>,
) -> StoreResult<Kept> {
    let now = store.now_ms();
    let mut tx = store.begin().await?;
    // Keeps of one invitation run one after the other: on PostgreSQL the invitation's row is locked first (SQLite
    // has one writer), so two keeps at once neither both complete the interview nor both miss that it is complete.
    let lock = if store.backend() == super::Backend::Postgres { " FOR UPDATE" } else { "" };
    let inv = sqlx::query(&format!("SELECT status, closes_at FROM invitations WHERE id = $1{lock}"))
        .bind(&link.invitation_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
    let status = InvitationStatus::parse(&text(&inv, "status")?).ok_or(StoreError::NotFound)?;
    if status != InvitationStatus::InProgress || now >= int(&inv, "closes_at")? + grace_ms {
        return Err(StoreError::Conflict("invitation_status"));
    }
    let take = sqlx::query(
        "SELECT t.status, t.created_at, t.container, a.id AS answer_id, a.kept_take_id FROM takes t \
         JOIN answers a ON a.id = t.answer_id \
         WHERE t.id = $1 AND t.invitation_id = $2 AND a.question_id = $3",
    )
    .bind(take_id)
    .bind(&link.invitation_id)
    .bind(question_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    if super::opt_text(&take, "kept_take_id")?.is_some() {
        return Err(StoreError::Conflict("answer_kept"));
    }
    if text(&take, "status")? != super::takes::COMPLETE {
        return Err(StoreError::Conflict("take_incomplete"));
    }
    if now >= int(&inv, "closes_at")? && int(&take, "created_at")? >= int(&inv, "closes_at")? {
        return Err(StoreError::Conflict("invitation_status"));
    }
    let answer_id = text(&take, "answer_id")?;
    // The database decides: each change applies only to the state just read, and its row count says whether it did.
    let take_kept = sqlx::query("UPDATE takes SET status = 'kept', updated_at = $1 WHERE id = $2 AND status = $3")
        .bind(now)
        .bind(take_id)
        .bind(super::takes::COMPLETE)
        .execute(&mut *tx)
        .await?;
    let answer_kept = sqlx::query(
        "UPDATE answers SET kept_take_id = $1, notes = $2, kept_at = $3 WHERE id = $4 AND kept_take_id IS NULL",
    )
    .bind(take_id)
    .bind(notes.map(str::to_owned))
    .bind(now)
    .bind(&answer_id)
    .execute(&mut *tx)
    .await?;
    if take_kept.rows_affected() != 1 || answer_kept.rows_affected() != 1 {
        return Err(StoreError::Conflict("answer_kept"));
    }
    if matches!(super::opt_text(&take, "container")?.as_deref(), Some("webm" | "mp4")) {
        super::takes::enqueue_remux(&mut tx, store, &link.org.id, take_id).await?;
    }
    let rank = link.interview.questions.iter().position(|q| q.id == question_id).map(|r| r + 1).unwrap_or(0);
    let who = candidate_actor();
    let detail =
        serde_json::json!({ "invitation_id": link.invitation_id, "interview": link.interview.name, "question": rank });
    insert_event(&mut tx, store, &link.org.id, &link.candidate_id, "answered", &who, detail).await?;
    let kept = sqlx::query("SELECT COUNT(*) AS n FROM answers WHERE invitation_id = $1 AND kept_take_id IS NOT NULL")
        .bind(&link.invitation_id)
        .fetch_one(&mut *tx)
        .await?;
    let completed = int(&kept, "n")? >= link.interview.questions.len() as i64;
    if completed {
        let to = status.apply(InvitationEvent::Complete).map_err(|_| StoreError::Conflict("invitation_status"))?;
        let moved = sqlx::query(
            "UPDATE invitations SET status = $1, answered_at = $2, updated_at = $2, completed_in_ms = $2 - sent_at \
             WHERE id = $3 AND status = $4",
        )
        .bind(to.as_str())
        .bind(now)
        .bind(&link.invitation_id)
        .bind(status.as_str())
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() != 1 {
            return Err(StoreError::Conflict("invitation_status"));
        }
        let detail = serde_json::json!({ "invitation_id": link.invitation_id, "interview": link.interview.name });
        insert_event(&mut tx, store, &link.org.id, &link.candidate_id, "completed", &who, detail).await?;
        notify_inviter(&mut tx, store, link, notify).await?;
    }
    tx.commit().await?;
    Ok(Kept { completed })
}

/// With *Notify me*, queues the email `notify` builds for the inviting user, on the use case's transaction.
async fn notify_inviter(
    conn: &mut sqlx::AnyConnection,
    store: &Store,
    link: &Link,
    notify: impl FnOnce(&CompletedContext) -> Result<super::jobs::NewJob, String>,
) -> StoreResult<()> {
    let inv = sqlx::query(
        "SELECT i.notify_me, u.email AS user_email, u.name AS user_name, \
         c.first_name || ' ' || c.last_name AS candidate_name FROM invitations i \
         JOIN users u ON u.id = i.invited_by JOIN candidates c ON c.org_id = i.org_id AND c.id = i.candidate_id \
         WHERE i.id = $1",
    )
    .bind(&link.invitation_id)
    .fetch_one(&mut *conn)
    .await?;
    if int(&inv, "notify_me")? == 0 {
        return Ok(());
    }
    let job = notify(&CompletedContext {
        invitation_id: &link.invitation_id,
        user_email: &text(&inv, "user_email")?,
        user_name: &text(&inv, "user_name")?,
        candidate_name: &text(&inv, "candidate_name")?,
    })
    .map_err(StoreError::Aborted)?;
    super::jobs::enqueue(conn, store, &job).await?;
    Ok(())
}

/// The candidate withdraws (Pending or In progress → Withdrawn), on the timeline; with *Notify me* the inviting
/// user's email is queued.
pub async fn withdraw(
    store: &Store,
    link: &Link,
    notify: impl FnOnce(&CompletedContext) -> Result<super::jobs::NewJob, String>,
) -> StoreResult<()> {
    let now = store.now_ms();
    let status = link.status_now(now);
    let to = status.apply(InvitationEvent::Withdraw).map_err(|_| StoreError::Conflict("invitation_status"))?;
    let mut tx = store.begin().await?;
    let done = sqlx::query(
        "UPDATE invitations SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4 AND closes_at > $2",
    )
    .bind(to.as_str())
    .bind(now)
    .bind(&link.invitation_id)
    .bind(status.as_str())
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::Conflict("invitation_status"));
    }
    let detail = serde_json::json!({ "invitation_id": link.invitation_id, "interview": link.interview.name });
    insert_event(&mut tx, store, &link.org.id, &link.candidate_id, "withdrew", &candidate_actor(), detail).await?;
    notify_inviter(&mut tx, store, link, notify).await?;
    tx.commit().await?;
    Ok(())
}

/// An answer as the recruiter sees it.
#[derive(Debug, Clone)]
pub struct AnswerView {
    pub question_id: String,
    pub takes_used: i64,
    pub kept_take_id: Option<String>,
    /// The kept take's number ("take 2 of 3").
    pub kept_take_number: Option<i64>,
    pub kept_take_bytes: Option<i64>,
    /// Known once the take was rewritten (WebM).
    pub duration_ms: Option<i64>,
    pub container: Option<String>,
    /// The kept take is what arrived before its upload broke off (see [`settle_last_takes`]).
    pub interrupted: bool,
    pub notes: Option<String>,
    pub kept_at: Option<i64>,
}

/// The answers of an invitation of the organization (`NotFound` for another organization's).
pub async fn answers_of(store: &Store, org_id: &str, invitation_id: &str) -> StoreResult<Vec<AnswerView>> {
    let rows = sqlx::query(
        "SELECT a.question_id, a.takes_used, a.kept_take_id, a.notes, a.kept_at, t.number, t.upload_length, t.container, t.duration_ms, \
         t.interrupted_at \
         FROM answers a JOIN invitations i ON i.id = a.invitation_id LEFT JOIN takes t ON t.id = a.kept_take_id \
         WHERE i.org_id = $1 AND a.invitation_id = $2",
    )
    .bind(org_id)
    .bind(invitation_id)
    .fetch_all(store.read())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AnswerView {
                question_id: text(r, "question_id")?,
                takes_used: int(r, "takes_used")?,
                kept_take_id: super::opt_text(r, "kept_take_id")?,
                kept_take_number: opt_int(r, "number")?,
                kept_take_bytes: opt_int(r, "upload_length")?,
                duration_ms: opt_int(r, "duration_ms")?,
                container: super::opt_text(r, "container")?,
                interrupted: opt_int(r, "interrupted_at")?.is_some(),
                notes: super::opt_text(r, "notes")?,
                kept_at: opt_int(r, "kept_at")?,
            })
        })
        .collect()
}
