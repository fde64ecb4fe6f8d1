//! Takes and their uploads. A take is one recording of an answer, uploaded with the tus protocol while it is being
//! recorded; its upload state (offset, length, lock, expiry) lives here, so any app node can accept any request of
//! it. Each PATCH stores one object (a segment); a take's bytes are its segments in order.

use super::candidates::{EventActor, insert_event};
use super::{Store, StoreError, StoreResult, conflict_as, int, new_id, opt_int, opt_text, text};
use crate::domain::{InvitationEvent, InvitationStatus};
use sqlx::any::AnyRow;

/// A take's upload is open (bytes may still come).
pub const UPLOADING: &str = "uploading";
/// Every byte arrived.
pub const COMPLETE: &str = "complete";
/// The candidate kept it as the answer.
pub const KEPT: &str = "kept";
/// Retaken, interrupted or terminated: its bytes are deleted.
pub const DISCARDED: &str = "discarded";

#[derive(Debug, Clone)]
pub struct Take {
    pub id: String,
    pub org_id: String,
    pub invitation_id: String,
    pub answer_id: String,
    pub question_id: String,
    pub number: i64,
    pub status: String,
    /// `None` while the length is deferred.
    pub upload_length: Option<i64>,
    pub upload_offset: i64,
    pub max_bytes: i64,
    /// `webm` or `mp4`, sniffed from the first bytes.
    pub container: Option<String>,
    pub expires_at: i64,
    pub created_at: i64,
}

impl Take {
    /// The most bytes this upload may reach: its declared length, or the cap while the length is deferred.
    pub fn limit(&self) -> i64 {
        self.upload_length.unwrap_or(self.max_bytes)
    }
}

const COLUMNS: &str = "t.id, t.org_id, t.invitation_id, t.answer_id, a.question_id, t.number, t.status, t.upload_length, \
    t.upload_offset, t.max_bytes, t.container, t.expires_at, t.created_at";

fn from_row(row: &AnyRow) -> StoreResult<Take> {
    Ok(Take {
        id: text(row, "id")?,
        org_id: text(row, "org_id")?,
        invitation_id: text(row, "invitation_id")?,
        answer_id: text(row, "answer_id")?,
        question_id: text(row, "question_id")?,
        number: int(row, "number")?,
        status: text(row, "status")?,
        upload_length: opt_int(row, "upload_length")?,
        upload_offset: int(row, "upload_offset")?,
        max_bytes: int(row, "max_bytes")?,
        container: opt_text(row, "container")?,
        expires_at: int(row, "expires_at")?,
        created_at: int(row, "created_at")?,
    })
}

/// A take of this invitation; another invitation's take is `NotFound`, exactly like a missing one.
pub async fn get(store: &Store, invitation_id: &str, take_id: &str) -> StoreResult<Take> {
    let sql = format!(
        "SELECT {COLUMNS} FROM takes t JOIN answers a ON a.id = t.answer_id WHERE t.invitation_id = $1 AND t.id = $2"
    );
    let row = sqlx::query(&sql)
        .bind(invitation_id)
        .bind(take_id)
        .fetch_optional(store.read())
        .await?
        .ok_or(StoreError::NotFound)?;
    from_row(&row)
}

/// The invitation a take belongs to, as its link knows it (see `answering::Link::take_owner`).
pub struct TakeOwner<'a> {
    pub org_id: &'a str,
    pub invitation_id: &'a str,
    pub candidate_id: &'a str,
    /// For the timeline.
    pub interview_name: &'a str,
}

/// What a new take is allowed.
pub struct NewTake<'a> {
    pub question_id: &'a str,
    pub max_takes: i64,
    /// `None`: deferred (Upload-Defer-Length).
    pub upload_length: Option<i64>,
    pub max_bytes: i64,
    pub expires_at: i64,
}

/// Begins a take of a question, in one transaction: the first take of the interview moves the invitation to
/// In progress (a `started` timeline event); earlier takes of the answer that were not kept are discarded (an
/// interrupted take still counts as used). Refusals: `Conflict("invitation_status")` (no longer open),
/// `Conflict("answer_kept")`, `Conflict("takes_used_up")`.
pub async fn create(store: &Store, link: &TakeOwner<'_>, new: &NewTake<'_>) -> StoreResult<Take> {
    let now = store.now_ms();
    let mut tx = store.begin().await?;
    let inv = sqlx::query("SELECT status, closes_at FROM invitations WHERE id = $1")
        .bind(link.invitation_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
    let status = text(&inv, "status")?;
    if !matches!(status.as_str(), "pending" | "in_progress") || int(&inv, "closes_at")? <= now {
        return Err(StoreError::Conflict("invitation_status"));
    }
    if status == InvitationStatus::Pending.as_str() {
        let to = InvitationStatus::Pending
            .apply(InvitationEvent::Start)
            .map_err(|_| StoreError::Conflict("invitation_status"))?;
        sqlx::query(
            "UPDATE invitations SET status = $1, started_at = $2, updated_at = $2 WHERE id = $3 AND status = 'pending'",
        )
        .bind(to.as_str())
        .bind(now)
        .bind(link.invitation_id)
        .execute(&mut *tx)
        .await?;
        let detail = serde_json::json!({ "invitation_id": link.invitation_id, "interview": link.interview_name });
        insert_event(
            &mut tx,
            store,
            link.org_id,
            link.candidate_id,
            "started",
            &EventActor { label: "Candidate".to_owned() },
            detail,
        )
        .await?;
    }
    let answer =
        sqlx::query("SELECT id, takes_used, kept_take_id FROM answers WHERE invitation_id = $1 AND question_id = $2")
            .bind(link.invitation_id)
            .bind(new.question_id)
            .fetch_optional(&mut *tx)
            .await?;
    let (answer_id, number) = match answer {
        Some(row) => {
            if opt_text(&row, "kept_take_id")?.is_some() {
                return Err(StoreError::Conflict("answer_kept"));
            }
            let used = int(&row, "takes_used")?;
            if used >= new.max_takes {
                return Err(StoreError::Conflict("takes_used_up"));
            }
            let id = text(&row, "id")?;
            let done = sqlx::query("UPDATE answers SET takes_used = $1 WHERE id = $2 AND takes_used = $3")
                .bind(used + 1)
                .bind(&id)
                .bind(used)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() != 1 {
                return Err(StoreError::Conflict("takes_used_up"));
            }
            (id, used + 1)
        }
        None => {
            let id = new_id();
            sqlx::query(
                "INSERT INTO answers (id, org_id, invitation_id, question_id, takes_used, started_at) \
                 VALUES ($1, $2, $3, $4, 1, $5)",
            )
            .bind(&id)
            .bind(link.org_id)
            .bind(link.invitation_id)
            .bind(new.question_id)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(conflict_as("takes_used_up"))?;
            (id, 1)
        }
    };
    discard_where(&mut tx, store, "answer_id = $1 AND status IN ('uploading', 'complete')", &answer_id).await?;
    let id = new_id();
    sqlx::query(
        "INSERT INTO takes (id, org_id, invitation_id, answer_id, number, status, upload_length, upload_offset, \
         max_bytes, expires_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9, $10, $10)",
    )
    .bind(&id)
    .bind(link.org_id)
    .bind(link.invitation_id)
    .bind(&answer_id)
    .bind(number)
    .bind(UPLOADING)
    .bind(new.upload_length)
    .bind(new.max_bytes)
    .bind(new.expires_at)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(conflict_as("takes_used_up"))?;
    tx.commit().await?;
    get(store, link.invitation_id, &id).await
}

/// The job that deletes stored media objects, queued in the transaction that let go of them.
pub const DELETE_MEDIA: &str = "delete_media";

/// Queues the deletion of the stored bytes of every take of the invitations `scope` selects (`scope` is a condition
/// on `invitations i` with `$1`, `$2` bound to `a`, `b`) — before the invitations themselves are deleted.
pub(crate) async fn enqueue_media_deletion_of(
    conn: &mut sqlx::AnyConnection,
    store: &Store,
    scope: &str,
    a: &str,
    b: &str,
) -> StoreResult<()> {
    let keys = sqlx::query(&format!(
        "SELECT s.object_key FROM take_segments s JOIN takes t ON t.id = s.take_id \
         JOIN invitations i ON i.id = t.invitation_id WHERE {scope}"
    ))
    .bind(a)
    .bind(b)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| text(r, "object_key"))
    .collect::<StoreResult<Vec<_>>>()?;
    enqueue_media_deletion(conn, store, keys, 0).await
}

/// Queues the deletion of stored objects, due `delay_ms` from now (nothing when `keys` is empty).
pub(crate) async fn enqueue_media_deletion(
    conn: &mut sqlx::AnyConnection,
    store: &Store,
    keys: Vec<String>,
    delay_ms: i64,
) -> StoreResult<()> {
    for chunk in keys.chunks(500) {
        let job = super::jobs::NewJob::new(DELETE_MEDIA, None, serde_json::json!({ "keys": chunk })).delayed(delay_ms);
        super::jobs::enqueue(conn, store, &job).await?;
    }
    Ok(())
}

/// Marks the matching takes discarded, drops their segment rows and queues the deletion of their bytes; returns
/// how many takes were discarded.
async fn discard_where(
    conn: &mut sqlx::AnyConnection,
    store: &Store,
    condition: &str,
    arg: &str,
) -> StoreResult<usize> {
    let ids: Vec<String> =
        sqlx::query(&format!("UPDATE takes SET status = 'discarded' WHERE {condition} RETURNING id"))
            .bind(arg)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| text(r, "id"))
            .collect::<StoreResult<_>>()?;
    let mut keys = Vec::new();
    for id in &ids {
        let rows = sqlx::query("DELETE FROM take_segments WHERE take_id = $1 RETURNING object_key")
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
        for r in &rows {
            keys.push(text(r, "object_key")?);
        }
    }
    enqueue_media_deletion(conn, store, keys, 0).await?;
    Ok(ids.len())
}

/// Why a PATCH may not write now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockRefused {
    /// The offset is not where the upload stands.
    Offset,
    /// Another request is writing this upload, until then (Unix ms).
    Locked { until: i64 },
    /// The upload is finished, discarded or expired.
    Closed,
}

/// Takes the upload's write lock for a PATCH at `offset`, until `now + lease_ms`.
pub async fn lock(
    store: &Store,
    take: &Take,
    offset: i64,
    owner: &str,
    lease_ms: i64,
) -> StoreResult<Result<(), LockRefused>> {
    let now = store.now_ms();
    let done = sqlx::query(
        "UPDATE takes SET lock_owner = $1, lock_until = $2 WHERE id = $3 AND status = 'uploading' \
         AND upload_offset = $4 AND expires_at > $5 AND (lock_until IS NULL OR lock_until < $5)",
    )
    .bind(owner)
    .bind(now + lease_ms)
    .bind(&take.id)
    .bind(offset)
    .bind(now)
    .execute(store.write())
    .await?;
    if done.rows_affected() == 1 {
        return Ok(Ok(()));
    }
    let row = sqlx::query("SELECT status, upload_offset, lock_until, expires_at FROM takes WHERE id = $1")
        .bind(&take.id)
        .fetch_optional(store.read())
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(Err(if text(&row, "status")? != UPLOADING || int(&row, "expires_at")? <= now {
        LockRefused::Closed
    } else if int(&row, "upload_offset")? != offset {
        LockRefused::Offset
    } else {
        LockRefused::Locked { until: opt_int(&row, "lock_until")?.unwrap_or(now) }
    }))
}

/// Gives a take back that never received a byte (its first bytes were refused as not a recording): the take is
/// removed and does not count against the question's takes. `false` when it had moved on meanwhile.
pub async fn give_back(store: &Store, take: &Take) -> StoreResult<bool> {
    give_back_by_id(store, &take.id, &take.answer_id, take.number).await
}

/// [`give_back`] by ids: the take `take_id`, number `number` of the answer `answer_id`.
pub(crate) async fn give_back_by_id(store: &Store, take_id: &str, answer_id: &str, number: i64) -> StoreResult<bool> {
    let mut tx = store.begin().await?;
    let gone = sqlx::query("DELETE FROM takes WHERE id = $1 AND status = 'uploading' AND upload_offset = 0")
        .bind(take_id)
        .execute(&mut *tx)
        .await?;
    if gone.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query("UPDATE answers SET takes_used = takes_used - 1 WHERE id = $1 AND takes_used = $2")
        .bind(answer_id)
        .bind(number)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(true)
}

/// Of `keys` (`takes/<invitation>/<take>/<name>`), those that their takes' segments name.
pub async fn segment_keys_among(store: &Store, keys: &[String]) -> StoreResult<std::collections::HashSet<String>> {
    let mut in_use = std::collections::HashSet::new();
    let take_ids: std::collections::BTreeSet<&str> = keys.iter().filter_map(|k| k.split('/').nth(2)).collect();
    let take_ids: Vec<&str> = take_ids.into_iter().collect();
    for chunk in take_ids.chunks(200) {
        let sql =
            format!("SELECT object_key FROM take_segments WHERE take_id IN ({})", super::placeholders(1, chunk.len()));
        let mut q = sqlx::query_scalar::<_, String>(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        in_use.extend(q.fetch_all(store.read()).await?);
    }
    Ok(in_use)
}

/// The keys queued deletions will remove (a replaced recording a player may still stream): a sweep leaves them to it.
pub async fn keys_awaiting_deletion(store: &Store) -> StoreResult<std::collections::HashSet<String>> {
    let payloads: Vec<String> =
        sqlx::query_scalar("SELECT payload FROM jobs WHERE kind = $1 AND status IN ('queued', 'running')")
            .bind(DELETE_MEDIA)
            .fetch_all(store.read())
            .await?;
    let mut keys = std::collections::HashSet::new();
    for p in payloads {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&p)
            && let Some(listed) = v["keys"].as_array()
        {
            keys.extend(listed.iter().filter_map(|k| k.as_str().map(str::to_owned)));
        }
    }
    Ok(keys)
}

/// Extends a held lock while a long PATCH streams.
pub async fn renew_lock(store: &Store, take_id: &str, owner: &str, lease_ms: i64) -> StoreResult<()> {
    sqlx::query("UPDATE takes SET lock_until = $1 WHERE id = $2 AND lock_owner = $3")
        .bind(store.now_ms() + lease_ms)
        .bind(take_id)
        .bind(owner)
        .execute(store.write())
        .await?;
    Ok(())
}

pub async fn release_lock(store: &Store, take_id: &str, owner: &str) -> StoreResult<()> {
    sqlx::query("UPDATE takes SET lock_owner = NULL, lock_until = NULL WHERE id = $1 AND lock_owner = $2")
        .bind(take_id)
        .bind(owner)
        .execute(store.write())
        .await?;
    Ok(())
}

/// A stored piece of a take.
pub struct Segment {
    pub start_offset: i64,
    pub length: i64,
    pub object_key: String,
}

/// What a PATCH stored.
pub struct Appended<'a> {
    pub start_offset: i64,
    pub length: i64,
    pub object_key: &'a str,
    /// Sniffed from the first bytes (only at offset 0).
    pub container: Option<&'a str>,
    /// The length given with this PATCH, when it was deferred until now.
    pub upload_length: Option<i64>,
}

/// Records a stored segment and moves the offset on, releasing the lock, in one transaction; the upload is complete
/// when the offset reaches its length. A lock that was lost (it ran out and another request took over) is
/// `Conflict("lock_lost")` and changes nothing.
pub async fn append(store: &Store, take: &Take, owner: &str, seg: &Appended<'_>) -> StoreResult<Take> {
    let now = store.now_ms();
    let mut tx = store.begin().await?;
    let done = sqlx::query(
        "UPDATE takes SET upload_offset = upload_offset + $1, upload_length = COALESCE(upload_length, $2), \
         container = COALESCE(container, $3), lock_owner = NULL, lock_until = NULL, updated_at = $4 \
         WHERE id = $5 AND lock_owner = $6 AND upload_offset = $7 AND status = 'uploading'",
    )
    .bind(seg.length)
    .bind(seg.upload_length)
    .bind(seg.container)
    .bind(now)
    .bind(&take.id)
    .bind(owner)
    .bind(seg.start_offset)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        // The take itself may be gone (its candidate erased meanwhile): that is no upload at all.
        let exists = sqlx::query("SELECT id FROM takes WHERE id = $1").bind(&take.id).fetch_optional(&mut *tx).await?;
        return Err(if exists.is_some() { StoreError::Conflict("lock_lost") } else { StoreError::NotFound });
    }
    if seg.length > 0 {
        sqlx::query("INSERT INTO take_segments (take_id, start_offset, length, object_key) VALUES ($1, $2, $3, $4)")
            .bind(&take.id)
            .bind(seg.start_offset)
            .bind(seg.length)
            .bind(seg.object_key)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query(
        "UPDATE takes SET status = 'complete', completed_at = $1 \
         WHERE id = $2 AND upload_length IS NOT NULL AND upload_offset = upload_length",
    )
    .bind(now)
    .bind(&take.id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    get(store, &take.invitation_id, &take.id).await
}

/// The take's segments in order.
pub async fn segments(store: &Store, take_id: &str) -> StoreResult<Vec<Segment>> {
    let rows = sqlx::query(
        "SELECT start_offset, length, object_key FROM take_segments WHERE take_id = $1 ORDER BY start_offset",
    )
    .bind(take_id)
    .fetch_all(store.read())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Segment {
                start_offset: int(r, "start_offset")?,
                length: int(r, "length")?,
                object_key: text(r, "object_key")?,
            })
        })
        .collect()
}

/// tus termination: discards a take that is not kept (`NotFound` otherwise) and queues the deletion of its bytes.
pub async fn terminate(store: &Store, take: &Take) -> StoreResult<()> {
    let mut tx = store.begin().await?;
    let n = discard_where(&mut tx, store, "id = $1 AND status IN ('uploading', 'complete')", &take.id).await?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    tx.commit().await?;
    Ok(())
}

/// Discards uploads that expired before they completed and queues the deletion of their bytes; returns how many.
pub async fn discard_expired(store: &Store) -> StoreResult<usize> {
    let now = store.now_ms().to_string();
    let mut tx = store.begin().await?;
    let n = discard_where(&mut tx, store, "status = 'uploading' AND expires_at <= CAST($1 AS BIGINT)", &now).await?;
    tx.commit().await?;
    Ok(n)
}

/// The job that rewrites a kept take so players can seek in it (see `media::webm` and `media::mp4`).
pub const REMUX: &str = "remux_take";
/// How long the objects a rewrite replaced stay readable (a player streaming them finishes) before deletion.
pub const REPLACED_MEDIA_GRACE_MS: i64 = 10 * 60 * 1000;

/// Queues the rewrite of a kept take, on the keeping transaction.
pub(crate) async fn enqueue_remux(
    conn: &mut sqlx::AnyConnection,
    store: &Store,
    org_id: &str,
    take_id: &str,
) -> StoreResult<()> {
    let job = super::jobs::NewJob::new(REMUX, Some(org_id), serde_json::json!({ "take_id": take_id }));
    super::jobs::enqueue(conn, store, &job).await?;
    Ok(())
}

/// A kept take not rewritten yet, with its segments; `None` when there is nothing (left) to rewrite.
pub async fn awaiting_remux(store: &Store, take_id: &str) -> StoreResult<Option<(Take, Vec<Segment>)>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM takes t JOIN answers a ON a.id = t.answer_id          WHERE t.id = $1 AND t.status = 'kept' AND t.remuxed_at IS NULL"
    );
    let Some(row) = sqlx::query(&sql).bind(take_id).fetch_optional(store.read()).await? else {
        return Ok(None);
    };
    let take = from_row(&row)?;
    let segments = segments(store, &take.id).await?;
    Ok(Some((take, segments)))
}

/// Records a rewrite: the take's bytes become the one object `replacement` (key, length), when given, and its
/// duration is stored; the replaced objects are deleted after [`REPLACED_MEDIA_GRACE_MS`]. `false` when the take
/// is no longer a kept take awaiting its rewrite (then nothing changed and `replacement` is the caller's to delete).
pub async fn record_remux(
    store: &Store,
    take_id: &str,
    replacement: Option<(&str, i64)>,
    duration_ms: Option<i64>,
) -> StoreResult<bool> {
    let now = store.now_ms();
    let mut tx = store.begin().await?;
    let done = sqlx::query(
        "UPDATE takes SET remuxed_at = $1, duration_ms = $2, updated_at = $1          WHERE id = $3 AND status = 'kept' AND remuxed_at IS NULL",
    )
    .bind(now)
    .bind(duration_ms)
    .bind(take_id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    if let Some((key, length)) = replacement {
        let old = sqlx::query("DELETE FROM take_segments WHERE take_id = $1 RETURNING object_key")
            .bind(take_id)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| text(r, "object_key"))
            .collect::<StoreResult<Vec<_>>>()?;
        sqlx::query("INSERT INTO take_segments (take_id, start_offset, length, object_key) VALUES ($1, 0, $2, $3)")
            .bind(take_id)
            .bind(length)
            .bind(key)
            .execute(&mut *tx)
            .await?;
        enqueue_media_deletion(&mut tx, store, old, REPLACED_MEDIA_GRACE_MS).await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// A kept take of an invitation of the organization, with its bytes' segments: what the recruiter plays. Another
/// organization's take, or one not kept, is `NotFound`. One query: it runs for every range request of a player.
pub async fn kept_media(
    store: &Store,
    org_id: &str,
    invitation_id: &str,
    take_id: &str,
) -> StoreResult<(Take, Vec<Segment>)> {
    let sql = format!(
        "SELECT {COLUMNS}, s.start_offset, s.length, s.object_key FROM takes t JOIN answers a ON a.id = t.answer_id \
         JOIN invitations i ON i.id = t.invitation_id LEFT JOIN take_segments s ON s.take_id = t.id \
         WHERE i.org_id = $1 AND t.invitation_id = $2 AND t.id = $3 AND t.status = 'kept' ORDER BY s.start_offset"
    );
    let rows = sqlx::query(&sql).bind(org_id).bind(invitation_id).bind(take_id).fetch_all(store.read()).await?;
    let take = from_row(rows.first().ok_or(StoreError::NotFound)?)?;
    let mut segments = Vec::with_capacity(rows.len());
    for r in &rows {
        if let Some(start_offset) = opt_int(r, "start_offset")? {
            segments.push(Segment { start_offset, length: int(r, "length")?, object_key: text(r, "object_key")? });
        }
    }
    Ok((take, segments))
}
