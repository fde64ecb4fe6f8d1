//! Persistence: one code path for SQLite and PostgreSQL over `sqlx::Any`, one function per use case.
//!
//! SQL is written once with `$1`-style parameters, which both drivers accept. Where the two databases really differ
//! (the trigram index behind the name search, the migration DDL, the migration lock) the code branches on
//! [`Backend`]. Times are Unix milliseconds in `BIGINT` columns; ids are UUIDv7 text.

pub mod answering;
pub mod audit;
pub mod bulk;
pub mod candidates;
pub mod deployment;
pub mod interviews;
pub mod invitations;
pub mod jobs;
pub mod mail_log;
pub mod migrate;
pub mod orgs;
pub mod privacy;
pub mod public_links;
pub mod responses;
pub mod reviews;
pub mod scorecards;
pub mod sessions;
pub mod takes;
mod tokens;
pub mod two_factor;
pub mod upkeep;
pub mod users;
pub mod webhooks;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken; the name says which (e.g. `candidate_email`).
    #[error("conflict: {0}")]
    Conflict(&'static str),
    #[error(transparent)]
    Other(sqlx::Error),
    /// A step the caller supplied inside a use case failed; the transaction was rolled back.
    #[error("aborted: {0}")]
    Aborted(String),
}

impl From<sqlx::Error> for StoreError {
    /// A value the database cannot even hold (PostgreSQL refuses text with a NUL character, SQLSTATE 22021) names
    /// nothing that exists: not found. Text that people type is refused earlier, in `domain`, with a field error.
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(d) if d.code().as_deref() == Some("22021") => StoreError::NotFound,
            _ => StoreError::Other(e),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Maps a unique violation (told by the database's error code, never by its message) to `Conflict(name)`.
pub(crate) fn conflict_as(name: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict(name),
        _ => StoreError::Other(e),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The clock every stored time comes from. Tests move it forward to reach deadlines and leases.
#[derive(Debug, Default)]
pub struct Clock {
    offset_ms: AtomicI64,
}

impl Clock {
    pub fn now_ms(&self) -> i64 {
        let system = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        system + self.offset_ms.load(Ordering::Relaxed)
    }

    pub fn advance(&self, by: Duration) {
        self.offset_ms.fetch_add(by.as_millis() as i64, Ordering::Relaxed);
    }
}

/// What SQLite may allocate in this process, every connection's page cache together (a soft limit).
pub const SQLITE_MEMORY_BYTES: i64 = 96 * 1024 * 1024;

/// The same for a process that only imports: the writer's cache may then hold the indexes a large import touches.
pub const SQLITE_IMPORT_MEMORY_BYTES: i64 = 128 * 1024 * 1024;

/// SQLite's memory in this process: (in use now, the most it has held).
pub fn sqlite_memory() -> (i64, i64) {
    // SAFETY: both only read SQLite's global counters, under its own mutex; neither needs a connection.
    unsafe { (libsqlite3_sys::sqlite3_memory_used(), libsqlite3_sys::sqlite3_memory_highwater(0)) }
}

/// How long a request waits for a PostgreSQL connection before it fails.
pub const POSTGRES_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// Handle to the database. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    /// Reads, and on PostgreSQL writes too.
    read: AnyPool,
    /// On SQLite, one connection that takes every write transaction, so writers queue in-process instead of failing
    /// with `SQLITE_BUSY` when a read transaction upgrades. On PostgreSQL, the same pool as `read`.
    write: AnyPool,
    /// Statements whose plan is the same whatever their values (see [`Store::keyed`]). On SQLite, the same pool as
    /// `read`.
    keyed: AnyPool,
    backend: Backend,
    pub clock: Arc<Clock>,
    /// Invitations waiting to be written together.
    sends: Arc<invitations::SendQueue>,
}

impl Store {
    pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        if url.starts_with("sqlite:") {
            let open = |n: u32, cache_kib: i64| {
                AnyPoolOptions::new()
                    .max_connections(n)
                    .acquire_timeout(Duration::from_secs(30))
                    // A SQLite connection has no server that could end it: sqlx's check before every query (a
                    // round trip to the connection's worker thread) is skipped. PostgreSQL keeps it, so connections
                    // a restarted server ended are replaced instead of failing requests.
                    .test_before_acquire(false)
                    .after_connect(move |conn, _| {
                        Box::pin(async move {
                            // Page cache (allocated as used): the writer gets more, so the indexes a large import
                            // touches stay in memory.
                            sqlx::query(&format!("PRAGMA cache_size = -{cache_kib}")).execute(&mut *conn).await?;
                            // Checkpoint the WAL every ~32 MiB instead of every 4 MiB: fewer copies during imports.
                            sqlx::query("PRAGMA wal_autocheckpoint = 8192").execute(&mut *conn).await?;
                            for pragma in [
                                "PRAGMA journal_mode = WAL",
                                "PRAGMA synchronous = NORMAL",
                                "PRAGMA foreign_keys = ON",
                                "PRAGMA busy_timeout = 10000",
                                "PRAGMA temp_store = MEMORY",
                            ] {
                                sqlx::query(pragma).execute(&mut *conn).await?;
                            }
                            Ok(())
                        })
                    })
                    .after_release(|conn, _| Box::pin(outside_transaction(conn, Backend::Sqlite)))
                    .connect(url)
            };
            let write = open(1, 96 * 1024).await?;
            let read = open(max_connections.max(2), 16 * 1024).await?;
            let store = Self {
                keyed: read.clone(),
                read,
                write,
                backend: Backend::Sqlite,
                clock: Arc::default(),
                sends: Arc::default(),
            };
            store.allow_sqlite_memory(SQLITE_MEMORY_BYTES).await?;
            Ok(store)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            // A database that has gone away fails requests within seconds (the pool keeps trying to reconnect
            // meanwhile) instead of holding each one for half a minute.
            let open = |n: u32, plans: &'static str| {
                AnyPoolOptions::new()
                    .max_connections(n)
                    .acquire_timeout(POSTGRES_ACQUIRE_TIMEOUT)
                    .after_connect(move |conn, _| {
                        Box::pin(async move {
                            sqlx::query(&format!("SET plan_cache_mode = {plans}")).execute(&mut *conn).await?;
                            Ok(())
                        })
                    })
                    .after_release(|conn, _| Box::pin(outside_transaction(conn, Backend::Postgres)))
                    .connect(url)
            };
            // Every statement is planned with its values and the tables as they are now. A kept (generic) plan is
            // made once per connection, and when it was made on nearly empty tables it stays until the next
            // automatic ANALYZE: every index on `org_id` then costs the same, and a lookup by primary key or
            // Idempotency-Key could walk all of an organization's rows. Tenants of very different sizes want
            // different plans for the same statement too.
            let keyed_connections = (max_connections / 4).max(1);
            let pool = open(max_connections.saturating_sub(keyed_connections).max(1), "force_custom_plan").await?;
            // A quarter of the connections keep their plans, for the statements `Store::keyed` names.
            let keyed = open(keyed_connections, "force_generic_plan").await?;
            Ok(Self {
                read: pool.clone(),
                write: pool,
                keyed,
                backend: Backend::Postgres,
                clock: Arc::default(),
                sends: Arc::default(),
            })
        } else {
            anyhow::bail!("DATABASE_URL must start with sqlite: or postgres:")
        }
    }

    /// Lets SQLite's caches in this process grow to `bytes` together, a soft limit for the whole process: past it,
    /// each connection reuses its least recently used pages instead of growing its cache, so sixteen readers cannot
    /// each grow to their cap as the database grows. Nothing on PostgreSQL.
    pub async fn allow_sqlite_memory(&self, bytes: i64) -> StoreResult<()> {
        if self.backend == Backend::Sqlite {
            sqlx::query(&format!("PRAGMA soft_heap_limit = {bytes}")).execute(&self.write).await?;
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// The clock's now as an instant.
    pub fn now(&self) -> jiff::Timestamp {
        jiff::Timestamp::from_millisecond(self.now_ms()).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
    }

    pub(crate) fn read(&self) -> &AnyPool {
        &self.read
    }

    pub(crate) fn write(&self) -> &AnyPool {
        &self.write
    }

    /// Reads whose plan cannot depend on their values, because every table they read is reached by a unique key or
    /// by the one index whose columns are both the condition and the order: the actor behind a session or an API
    /// token, and the name search's prefix ranges; and the name search's sample, which only a sample scan reads.
    /// On PostgreSQL these connections keep each statement's generic plan, where the others plan every run (0.2 ms
    /// for the actor, 0.5 ms for the prefix ranges, against 0.03 and 0.06 ms to run them). A statement whose best
    /// index depends on its values or on the table's size must not come here.
    pub(crate) fn keyed(&self) -> &AnyPool {
        &self.keyed
    }

    /// A write transaction. On SQLite it takes the database's write lock at once (`BEGIN IMMEDIATE`): a transaction
    /// that read first and then wrote while another process (`candor import`, an admin command) held the lock would
    /// fail at once with `SQLITE_BUSY`, where one that asks for the lock first waits for it (`busy_timeout`).
    pub(crate) async fn begin(&self) -> StoreResult<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.write.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.write.begin().await?,
        })
    }

    /// Invitations sent and waiting for their transaction, and whether one is being written: (waiting, writing).
    pub fn invitations_waiting(&self) -> (usize, bool) {
        self.sends.state()
    }

    /// Answers once the database does.
    pub async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    /// Whether a write commits: writes this process's row of `health_probe` in a transaction of its own, then reads
    /// it back through the read pool (another connection), so a write that only seemed to work is caught too.
    pub async fn probe_write(&self, node: &str) -> StoreResult<()> {
        let stamp = new_id();
        let now = self.now_ms();
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO health_probe (node, stamp, checked_at) VALUES ($1, $2, $3) \
             ON CONFLICT (node) DO UPDATE SET stamp = excluded.stamp, checked_at = excluded.checked_at",
        )
        .bind(node)
        .bind(&stamp)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        // Rows of nodes gone for a day.
        sqlx::query("DELETE FROM health_probe WHERE checked_at < $1").bind(now - 86_400_000).execute(&mut *tx).await?;
        tx.commit().await?;
        let seen: Option<String> = sqlx::query_scalar("SELECT stamp FROM health_probe WHERE node = $1")
            .bind(node)
            .fetch_optional(&self.read)
            .await?;
        if seen.as_deref() != Some(stamp.as_str()) {
            return Err(StoreError::Aborted("a committed write is not visible to readers".into()));
        }
        Ok(())
    }

    /// SQLite only: caps the database file at its current size plus `extra_pages` (`None` lifts the cap), on the
    /// writer connection — a full disk without filling one, for tests of what happens when writes fail.
    #[doc(hidden)]
    pub async fn limit_pages(&self, extra_pages: Option<i64>) -> StoreResult<()> {
        if self.backend != Backend::Sqlite {
            return Ok(());
        }
        let mut conn = self.write.acquire().await?;
        let pages: i64 = sqlx::query_scalar("PRAGMA page_count").fetch_one(&mut *conn).await?;
        let cap = extra_pages.map(|n| pages + n).unwrap_or(4_294_967_294);
        sqlx::query(&format!("PRAGMA max_page_count = {cap}")).execute(&mut *conn).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.read.close().await;
        self.write.close().await;
    }
}

/// Decides, as a connection goes back to its pool, whether it may be used again: only when it is outside any
/// transaction. A failed `COMMIT`, or an error after which SQLite rolled the whole transaction back by itself (a full
/// disk: `SQLITE_FULL`), leaves the driver counting a transaction that no longer exists; its `ROLLBACK` then fails,
/// and every later "transaction" on that connection would be a savepoint inside one that is never committed —
/// acknowledged writes that never reach the disk. Such a connection is closed; the pool opens a fresh one.
async fn outside_transaction(conn: &mut sqlx::AnyConnection, backend: Backend) -> Result<bool, sqlx::Error> {
    use sqlx::Connection;
    // Almost every connection comes back outside a transaction: that costs nothing to see.
    if !conn.is_in_transaction() {
        return Ok(true);
    }
    if backend == Backend::Sqlite {
        // SQLite runs a dropped transaction's ROLLBACK on its worker thread: wait until it has, then look again.
        conn.ping().await?;
    }
    if conn.is_in_transaction() {
        tracing::warn!("a database connection was left inside a failed transaction; it is closed and replaced");
        metrics::counter!("candor_db_connections_replaced_total").increment(1);
        return Ok(false);
    }
    Ok(true)
}

/// A new id: a UUIDv7 (time-ordered, 74 random bits) written as 26 lower-case Crockford base32 characters, so ids
/// sort by creation as text and stay short in every index.
pub fn new_id() -> String {
    const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
    let n = uuid::Uuid::now_v7().as_u128();
    (0..26).map(|i| ALPHABET[((n >> (125 - 5 * i)) & 31) as usize] as char).collect()
}

/// A text column, `""` when NULL.
pub(crate) fn text(row: &AnyRow, col: &str) -> StoreResult<String> {
    Ok(row.try_get::<Option<String>, _>(col)?.unwrap_or_default())
}

pub(crate) fn opt_text(row: &AnyRow, col: &str) -> StoreResult<Option<String>> {
    Ok(row.try_get::<Option<String>, _>(col)?)
}

pub(crate) fn int(row: &AnyRow, col: &str) -> StoreResult<i64> {
    Ok(row.try_get::<i64, _>(col)?)
}

pub(crate) fn opt_int(row: &AnyRow, col: &str) -> StoreResult<Option<i64>> {
    Ok(row.try_get::<Option<i64>, _>(col)?)
}

/// Rows of one multi-row insert: under both databases' parameter limits, and short enough for SQLite's writer.
pub(crate) const ROWS_PER_INSERT: usize = 200;

/// Placeholders handed out in bind order: `$1, $2, …` on PostgreSQL, anonymous `?` on SQLite (binding a numbered
/// one makes SQLite look its name up in a list, which is quadratic in the parameters of one statement). A statement
/// built with it uses no other placeholders.
pub(crate) struct Params {
    backend: Backend,
    n: usize,
}

impl Params {
    pub(crate) fn new(backend: Backend) -> Self {
        Self { backend, n: 0 }
    }

    pub(crate) fn next(&mut self) -> String {
        self.n += 1;
        match self.backend {
            Backend::Sqlite => "?".to_owned(),
            Backend::Postgres => format!("${}", self.n),
        }
    }

    /// `(p, p, …)` of `k` placeholders: one row of a multi-row `VALUES`.
    pub(crate) fn row(&mut self, k: usize) -> String {
        format!("({})", (0..k).map(|_| self.next()).collect::<Vec<_>>().join(", "))
    }

    /// `p, p, …` of `k` placeholders: the list of an `IN (…)`.
    pub(crate) fn list(&mut self, k: usize) -> String {
        (0..k).map(|_| self.next()).collect::<Vec<_>>().join(", ")
    }
}

/// `$first, $first+1, …` for `n` values: the list of an `IN (…)`.
pub(crate) fn placeholders(first: usize, n: usize) -> String {
    (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub(crate) fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    /// `.cargo/config.toml` builds SQLite without `sqlite_stat4`, whose samples make every statement with a bound
    /// value in an indexed comparison be prepared again at each run.
    #[test]
    fn sqlite_is_built_without_stat4() {
        // SAFETY: reads a compile-time option; needs no connection.
        let used = |option: &std::ffi::CStr| unsafe { libsqlite3_sys::sqlite3_compileoption_used(option.as_ptr()) };
        assert_eq!(used(c"ENABLE_FTS5"), 1, "an option the build has");
        assert_eq!(used(c"ENABLE_STAT4"), 0);
    }
}
