use super::users::{NewUser, User};
use super::{Store, StoreError, StoreResult, conflict_as, int, new_id, opt_text, text};
use crate::domain::{Language, OrgName, TimeZoneName};
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone)]
pub struct Organization {
    pub id: String,
    pub name: String,
    pub timezone: String,
    pub language: String,
    pub has_logo: bool,
    pub created_at: i64,
    /// Days before the deadline date a reminder goes to candidates who have not finished (0: none).
    pub reminder_days: i64,
    /// Months after the deadline recordings are kept.
    pub retention_months: i64,
    /// Months without activity after which a candidate is erased (`None`: never).
    pub candidate_retention_months: Option<i64>,
    /// Every user must sign in with a second factor.
    pub require_two_factor: bool,
}

/// How the organization treats invitations, candidates and sign-ins over time.
#[derive(Debug, Clone, Copy)]
pub struct Policies {
    pub reminder_days: i64,
    pub retention_months: i64,
    pub candidate_retention_months: Option<i64>,
    pub require_two_factor: bool,
}

impl Organization {
    /// The organization's time zone (UTC if the stored name is no longer known).
    pub fn tz(&self) -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get(&self.timezone).unwrap_or(jiff::tz::TimeZone::UTC)
    }
}

pub struct NewOrganization {
    pub name: OrgName,
    pub timezone: TimeZoneName,
    pub language: Language,
}

pub(crate) const ORG_COLUMNS: &str = "o.id AS org_id_, o.name AS org_name_, o.timezone AS org_timezone_, o.language AS org_language_, \
     o.logo_type AS org_logo_type_, o.created_at AS org_created_at_, o.reminder_days AS org_reminder_days_, \
     o.retention_months AS org_retention_months_, o.candidate_retention_months AS org_candidate_retention_, \
     o.require_two_factor AS org_require_two_factor_";

pub(crate) fn org_from_row(row: &AnyRow) -> StoreResult<Organization> {
    Ok(Organization {
        id: text(row, "org_id_")?,
        name: text(row, "org_name_")?,
        timezone: text(row, "org_timezone_")?,
        language: text(row, "org_language_")?,
        has_logo: opt_text(row, "org_logo_type_")?.is_some(),
        created_at: int(row, "org_created_at_")?,
        reminder_days: int(row, "org_reminder_days_")?,
        retention_months: int(row, "org_retention_months_")?,
        candidate_retention_months: super::opt_int(row, "org_candidate_retention_")?,
        require_two_factor: int(row, "org_require_two_factor_")? != 0,
    })
}

/// Creates an organization and its first user in one transaction. A taken organization name or user email is a
/// `Conflict("organization_name")` / `Conflict("user_email")`.
pub async fn create_with_first_user(
    store: &Store,
    org: &NewOrganization,
    user: &NewUser,
) -> StoreResult<(Organization, User)> {
    let mut tx = store.begin().await?;
    let now = store.now_ms();
    let id = new_id();
    sqlx::query(
        "INSERT INTO organizations (id, name, name_key, timezone, language, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(org.name.as_str())
    .bind(org.name.key())
    .bind(org.timezone.as_str())
    .bind(org.language.code())
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(conflict_as("organization_name"))?;
    let user = super::users::insert(&mut tx, store, &id, user).await?;
    // A demo interview, so the first recruiter can invite themselves at once.
    super::interviews::insert(&mut tx, store, &id, &crate::domain::demo_interview()).await?;
    // Every setup token is spent once an organization exists.
    sqlx::query("DELETE FROM one_time_tokens WHERE purpose = 'setup'").execute(&mut *tx).await?;
    tx.commit().await?;
    let org = get(store, &id).await?;
    Ok((org, user))
}

pub async fn get(store: &Store, id: &str) -> StoreResult<Organization> {
    let sql = format!("SELECT {ORG_COLUMNS} FROM organizations o WHERE o.id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(store.read()).await?.ok_or(StoreError::NotFound)?;
    org_from_row(&row)
}

pub async fn find_by_name(store: &Store, name: &OrgName) -> StoreResult<Organization> {
    let sql = format!("SELECT {ORG_COLUMNS} FROM organizations o WHERE o.name_key = $1");
    let row = sqlx::query(&sql).bind(name.key()).fetch_optional(store.read()).await?.ok_or(StoreError::NotFound)?;
    org_from_row(&row)
}

pub async fn any_exists(store: &Store) -> StoreResult<bool> {
    Ok(sqlx::query("SELECT id FROM organizations LIMIT 1").fetch_optional(store.read()).await?.is_some())
}

pub async fn update_settings(
    store: &Store,
    id: &str,
    settings: &NewOrganization,
    policies: Policies,
) -> StoreResult<()> {
    let done = sqlx::query(
        "UPDATE organizations SET name = $1, name_key = $2, timezone = $3, language = $4, reminder_days = $5, \
         retention_months = $6, candidate_retention_months = $7, require_two_factor = $8 WHERE id = $9",
    )
    .bind(settings.name.as_str())
    .bind(settings.name.key())
    .bind(settings.timezone.as_str())
    .bind(settings.language.code())
    .bind(policies.reminder_days)
    .bind(policies.retention_months)
    .bind(policies.candidate_retention_months)
    .bind(i64::from(policies.require_two_factor))
    .bind(id)
    .execute(store.write())
    .await
    .map_err(conflict_as("organization_name"))?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Largest logo accepted, in bytes.
pub const LOGO_MAX_BYTES: usize = 512 * 1024;

pub async fn set_logo(store: &Store, id: &str, logo: Option<(Vec<u8>, &str)>) -> StoreResult<()> {
    let (bytes, ctype) = match logo {
        Some((b, t)) => (Some(b), Some(t.to_owned())),
        None => (None, None),
    };
    sqlx::query("UPDATE organizations SET logo = $1, logo_type = $2 WHERE id = $3")
        .bind(bytes)
        .bind(ctype)
        .bind(id)
        .execute(store.write())
        .await?;
    Ok(())
}

pub async fn logo(store: &Store, id: &str) -> StoreResult<(Vec<u8>, String)> {
    let row = sqlx::query("SELECT logo, logo_type FROM organizations WHERE id = $1")
        .bind(id)
        .fetch_optional(store.read())
        .await?
        .ok_or(StoreError::NotFound)?;
    let bytes: Option<Vec<u8>> = row.try_get("logo")?;
    match (bytes, opt_text(&row, "logo_type")?) {
        (Some(b), Some(t)) => Ok((b, t)),
        _ => Err(StoreError::NotFound),
    }
}
