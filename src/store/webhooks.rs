//! Webhooks: an organization's endpoints and each event's deliveries. An event is queued in the transaction of the
//! change it tells of (the timeline writer calls [`queue_events`]), one delivery row and one `deliver_webhook` job per
//! endpoint that wants it, so each state change makes its events exactly once and a rolled-back change makes none.

use super::jobs::{self, NewJob};
use super::{Store, StoreError, StoreResult, int, new_id, opt_int, opt_text, text};

pub const DELIVER_WEBHOOK: &str = "deliver_webhook";

/// Attempts of a delivery before it is given up: about a day with the jobs' backoff (5 s doubling to an hour).
pub const DELIVERY_ATTEMPTS: i64 = 30;

/// The events an endpoint can want, and the timeline event each one comes from.
pub const EVENTS: [(&str, &str); 7] = [
    ("invitation.created", "invited"),
    ("invitation.opened", "opened"),
    ("invitation.started", "started"),
    ("invitation.completed", "completed"),
    ("invitation.expired", "invitation_expired"),
    ("invitation.withdrawn", "withdrew"),
    ("invitation.decided", "decided"),
];

#[derive(Debug, Clone)]
pub struct Endpoint {
    pub id: String,
    pub org_id: String,
    pub url: String,
    pub events: Vec<String>,
    pub secret: String,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub failing_since: Option<i64>,
    pub created_at: i64,
}

const ENDPOINT_COLUMNS: &str = "id, org_id, url, events, secret, enabled, disabled_reason, failing_since, created_at";

fn endpoint_of(r: &sqlx::any::AnyRow) -> StoreResult<Endpoint> {
    Ok(Endpoint {
        id: text(r, "id")?,
        org_id: text(r, "org_id")?,
        url: text(r, "url")?,
        events: text(r, "events")?.split_whitespace().map(str::to_owned).collect(),
        secret: text(r, "secret")?,
        enabled: int(r, "enabled")? != 0,
        disabled_reason: opt_text(r, "disabled_reason")?,
        failing_since: opt_int(r, "failing_since")?,
        created_at: int(r, "created_at")?,
    })
}

pub async fn endpoints(store: &Store, org_id: &str) -> StoreResult<Vec<Endpoint>> {
    let sql = format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE org_id = $1 ORDER BY created_at, id");
    sqlx::query(&sql).bind(org_id).fetch_all(store.read()).await?.iter().map(endpoint_of).collect()
}

pub async fn endpoint(store: &Store, org_id: &str, id: &str) -> StoreResult<Endpoint> {
    let sql = format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE org_id = $1 AND id = $2");
    let row =
        sqlx::query(&sql).bind(org_id).bind(id).fetch_optional(store.read()).await?.ok_or(StoreError::NotFound)?;
    endpoint_of(&row)
}

pub async fn create_endpoint(
    store: &Store,
    org_id: &str,
    user_id: &str,
    url: &str,
    events: &[String],
    secret: &str,
) -> StoreResult<String> {
    let id = new_id();
    sqlx::query(
        "INSERT INTO webhook_endpoints (id, org_id, url, events, secret, enabled, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $7)",
    )
    .bind(&id)
    .bind(org_id)
    .bind(url)
    .bind(events.join(" "))
    .bind(secret)
    .bind(user_id)
    .bind(store.now_ms())
    .execute(store.write())
    .await?;
    Ok(id)
}

/// Changes an endpoint's address, events and whether it is on (switching it on clears Candor's reason and the
/// failures).
pub async fn update_endpoint(
    store: &Store,
    org_id: &str,
    id: &str,
    url: &str,
    events: &[String],
    enabled: bool,
) -> StoreResult<()> {
    let done = sqlx::query(
        "UPDATE webhook_endpoints SET url = $1, events = $2, enabled = $3, \
         disabled_reason = CASE WHEN $3 = 1 THEN NULL ELSE disabled_reason END, \
         failing_since = CASE WHEN $3 = 1 THEN NULL ELSE failing_since END, updated_at = $4 \
         WHERE org_id = $5 AND id = $6",
    )
    .bind(url)
    .bind(events.join(" "))
    .bind(i64::from(enabled))
    .bind(store.now_ms())
    .bind(org_id)
    .bind(id)
    .execute(store.write())
    .await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub async fn delete_endpoint(store: &Store, org_id: &str, id: &str) -> StoreResult<()> {
    let done = sqlx::query("DELETE FROM webhook_endpoints WHERE org_id = $1 AND id = $2")
        .bind(org_id)
        .bind(id)
        .execute(store.write())
        .await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Queues `kind` (timeline events of the invitations `details` name) to every enabled endpoint of the organization
/// that wants it, on the change's own transaction, with each invitation's facts as they are in it; the endpoints are
/// read once.
pub(crate) async fn queue_events(
    conn: &mut sqlx::AnyConnection,
    store: &Store,
    org_id: &str,
    kind: &str,
    details: &[&serde_json::Value],
) -> StoreResult<()> {
    let Some((event, _)) = EVENTS.iter().find(|(_, k)| *k == kind) else {
        return Ok(());
    };
    let invitation_ids: Vec<&str> = details.iter().filter_map(|d| d["invitation_id"].as_str()).collect();
    if invitation_ids.is_empty() {
        return Ok(());
    }
    let rows = sqlx::query("SELECT id, events FROM webhook_endpoints WHERE org_id = $1 AND enabled = 1")
        .bind(org_id)
        .fetch_all(&mut *conn)
        .await?;
    let wanted: Vec<String> = rows
        .iter()
        .filter(|r| text(r, "events").is_ok_and(|e| e.split_whitespace().any(|w| w == *event)))
        .map(|r| text(r, "id"))
        .collect::<StoreResult<_>>()?;
    if wanted.is_empty() {
        return Ok(());
    }
    for invitation_id in invitation_ids {
        let Some(data) = invitation_facts(conn, org_id, invitation_id).await? else {
            continue;
        };
        let body = serde_json::json!({ "type": event, "timestamp": rfc3339(store.now_ms()), "data": data }).to_string();
        for endpoint_id in &wanted {
            queue_delivery(conn, store, org_id, endpoint_id, event, &body).await?;
        }
    }
    Ok(())
}

/// A time as RFC 3339 (UTC).
pub fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map(|t| t.to_string()).unwrap_or_default()
}

/// What an event says of an invitation: its own facts, the organization, the candidate and the interview.
async fn invitation_facts(
    conn: &mut sqlx::AnyConnection,
    org_id: &str,
    invitation_id: &str,
) -> StoreResult<Option<serde_json::Value>> {
    let row = sqlx::query(
        "SELECT i.id, i.status, i.decision, i.language, i.deadline, i.email, i.source, i.sent_at, i.opened_at,          i.started_at, i.answered_at, o.id AS org_id, o.name AS org_name, c.id AS candidate_id, c.first_name,          c.last_name, c.email AS candidate_email, v.id AS interview_id, v.name AS interview_name, v.title          FROM invitations i JOIN organizations o ON o.id = i.org_id          JOIN candidates c ON c.org_id = i.org_id AND c.id = i.candidate_id JOIN interviews v ON v.id = i.interview_id          WHERE i.org_id = $1 AND i.id = $2",
    )
    .bind(org_id)
    .bind(invitation_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let time = |col: &str| opt_int(&r, col).map(|t| t.map(rfc3339));
    Ok(Some(serde_json::json!({
        "invitation": {
            "id": text(&r, "id")?, "status": text(&r, "status")?, "decision": text(&r, "decision")?,
            "language": text(&r, "language")?, "deadline": text(&r, "deadline")?, "email": text(&r, "email")?,
            "via_public_link": text(&r, "source")? == "public",
            "sent_at": time("sent_at")?, "opened_at": time("opened_at")?, "started_at": time("started_at")?,
            "completed_at": time("answered_at")?,
        },
        "organization": { "id": text(&r, "org_id")?, "name": text(&r, "org_name")? },
        "candidate": {
            "id": text(&r, "candidate_id")?, "first_name": text(&r, "first_name")?,
            "last_name": text(&r, "last_name")?, "email": text(&r, "candidate_email")?,
        },
        "interview": { "id": text(&r, "interview_id")?, "name": text(&r, "interview_name")?, "title": text(&r, "title")? },
    })))
}

/// One delivery row and its job.
pub(crate) async fn queue_delivery(
    conn: &mut sqlx::AnyConnection,
    store: &Store,
    org_id: &str,
    endpoint_id: &str,
    event: &str,
    payload: &str,
) -> StoreResult<String> {
    let id = new_id();
    let now = store.now_ms();
    sqlx::query(
        "INSERT INTO webhook_deliveries (id, org_id, endpoint_id, event, payload, status, attempts, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6)",
    )
    .bind(&id)
    .bind(org_id)
    .bind(endpoint_id)
    .bind(event)
    .bind(payload)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    let mut job = NewJob::new(DELIVER_WEBHOOK, Some(org_id), serde_json::json!({ "delivery_id": id }));
    job.max_attempts = DELIVERY_ATTEMPTS;
    jobs::enqueue(conn, store, &job).await?;
    Ok(id)
}

/// A test event (`webhook.test`) to one endpoint, on or off.
pub async fn queue_test(store: &Store, org_id: &str, endpoint_id: &str) -> StoreResult<String> {
    endpoint(store, org_id, endpoint_id).await?;
    let mut tx = store.begin().await?;
    let payload = serde_json::json!({
        "type": "webhook.test", "timestamp": rfc3339(store.now_ms()),
        "data": { "organization": { "id": org_id }, "message": "A test event from Candor." },
    })
    .to_string();
    let id = queue_delivery(&mut tx, store, org_id, endpoint_id, "webhook.test", &payload).await?;
    tx.commit().await?;
    Ok(id)
}

/// Sends a delivery again as a new delivery with the same event and data (its own message id).
pub async fn redeliver(store: &Store, org_id: &str, delivery_id: &str) -> StoreResult<String> {
    let d = delivery(store, delivery_id).await?.filter(|d| d.org_id == org_id).ok_or(StoreError::NotFound)?;
    let mut tx = store.begin().await?;
    let id = queue_delivery(&mut tx, store, org_id, &d.endpoint_id, &d.event, &d.payload).await?;
    tx.commit().await?;
    Ok(id)
}

#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: String,
    pub org_id: String,
    pub endpoint_id: String,
    pub event: String,
    pub payload: String,
    pub status: String,
    pub attempts: i64,
    pub response_code: Option<i64>,
    pub duration_ms: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const DELIVERY_COLUMNS: &str = "id, org_id, endpoint_id, event, payload, status, attempts, response_code, duration_ms, \
     last_error, created_at, updated_at";

fn delivery_of(r: &sqlx::any::AnyRow) -> StoreResult<Delivery> {
    Ok(Delivery {
        id: text(r, "id")?,
        org_id: text(r, "org_id")?,
        endpoint_id: text(r, "endpoint_id")?,
        event: text(r, "event")?,
        payload: text(r, "payload")?,
        status: text(r, "status")?,
        attempts: int(r, "attempts")?,
        response_code: opt_int(r, "response_code")?,
        duration_ms: opt_int(r, "duration_ms")?,
        last_error: opt_text(r, "last_error")?,
        created_at: int(r, "created_at")?,
        updated_at: int(r, "updated_at")?,
    })
}

pub async fn delivery(store: &Store, id: &str) -> StoreResult<Option<Delivery>> {
    let sql = format!("SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1");
    sqlx::query(&sql).bind(id).fetch_optional(store.read()).await?.as_ref().map(delivery_of).transpose()
}

/// An endpoint's deliveries, newest first.
pub async fn deliveries(store: &Store, org_id: &str, endpoint_id: &str, limit: i64) -> StoreResult<Vec<Delivery>> {
    let sql = format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE org_id = $1 AND endpoint_id = $2 \
         ORDER BY created_at DESC, id DESC LIMIT $3"
    );
    sqlx::query(&sql)
        .bind(org_id)
        .bind(endpoint_id)
        .bind(limit)
        .fetch_all(store.read())
        .await?
        .iter()
        .map(delivery_of)
        .collect()
}

/// What one attempt gave.
pub struct Attempt<'a> {
    pub response_code: Option<i64>,
    pub duration_ms: i64,
    pub error: Option<&'a str>,
    /// No more attempts will follow.
    pub last: bool,
}

/// Records an attempt on the delivery and its endpoint's run of failures. Gives whether the endpoint was switched
/// off by this failure (failing for a day), so the admins can be told.
pub async fn record_attempt(store: &Store, d: &Delivery, attempt: &Attempt<'_>) -> StoreResult<bool> {
    let now = store.now_ms();
    let status = match (attempt.error, attempt.last) {
        (None, _) => "delivered",
        (Some(_), false) => "failed",
        (Some(_), true) => "given_up",
    };
    let mut tx = store.begin().await?;
    sqlx::query(
        "UPDATE webhook_deliveries SET status = $1, attempts = attempts + 1, response_code = $2, duration_ms = $3, \
         last_error = $4, updated_at = $5 WHERE id = $6",
    )
    .bind(status)
    .bind(attempt.response_code)
    .bind(attempt.duration_ms)
    .bind(attempt.error)
    .bind(now)
    .bind(&d.id)
    .execute(&mut *tx)
    .await?;
    let switched_off = if attempt.error.is_none() {
        sqlx::query("UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1")
            .bind(&d.endpoint_id)
            .execute(&mut *tx)
            .await?;
        false
    } else {
        sqlx::query("UPDATE webhook_endpoints SET failing_since = $1 WHERE id = $2 AND failing_since IS NULL")
            .bind(now)
            .bind(&d.endpoint_id)
            .execute(&mut *tx)
            .await?;
        let off = sqlx::query(
            "UPDATE webhook_endpoints SET enabled = 0, disabled_reason = $1, updated_at = $2 \
             WHERE id = $3 AND enabled = 1 AND failing_since <= $4",
        )
        .bind("Every delivery failed for a day.")
        .bind(now)
        .bind(&d.endpoint_id)
        .bind(now - 24 * 3600 * 1000)
        .execute(&mut *tx)
        .await?;
        off.rows_affected() == 1
    };
    tx.commit().await?;
    Ok(switched_off)
}

/// Queues an email about webhooks (an endpoint switched off) on its own.
pub async fn queue_notice(store: &Store, job: &NewJob) -> StoreResult<()> {
    let mut tx = store.begin().await?;
    jobs::enqueue(&mut tx, store, job).await?;
    tx.commit().await?;
    Ok(())
}
