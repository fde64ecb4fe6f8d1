//! Scorecards and decisions: an interview's evaluation criteria, reviewers' scores (1–5, one per reviewer,
//! invitation and criterion, changed in place), and the recruiter's decision on an invitation. A criterion that was
//! scored is never removed: deleting it marks it deleted, which keeps its scores out of every average. Every score and
//! decision is a timeline event of the candidate, in the change's transaction.

use super::candidates::{EventActor, insert_event};
use super::invitations::InvitationRow;
use super::reviews::Reviewer;
use super::{Store, StoreError, StoreResult, int, new_id, opt_int, opt_text, text};
use crate::domain::{CRITERIA_MAX, Decision};

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Criterion {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    /// How many scores it has (from every reviewer and candidate).
    pub scored: i64,
    /// Unix milliseconds; a deleted criterion is shown with its old scores but counted in no average.
    pub deleted_at: Option<i64>,
}

/// The interview's criteria in their order, deleted ones too when `with_deleted`. The interview is known to be the
/// organization's.
pub async fn criteria_of(store: &Store, interview_id: &str, with_deleted: bool) -> StoreResult<Vec<Criterion>> {
    let filter = if with_deleted { "" } else { " AND c.deleted_at IS NULL" };
    let sql = format!(
        "SELECT c.id, c.name, c.description, c.deleted_at, \
         (SELECT COUNT(*) FROM scores s WHERE s.criterion_id = c.id) AS scored \
         FROM criteria c WHERE c.interview_id = $1{filter} ORDER BY c.rank, c.id"
    );
    sqlx::query(&sql)
        .bind(interview_id)
        .fetch_all(store.read())
        .await?
        .iter()
        .map(|r| {
            Ok(Criterion {
                id: text(r, "id")?,
                name: text(r, "name")?,
                description: opt_text(r, "description")?,
                scored: int(r, "scored")?,
                deleted_at: opt_int(r, "deleted_at")?,
            })
        })
        .collect()
}

/// Adds a criterion at the end of the interview's scorecard; `Conflict("criteria_full")` past [`CRITERIA_MAX`].
pub async fn add_criterion(
    store: &Store,
    org_id: &str,
    interview_id: &str,
    name: &str,
    description: Option<&str>,
) -> StoreResult<String> {
    let now = store.now_ms();
    let id = new_id();
    let mut tx = store.begin().await?;
    // Taking the interview row first serializes concurrent additions on PostgreSQL (SQLite has one writer).
    let found = sqlx::query("UPDATE interviews SET updated_at = updated_at WHERE org_id = $1 AND id = $2")
        .bind(org_id)
        .bind(interview_id)
        .execute(&mut *tx)
        .await?;
    if found.rows_affected() != 1 {
        return Err(StoreError::NotFound);
    }
    let row = sqlx::query(
        "SELECT COUNT(*) AS n, CAST(COALESCE(MAX(rank), 0) AS BIGINT) AS top FROM criteria \
         WHERE interview_id = $1 AND deleted_at IS NULL",
    )
    .bind(interview_id)
    .fetch_one(&mut *tx)
    .await?;
    if int(&row, "n")? >= CRITERIA_MAX as i64 {
        return Err(StoreError::Conflict("criteria_full"));
    }
    sqlx::query(
        "INSERT INTO criteria (id, org_id, interview_id, rank, name, description, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(&id)
    .bind(org_id)
    .bind(interview_id)
    .bind(int(&row, "top")? + 1)
    .bind(name)
    .bind(description)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Renames a criterion (allowed whether or not it was scored).
pub async fn rename_criterion(
    store: &Store,
    org_id: &str,
    interview_id: &str,
    id: &str,
    name: &str,
    description: Option<&str>,
) -> StoreResult<()> {
    let done = sqlx::query(
        "UPDATE criteria SET name = $1, description = $2, updated_at = $3 \
         WHERE org_id = $4 AND interview_id = $5 AND id = $6 AND deleted_at IS NULL",
    )
    .bind(name)
    .bind(description)
    .bind(store.now_ms())
    .bind(org_id)
    .bind(interview_id)
    .bind(id)
    .execute(store.write())
    .await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Deletes a criterion: removed when nobody scored it, else marked deleted (its scores stay, out of every average).
/// Gives how many scores were kept out.
pub async fn delete_criterion(store: &Store, org_id: &str, interview_id: &str, id: &str) -> StoreResult<i64> {
    let mut tx = store.begin().await?;
    let row = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM scores s WHERE s.criterion_id = c.id) AS scored FROM criteria c \
         WHERE c.org_id = $1 AND c.interview_id = $2 AND c.id = $3 AND c.deleted_at IS NULL",
    )
    .bind(org_id)
    .bind(interview_id)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    let scored = int(&row, "scored")?;
    if scored == 0 {
        sqlx::query("DELETE FROM criteria WHERE id = $1").bind(id).execute(&mut *tx).await?;
    } else {
        sqlx::query("UPDATE criteria SET deleted_at = $1, updated_at = $1 WHERE id = $2")
            .bind(store.now_ms())
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(scored)
}

#[derive(Debug, Clone)]
pub struct Score {
    pub criterion_id: String,
    pub reviewer: String,
    pub reviewer_name: String,
    pub score: i64,
}

/// Every score of an invitation (on criteria deleted or not), oldest first.
pub async fn scores_of(store: &Store, invitation_id: &str) -> StoreResult<Vec<Score>> {
    sqlx::query(
        "SELECT criterion_id, reviewer, reviewer_name, score FROM scores WHERE invitation_id = $1 ORDER BY created_at, id",
    )
    .bind(invitation_id)
    .fetch_all(store.read())
    .await?
    .iter()
    .map(|r| {
        Ok(Score {
            criterion_id: text(r, "criterion_id")?,
            reviewer: text(r, "reviewer")?,
            reviewer_name: text(r, "reviewer_name")?,
            score: int(r, "score")?,
        })
    })
    .collect()
}

/// Sets (or, with `None`, removes) the reviewer's score of each criterion, in one transaction. A criterion that is
/// not the invitation's interview's (or was deleted) is `NotFound`, and nothing is saved.
pub async fn score(
    store: &Store,
    inv: &InvitationRow,
    reviewer: &Reviewer,
    scores: &[(String, Option<i64>)],
) -> StoreResult<()> {
    let now = store.now_ms();
    let mut tx = store.begin().await?;
    let mut changed = Vec::new();
    for (criterion_id, score) in scores {
        let criterion = sqlx::query(
            "SELECT name FROM criteria WHERE id = $1 AND interview_id = $2 AND org_id = $3 AND deleted_at IS NULL",
        )
        .bind(criterion_id)
        .bind(&inv.interview_id)
        .bind(&inv.org_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let done = match score {
            Some(score) => sqlx::query(
                "INSERT INTO scores (id, org_id, invitation_id, criterion_id, reviewer, reviewer_name, score, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
                 ON CONFLICT (invitation_id, criterion_id, reviewer) \
                 DO UPDATE SET score = excluded.score, reviewer_name = excluded.reviewer_name, updated_at = excluded.updated_at \
                 WHERE scores.score <> excluded.score OR scores.reviewer_name <> excluded.reviewer_name",
            )
            .bind(new_id())
            .bind(&inv.org_id)
            .bind(&inv.id)
            .bind(criterion_id)
            .bind(reviewer.key())
            .bind(reviewer.display_name())
            .bind(*score)
            .bind(now)
            .execute(&mut *tx)
            .await?,
            None => {
                sqlx::query("DELETE FROM scores WHERE invitation_id = $1 AND criterion_id = $2 AND reviewer = $3")
                    .bind(&inv.id)
                    .bind(criterion_id)
                    .bind(reviewer.key())
                    .execute(&mut *tx)
                    .await?
            }
        };
        if done.rows_affected() > 0 {
            changed.push(serde_json::json!({ "criterion": text(&criterion, "name")?, "score": score }));
        }
    }
    if !changed.is_empty() {
        let detail = serde_json::json!({
            "invitation_id": inv.id, "interview": inv.interview_name, "scores": changed,
        });
        insert_event(&mut tx, store, &inv.org_id, &inv.candidate_id, "scored", &reviewer.actor(), detail).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Records the recruiter's decision on the invitation, with who decided; on the timeline when it changed. Gives
/// whether it changed.
pub async fn decide(
    store: &Store,
    inv: &InvitationRow,
    actor: &EventActor,
    user_id: &str,
    decision: Decision,
) -> StoreResult<bool> {
    let now = store.now_ms();
    let mut tx = store.begin().await?;
    let done = sqlx::query(
        "UPDATE invitations SET decision = $1, decided_at = $2, decided_by = $3, updated_at = $2 \
         WHERE org_id = $4 AND id = $5 AND decision <> $1",
    )
    .bind(decision.as_str())
    .bind(now)
    .bind(user_id)
    .bind(&inv.org_id)
    .bind(&inv.id)
    .execute(&mut *tx)
    .await?;
    let changed = done.rows_affected() == 1;
    if changed {
        let detail = serde_json::json!({
            "invitation_id": inv.id, "interview": inv.interview_name, "decision": decision.as_str(),
        });
        insert_event(&mut tx, store, &inv.org_id, &inv.candidate_id, "decided", actor, detail).await?;
    }
    tx.commit().await?;
    Ok(changed)
}
