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

/// The invitation behind a personal link's token, of any organization; `None` for an unknown token.
pub async fn by_token(store: &Store, token: &str) -> StoreResult<Option<Link>> {
    let row = sqlx::query(
        "SELECT i.id, i.org_id, i.candidate_id, i.interview_id, i.status, i.language, i.deadline, i.closes_at, \
         i.opened_at, i.consented_at, c.first_name FROM invitations i \
         JOIN candidates c ON c.org_id = i.org_id AND c.id = i.candidate_id WHERE i.token_hash = $1",
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
    let now = store.now_ms();
    let mut tx = store.begin().await?;
    let done = sqlx::query("UPDATE invitations SET opened_at = $1 WHERE id = $2 AND opened_at IS NULL")
        .bind(now)
        .bind(&link.invitation_id)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 1 {
        let detail = serde_json::json!({ "invitation_id": link.invitation_id, "interview": link.interview.name });
        insert_event(&mut tx, store, &link.org.id, &link.candidate_id, "opened", &candidate_actor(), detail).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Records the candidate's consent to recording (once). An invitation that is no longer open is
/// `Conflict("invitation_status")`.
pub async fn consent(store: &Store, link: &Link) -> StoreResult<()> {
    let now = store.now_ms();
    if !link.status_now(now).is_open() {
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
    .bind(now)
    .bind(&link.invitation_id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 1 {
        let detail = serde_json::json!({ "invitation_id": link.invitation_id, "interview": link.interview.name });
        insert_event(&mut tx, store, &link.org.id, &link.candidate_id, "consented", &candidate_actor(), detail).await?;
    }
    tx.commit().await?;
    Ok(())
}
