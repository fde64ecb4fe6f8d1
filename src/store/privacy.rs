//! A candidate's personal data as a whole: what an export gathers beyond the other modules' reads (consents, the
//! emails sent about them), the erasure of everything held about them in one transaction, the consents given on
//! the landing page, an organization's own privacy notices, links closed by an erasure, and the candidates whose
//! retention period has run out.

use super::{Backend, Params, Store, StoreError, StoreResult, int, new_id, opt_text, text};

/// What an erasure took away, in figures only (the audit entry's detail).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Erased {
    pub invitations: i64,
    pub recordings: i64,
    pub emails: i64,
}

/// The SQL function giving the position of `needle` in `haystack` (0: absent) on this backend.
fn position(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "instr",
        Backend::Postgres => "strpos",
    }
}

/// Erases a candidate of the organization and everything held about them, in one transaction: their invitations
/// with answers, takes, ratings, comments, scores, share links and consents (cascading), their timeline, the jobs
/// about them (emails waiting or done, webhook deliveries), their messages in the mail log, and their name and email
/// on bulk send rows. Stored media and outbox files go through jobs queued here (`delete_media`,
/// `delete_outbox_files`), which name only object keys and file names. Personal links of the erased invitations
/// are kept as hashes in `closed_links`, so a candidate still on the page gets the closed-link page.
pub async fn erase(store: &Store, org_id: &str, candidate_id: &str) -> StoreResult<Erased> {
    let backend = store.backend();
    let pos = position(backend);
    let now = store.now_ms();
    let mut tx = store.begin().await?;
    let lock = if backend == Backend::Postgres { " FOR UPDATE" } else { "" };
    let c = sqlx::query(&format!("SELECT email, email_key FROM candidates WHERE org_id = $1 AND id = $2{lock}"))
        .bind(org_id)
        .bind(candidate_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
    let email_key = text(&c, "email_key")?;
    let email = text(&c, "email")?;
    let invitations = sqlx::query(&format!(
        "SELECT id, token_hash, language FROM invitations WHERE org_id = $1 AND candidate_id = $2{lock}"
    ))
    .bind(org_id)
    .bind(candidate_id)
    .fetch_all(&mut *tx)
    .await?;
    let mut erased = Erased { invitations: invitations.len() as i64, ..Default::default() };
    erased.recordings = int(
        &sqlx::query(
            "SELECT COUNT(*) AS n FROM takes t JOIN invitations i ON i.id = t.invitation_id \
             WHERE i.org_id = $1 AND i.candidate_id = $2 AND t.status = 'kept'",
        )
        .bind(org_id)
        .bind(candidate_id)
        .fetch_one(&mut *tx)
        .await?,
        "n",
    )?;
    super::takes::enqueue_media_deletion_of(
        &mut tx,
        store,
        "i.org_id = $1 AND i.candidate_id = $2",
        org_id,
        candidate_id,
    )
    .await?;

    // The jobs about them: emails (by the invitation they are about, or a link to it in their text) and webhook
    // deliveries, whatever their state. A delivery under way finds its job gone and logs nothing (`mail_log`).
    let mut jobs: Vec<String> = Vec::new();
    let mut mentions: Vec<String> = vec![candidate_id.to_owned()];
    for inv in &invitations {
        let id = text(inv, "id")?;
        let rows = sqlx::query(&format!(
            "SELECT id FROM jobs WHERE org_id = $1 AND kind <> 'delete_media' \
             AND (invitation_id = $2 OR {pos}(payload, $2) > 0)"
        ))
        .bind(org_id)
        .bind(&id)
        .fetch_all(&mut *tx)
        .await?;
        for r in &rows {
            jobs.push(text(r, "id")?);
        }
        mentions.push(id);
    }
    // Emails addressed to them that no invitation names (a public link's registration, say).
    let rows = sqlx::query(&format!(
        "SELECT id FROM jobs WHERE org_id = $1 AND kind = 'send_email' \
         AND ({pos}(lower(payload), $2) > 0 OR {pos}(payload, $3) > 0)"
    ))
    .bind(org_id)
    .bind(&email_key)
    .bind(&email)
    .fetch_all(&mut *tx)
    .await?;
    for r in &rows {
        jobs.push(text(r, "id")?);
    }
    jobs.sort();
    jobs.dedup();
    // First the jobs (on PostgreSQL this waits for a batch of deliveries logging one of them), then their log.
    delete_ids(&mut tx, backend, "jobs", &jobs).await?;

    // The mail log: messages of those jobs, to their address, or naming one of their ids.
    let mut eml_paths = Vec::new();
    let mut mails = std::collections::BTreeSet::new();
    for needle in mentions.iter().chain([&email_key, &email]) {
        let rows = sqlx::query(&format!(
            "SELECT id, eml_path FROM sent_mail WHERE org_id = $1 AND ({pos}(lower(mail_to), $2) > 0 \
             OR {pos}(mail_to, $2) > 0 OR {pos}(html, $2) > 0 OR {pos}(text_body, $2) > 0)"
        ))
        .bind(org_id)
        .bind(needle)
        .fetch_all(&mut *tx)
        .await?;
        for r in &rows {
            if mails.insert(text(r, "id")?) {
                eml_paths.extend(opt_text(r, "eml_path")?);
            }
        }
    }
    for chunk in jobs.chunks(200) {
        let mut p = Params::new(backend);
        let sql = format!("SELECT id, eml_path FROM sent_mail WHERE job_id IN ({})", p.list(chunk.len()));
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(id);
        }
        for r in &q.fetch_all(&mut *tx).await? {
            if mails.insert(text(r, "id")?) {
                eml_paths.extend(opt_text(r, "eml_path")?);
            }
        }
    }
    erased.emails = mails.len() as i64;
    let mails: Vec<String> = mails.into_iter().collect();
    delete_ids(&mut tx, backend, "sent_mail", &mails).await?;
    for needle in &mentions {
        sqlx::query(&format!("DELETE FROM webhook_deliveries WHERE org_id = $1 AND {pos}(payload, $2) > 0"))
            .bind(org_id)
            .bind(needle)
            .execute(&mut *tx)
            .await?;
    }
    if !eml_paths.is_empty() {
        for chunk in eml_paths.chunks(500) {
            let job = super::jobs::NewJob::new(DELETE_OUTBOX_FILES, None, serde_json::json!({ "paths": chunk }));
            super::jobs::enqueue(&mut tx, store, &job).await?;
        }
    }

    // Bulk sends keep their rows (the send's counts stay right) without whom they were about.
    sqlx::query(
        "UPDATE bulk_rows SET candidate_id = NULL, first_name = NULL, last_name = NULL, email = NULL, \
         invitation_id = NULL, message = 'Erased' \
         WHERE bulk_id IN (SELECT id FROM bulk_sends WHERE org_id = $1) AND (candidate_id = $2 OR lower(email) = $3)",
    )
    .bind(org_id)
    .bind(candidate_id)
    .bind(&email_key)
    .execute(&mut *tx)
    .await?;
    for inv in &invitations {
        sqlx::query("UPDATE bulk_rows SET invitation_id = NULL, message = 'Erased' WHERE invitation_id = $1")
            .bind(text(inv, "id")?)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO closed_links (token_hash, org_id, language, closed_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (token_hash) DO NOTHING",
        )
        .bind(text(inv, "token_hash")?)
        .bind(org_id)
        .bind(text(inv, "language")?)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("DELETE FROM candidate_events WHERE org_id = $1 AND candidate_id = $2")
        .bind(org_id)
        .bind(candidate_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM invitations WHERE org_id = $1 AND candidate_id = $2")
        .bind(org_id)
        .bind(candidate_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM candidates WHERE org_id = $1 AND id = $2")
        .bind(org_id)
        .bind(candidate_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(erased)
}

/// The job that deletes files of the local outbox (`DATA_DIR/outbox/<name>.eml`), queued by an erasure.
pub const DELETE_OUTBOX_FILES: &str = "delete_outbox_files";

async fn delete_ids(conn: &mut sqlx::AnyConnection, backend: Backend, table: &str, ids: &[String]) -> StoreResult<()> {
    for chunk in ids.chunks(200) {
        let mut p = Params::new(backend);
        let sql = format!("DELETE FROM {table} WHERE id IN ({})", p.list(chunk.len()));
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(id);
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// A personal link closed by an erasure: the organization and the language its pages were in.
pub struct ClosedLink {
    pub org_id: String,
    pub language: String,
}

/// Whether a personal link's token belongs to an erased invitation.
pub async fn closed_link(store: &Store, token: &str) -> StoreResult<Option<ClosedLink>> {
    let row = sqlx::query("SELECT org_id, language FROM closed_links WHERE token_hash = $1")
        .bind(super::sessions::hash_secret(token))
        .fetch_optional(store.read())
        .await?;
    row.map(|r| Ok(ClosedLink { org_id: text(&r, "org_id")?, language: text(&r, "language")? })).transpose()
}

/// A consent as given on the landing page.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Consent {
    pub invitation_id: String,
    pub language: String,
    /// What the candidate read and agreed to, word for word.
    pub text: String,
    /// A short hash of `text`, naming that version.
    pub version: String,
    pub privacy_url: Option<String>,
    pub retention_months: i64,
    /// A keyed hash of the client's address.
    pub client: String,
    pub created_at: i64,
}

/// The consent to record as the invitation's (once: a later call changes nothing).
pub struct NewConsent<'a> {
    pub org_id: &'a str,
    pub candidate_id: &'a str,
    pub invitation_id: &'a str,
    pub language: &'a str,
    pub text: &'a str,
    pub version: &'a str,
    pub privacy_url: Option<&'a str>,
    pub retention_months: i64,
    pub client: &'a str,
}

/// Inserts a consent record on an open transaction (the one that marks the invitation consented).
pub(crate) async fn insert_consent(
    conn: &mut sqlx::AnyConnection,
    store: &Store,
    c: &NewConsent<'_>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO consents (id, org_id, candidate_id, invitation_id, language, text, version, privacy_url, \
         retention_months, client, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(new_id())
    .bind(c.org_id)
    .bind(c.candidate_id)
    .bind(c.invitation_id)
    .bind(c.language)
    .bind(c.text)
    .bind(c.version)
    .bind(c.privacy_url)
    .bind(c.retention_months)
    .bind(c.client)
    .bind(store.now_ms())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A candidate's consents, oldest first.
pub async fn consents_of(store: &Store, org_id: &str, candidate_id: &str) -> StoreResult<Vec<Consent>> {
    let rows = sqlx::query(
        "SELECT invitation_id, language, text, version, privacy_url, retention_months, client, created_at \
         FROM consents WHERE org_id = $1 AND candidate_id = $2 ORDER BY created_at, id",
    )
    .bind(org_id)
    .bind(candidate_id)
    .fetch_all(store.read())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Consent {
                invitation_id: text(r, "invitation_id")?,
                language: text(r, "language")?,
                text: text(r, "text")?,
                version: text(r, "version")?,
                privacy_url: opt_text(r, "privacy_url")?,
                retention_months: int(r, "retention_months")?,
                client: text(r, "client")?,
                created_at: int(r, "created_at")?,
            })
        })
        .collect()
}

/// An email sent to or about a candidate, from the mail log.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MailSent {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub sent_at: i64,
}

/// The emails in the organization's mail log sent to `email` or naming one of `ids` (the candidate's and their
/// invitations'), oldest first.
pub async fn mail_about(store: &Store, org_id: &str, email: &str, ids: &[String]) -> StoreResult<Vec<MailSent>> {
    let pos = position(store.backend());
    let mut seen = std::collections::BTreeMap::new();
    let mut found = Vec::new();
    let to = format!("({pos}(lower(mail_to), $2) > 0 OR {pos}(mail_to, $2) > 0)");
    let named = format!("{pos}(text_body, $2) > 0");
    let key = email.to_lowercase();
    let searches = [(to.as_str(), key.as_str()), (to.as_str(), email)]
        .into_iter()
        .chain(ids.iter().map(|id| (named.as_str(), id.as_str())));
    for (condition, needle) in searches {
        let rows = sqlx::query(&format!(
            "SELECT id, mail_to, subject, text_body, sent_at FROM sent_mail WHERE org_id = $1 AND {condition}"
        ))
        .bind(org_id)
        .bind(needle)
        .fetch_all(store.read())
        .await?;
        for r in &rows {
            let id = text(r, "id")?;
            if seen.insert(id.clone(), ()).is_none() {
                found.push((
                    id,
                    MailSent {
                        to: text(r, "mail_to")?,
                        subject: text(r, "subject")?,
                        text: text(r, "text_body")?,
                        sent_at: int(r, "sent_at")?,
                    },
                ));
            }
        }
    }
    found.sort_by(|a, b| (a.1.sent_at, &a.0).cmp(&(b.1.sent_at, &b.0)));
    Ok(found.into_iter().map(|(_, m)| m).collect())
}

/// An organization's own privacy notice in one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub language: String,
    pub text: String,
    pub url: Option<String>,
}

/// The organization's notices, one per language that has one.
pub async fn notices(store: &Store, org_id: &str) -> StoreResult<Vec<Notice>> {
    let rows = sqlx::query("SELECT language, text, url FROM privacy_notices WHERE org_id = $1 ORDER BY language")
        .bind(org_id)
        .fetch_all(store.read())
        .await?;
    rows.iter()
        .map(|r| Ok(Notice { language: text(r, "language")?, text: text(r, "text")?, url: opt_text(r, "url")? }))
        .collect()
}

/// The notice candidates reading `language` get: that language's, else the organization's language's, else the
/// English one, else any the organization wrote (none when it wrote none).
pub async fn notice_for(store: &Store, org_id: &str, language: &str, fallback: &str) -> StoreResult<Option<Notice>> {
    let all = notices(store, org_id).await?;
    let find = |l: &str| all.iter().find(|n| n.language == l);
    Ok(find(language).or_else(|| find(fallback)).or_else(|| find("en")).or_else(|| all.first()).cloned())
}

/// Replaces the organization's notices with `notices` (languages left out have none).
pub async fn set_notices(store: &Store, org_id: &str, notices: &[Notice]) -> StoreResult<()> {
    let mut tx = store.begin().await?;
    sqlx::query("DELETE FROM privacy_notices WHERE org_id = $1").bind(org_id).execute(&mut *tx).await?;
    for n in notices {
        sqlx::query(
            "INSERT INTO privacy_notices (org_id, language, text, url, updated_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(org_id)
        .bind(&n.language)
        .bind(&n.text)
        .bind(n.url.as_deref())
        .bind(store.now_ms())
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Up to `limit` candidates of the organization with no activity since `cutoff` (Unix ms): not changed, nothing on
/// their timeline, no invitation changed or still open after it.
pub async fn inactive_candidates(store: &Store, org_id: &str, cutoff: i64, limit: i64) -> StoreResult<Vec<String>> {
    let rows = sqlx::query(
        "SELECT c.id FROM candidates c WHERE c.org_id = $1 AND c.updated_at < $2 \
         AND NOT EXISTS (SELECT 1 FROM candidate_events e WHERE e.org_id = $1 AND e.candidate_id = c.id \
                         AND e.created_at >= $2) \
         AND NOT EXISTS (SELECT 1 FROM invitations i WHERE i.org_id = $1 AND i.candidate_id = c.id \
                         AND (i.updated_at >= $2 OR i.closes_at >= $2)) \
         ORDER BY c.updated_at LIMIT $3",
    )
    .bind(org_id)
    .bind(cutoff)
    .bind(limit)
    .fetch_all(store.read())
    .await?;
    rows.iter().map(|r| text(r, "id")).collect()
}

/// Organizations that erase inactive candidates, with their retention in months.
pub async fn candidate_retention(store: &Store) -> StoreResult<Vec<(String, i64)>> {
    let rows = sqlx::query(
        "SELECT id, candidate_retention_months FROM organizations WHERE candidate_retention_months IS NOT NULL",
    )
    .fetch_all(store.read())
    .await?;
    rows.iter().map(|r| Ok((text(r, "id")?, int(r, "candidate_retention_months")?))).collect()
}

/// Puts "data exported" on the candidate's timeline.
pub async fn note_export(
    store: &Store,
    org_id: &str,
    candidate_id: &str,
    actor: &super::candidates::EventActor,
    recordings: usize,
) -> StoreResult<()> {
    let mut tx = store.begin().await?;
    let detail = serde_json::json!({ "recordings": recordings });
    super::candidates::insert_event(&mut tx, store, org_id, candidate_id, "exported", actor, detail).await?;
    tx.commit().await?;
    Ok(())
}
