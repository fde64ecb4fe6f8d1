//! Reviewing an invitation's answers: ratings (one per reviewer and subject, changed in place), comments (edited and
//! deleted by their author only), and share links for colleagues without an account. Every change is a timeline
//! event of the candidate, in the change's transaction.

use super::candidates::{EventActor, insert_event};
use super::invitations::{InvitationRow, on_timeline};
use super::sessions::hash_secret;
use super::{Store, StoreError, StoreResult, int, new_id, opt_int, text};
use crate::domain::Stars;

/// The subject of a rating or comment that is about the interview as a whole (else it is a question id).
pub const OVERALL: &str = "overall";

/// Who reviews: a user of the organization, or a colleague on a share link who gave their name.
#[derive(Debug, Clone)]
pub enum Reviewer {
    /// `label`: as the timeline names them (`Name <email>`).
    User {
        id: String,
        name: String,
        label: String,
    },
    Guest {
        link_id: String,
        name: String,
    },
}

impl Reviewer {
    pub fn of(actor: &super::sessions::Actor) -> Self {
        Reviewer::User { id: actor.user.id.clone(), name: actor.user.name.clone(), label: EventActor::of(actor).label }
    }

    /// What identifies the reviewer's ratings and comments.
    pub fn key(&self) -> String {
        match self {
            Reviewer::User { id, .. } => format!("user:{id}"),
            Reviewer::Guest { link_id, name } => format!("share:{link_id}:{}", name.to_lowercase()),
        }
    }

    /// As shown beside a rating or comment.
    pub fn display_name(&self) -> String {
        match self {
            Reviewer::User { name, .. } => name.clone(),
            Reviewer::Guest { name, .. } => format!("{name} (share link)"),
        }
    }

    pub(crate) fn actor(&self) -> EventActor {
        match self {
            Reviewer::User { label, .. } => EventActor { label: label.clone() },
            Reviewer::Guest { .. } => EventActor { label: self.display_name() },
        }
    }
}

/// What a change is about, for the timeline: the invitation, and "question 2" or "the interview".
pub struct Subject<'a> {
    pub inv: &'a InvitationRow,
    /// A question id or [`OVERALL`].
    pub id: &'a str,
    /// The question's rank (1-based); `None` for the interview as a whole.
    pub rank: Option<usize>,
}

impl Subject<'_> {
    fn detail(&self, extra: serde_json::Value) -> serde_json::Value {
        let mut d = serde_json::json!({
            "invitation_id": self.inv.id,
            "interview": self.inv.interview_name,
            "question": self.rank,
        });
        if let (Some(d), serde_json::Value::Object(extra)) = (d.as_object_mut(), extra) {
            d.extend(extra);
        }
        d
    }
}

#[derive(Debug, Clone)]
pub struct Rating {
    pub subject: String,
    pub reviewer: String,
    pub reviewer_name: String,
    pub stars: Stars,
    pub updated_at: i64,
}

#[derive(Debug, Clone)]
pub struct Comment {
    pub id: String,
    pub subject: String,
    pub reviewer: String,
    pub reviewer_name: String,
    pub body: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Sets (or, with `None`, removes) the reviewer's rating of each subject, all in one transaction.
pub async fn rate(store: &Store, ratings: &[(Subject<'_>, Option<Stars>)], reviewer: &Reviewer) -> StoreResult<()> {
    let now = store.now_ms();
    let mut tx = store.begin().await?;
    for (subject, stars) in ratings {
        let inv = subject.inv;
        let changed = match stars {
            Some(stars) => sqlx::query(
                "INSERT INTO ratings (id, org_id, invitation_id, subject, reviewer, reviewer_name, halves, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
                 ON CONFLICT (invitation_id, subject, reviewer) \
                 DO UPDATE SET halves = excluded.halves, reviewer_name = excluded.reviewer_name, updated_at = excluded.updated_at",
            )
            .bind(new_id())
            .bind(&inv.org_id)
            .bind(&inv.id)
            .bind(subject.id)
            .bind(reviewer.key())
            .bind(reviewer.display_name())
            .bind(stars.halves())
            .bind(now)
            .execute(&mut *tx)
            .await?,
            None => sqlx::query("DELETE FROM ratings WHERE invitation_id = $1 AND subject = $2 AND reviewer = $3")
                .bind(&inv.id)
                .bind(subject.id)
                .bind(reviewer.key())
                .execute(&mut *tx)
                .await?,
        };
        if changed.rows_affected() > 0 {
            let detail = subject.detail(serde_json::json!({ "stars": stars.map(Stars::label) }));
            insert_event(&mut tx, store, &inv.org_id, &inv.candidate_id, "rated", &reviewer.actor(), detail).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Adds a comment; gives its id.
pub async fn add_comment(store: &Store, subject: &Subject<'_>, reviewer: &Reviewer, body: &str) -> StoreResult<String> {
    let now = store.now_ms();
    let id = new_id();
    let inv = subject.inv;
    let mut tx = store.begin().await?;
    sqlx::query(
        "INSERT INTO comments (id, org_id, invitation_id, subject, reviewer, reviewer_name, body, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(&id)
    .bind(&inv.org_id)
    .bind(&inv.id)
    .bind(subject.id)
    .bind(reviewer.key())
    .bind(reviewer.display_name())
    .bind(body)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let detail = subject.detail(serde_json::json!({}));
    insert_event(&mut tx, store, &inv.org_id, &inv.candidate_id, "commented", &reviewer.actor(), detail).await?;
    tx.commit().await?;
    Ok(id)
}

/// Changes a comment's text (`Some`) or deletes it (`None`). Only its author may: anyone else's attempt, like an
/// unknown id, is `NotFound`.
pub async fn change_comment(
    store: &Store,
    inv: &InvitationRow,
    comment_id: &str,
    reviewer: &Reviewer,
    body: Option<&str>,
) -> StoreResult<()> {
    let now = store.now_ms();
    let mut tx = store.begin().await?;
    let done =
        match body {
            Some(body) => sqlx::query(
                "UPDATE comments SET body = $1, updated_at = $2 WHERE id = $3 AND invitation_id = $4 AND reviewer = $5",
            )
            .bind(body)
            .bind(now)
            .bind(comment_id)
            .bind(&inv.id)
            .bind(reviewer.key())
            .execute(&mut *tx)
            .await?,
            None => {
                sqlx::query("DELETE FROM comments WHERE id = $1 AND invitation_id = $2 AND reviewer = $3")
                    .bind(comment_id)
                    .bind(&inv.id)
                    .bind(reviewer.key())
                    .execute(&mut *tx)
                    .await?
            }
        };
    if done.rows_affected() != 1 {
        return Err(StoreError::NotFound);
    }
    let kind = if body.is_some() { "comment_edited" } else { "comment_deleted" };
    on_timeline(&mut tx, store, inv, kind, &reviewer.actor()).await?;
    tx.commit().await?;
    Ok(())
}

/// Every rating and comment of an invitation (already known to be the organization's), oldest first.
pub async fn of_invitation(store: &Store, invitation_id: &str) -> StoreResult<(Vec<Rating>, Vec<Comment>)> {
    let ratings = sqlx::query(
        "SELECT subject, reviewer, reviewer_name, halves, updated_at FROM ratings WHERE invitation_id = $1 \
         ORDER BY created_at, id",
    )
    .bind(invitation_id)
    .fetch_all(store.read())
    .await?
    .iter()
    .map(|r| {
        Ok(Rating {
            subject: text(r, "subject")?,
            reviewer: text(r, "reviewer")?,
            reviewer_name: text(r, "reviewer_name")?,
            stars: Stars::from_halves(int(r, "halves")?).ok_or(StoreError::Aborted("rating out of range".into()))?,
            updated_at: int(r, "updated_at")?,
        })
    })
    .collect::<StoreResult<Vec<_>>>()?;
    let comments = sqlx::query(
        "SELECT id, subject, reviewer, reviewer_name, body, created_at, updated_at FROM comments \
         WHERE invitation_id = $1 ORDER BY created_at, id",
    )
    .bind(invitation_id)
    .fetch_all(store.read())
    .await?
    .iter()
    .map(|r| {
        Ok(Comment {
            id: text(r, "id")?,
            subject: text(r, "subject")?,
            reviewer: text(r, "reviewer")?,
            reviewer_name: text(r, "reviewer_name")?,
            body: text(r, "body")?,
            created_at: int(r, "created_at")?,
            updated_at: int(r, "updated_at")?,
        })
    })
    .collect::<StoreResult<Vec<_>>>()?;
    Ok((ratings, comments))
}

/// A share link's token (see [`super::invitations::keyed_token`]): the page can show the link again while only its
/// hash is stored.
pub fn share_token(link_key: &[u8], share_id: &str) -> String {
    super::invitations::keyed_token(link_key, "candor-share", share_id)
}

#[derive(Debug, Clone)]
pub struct ShareLink {
    pub id: String,
    pub org_id: String,
    pub invitation_id: String,
    pub created_by_name: String,
    pub allow_rating: bool,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub created_at: i64,
}

impl ShareLink {
    pub fn usable_at(&self, now_ms: i64) -> bool {
        self.revoked_at.is_none() && now_ms < self.expires_at
    }
}

const SHARE_COLUMNS: &str = "s.id, s.org_id, s.invitation_id, u.name AS created_by_name, s.allow_rating, s.expires_at, \
     s.revoked_at, s.created_at";

fn share_from_row(r: &sqlx::any::AnyRow) -> StoreResult<ShareLink> {
    Ok(ShareLink {
        id: text(r, "id")?,
        org_id: text(r, "org_id")?,
        invitation_id: text(r, "invitation_id")?,
        created_by_name: text(r, "created_by_name")?,
        allow_rating: int(r, "allow_rating")? != 0,
        expires_at: int(r, "expires_at")?,
        revoked_at: opt_int(r, "revoked_at")?,
        created_at: int(r, "created_at")?,
    })
}

/// Creates a share link of the invitation, valid for `days`; on the timeline.
pub async fn create_share(
    store: &Store,
    actor: &super::sessions::Actor,
    inv: &InvitationRow,
    link_key: &[u8],
    days: i64,
    allow_rating: bool,
) -> StoreResult<ShareLink> {
    let now = store.now_ms();
    let id = new_id();
    let expires_at = now + days * 24 * 3600 * 1000;
    let mut tx = store.begin().await?;
    sqlx::query(
        "INSERT INTO share_links (id, org_id, invitation_id, token_hash, created_by, allow_rating, expires_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(&inv.org_id)
    .bind(&inv.id)
    .bind(hash_secret(&share_token(link_key, &id)))
    .bind(&actor.user.id)
    .bind(i64::from(allow_rating))
    .bind(expires_at)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let detail = serde_json::json!({ "invitation_id": inv.id, "interview": inv.interview_name, "days": days });
    insert_event(&mut tx, store, &inv.org_id, &inv.candidate_id, "share_created", &EventActor::of(actor), detail)
        .await?;
    tx.commit().await?;
    Ok(ShareLink {
        id,
        org_id: inv.org_id.clone(),
        invitation_id: inv.id.clone(),
        created_by_name: actor.user.name.clone(),
        allow_rating,
        expires_at,
        revoked_at: None,
        created_at: now,
    })
}

/// The invitation's share links, newest first.
pub async fn shares_of(store: &Store, invitation_id: &str) -> StoreResult<Vec<ShareLink>> {
    let sql = format!(
        "SELECT {SHARE_COLUMNS} FROM share_links s JOIN users u ON u.id = s.created_by \
         WHERE s.invitation_id = $1 ORDER BY s.created_at DESC, s.id DESC"
    );
    sqlx::query(&sql).bind(invitation_id).fetch_all(store.read()).await?.iter().map(share_from_row).collect()
}

/// Revokes a share link of the invitation at once (`NotFound` for another invitation's, or one already revoked).
pub async fn revoke_share(
    store: &Store,
    actor: &super::sessions::Actor,
    inv: &InvitationRow,
    share_id: &str,
) -> StoreResult<()> {
    let now = store.now_ms();
    let mut tx = store.begin().await?;
    let done = sqlx::query(
        "UPDATE share_links SET revoked_at = $1 WHERE id = $2 AND invitation_id = $3 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(share_id)
    .bind(&inv.id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::NotFound);
    }
    on_timeline(&mut tx, store, inv, "share_revoked", &EventActor::of(actor)).await?;
    tx.commit().await?;
    Ok(())
}

/// The share link a token stands for, whether or not it still works (the page says which); `None` for an
/// unknown token.
pub async fn share_by_token(store: &Store, token: &str) -> StoreResult<Option<ShareLink>> {
    let sql = format!(
        "SELECT {SHARE_COLUMNS} FROM share_links s JOIN users u ON u.id = s.created_by WHERE s.token_hash = $1"
    );
    sqlx::query(&sql)
        .bind(hash_secret(token))
        .fetch_optional(store.read())
        .await?
        .as_ref()
        .map(share_from_row)
        .transpose()
}

/// Puts an opening of a share link on the candidate's timeline.
pub async fn record_share_opened(store: &Store, link: &ShareLink, inv: &InvitationRow) -> StoreResult<()> {
    let mut tx = store.begin().await?;
    let actor = EventActor { label: format!("a colleague on {}'s share link", link.created_by_name) };
    on_timeline(&mut tx, store, inv, "share_opened", &actor).await?;
    tx.commit().await?;
    Ok(())
}
