//! The audit log: one row per security-relevant action, with who did it (user id and name as they were), what it
//! touched, details without secrets, and a keyed hash of the client's address. Rows are only ever inserted and read:
//! nothing here updates or deletes one.

use super::{Params, Store, StoreResult, int, new_id, opt_text, text};

/// The actions recorded.
pub const SIGN_IN: &str = "sign_in";
pub const SIGN_IN_FAILED: &str = "sign_in_failed";
pub const SETTINGS_CHANGED: &str = "settings_changed";
pub const LOGO_CHANGED: &str = "logo_changed";
pub const USER_INVITED: &str = "user_invited";
pub const USER_DEACTIVATED: &str = "user_deactivated";
pub const USER_REACTIVATED: &str = "user_reactivated";
pub const API_TOKEN_CREATED: &str = "api_token_created";
pub const API_TOKEN_REVOKED: &str = "api_token_revoked";
pub const SHARE_LINK_CREATED: &str = "share_link_created";
pub const SHARE_LINK_REVOKED: &str = "share_link_revoked";
pub const INVITATION_DELETED: &str = "invitation_deleted";
pub const WEBHOOK_ENDPOINT_CREATED: &str = "webhook_endpoint_created";
pub const WEBHOOK_ENDPOINT_DELETED: &str = "webhook_endpoint_deleted";
pub const CANDIDATE_EXPORTED: &str = "candidate_exported";
pub const CANDIDATE_ERASED: &str = "candidate_erased";
pub const CANDIDATES_EXPIRED: &str = "candidates_expired";
pub const PRIVACY_NOTICE_CHANGED: &str = "privacy_notice_changed";
pub const TWO_FACTOR_ENABLED: &str = "two_factor_enabled";
pub const TWO_FACTOR_DISABLED: &str = "two_factor_disabled";
pub const RECOVERY_CODES_RENEWED: &str = "recovery_codes_renewed";
pub const RECOVERY_CODE_USED: &str = "recovery_code_used";
pub const SIGN_IN_CODE_FAILED: &str = "sign_in_code_failed";

/// Every action with what the log page calls it.
pub const ACTIONS: &[(&str, &str)] = &[
    (SIGN_IN, "Signed in"),
    (SIGN_IN_FAILED, "Sign-in failed"),
    (SETTINGS_CHANGED, "Settings changed"),
    (LOGO_CHANGED, "Logo changed"),
    (USER_INVITED, "User invited"),
    (USER_DEACTIVATED, "User deactivated"),
    (USER_REACTIVATED, "User reactivated"),
    (API_TOKEN_CREATED, "API token created"),
    (API_TOKEN_REVOKED, "API token revoked"),
    (SHARE_LINK_CREATED, "Share link created"),
    (SHARE_LINK_REVOKED, "Share link revoked"),
    (INVITATION_DELETED, "Invitation deleted"),
    (WEBHOOK_ENDPOINT_CREATED, "Webhook endpoint added"),
    (WEBHOOK_ENDPOINT_DELETED, "Webhook endpoint deleted"),
    (CANDIDATE_EXPORTED, "Candidate data exported"),
    (CANDIDATE_ERASED, "Candidate erased"),
    (CANDIDATES_EXPIRED, "Inactive candidates erased"),
    (PRIVACY_NOTICE_CHANGED, "Privacy notice changed"),
    (TWO_FACTOR_ENABLED, "Two-factor sign-in turned on"),
    (TWO_FACTOR_DISABLED, "Two-factor sign-in turned off"),
    (RECOVERY_CODES_RENEWED, "Recovery codes renewed"),
    (RECOVERY_CODE_USED, "Recovery code used"),
    (SIGN_IN_CODE_FAILED, "Sign-in code refused"),
];

pub fn action_label(action: &str) -> &str {
    ACTIONS.iter().find(|(a, _)| *a == action).map_or(action, |(_, l)| l)
}

/// An entry to record.
pub struct NewEntry<'a> {
    pub org_id: &'a str,
    /// The user who acted, when one did (a failed sign-in names the account tried, if it exists).
    pub user_id: Option<&'a str>,
    /// Who acted, as the log shows it ("Ada Lovelace", "Command line").
    pub actor: &'a str,
    pub action: &'static str,
    /// What it was done to, in words ("bob@acme.fi", "Invitation of Jörg Müller to Backend").
    pub target: &'a str,
    pub detail: serde_json::Value,
    /// A keyed hash of the client's address, or empty.
    pub client: &'a str,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Entry {
    pub id: String,
    /// Unix milliseconds.
    pub at: i64,
    pub user_id: Option<String>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: serde_json::Value,
    pub client: String,
}

pub(crate) async fn record_on(conn: &mut sqlx::AnyConnection, store: &Store, e: &NewEntry<'_>) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO audit_log (id, org_id, at, user_id, actor, action, target, detail, client) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(new_id())
    .bind(e.org_id)
    .bind(store.now_ms())
    .bind(e.user_id)
    .bind(e.actor)
    .bind(e.action)
    .bind(e.target)
    .bind(e.detail.to_string())
    .bind(e.client)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn record(store: &Store, e: &NewEntry<'_>) -> StoreResult<()> {
    let mut conn = store.write().acquire().await?;
    record_on(&mut conn, store, e).await
}

/// Which entries a page shows: newest first, `after` the last one of the page before.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub user_id: Option<String>,
    pub action: Option<String>,
    /// Unix ms, inclusive.
    pub from: Option<i64>,
    /// Unix ms, exclusive.
    pub until: Option<i64>,
    pub after: Option<(i64, String)>,
    pub limit: i64,
}

/// One page of the organization's log (keyset: `(at, id)` descending).
pub async fn list(store: &Store, org_id: &str, f: &Filter) -> StoreResult<Vec<Entry>> {
    let mut p = Params::new(store.backend());
    let mut sql = format!(
        "SELECT id, at, user_id, actor, action, target, detail, client FROM audit_log WHERE org_id = {}",
        p.next()
    );
    if f.user_id.is_some() {
        sql.push_str(&format!(" AND user_id = {}", p.next()));
    }
    if f.action.is_some() {
        sql.push_str(&format!(" AND action = {}", p.next()));
    }
    if f.from.is_some() {
        sql.push_str(&format!(" AND at >= {}", p.next()));
    }
    if f.until.is_some() {
        sql.push_str(&format!(" AND at < {}", p.next()));
    }
    if f.after.is_some() {
        let (a, b, c) = (p.next(), p.next(), p.next());
        sql.push_str(&format!(" AND (at < {a} OR (at = {b} AND id < {c}))"));
    }
    sql.push_str(&format!(" ORDER BY at DESC, id DESC LIMIT {}", p.next()));
    let mut q = sqlx::query(&sql).bind(org_id);
    if let Some(u) = &f.user_id {
        q = q.bind(u);
    }
    if let Some(a) = &f.action {
        q = q.bind(a);
    }
    if let Some(t) = f.from {
        q = q.bind(t);
    }
    if let Some(t) = f.until {
        q = q.bind(t);
    }
    if let Some((at, id)) = &f.after {
        q = q.bind(*at).bind(*at).bind(id);
    }
    q = q.bind(f.limit);
    q.fetch_all(store.read())
        .await?
        .iter()
        .map(|r| {
            Ok(Entry {
                id: text(r, "id")?,
                at: int(r, "at")?,
                user_id: opt_text(r, "user_id")?,
                actor: text(r, "actor")?,
                action: text(r, "action")?,
                target: text(r, "target")?,
                detail: serde_json::from_str(&text(r, "detail")?).unwrap_or_default(),
                client: text(r, "client")?,
            })
        })
        .collect()
}
