//! The candidate base: CRUD, the timeline, keyset-paginated listing, CSV import batches and the name search.

use super::{
    Backend, Params, ROWS_PER_INSERT, Store, StoreError, StoreResult, conflict_as, int, like_escape, new_id, opt_text,
    text,
};
use crate::domain::{EmailAddress, PersonName, Phone, search_key};
use base64::Engine;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Candidate {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: Option<String>,
    pub notes: Option<String>,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds.
    pub updated_at: i64,
}

impl Candidate {
    pub fn full_name(&self) -> String {
        full_name(&self.first_name, &self.last_name)
    }
}

/// A candidate's name as lists show it: what `first_name || ' ' || last_name` gives in SQL.
pub(crate) fn full_name(first: &str, last: &str) -> String {
    format!("{first} {last}")
}

#[derive(Debug, Clone)]
pub struct NewCandidate {
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub email: EmailAddress,
    pub phone: Option<Phone>,
    pub notes: Option<String>,
}

impl NewCandidate {
    /// Parses a candidate's fields as they come from a form, the API or a CSV row, collecting every field's error.
    pub fn parse(
        first_name: &str,
        last_name: &str,
        email: &str,
        phone: Option<&str>,
        notes: Option<&str>,
    ) -> Result<Self, crate::domain::FieldErrors> {
        let mut errors = crate::domain::FieldErrors::new();
        let first_name = errors.check(PersonName::parse("first_name", first_name));
        let last_name = errors.check(PersonName::parse("last_name", last_name));
        let email = errors.check(EmailAddress::parse("email", email));
        let phone = errors.check(Phone::parse_optional("phone", phone));
        let notes = errors.check(crate::domain::parse_notes("notes", notes));
        match (first_name, last_name, email, phone, notes) {
            (Some(first_name), Some(last_name), Some(email), Some(phone), Some(notes)) if errors.is_empty() => {
                Ok(Self { first_name, last_name, email, phone, notes })
            }
            _ => Err(errors),
        }
    }

    fn keys(&self) -> (String, String, String) {
        let first = search_key(self.first_name.as_str());
        let last = search_key(self.last_name.as_str());
        let full = format!("{first} {last}");
        (first, last, full)
    }
}

/// Who did something, as the timeline shows it.
#[derive(Debug, Clone)]
pub struct EventActor {
    pub label: String,
}

impl EventActor {
    /// Candor itself (upkeep: expiry, reminders, retention).
    pub fn system() -> Self {
        Self { label: "Candor".to_owned() }
    }
}

#[derive(Debug, Clone)]
pub struct TimelineEvent {
    pub kind: String,
    pub actor: String,
    pub detail: serde_json::Value,
    pub created_at: i64,
}

const COLUMNS: &str = "c.id, c.first_name, c.last_name, c.email, c.phone, c.notes, c.created_at, c.updated_at, \
                       c.first_key, c.last_key";

fn from_row(row: &AnyRow) -> StoreResult<Candidate> {
    Ok(Candidate {
        id: text(row, "id")?,
        first_name: text(row, "first_name")?,
        last_name: text(row, "last_name")?,
        email: text(row, "email")?,
        phone: opt_text(row, "phone")?,
        notes: opt_text(row, "notes")?,
        created_at: int(row, "created_at")?,
        updated_at: int(row, "updated_at")?,
    })
}

pub(crate) async fn insert_event(
    conn: &mut sqlx::AnyConnection,
    store: &Store,
    org_id: &str,
    candidate_id: &str,
    kind: &str,
    actor: &EventActor,
    detail: serde_json::Value,
) -> StoreResult<()> {
    insert_events(conn, store, org_id, kind, actor, &[(candidate_id.to_owned(), detail)]).await
}

/// Timeline events of one kind, one per (candidate, detail), in multi-row inserts; what the organization's webhooks
/// want to hear of goes out from this same transaction.
pub(crate) async fn insert_events(
    conn: &mut sqlx::AnyConnection,
    store: &Store,
    org_id: &str,
    kind: &str,
    actor: &EventActor,
    events: &[(String, serde_json::Value)],
) -> StoreResult<()> {
    let now = store.now_ms();
    for chunk in events.chunks(ROWS_PER_INSERT) {
        let mut p = Params::new(store.backend());
        let rows: Vec<String> = chunk.iter().map(|_| p.row(7)).collect();
        let sql = format!(
            "INSERT INTO candidate_events (id, org_id, candidate_id, kind, actor, detail, created_at) VALUES {}",
            rows.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for (candidate_id, detail) in chunk {
            query = query
                .bind(new_id())
                .bind(org_id)
                .bind(candidate_id)
                .bind(kind)
                .bind(&actor.label)
                .bind(detail.to_string())
                .bind(now);
        }
        query.execute(&mut *conn).await?;
    }
    let details: Vec<&serde_json::Value> = events.iter().map(|(_, d)| d).collect();
    super::webhooks::queue_events(conn, store, org_id, kind, &details).await
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Binds a new candidate's columns in `candidates` order, from `id` to `full_key`.
fn bind_candidate<'q>(query: AnyQuery<'q>, id: &str, org_id: &'q str, c: &'q NewCandidate) -> AnyQuery<'q> {
    bind_fields(query.bind(id.to_owned()).bind(org_id), c)
}

/// Binds what a person entered and its search keys, from `first_name` to `full_key` (inserts and updates alike).
fn bind_fields<'q>(query: AnyQuery<'q>, c: &'q NewCandidate) -> AnyQuery<'q> {
    let (first_key, last_key, full_key) = c.keys();
    bind_keyed(query, c, c.email.key(), first_key, last_key, full_key)
}

/// [`bind_fields`] with the keys already made: the email's, then the first, last and full names'.
fn bind_keyed<'q>(
    query: AnyQuery<'q>,
    c: &'q NewCandidate,
    email_key: impl sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any> + 'q,
    first_key: impl sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any> + 'q,
    last_key: impl sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any> + 'q,
    full_key: impl sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any> + 'q,
) -> AnyQuery<'q> {
    query
        .bind(c.first_name.as_str())
        .bind(c.last_name.as_str())
        .bind(c.email.as_str())
        .bind(email_key)
        .bind(c.phone.as_ref().map(|p| p.as_str().to_owned()))
        .bind(c.notes.clone())
        .bind(first_key)
        .bind(last_key)
        .bind(full_key)
}

/// Inserts a candidate and its `created` timeline event on an open transaction; gives the new id.
pub(crate) async fn insert(
    conn: &mut sqlx::AnyConnection,
    store: &Store,
    org_id: &str,
    actor: &EventActor,
    new: &NewCandidate,
) -> StoreResult<String> {
    let mut ids = insert_many(conn, store, org_id, actor, &[new]).await?;
    ids.pop().ok_or(StoreError::NotFound)
}

/// Inserts candidates and their `created` timeline events on an open transaction, in multi-row inserts; gives the
/// new ids in order. An email already in the organization (or twice in `news`) is `Conflict("candidate_email")`.
pub(crate) async fn insert_many(
    conn: &mut sqlx::AnyConnection,
    store: &Store,
    org_id: &str,
    actor: &EventActor,
    news: &[&NewCandidate],
) -> StoreResult<Vec<String>> {
    let now = store.now_ms();
    let ids: Vec<String> = news.iter().map(|_| new_id()).collect();
    for (chunk, chunk_ids) in news.chunks(ROWS_PER_INSERT).zip(ids.chunks(ROWS_PER_INSERT)) {
        let mut p = Params::new(store.backend());
        let rows: Vec<String> = chunk.iter().map(|_| p.row(13)).collect();
        let sql = format!(
            "INSERT INTO candidates (id, org_id, first_name, last_name, email, email_key, phone, notes, first_key, \
             last_key, full_key, created_at, updated_at) VALUES {}",
            rows.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for (c, id) in chunk.iter().zip(chunk_ids) {
            query = bind_candidate(query, id, org_id, c).bind(now).bind(now);
        }
        query.execute(&mut *conn).await.map_err(conflict_as("candidate_email"))?;
    }
    let events: Vec<(String, serde_json::Value)> = ids.iter().map(|id| (id.clone(), serde_json::json!({}))).collect();
    insert_events(conn, store, org_id, "created", actor, &events).await?;
    Ok(ids)
}

/// Creates a candidate and its `created` timeline event. An email already in the organization is
/// `Conflict("candidate_email")`.
pub async fn create(store: &Store, org_id: &str, actor: &EventActor, new: &NewCandidate) -> StoreResult<Candidate> {
    let mut tx = store.begin().await?;
    let id = insert(&mut tx, store, org_id, actor, new).await?;
    tx.commit().await?;
    get(store, org_id, &id).await
}

pub async fn get(store: &Store, org_id: &str, id: &str) -> StoreResult<Candidate> {
    let sql = format!("SELECT {COLUMNS} FROM candidates c WHERE c.org_id = $1 AND c.id = $2");
    let row =
        sqlx::query(&sql).bind(org_id).bind(id).fetch_optional(store.read()).await?.ok_or(StoreError::NotFound)?;
    from_row(&row)
}

/// Replaces a candidate's fields and records which ones changed on the timeline (nothing when none did).
pub async fn update(
    store: &Store,
    org_id: &str,
    id: &str,
    actor: &EventActor,
    new: &NewCandidate,
) -> StoreResult<Candidate> {
    let before = get(store, org_id, id).await?;
    let mut changed = Vec::new();
    if before.first_name != new.first_name.as_str() {
        changed.push("first_name");
    }
    if before.last_name != new.last_name.as_str() {
        changed.push("last_name");
    }
    if before.email != new.email.as_str() {
        changed.push("email");
    }
    if before.phone.as_deref() != new.phone.as_ref().map(|p| p.as_str()) {
        changed.push("phone");
    }
    if before.notes != new.notes {
        changed.push("notes");
    }
    if changed.is_empty() {
        return Ok(before);
    }
    let mut tx = store.begin().await?;
    let query = sqlx::query(
        "UPDATE candidates SET first_name = $1, last_name = $2, email = $3, email_key = $4, phone = $5, notes = $6, \
         first_key = $7, last_key = $8, full_key = $9, updated_at = $10 WHERE org_id = $11 AND id = $12",
    );
    let done = bind_fields(query, new)
        .bind(store.now_ms())
        .bind(org_id)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(conflict_as("candidate_email"))?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    insert_event(&mut tx, store, org_id, id, "edited", actor, serde_json::json!({ "fields": changed })).await?;
    tx.commit().await?;
    get(store, org_id, id).await
}

pub async fn timeline(store: &Store, org_id: &str, candidate_id: &str) -> StoreResult<Vec<TimelineEvent>> {
    let rows = sqlx::query(
        "SELECT kind, actor, detail, created_at, id FROM candidate_events WHERE org_id = $1 AND candidate_id = $2 \
         UNION ALL SELECT 'imported', imported_by, '{\"source\":\"csv\"}', created_at, '' FROM candidates \
         WHERE org_id = $1 AND id = $2 AND imported_by IS NOT NULL \
         ORDER BY created_at DESC, id DESC",
    )
    .bind(org_id)
    .bind(candidate_id)
    .fetch_all(store.read())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(TimelineEvent {
                kind: text(r, "kind")?,
                actor: text(r, "actor")?,
                detail: serde_json::from_str(&text(r, "detail")?).unwrap_or(serde_json::Value::Null),
                created_at: int(r, "created_at")?,
            })
        })
        .collect()
}

/// The order of the candidates list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// By last name, then first name (A→Z).
    Name,
    /// By last name, then first name (Z→A).
    NameDesc,
    /// Newest first.
    Newest,
    /// Oldest first.
    Oldest,
}

impl Sort {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "" | "name" => Some(Sort::Name),
            "-name" => Some(Sort::NameDesc),
            "-created" => Some(Sort::Newest),
            "created" => Some(Sort::Oldest),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Name => "name",
            Sort::NameDesc => "-name",
            Sort::Newest => "-created",
            Sort::Oldest => "created",
        }
    }
}

/// A position in a keyset-paginated list, opaque to clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor(Vec<String>);

impl Cursor {
    pub fn encode(&self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.0.join("\u{1f}"))
    }

    pub fn decode(s: &str) -> Option<Self> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        Some(Self(text.split('\u{1f}').map(str::to_owned).collect()))
    }
}

pub struct Page {
    pub items: Vec<Candidate>,
    pub next: Option<Cursor>,
}

/// Largest page of the candidates list.
pub const PAGE_MAX: i64 = 200;

/// One page of the organization's candidates in `sort` order, after `after`. A cursor that does not fit the sort is
/// `Conflict("cursor")`.
pub async fn list(store: &Store, org_id: &str, sort: Sort, after: Option<&Cursor>, limit: i64) -> StoreResult<Page> {
    let limit = limit.clamp(1, PAGE_MAX);
    // Ids are time-ordered (UUIDv7), so "by creation" is "by id" and uses the (org_id, id) key.
    let (order, cmp, name_keyed) = match sort {
        Sort::Name => ("c.last_key ASC, c.first_key ASC, c.id ASC", ">", true),
        Sort::NameDesc => ("c.last_key DESC, c.first_key DESC, c.id DESC", "<", true),
        Sort::Newest => ("c.id DESC", "<", false),
        Sort::Oldest => ("c.id ASC", ">", false),
    };
    let mut sql = format!("SELECT {COLUMNS} FROM candidates c WHERE c.org_id = $1");
    let after = match after {
        None => None,
        Some(Cursor(parts)) if name_keyed && parts.len() == 3 => {
            sql.push_str(&format!(" AND (c.last_key, c.first_key, c.id) {cmp} ($2, $3, $4)"));
            Some(parts.clone())
        }
        Some(Cursor(parts)) if !name_keyed && parts.len() == 1 => {
            sql.push_str(&format!(" AND c.id {cmp} $2"));
            Some(parts.clone())
        }
        Some(_) => return Err(StoreError::Conflict("cursor")),
    };
    let n = 2 + after.as_ref().map_or(0, Vec::len);
    sql.push_str(&format!(" ORDER BY {order} LIMIT ${n}"));
    let mut query = sqlx::query(&sql).bind(org_id);
    for part in after.iter().flatten() {
        query = query.bind(part.clone());
    }
    let rows = query.bind(limit + 1).fetch_all(store.read()).await?;
    let more = rows.len() as i64 > limit;
    let rows = &rows[..rows.len().min(limit as usize)];
    let next = match (more, rows.last()) {
        (true, Some(last)) if name_keyed => {
            Some(Cursor(vec![text(last, "last_key")?, text(last, "first_key")?, text(last, "id")?]))
        }
        (true, Some(last)) => Some(Cursor(vec![text(last, "id")?])),
        _ => None,
    };
    Ok(Page { items: rows.iter().map(from_row).collect::<StoreResult<_>>()?, next })
}

/// The largest number of suggestions the name search gives.
pub const SEARCH_MAX: usize = 10;

/// Candidates whose first or last name matches `query`, case- and accent-insensitively: names that start with it
/// first (sorted by name), then names that contain it. Both steps use an index: B-tree range scans on the folded
/// last name and on the folded "first last", then, only when fewer than `limit` prefix hits came back and the query has
/// at least three characters (a trigram needs three), the trigram index: FTS5 on SQLite; on PostgreSQL `pg_trgm`,
/// after a bounded sample of the table has not found enough (see [`fill_postgres`]).
pub async fn search(store: &Store, org_id: &str, query: &str, limit: usize) -> StoreResult<Vec<Candidate>> {
    let q = search_key(query);
    // One more than shown may be asked for, to say that there are more.
    let limit = limit.clamp(1, SEARCH_MAX + 1);
    if q.is_empty() {
        return Ok(Vec::new());
    }
    // U+10FFFF sorts after every other character in both databases' byte order.
    let upper = format!("{q}\u{10FFFF}");
    let mut hits: Vec<(String, String, Candidate)> = Vec::new();
    // `full_key` is "first last", so its prefix is the first name's prefix (and, with a space, first + last). Both
    // index ranges are read by one statement: one round trip.
    let range = |column: &str| {
        format!(
            "SELECT * FROM (SELECT {COLUMNS} FROM candidates c WHERE c.org_id = $1 AND c.{column} >= $2 \
             AND c.{column} < $3 ORDER BY c.{column} LIMIT $4) {column}_range"
        )
    };
    let sql = format!("{} UNION ALL {}", range("last_key"), range("full_key"));
    // Each statement run on the pool itself costs a second round trip when its connection goes back (the pool's
    // check of it): on SQLite both steps share one connection instead.
    let mut conn = store.keyed().acquire().await?;
    let rows = sqlx::query(&sql).bind(org_id).bind(&q).bind(&upper).bind(limit as i64).fetch_all(&mut *conn).await?;
    for row in &rows {
        let c = from_row(row)?;
        if !hits.iter().any(|(_, _, h)| h.id == c.id) {
            hits.push((text(row, "last_key")?, text(row, "first_key")?, c));
        }
    }
    hits.sort_by(|a, b| (&a.0, &a.1, &a.2.id).cmp(&(&b.0, &b.1, &b.2.id)));
    let mut found: Vec<Candidate> = hits.into_iter().take(limit).map(|(_, _, c)| c).collect();
    if found.len() < limit && q.chars().count() >= 3 {
        let want = (limit * 2) as i64;
        let rows = match store.backend() {
            Backend::Sqlite => {
                let sql = format!(
                    "SELECT {COLUMNS} FROM candidate_trigrams t JOIN candidates c ON c.rid = t.rowid \
                     WHERE candidate_trigrams MATCH $1 AND c.org_id = $2 LIMIT $3"
                );
                let phrase = format!("\"{}\"", q.replace('"', "\"\""));
                sqlx::query(&sql).bind(phrase).bind(org_id).bind(want).fetch_all(&mut *conn).await?
            }
            Backend::Postgres => {
                drop(conn);
                fill_postgres(store, org_id, &format!("%{}%", like_escape(&q)), want, &found, limit - found.len())
                    .await?
            }
        };
        for row in &rows {
            let c = from_row(row)?;
            if found.len() < limit && !found.iter().any(|f| f.id == c.id) {
                found.push(c);
            }
        }
    }
    Ok(found)
}

/// Rows of the name search's fill sampled before the trigram index is asked (PostgreSQL): enough that a part of a name
/// held by more than about one name in 200 finds the names it needs in the sample.
const FILL_SAMPLE_ROWS: u32 = 2500;

/// The name search's fill on PostgreSQL: names of the organization holding `pattern` (`LIKE`), at most `want`, of
/// which `need` are wanted besides the prefix hits already `found`.
///
/// Reading rows until enough match is fast only when matching rows are spread over the table. Rows are stored in the
/// order they came, and an import of a file sorted by name stores each script's names together: reading in storage
/// order for a Greek part of a name then passed 900,000 Latin names first (150 ms), and the planner, which assumes
/// matches are spread evenly, cannot see it. The trigram index instead reads every match before the first row
/// (6 ms for a part of a name held by 60,000 names). So the fill first reads a sample of about
/// `FILL_SAMPLE_ROWS` rows from pages spread over the whole table (the same pages each time), which is bounded
/// whatever the storage order and finds a common part of a name; only a rarer one goes on to the trigram index,
/// whose bitmap is then small, in a transaction that leaves the planner only bitmaps to choose from. The sample reads
/// whole pages, so names stored together count as one draw: it finds the most where names are stored as they came
/// (which is why PostgreSQL imports keep the file's order, see `import_batch`), and stays bounded where they are not.
async fn fill_postgres(
    store: &Store,
    org_id: &str,
    pattern: &str,
    want: i64,
    found: &[Candidate],
    need: usize,
) -> StoreResult<Vec<AnyRow>> {
    let sample = format!(
        "SELECT {COLUMNS} FROM candidates c TABLESAMPLE SYSTEM ((SELECT least(100, 100 * {FILL_SAMPLE_ROWS}::float8 \
         / greatest(reltuples, 1)) FROM pg_class WHERE oid = 'candidates'::regclass)) REPEATABLE (0) \
         WHERE c.full_key LIKE $1 ESCAPE '\\' AND c.org_id = $2 LIMIT $3"
    );
    // A sample scan is the only way to read a sample: its plan is kept (planning it with the pattern, against the
    // name statistics, took longer than running it).
    let mut rows = sqlx::query(&sample).bind(pattern).bind(org_id).bind(want).fetch_all(store.keyed()).await?;
    let mut new = 0;
    for row in &rows {
        let id = text(row, "id")?;
        if !found.iter().any(|c| c.id == id) {
            new += 1;
        }
    }
    if new >= need {
        return Ok(rows);
    }
    let indexed =
        format!("SELECT {COLUMNS} FROM candidates c WHERE c.full_key LIKE $1 ESCAPE '\\' AND c.org_id = $2 LIMIT $3");
    // Only bitmaps are left to the planner, which plans with the values (0.17 ms): the trigram index's for a large
    // organization, the organization's own index for a small one whose names are fewer than the part's matches.
    let mut tx = store.read().begin().await?;
    sqlx::query("SELECT set_config('enable_seqscan', 'off', true), set_config('enable_indexscan', 'off', true)")
        .execute(&mut *tx)
        .await?;
    rows.extend(sqlx::query(&indexed).bind(pattern).bind(org_id).bind(want).fetch_all(&mut *tx).await?);
    tx.commit().await?;
    Ok(rows)
}

/// The ids of every candidate whose last name, or "first last", starts with `query` (folded), at most `max`: what
/// "all matching this search" means for a bulk send.
pub async fn ids_starting_with(store: &Store, org_id: &str, query: &str, max: usize) -> StoreResult<Vec<String>> {
    let q = search_key(query);
    if q.is_empty() {
        return Ok(Vec::new());
    }
    let upper = format!("{q}\u{10FFFF}");
    sqlx::query(
        "SELECT id FROM candidates WHERE org_id = $1 AND \
         ((full_key >= $2 AND full_key < $3) OR (last_key >= $2 AND last_key < $3)) ORDER BY last_key, first_key, id LIMIT $4",
    )
    .bind(org_id)
    .bind(&q)
    .bind(&upper)
    .bind(max as i64)
    .fetch_all(store.read())
    .await?
    .iter()
    .map(|r| text(r, "id"))
    .collect()
}

/// The same search done the naive way, for benchmarks to compare against: `LIKE '%q%'` over the folded names,
/// names that start with `q` ranked first — which has to look at every candidate of the organization.
pub async fn search_by_scan(store: &Store, org_id: &str, query: &str, limit: usize) -> StoreResult<Vec<Candidate>> {
    let q = like_escape(&search_key(query));
    let sql = format!(
        "SELECT {COLUMNS} FROM candidates c WHERE c.org_id = $1 AND (c.first_key || ' ' || c.last_key) LIKE $2 \
         ESCAPE '\\' ORDER BY CASE WHEN c.last_key LIKE $3 ESCAPE '\\' OR c.first_key LIKE $3 ESCAPE '\\' THEN 0 \
         ELSE 1 END, c.last_key, c.first_key LIMIT $4"
    );
    let rows = sqlx::query(&sql)
        .bind(org_id)
        .bind(format!("%{q}%"))
        .bind(format!("{q}%"))
        .bind(limit as i64)
        .fetch_all(store.read())
        .await?;
    rows.iter().map(from_row).collect()
}

/// Inserts a batch of imported candidates in one transaction (their timeline shows them imported, by `actor`). Rows whose
/// email is already in the organization (or earlier in the batch) are skipped; their indexes in `batch` are returned.
pub async fn import_batch(
    store: &Store,
    org_id: &str,
    actor: &EventActor,
    batch: &[NewCandidate],
) -> StoreResult<Vec<usize>> {
    if batch.is_empty() {
        return Ok(Vec::new());
    }
    let now = store.now_ms();
    let mut tx = store.begin().await?;
    if store.backend() == Backend::Postgres {
        // A multi-row insert's plan is the same for every value, and planning 7,000 parameters again for each
        // statement was a tenth of the import's time: this transaction keeps the plan made once.
        sqlx::query("SET LOCAL plan_cache_mode = force_generic_plan").execute(&mut *tx).await?;
    }
    // Rows per statement stay under both databases' parameter limits. SQLite gets anonymous `?` parameters: binding
    // a numbered one looks its name up in a list, which is quadratic in the parameters of one statement.
    let placeholder = |n: usize| match store.backend() {
        Backend::Sqlite => "?".to_owned(),
        Backend::Postgres => format!("${n}"),
    };
    // A row whose email came earlier in the batch is a duplicate whatever the order of the inserts: the earlier
    // line wins. On SQLite the rest go in in the order of the last-name index, one of the three an import fills in
    // no order of their own: a batch then reads each of its leaves once, instead of about twice when the rows go in
    // as the file has them and the index has outgrown the page cache (in the email index's or the full name's order
    // instead, 1M rows took longer: bench/RESULTS.md). On PostgreSQL they go in as the
    // file has them: rows stored in name order would put alike names on the same pages, and the name search's
    // sample, which reads whole pages (see `fill_postgres`), would then see fewer kinds of names.
    // Each row's keys are made once: to settle repeated emails, to order the inserts, and to be written.
    struct Keyed {
        row: usize,
        first: String,
        last: String,
        full: String,
    }
    let emails: Vec<String> = batch.iter().map(|c| c.email.key()).collect();
    let mut seen = std::collections::HashSet::with_capacity(batch.len());
    let mut duplicates = Vec::new();
    let mut order = Vec::with_capacity(batch.len());
    for (row, c) in batch.iter().enumerate() {
        if !seen.insert(emails[row].as_str()) {
            duplicates.push(row);
            continue;
        }
        let (first, last, full) = c.keys();
        order.push(Keyed { row, first, last, full });
    }
    drop(seen);
    // On SQLite every row this transaction inserts gets a row id above those already there.
    let rid_before: Option<i64> = match store.backend() {
        Backend::Sqlite => {
            order.sort_unstable_by(|a, b| (&a.last, &a.first).cmp(&(&b.last, &b.first)));
            Some(sqlx::query_scalar("SELECT coalesce(max(rid), 0) FROM candidates").fetch_one(&mut *tx).await?)
        }
        Backend::Postgres => None,
    };
    for chunk in order.chunks(500) {
        let mut sql = String::from(
            "INSERT INTO candidates (id, org_id, first_name, last_name, email, email_key, phone, notes, first_key, \
             last_key, full_key, created_at, updated_at, imported_by) VALUES ",
        );
        for i in 0..chunk.len() {
            sql.push_str(if i > 0 { ",(" } else { "(" });
            for k in 1..=14 {
                if k > 1 {
                    sql.push(',');
                }
                sql.push_str(&placeholder(i * 14 + k));
            }
            sql.push(')');
        }
        // The rows inserted say which were ours; the others' emails were in the organization already. One
        // statement: the second query that told them apart (`id IN (…500 ids…)`) slowed down on PostgreSQL as the
        // table grew, until a batch with a duplicate took many seconds.
        sql.push_str(" ON CONFLICT (org_id, email_key) DO NOTHING RETURNING id");
        let ids: Vec<String> = chunk.iter().map(|_| new_id()).collect();
        let mut query = sqlx::query(&sql);
        for (k, id) in chunk.iter().zip(&ids) {
            let c = &batch[k.row];
            query = bind_keyed(query.bind(id.as_str()).bind(org_id), c, &emails[k.row], &k.first, &k.last, &k.full)
                .bind(now)
                .bind(now)
                .bind(&actor.label);
        }
        let inserted = query.fetch_all(&mut *tx).await?;
        if inserted.len() == chunk.len() {
            continue;
        }
        let ours = inserted.iter().map(|r| text(r, "id")).collect::<StoreResult<std::collections::HashSet<_>>>()?;
        for (k, id) in chunk.iter().zip(&ids) {
            if !ours.contains(id) {
                duplicates.push(k.row);
            }
        }
    }
    if let Some(rid_before) = rid_before {
        // The insert trigger leaves imported rows to this statement: one for the batch, so the trigram table
        // writes its pending trigrams as segments of its own size, not one segment per 500-row statement.
        sqlx::query(
            "INSERT INTO candidate_trigrams (rowid, full_key) SELECT rid, full_key FROM candidates WHERE rid > $1",
        )
        .bind(rid_before)
        .execute(&mut *tx)
        .await?;
    }
    duplicates.sort_unstable();
    tx.commit().await?;
    Ok(duplicates)
}

/// Refreshes the planner's statistics after a large import (`import::import_csv`, from the command line or a page),
/// so the name search keeps choosing its indexes, and tidies the trigram index the search reads through: on
/// PostgreSQL its pending list is merged, on SQLite its segments (see [`merge_trigram_segments`]).
pub async fn analyze(store: &Store) -> StoreResult<()> {
    match store.backend() {
        Backend::Postgres => {
            sqlx::query("SELECT gin_clean_pending_list('candidates_trigrams'::regclass)")
                .execute(store.write())
                .await?;
        }
        Backend::Sqlite => merge_trigram_segments(store).await?,
    }
    sqlx::query("ANALYZE candidates").execute(store.write()).await?;
    Ok(())
}

/// An import of more rows than this ends with [`analyze`]; a table of more rows than this gets it from the upkeep
/// when the planner's count is far off.
pub const ANALYZE_AFTER_ROWS: u64 = 1000;

/// Runs [`analyze`] when the planner's count of candidates is far from the table's (none at all, or off by more than
/// half), for tables that grew without a large import: SQLite never gathers statistics by itself, and without them
/// the name search read an organization's rows one by one (over 100 ms for some 3-letter queries over 1M rows). The
/// upkeep calls it hourly. Returns whether it ran.
pub async fn refresh_statistics_if_stale(store: &Store) -> StoreResult<bool> {
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM candidates").fetch_one(store.read()).await?;
    let planned = planned_rows(store).await?;
    let rows_f = rows as f64;
    let stale =
        rows as u64 > ANALYZE_AFTER_ROWS && (planned <= 0.0 || rows_f > planned * 2.0 || rows_f < planned / 2.0);
    if stale {
        analyze(store).await?;
    }
    Ok(stale)
}

/// How many rows of `candidates` the planner's statistics count: 0 or less when it has none (SQLite's
/// `sqlite_stat1` missing, PostgreSQL's `reltuples` at -1).
pub async fn planned_rows(store: &Store) -> StoreResult<f64> {
    Ok(match store.backend() {
        Backend::Sqlite => {
            // The table of statistics exists once something has been analyzed; the first number of an index's
            // statistics is the table's rows at that time.
            let analyzed: i64 = sqlx::query_scalar("SELECT count(*) FROM sqlite_schema WHERE name = 'sqlite_stat1'")
                .fetch_one(store.read())
                .await?;
            let stat: Option<String> = if analyzed == 0 {
                None
            } else {
                sqlx::query_scalar(
                    "SELECT stat FROM sqlite_stat1 WHERE tbl = 'candidates' AND idx = 'candidates_org_updated'",
                )
                .fetch_optional(store.read())
                .await?
            };
            stat.and_then(|s| s.split(' ').next().and_then(|n| n.parse().ok())).unwrap_or(0.0)
        }
        // -1 until the table has been analyzed or vacuumed.
        Backend::Postgres => {
            sqlx::query_scalar("SELECT reltuples::float8 FROM pg_class WHERE oid = 'candidates'::regclass")
                .fetch_one(store.read())
                .await?
        }
    })
}

/// Pages of SQLite's trigram index one merge step writes: about 0.1 s of work, so a server waiting for the database's
/// write lock between two steps waits no longer than that.
const TRIGRAM_MERGE_PAGES: i64 = 1000;

/// SQLite: merges the trigram table's segments into one. FTS5 keeps its index as segments, each a B-tree of its own,
/// merged a few at a time as writes go on; a 1M-row import leaves about ten, and a search looks each of its trigrams
/// up in every one of them. Done in steps of [`TRIGRAM_MERGE_PAGES`] pages, each its own transaction (FTS5's
/// `'merge'` with a negative size: every segment may be merged, as `'optimize'` does at once, holding the write lock
/// for as long as the whole index takes to rewrite). A step that found nothing to merge changes fewer than two rows.
async fn merge_trigram_segments(store: &Store) -> StoreResult<()> {
    let step =
        format!("INSERT INTO candidate_trigrams (candidate_trigrams, rank) VALUES ('merge', -{TRIGRAM_MERGE_PAGES})");
    loop {
        let mut conn = store.write().acquire().await?;
        let before: i64 = sqlx::query_scalar("SELECT total_changes()").fetch_one(&mut *conn).await?;
        sqlx::query(&step).execute(&mut *conn).await?;
        let after: i64 = sqlx::query_scalar("SELECT total_changes()").fetch_one(&mut *conn).await?;
        if after - before < 2 {
            return Ok(());
        }
    }
}
