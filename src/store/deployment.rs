//! What every node of a deployment must agree on, kept in the database they share.

use super::{Store, StoreResult};
use base64::Engine;

const LINK_KEY: &str = "link_key";

/// The key personal and share links are derived from. The first node to ask creates it — from `seed` when given
/// (the `DATA_DIR/secret.key` of an installation that had one, so its links keep working), else at random — and
/// every node reads the same one afterwards, however many start at once.
pub async fn link_key(store: &Store, seed: Option<Vec<u8>>) -> anyhow::Result<Vec<u8>> {
    let engine = base64::engine::general_purpose::STANDARD;
    if let Some(existing) = read(store).await? {
        return Ok(engine.decode(existing)?);
    }
    let key = match seed {
        Some(k) => k,
        None => {
            let mut k = [0u8; 32];
            getrandom::fill(&mut k).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
            k.to_vec()
        }
    };
    sqlx::query("INSERT INTO deployment_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
        .bind(LINK_KEY)
        .bind(engine.encode(&key))
        .execute(store.write())
        .await?;
    // Another node may have been first: theirs is the one.
    let stored = read(store).await?.ok_or_else(|| anyhow::anyhow!("the link key was not stored"))?;
    Ok(engine.decode(stored)?)
}

async fn read(store: &Store) -> StoreResult<Option<String>> {
    Ok(sqlx::query_scalar("SELECT value FROM deployment_secrets WHERE name = $1")
        .bind(LINK_KEY)
        .fetch_optional(store.write())
        .await?)
}
