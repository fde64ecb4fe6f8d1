use super::{Backend, Store};
use sqlx::Row;

/// (version, name, SQLite DDL, PostgreSQL DDL). Append only; never edit a released migration.
const MIGRATIONS: &[(i64, &str, &str, &str)] = &[
    (
        1,
        "foundation",
        include_str!("../../migrations/sqlite/0001_foundation.sql"),
        include_str!("../../migrations/postgres/0001_foundation.sql"),
    ),
    (
        2,
        "interviews",
        include_str!("../../migrations/common/0002_interviews.sql"),
        include_str!("../../migrations/common/0002_interviews.sql"),
    ),
    (
        3,
        "invitations",
        include_str!("../../migrations/common/0003_invitations.sql"),
        include_str!("../../migrations/common/0003_invitations.sql"),
    ),
    (
        4,
        "job claims",
        include_str!("../../migrations/common/0004_job_claims.sql"),
        include_str!("../../migrations/common/0004_job_claims.sql"),
    ),
    (
        5,
        "answers",
        include_str!("../../migrations/common/0005_answers.sql"),
        include_str!("../../migrations/common/0005_answers.sql"),
    ),
    (
        6,
        "review",
        include_str!("../../migrations/common/0006_review.sql"),
        include_str!("../../migrations/common/0006_review.sql"),
    ),
    (
        7,
        "interrupted takes",
        include_str!("../../migrations/common/0007_interrupted_takes.sql"),
        include_str!("../../migrations/common/0007_interrupted_takes.sql"),
    ),
    (
        8,
        "hardening",
        include_str!("../../migrations/common/0008_hardening.sql"),
        include_str!("../../migrations/common/0008_hardening.sql"),
    ),
    (
        9,
        "review workspace",
        include_str!("../../migrations/common/0009_review_workspace.sql"),
        include_str!("../../migrations/common/0009_review_workspace.sql"),
    ),
    (
        10,
        "public links",
        include_str!("../../migrations/common/0010_public_links.sql"),
        include_str!("../../migrations/common/0010_public_links.sql"),
    ),
    (
        11,
        "webhooks",
        include_str!("../../migrations/common/0011_webhooks.sql"),
        include_str!("../../migrations/common/0011_webhooks.sql"),
    ),
    (
        12,
        "funnel",
        include_str!("../../migrations/common/0012_funnel.sql"),
        include_str!("../../migrations/common/0012_funnel.sql"),
    ),
    (
        13,
        "bulk invitations",
        include_str!("../../migrations/common/0013_bulk.sql"),
        include_str!("../../migrations/common/0013_bulk.sql"),
    ),
    (
        14,
        "audit log",
        include_str!("../../migrations/common/0014_audit.sql"),
        include_str!("../../migrations/common/0014_audit.sql"),
    ),
    (
        15,
        "token names",
        include_str!("../../migrations/common/0015_token_names.sql"),
        include_str!("../../migrations/common/0015_token_names.sql"),
    ),
    (
        16,
        "privacy and two-factor sign-in",
        include_str!("../../migrations/common/0016_privacy.sql"),
        include_str!("../../migrations/common/0016_privacy.sql"),
    ),
    (
        17,
        "search index upkeep",
        include_str!("../../migrations/sqlite/0017_search_index.sql"),
        include_str!("../../migrations/postgres/0017_search_index.sql"),
    ),
    (
        18,
        "name search statistics",
        include_str!("../../migrations/sqlite/0018_search_statistics.sql"),
        include_str!("../../migrations/postgres/0018_search_statistics.sql"),
    ),
    (
        19,
        "trigrams of imported candidates",
        include_str!("../../migrations/sqlite/0019_imported_trigrams.sql"),
        include_str!("../../migrations/postgres/0019_imported_trigrams.sql"),
    ),
    (
        20,
        "last-name index without the candidate id",
        include_str!("../../migrations/sqlite/0020_last_name_index.sql"),
        include_str!("../../migrations/postgres/0020_last_name_index.sql"),
    ),
];

/// Brings the schema up to date. Safe to run from several nodes at once: on PostgreSQL the nodes queue on an advisory
/// lock, on SQLite on the single writer connection.
pub async fn migrate(store: &Store) -> anyhow::Result<()> {
    let mut conn = store.write().acquire().await?;
    if store.backend() == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_lock(7242019)").execute(&mut *conn).await?;
    }
    let result = apply(store, &mut conn).await;
    if store.backend() == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_unlock(7242019)").execute(&mut *conn).await?;
    }
    result
}

async fn apply(store: &Store, conn: &mut sqlx::AnyConnection) -> anyhow::Result<()> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )
    .execute(&mut *conn)
    .await?;
    let applied: Vec<i64> = sqlx::query("SELECT version FROM schema_migrations")
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| r.try_get::<i64, _>("version"))
        .collect::<Result<_, _>>()?;
    for (version, name, sqlite, postgres) in MIGRATIONS {
        if applied.contains(version) {
            continue;
        }
        let ddl = match store.backend() {
            Backend::Sqlite => sqlite,
            Backend::Postgres => postgres,
        };
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        sqlx::raw_sql(ddl).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
            .bind(*version)
            .bind(*name)
            .bind(store.now_ms())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(version, name, "applied migration");
    }
    Ok(())
}
