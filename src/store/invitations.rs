//! Invitations: created with their email job and timeline event in one transaction, listed with filters and keyset
//! pages, resent, disabled, deleted. The personal link's token is derived from the invitation id with a server key
//! (so a resend carries the same link) and only its hash is stored.

use super::candidates::{EventActor, NewCandidate, full_name, insert_event, insert_events};
use super::jobs::{self, NewJob};
use super::sessions::{Actor, hash_secret};
use super::{Params, ROWS_PER_INSERT, Store, StoreError, StoreResult, conflict_as, int, new_id, opt_int, text};
use crate::domain::{Deadline, Decision, EmailAddress, InvitationEvent, InvitationStatus, Language, search_key};
use base64::Engine;
use hmac::{Hmac, Mac};
use sqlx::any::AnyRow;

/// The personal link's token of an invitation: HMAC-SHA256 of its id under the server's link key (256 bits).
pub fn invitation_token(link_key: &[u8], invitation_id: &str) -> String {
    keyed_token(link_key, "candor-invitation", invitation_id)
}

/// A link token derived from a row id: HMAC-SHA256 of `purpose:id` under the server's link key, URL-safe base64
/// (256 bits). Only its SHA-256 is stored; the page that made it can show it again.
pub(crate) fn keyed_token(link_key: &[u8], purpose: &str, id: &str) -> String {
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(link_key) else {
        return String::new();
    };
    mac.update(purpose.as_bytes());
    mac.update(b":");
    mac.update(id.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// Who is invited: a candidate of the organization, or a new one (reused when the email is already there).
#[derive(Debug, Clone)]
pub enum Invitee {
    Existing(String),
    New(NewCandidate),
}

#[derive(Debug, Clone)]
pub struct NewInvitation {
    pub invitee: Invitee,
    pub email: EmailAddress,
    pub language: Language,
    pub interview_id: String,
    pub deadline: Deadline,
    /// The first instant past the deadline in the organization's time zone (Unix ms).
    pub closes_at: i64,
    pub bcc_me: bool,
    pub notify_me: bool,
    pub idempotency_key: Option<String>,
    /// The candidate registered through the interview's public link.
    pub via_public_link: bool,
}

/// What the invitation email is built from.
pub struct EmailContext<'a> {
    pub token: &'a str,
    pub candidate_first_name: &'a str,
    pub interview_title: &'a str,
    pub question_count: i64,
    pub typical_minutes: i64,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct InvitationRow {
    pub id: String,
    pub candidate_id: String,
    pub candidate_name: String,
    pub email: String,
    pub interview_id: String,
    pub interview_name: String,
    /// `pending`, `in_progress`, `answered`, `withdrawn`, `disabled`, `expired`.
    pub status: String,
    pub language: String,
    /// `YYYY-MM-DD`, inclusive.
    pub deadline: String,
    pub bcc_me: bool,
    pub notify_me: bool,
    /// Unix milliseconds.
    pub sent_at: i64,
    /// Unix milliseconds.
    pub answered_at: Option<i64>,
    /// Unix milliseconds.
    pub created_at: i64,
    #[serde(skip)]
    pub closes_at: i64,
    #[serde(skip)]
    pub org_id: String,
    /// When the retention job deleted the recordings, if it did.
    #[serde(skip)]
    pub media_deleted_at: Option<i64>,
    /// When the last email to the candidate was given up (the mail server refused or never took it).
    pub email_undelivered_at: Option<i64>,
    /// The recruiter's decision: `undecided`, `advance`, `hold`, `reject`.
    pub decision: String,
    /// `invited` (by a recruiter) or `public` (registered through the interview's public link).
    pub source: String,
}

pub struct Created {
    pub invitation: InvitationRow,
    /// The external candidate's email was already in the base: that candidate was invited.
    pub reused_candidate: bool,
    /// The same form (or Idempotency-Key) was sent before: nothing new was created.
    pub repeated: bool,
}

const COLUMNS: &str = "i.id, i.candidate_id, c.first_name || ' ' || c.last_name AS candidate_name, i.email, \
    i.interview_id, v.name AS interview_name, i.status, i.language, i.deadline, i.bcc_me, i.notify_me, i.sent_at, \
    i.answered_at, i.created_at, i.closes_at, i.org_id, i.media_deleted_at, i.email_undelivered_at, i.decision, i.source";
const FROM: &str = "invitations i JOIN candidates c ON c.org_id = i.org_id AND c.id = i.candidate_id \
    JOIN interviews v ON v.id = i.interview_id";

fn from_row(row: &AnyRow) -> StoreResult<InvitationRow> {
    Ok(InvitationRow {
        id: text(row, "id")?,
        candidate_id: text(row, "candidate_id")?,
        candidate_name: text(row, "candidate_name")?,
        email: text(row, "email")?,
        interview_id: text(row, "interview_id")?,
        interview_name: text(row, "interview_name")?,
        status: text(row, "status")?,
        language: text(row, "language")?,
        deadline: text(row, "deadline")?,
        bcc_me: int(row, "bcc_me")? != 0,
        notify_me: int(row, "notify_me")? != 0,
        sent_at: int(row, "sent_at")?,
        answered_at: opt_int(row, "answered_at")?,
        created_at: int(row, "created_at")?,
        closes_at: int(row, "closes_at")?,
        org_id: text(row, "org_id")?,
        media_deleted_at: opt_int(row, "media_deleted_at")?,
        email_undelivered_at: opt_int(row, "email_undelivered_at")?,
        decision: text(row, "decision")?,
        source: text(row, "source")?,
    })
}

/// A candidate's invitations, newest first.
pub async fn of_candidate(store: &Store, org_id: &str, candidate_id: &str) -> StoreResult<Vec<InvitationRow>> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE i.org_id = $1 AND i.candidate_id = $2 ORDER BY i.id DESC");
    sqlx::query(&sql).bind(org_id).bind(candidate_id).fetch_all(store.read()).await?.iter().map(from_row).collect()
}

pub async fn get(store: &Store, org_id: &str, id: &str) -> StoreResult<InvitationRow> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE i.org_id = $1 AND i.id = $2");
    let row =
        sqlx::query(&sql).bind(org_id).bind(id).fetch_optional(store.read()).await?.ok_or(StoreError::NotFound)?;
    from_row(&row)
}

/// Builds an invitation's email job once its link and candidate are known.
pub type BuildJob = Box<dyn Fn(&EmailContext) -> Result<NewJob, String> + Send + Sync>;

/// Creates the invitation (and an external candidate), its `invited` timeline event and its email job, in one
/// transaction. A repeated idempotency key gives back the first invitation. Unknown or foreign interview or
/// candidate: `NotFound`.
///
/// Invitations sent at the same time share their transaction (see [`SendQueue`]); each still commits with its
/// email job, and one that fails is retried alone, so it fails alone.
pub async fn create(
    store: &Store,
    actor: &Actor,
    new: &NewInvitation,
    link_key: &[u8],
    email: BuildJob,
) -> StoreResult<Created> {
    let org_id = &actor.org.id;
    if let Some(key) = &new.idempotency_key
        && let Some(existing) = by_idempotency_key(store, org_id, key).await?
    {
        return Ok(Created { invitation: existing, reused_candidate: false, repeated: true });
    }
    let (done, made) = tokio::sync::oneshot::channel();
    let waiting = Waiting { actor: actor.clone(), new: new.clone(), link_key: link_key.to_vec(), email, done };
    if store.sends.push(waiting) {
        tokio::spawn(commit_waiting(store.clone()));
    }
    let (invitation, reused_candidate) =
        made.await.map_err(|_| StoreError::Aborted("the invitation's transaction did not finish".into()))??;
    Ok(Created { invitation, reused_candidate, repeated: false })
}

/// The most invitations one shared transaction takes.
const MAX_GROUP: usize = 64;

/// Invitations waiting for their transaction. The first to arrive when none is being written starts a task that
/// takes everything waiting into one transaction, commits it, answers each, and goes on while more have arrived
/// meanwhile; so under load one commit (and its writes to the log) carries many invitations, and alone an invitation
/// waits for nothing but its own transaction.
#[derive(Default)]
pub(crate) struct SendQueue {
    state: std::sync::Mutex<SendQueueState>,
}

#[derive(Default)]
struct SendQueueState {
    waiting: Vec<Waiting>,
    /// A task is taking the waiting ones.
    taking: bool,
}

struct Waiting {
    actor: Actor,
    new: NewInvitation,
    link_key: Vec<u8>,
    email: BuildJob,
    done: tokio::sync::oneshot::Sender<StoreResult<(InvitationRow, bool)>>,
}

impl SendQueue {
    fn lock(&self) -> std::sync::MutexGuard<'_, SendQueueState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queues an invitation; true when the caller must start the task that takes them.
    fn push(&self, waiting: Waiting) -> bool {
        let mut state = self.lock();
        state.waiting.push(waiting);
        !std::mem::replace(&mut state.taking, true)
    }

    /// How many invitations wait for their transaction, and whether a task is writing (or about to write) some.
    pub(crate) fn state(&self) -> (usize, bool) {
        let state = self.lock();
        (state.waiting.len(), state.taking)
    }

    /// The next group to write; empty (and no task taking any more) when none is waiting.
    fn take(&self) -> Vec<Waiting> {
        let mut state = self.lock();
        if state.waiting.is_empty() {
            state.taking = false;
            return Vec::new();
        }
        let n = state.waiting.len().min(MAX_GROUP);
        state.waiting.drain(..n).collect()
    }
}

/// The taking task's turn. Ended early (a panic, or the task dropped with its runtime), it hands the waiting ones to
/// a new task, so that none waits for a task that is gone.
struct Taking {
    store: Store,
    finished: bool,
}

impl Drop for Taking {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let mut state = self.store.sends.lock();
        state.taking = !state.waiting.is_empty();
        if state.taking {
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => drop(runtime.spawn(commit_waiting(self.store.clone()))),
                Err(_) => state.taking = false,
            }
        }
    }
}

async fn commit_waiting(store: Store) {
    let mut turn = Taking { store, finished: false };
    loop {
        let group = turn.store.sends.take();
        if group.is_empty() {
            turn.finished = true;
            return;
        }
        match write_group(&turn.store, &group).await {
            Ok(results) => {
                for (w, result) in group.into_iter().zip(results) {
                    let _ = w.done.send(result);
                }
            }
            Err(Failed::Undone(e)) if group.len() > 1 => {
                // One of them failed the whole transaction (a repeated idempotency key, a candidate created
                // meanwhile, a job that could not be built): each alone, so only that one fails.
                tracing::debug!(error = %e, invitations = group.len(), "a grouped send failed; sending each alone");
                for w in group {
                    let result = match write_group(&turn.store, std::slice::from_ref(&w)).await {
                        Ok(mut r) => r.pop().unwrap_or(Err(StoreError::NotFound)),
                        Err(Failed::Undone(e) | Failed::Unknown(e)) => Err(e),
                    };
                    let _ = w.done.send(result);
                }
            }
            Err(Failed::Undone(e)) => {
                if let Some(w) = group.into_iter().next() {
                    let _ = w.done.send(Err(e));
                }
            }
            // The connection failed during `COMMIT`: whether it was written is not known here, so nothing is sent
            // again (a retry by the client with its Idempotency-Key finds out).
            Err(Failed::Unknown(e)) => {
                let message = format!("the invitation's transaction may not have been committed: {e}");
                for w in group {
                    let _ = w.done.send(Err(StoreError::Aborted(message.clone())));
                }
            }
        }
    }
}

/// Why a group was not written.
enum Failed {
    /// Nothing of it was written.
    Undone(StoreError),
    /// `COMMIT` failed on the way to or from the database: it may have been written.
    Unknown(StoreError),
}

/// Writes `group` in one transaction: each one's result in order (`NotFound` for an interview or candidate not of
/// its organization). An error undoes them all.
async fn write_group(store: &Store, group: &[Waiting]) -> Result<Vec<StoreResult<(InvitationRow, bool)>>, Failed> {
    // Invitations by the same user of the same interview go in the same statements.
    let mut parts: Vec<Vec<usize>> = Vec::new();
    for (i, w) in group.iter().enumerate() {
        let same = |j: &usize| {
            let o = &group[*j];
            o.actor.user.id == w.actor.user.id
                && o.actor.org.id == w.actor.org.id
                && o.new.interview_id == w.new.interview_id
                && o.link_key == w.link_key
        };
        match parts.iter_mut().find(|p| p.first().is_some_and(same)) {
            Some(part) => part.push(i),
            None => parts.push(vec![i]),
        }
    }
    let mut results: Vec<StoreResult<(InvitationRow, bool)>> =
        (0..group.len()).map(|_| Err(StoreError::NotFound)).collect();
    let mut tx = store.begin().await.map_err(Failed::Undone)?;
    for part in parts {
        let first = &group[part[0]];
        let interview = match interview_facts(&mut tx, &first.actor.org.id, &first.new.interview_id).await {
            Ok(facts) => facts,
            Err(StoreError::NotFound) => continue,
            Err(e) => return Err(Failed::Undone(e)),
        };
        let news: Vec<NewInvitation> = part.iter().map(|&i| group[i].new.clone()).collect();
        let made = insert_many(&mut tx, store, &first.actor, &interview, &news, &first.link_key, |k, _, ctx| {
            (group[part[k]].email)(ctx)
        })
        .await
        .map_err(Failed::Undone)?;
        for (&i, result) in part.iter().zip(made) {
            results[i] = result;
        }
    }
    match tx.commit().await {
        Ok(()) => Ok(results),
        // The database answered: it refused the commit (SQLite's disk full, a PostgreSQL constraint checked at
        // commit), and nothing was written.
        Err(e @ sqlx::Error::Database(_)) => Err(Failed::Undone(e.into())),
        Err(e) => Err(Failed::Unknown(e.into())),
    }
}

/// What an invitation email says of its interview.
pub(crate) struct InterviewFacts {
    name: String,
    title: String,
    question_count: i64,
    typical_minutes: i64,
}

/// The interview's facts for its invitations' emails, on an open transaction; `NotFound` when it is not the
/// organization's.
pub(crate) async fn interview_facts(
    conn: &mut sqlx::AnyConnection,
    org_id: &str,
    interview_id: &str,
) -> StoreResult<InterviewFacts> {
    let row = sqlx::query(
        "SELECT name, title, (SELECT COUNT(*) FROM questions q WHERE q.interview_id = v.id) AS n, \
         (SELECT CAST(COALESCE(SUM(q.max_answer_seconds + COALESCE(q.think_seconds, 30)), 0) AS BIGINT) \
         FROM questions q WHERE q.interview_id = v.id) AS secs FROM interviews v WHERE v.org_id = $1 AND v.id = $2",
    )
    .bind(org_id)
    .bind(interview_id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    Ok(InterviewFacts {
        name: text(&row, "name")?,
        title: text(&row, "title")?,
        question_count: int(&row, "n")?,
        typical_minutes: (int(&row, "secs")? + 59) / 60,
    })
}

/// Inserts invitations of one interview (and their external candidates when their emails are new), their `invited`
/// timeline events and their email jobs on an open transaction, in a few multi-row statements: each one's result in
/// order, the invitation as [`get`] will read it once committed (`NotFound` for a candidate not of the organization;
/// nothing is inserted for it). External invitees with the
/// same email (already a candidate, or twice in `news`) are one candidate. `email` gets each one's index in `news`.
pub(crate) async fn insert_many(
    conn: &mut sqlx::AnyConnection,
    store: &Store,
    actor: &Actor,
    interview: &InterviewFacts,
    news: &[NewInvitation],
    link_key: &[u8],
    email: impl Fn(usize, &NewInvitation, &EmailContext) -> Result<NewJob, String>,
) -> StoreResult<Vec<StoreResult<(InvitationRow, bool)>>> {
    use std::collections::HashMap;
    let org_id = &actor.org.id;
    let who = EventActor::of(actor);
    // The candidates there are, with their first and last names: by id for chosen ones, by email for external ones.
    let mut by_id: HashMap<String, (String, String)> = HashMap::new();
    let mut by_key: HashMap<String, (String, String, String)> = HashMap::new();
    let chosen: Vec<&str> = news
        .iter()
        .filter_map(|n| match &n.invitee {
            Invitee::Existing(id) => Some(id.as_str()),
            Invitee::New(_) => None,
        })
        .collect();
    let keys: Vec<String> = news
        .iter()
        .filter_map(|n| match &n.invitee {
            Invitee::New(c) => Some(c.email.key()),
            Invitee::Existing(_) => None,
        })
        .collect();
    for (column, values) in [("id", chosen.iter().map(|s| s.to_string()).collect::<Vec<_>>()), ("email_key", keys)] {
        for part in values.chunks(500) {
            let mut p = Params::new(store.backend());
            let sql = format!(
                "SELECT id, first_name, last_name, email_key FROM candidates WHERE org_id = {} AND {column} IN ({})",
                p.next(),
                p.list(part.len())
            );
            let mut query = sqlx::query(&sql).bind(org_id);
            for v in part {
                query = query.bind(v);
            }
            for row in query.fetch_all(&mut *conn).await? {
                let (id, names) = (text(&row, "id")?, (text(&row, "first_name")?, text(&row, "last_name")?));
                if column == "id" {
                    by_id.insert(id, names);
                } else {
                    by_key.insert(text(&row, "email_key")?, (id, names.0, names.1));
                }
            }
        }
    }
    // Each invitation's candidate: (id, first name, last name, reused), or none when a chosen one is not there. New
    // ones get their ids from the insert below.
    let mut fresh: Vec<&NewCandidate> = Vec::new();
    let mut fresh_keys: HashMap<String, usize> = HashMap::new();
    enum Whom {
        Known(String, String, String, bool),
        Fresh(usize, bool),
        Missing,
    }
    let whom: Vec<Whom> = news
        .iter()
        .map(|n| match &n.invitee {
            Invitee::Existing(id) => match by_id.get(id) {
                Some((first, last)) => Whom::Known(id.clone(), first.clone(), last.clone(), false),
                None => Whom::Missing,
            },
            Invitee::New(c) => {
                let key = c.email.key();
                if let Some((id, first, last)) = by_key.get(&key) {
                    Whom::Known(id.clone(), first.clone(), last.clone(), true)
                } else if let Some(&i) = fresh_keys.get(&key) {
                    Whom::Fresh(i, true)
                } else {
                    fresh.push(c);
                    fresh_keys.insert(key, fresh.len() - 1);
                    Whom::Fresh(fresh.len() - 1, false)
                }
            }
        })
        .collect();
    let fresh_ids = super::candidates::insert_many(conn, store, org_id, &who, &fresh).await?;
    let candidate = |w: &Whom| -> Option<(String, String, String, bool)> {
        match w {
            Whom::Known(id, first, last, reused) => Some((id.clone(), first.clone(), last.clone(), *reused)),
            Whom::Fresh(i, reused) => {
                let c = fresh[*i];
                Some((
                    fresh_ids[*i].clone(),
                    c.first_name.as_str().to_owned(),
                    c.last_name.as_str().to_owned(),
                    *reused,
                ))
            }
            Whom::Missing => None,
        }
    };
    // The invitations, their events and their emails.
    let now = store.now_ms();
    let mut results = Vec::with_capacity(news.len());
    let mut rows = Vec::new();
    for (k, (new, w)) in news.iter().zip(&whom).enumerate() {
        match candidate(w) {
            None => results.push(Err(StoreError::NotFound)),
            Some((candidate_id, first_name, last_name, reused)) => {
                let id = new_id();
                let token = invitation_token(link_key, &id);
                let row = InvitationRow {
                    id: id.clone(),
                    candidate_id: candidate_id.clone(),
                    candidate_name: full_name(&first_name, &last_name),
                    email: new.email.as_str().to_owned(),
                    interview_id: new.interview_id.clone(),
                    interview_name: interview.name.clone(),
                    status: InvitationStatus::Pending.as_str().to_owned(),
                    language: new.language.code().to_owned(),
                    deadline: new.deadline.iso(),
                    bcc_me: new.bcc_me,
                    notify_me: new.notify_me,
                    sent_at: now,
                    answered_at: None,
                    created_at: now,
                    closes_at: new.closes_at,
                    org_id: org_id.clone(),
                    media_deleted_at: None,
                    email_undelivered_at: None,
                    decision: Decision::Undecided.as_str().to_owned(),
                    source: source(new).to_owned(),
                };
                results.push(Ok((row, reused)));
                rows.push((id, token, candidate_id, first_name, (k, new)));
            }
        }
    }
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let mut p = Params::new(store.backend());
        let values: Vec<String> = chunk.iter().map(|_| p.row(18)).collect();
        let sql = format!(
            "INSERT INTO invitations (id, org_id, candidate_id, interview_id, invited_by, email, language, deadline, \
             closes_at, bcc_me, notify_me, status, token_hash, idempotency_key, created_at, updated_at, sent_at, source) \
             VALUES {}",
            values.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for (id, token, candidate_id, _, (_, new)) in chunk {
            query = query
                .bind(id)
                .bind(org_id)
                .bind(candidate_id)
                .bind(&new.interview_id)
                .bind(&actor.user.id)
                .bind(new.email.as_str())
                .bind(new.language.code())
                .bind(new.deadline.iso())
                .bind(new.closes_at)
                .bind(i64::from(new.bcc_me))
                .bind(i64::from(new.notify_me))
                .bind(InvitationStatus::Pending.as_str())
                .bind(hash_secret(token))
                .bind(new.idempotency_key.clone())
                .bind(now)
                .bind(now)
                .bind(now)
                .bind(source(new));
        }
        query.execute(&mut *conn).await.map_err(conflict_as("invitation_idempotency"))?;
    }
    let events: Vec<(String, serde_json::Value)> = rows
        .iter()
        .map(|(id, _, candidate_id, _, (_, new))| {
            (
                candidate_id.clone(),
                serde_json::json!({
                    "invitation_id": id, "interview": interview.name, "deadline": new.deadline.iso(),
                    "email": new.email.as_str(), "via_public_link": new.via_public_link,
                }),
            )
        })
        .collect();
    insert_events(conn, store, org_id, "invited", &who, &events).await?;
    let jobs = rows
        .iter()
        .map(|(id, token, _, first_name, (k, new))| {
            let ctx = EmailContext {
                token,
                candidate_first_name: first_name,
                interview_title: &interview.title,
                question_count: interview.question_count,
                typical_minutes: interview.typical_minutes,
            };
            Ok(email(*k, new, &ctx).map_err(StoreError::Aborted)?.about_invitation(id))
        })
        .collect::<StoreResult<Vec<NewJob>>>()?;
    jobs::enqueue_many(conn, store, &jobs).await?;
    Ok(results)
}

/// Where an invitation came from, as its `source` column says.
fn source(new: &NewInvitation) -> &'static str {
    if new.via_public_link { "public" } else { "invited" }
}

/// The invitation sent before with this key, if any. Keys are almost always new: the lookup reads the key's index
/// alone, and only a repeated key reads the invitation.
async fn by_idempotency_key(store: &Store, org_id: &str, key: &str) -> StoreResult<Option<InvitationRow>> {
    let found = sqlx::query("SELECT id FROM invitations WHERE org_id = $1 AND idempotency_key = $2")
        .bind(org_id)
        .bind(key)
        .fetch_optional(store.read())
        .await?;
    match found {
        Some(row) => Ok(Some(get(store, org_id, &text(&row, "id")?).await?)),
        None => Ok(None),
    }
}

/// The order of the invitations list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    RecentlyCreated,
    RecentlyAnswered,
    CloserDeadline,
}

impl Sort {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "" | "created" => Some(Sort::RecentlyCreated),
            "answered" => Some(Sort::RecentlyAnswered),
            "deadline" => Some(Sort::CloserDeadline),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::RecentlyCreated => "created",
            Sort::RecentlyAnswered => "answered",
            Sort::CloserDeadline => "deadline",
        }
    }
}

pub struct ListFilter {
    /// Empty: any status.
    pub statuses: Vec<InvitationStatus>,
    /// With `statuses`: also the invitations answered at or after this time (Unix ms).
    pub answered_since: Option<i64>,
    /// Only invitations with this decision.
    pub decision: Option<crate::domain::Decision>,
    pub candidate_query: Option<String>,
    pub candidate_id: Option<String>,
    pub interview_id: Option<String>,
    pub sort: Sort,
    /// The keyset position: (sort key, id) of the last row of the previous page.
    pub after: Option<(i64, String)>,
    pub limit: i64,
}

pub struct Page {
    pub items: Vec<InvitationRow>,
    pub next: Option<(i64, String)>,
}

pub async fn list(store: &Store, org_id: &str, filter: &ListFilter) -> StoreResult<Page> {
    let limit = filter.limit.clamp(1, 200);
    // The page is chosen on `invitations` alone (walking an index in the page's order), then joined: the joins
    // cost 50 lookups, not one per matching invitation.
    // The page's ids and sort keys only: sorting narrow records is what makes a search over a few candidates'
    // thousand invitations cheap (SQLite sorted whole rows: 6–14 ms instead of 1.5–2.5 ms).
    let mut inner = String::from("SELECT i.id, i.closes_at, i.answered_at FROM invitations i WHERE i.org_id = $1");
    let mut args: Vec<String> = Vec::new();
    let arg = |v: String, args: &mut Vec<String>| {
        args.push(v);
        format!("${}", args.len() + 1)
    };
    if !filter.statuses.is_empty() {
        let list: Vec<String> = filter.statuses.iter().map(|s| arg(s.as_str().to_owned(), &mut args)).collect();
        match filter.answered_since {
            Some(since) => {
                let p = arg(since.to_string(), &mut args);
                inner.push_str(&format!(
                    " AND (i.status IN ({}) OR (i.status = 'answered' AND i.answered_at >= CAST({p} AS BIGINT)))",
                    list.join(", ")
                ));
            }
            None => inner.push_str(&format!(" AND i.status IN ({})", list.join(", "))),
        }
    }
    if let Some(d) = filter.decision {
        let p = arg(d.as_str().to_owned(), &mut args);
        inner.push_str(&format!(" AND i.decision = {p}"));
    }
    let mut few_candidates = false;
    if let Some(q) = filter.candidate_query.as_deref().map(search_key).filter(|q| !q.is_empty()) {
        // The candidates whose name matches, from the name indexes. When they are few, their invitations are read
        // through the candidate index (a literal list steers both planners there); when they are many, walking the
        // invitations in page order finds a page of matches quickly.
        let upper = format!("{q}\u{10FFFF}");
        let matched = sqlx::query(
            "SELECT id FROM candidates WHERE org_id = $1 AND \
             ((full_key >= $2 AND full_key < $3) OR (last_key >= $2 AND last_key < $3)) LIMIT 1001",
        )
        .bind(org_id)
        .bind(&q)
        .bind(&upper)
        .fetch_all(store.read())
        .await?;
        if matched.is_empty() {
            return Ok(Page { items: Vec::new(), next: None });
        }
        if matched.len() <= 1000 {
            few_candidates = true;
            let list: Vec<String> = matched
                .iter()
                .map(|r| text(r, "id"))
                .collect::<StoreResult<Vec<_>>>()?
                .into_iter()
                .map(|id| arg(id, &mut args))
                .collect();
            inner.push_str(&format!(" AND i.candidate_id IN ({})", list.join(", ")));
        } else {
            let low = arg(q.clone(), &mut args);
            let high = arg(upper, &mut args);
            inner.push_str(&format!(
                " AND i.candidate_id IN (SELECT m.id FROM candidates m WHERE m.org_id = $1 AND \
                 ((m.full_key >= {low} AND m.full_key < {high}) OR (m.last_key >= {low} AND m.last_key < {high})))"
            ));
        }
    }
    if let Some(id) = &filter.candidate_id {
        let p = arg(id.clone(), &mut args);
        inner.push_str(&format!(" AND i.candidate_id = {p}"));
    }
    if let Some(id) = &filter.interview_id {
        let p = arg(id.clone(), &mut args);
        inner.push_str(&format!(" AND i.interview_id = {p}"));
    }
    // Ids are time-ordered, so "recently created" is the (org_id, id) index read backwards.
    let order = match filter.sort {
        Sort::RecentlyCreated => "i.id DESC",
        Sort::RecentlyAnswered => "COALESCE(i.answered_at, 0) DESC, i.id DESC",
        Sort::CloserDeadline => "i.closes_at ASC, i.id ASC",
    };
    if let Some((k, id)) = &filter.after {
        match filter.sort {
            Sort::RecentlyCreated => {
                let p = arg(id.clone(), &mut args);
                inner.push_str(&format!(" AND i.id < {p}"));
            }
            Sort::RecentlyAnswered => {
                let (pk, pid) = (arg(k.to_string(), &mut args), arg(id.clone(), &mut args));
                inner.push_str(&format!(" AND (COALESCE(i.answered_at, 0), i.id) < (CAST({pk} AS BIGINT), {pid})"));
            }
            Sort::CloserDeadline => {
                let (pk, pid) = (arg(k.to_string(), &mut args), arg(id.clone(), &mut args));
                inner.push_str(&format!(" AND (i.closes_at, i.id) > (CAST({pk} AS BIGINT), {pid})"));
            }
        }
    }
    let limit_param = arg((limit + 1).to_string(), &mut args);
    if few_candidates && store.backend() == super::Backend::Postgres {
        // A few candidates' invitations: all of them are read through the candidate index first, then sorted. Left
        // to choose, PostgreSQL walked every invitation in page order looking for theirs (30 ms at 100,000). SQLite
        // takes the candidate index by itself, and materializing cost it more (4.4 ms instead of 2.5 ms).
        inner = format!(
            "WITH m AS MATERIALIZED ({inner}) SELECT i.id FROM m i ORDER BY {order} LIMIT CAST({limit_param} AS BIGINT)"
        );
    } else {
        inner.push_str(&format!(" ORDER BY {order} LIMIT CAST({limit_param} AS BIGINT)"));
    }
    // CROSS JOIN keeps SQLite's planner to this order (page first, then lookups per row): left free, SQLite 3.46
    // scanned every candidate and indexed the page instead (6 ms instead of 0.5 ms at 100,000 invitations).
    // PostgreSQL plans a CROSS JOIN with these conditions like the inner join it is.
    let sql = format!(
        "SELECT {COLUMNS} FROM ({inner}) p CROSS JOIN invitations i CROSS JOIN candidates c CROSS JOIN interviews v \
         WHERE i.id = p.id AND c.org_id = i.org_id AND c.id = i.candidate_id AND v.id = i.interview_id \
         ORDER BY {order}"
    );
    let mut query = sqlx::query(&sql).bind(org_id);
    for a in &args {
        query = query.bind(a.clone());
    }
    let rows = query.fetch_all(store.read()).await?;
    let mut items = rows.iter().map(from_row).collect::<StoreResult<Vec<_>>>()?;
    let next = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|last| {
            let k = match filter.sort {
                Sort::RecentlyCreated => 0,
                Sort::RecentlyAnswered => last.answered_at.unwrap_or(0),
                Sort::CloserDeadline => last.closes_at,
            };
            (k, last.id.clone())
        })
    } else {
        None
    };
    Ok(Page { items, next })
}

/// Queues the invitation email again (same link) and records it.
pub async fn resend(store: &Store, actor: &Actor, id: &str, job: &NewJob) -> StoreResult<()> {
    let inv = get(store, &actor.org.id, id).await?;
    if !InvitationStatus::parse(&inv.status).is_some_and(InvitationStatus::is_open) {
        return Err(StoreError::Conflict("invitation_closed"));
    }
    let mut tx = store.begin().await?;
    sqlx::query("UPDATE invitations SET sent_at = $1, updated_at = $1 WHERE org_id = $2 AND id = $3")
        .bind(store.now_ms())
        .bind(&actor.org.id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let detail = serde_json::json!({ "invitation_id": id, "interview": inv.interview_name, "email": inv.email });
    insert_event(&mut tx, store, &actor.org.id, &inv.candidate_id, "invitation_resent", &EventActor::of(actor), detail)
        .await?;
    jobs::enqueue(&mut tx, store, &job.clone().about_invitation(id)).await?;
    tx.commit().await?;
    Ok(())
}

/// Disables the link. An invitation that can no longer be disabled (answered, withdrawn, already disabled) is
/// `Conflict("invitation_status")`.
pub async fn disable(store: &Store, actor: &Actor, id: &str) -> StoreResult<()> {
    let inv = get(store, &actor.org.id, id).await?;
    let from = InvitationStatus::parse(&inv.status).ok_or(StoreError::Conflict("invitation_status"))?;
    let to = from.apply(InvitationEvent::Disable).map_err(|_| StoreError::Conflict("invitation_status"))?;
    let mut tx = store.begin().await?;
    let done = sqlx::query(
        "UPDATE invitations SET status = $1, updated_at = $2 WHERE org_id = $3 AND id = $4 AND status = $5",
    )
    .bind(to.as_str())
    .bind(store.now_ms())
    .bind(&actor.org.id)
    .bind(id)
    .bind(from.as_str())
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::Conflict("invitation_status"));
    }
    on_timeline(&mut tx, store, &inv, "invitation_disabled", &EventActor::of(actor)).await?;
    tx.commit().await?;
    Ok(())
}

/// Puts `kind` about `inv` (its id and interview) on its candidate's timeline, on an open transaction.
pub(crate) async fn on_timeline(
    conn: &mut sqlx::AnyConnection,
    store: &Store,
    inv: &InvitationRow,
    kind: &str,
    actor: &EventActor,
) -> StoreResult<()> {
    let detail = serde_json::json!({ "invitation_id": inv.id, "interview": inv.interview_name });
    insert_event(conn, store, &inv.org_id, &inv.candidate_id, kind, actor, detail).await
}

/// Deletes an invitation with its answers and takes; a job deletes their stored media.
/// Deletes an invitation (its answers, takes and, through a job, their media); gives what it was.
pub async fn delete(store: &Store, actor: &Actor, id: &str) -> StoreResult<InvitationRow> {
    let inv = get(store, &actor.org.id, id).await?;
    let mut tx = store.begin().await?;
    super::takes::enqueue_media_deletion_of(&mut tx, store, "i.org_id = $1 AND i.id = $2", &actor.org.id, id).await?;
    sqlx::query("DELETE FROM invitations WHERE org_id = $1 AND id = $2")
        .bind(&actor.org.id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    on_timeline(&mut tx, store, &inv, "invitation_deleted", &EventActor::of(actor)).await?;
    tx.commit().await?;
    Ok(inv)
}

/// The invitation a personal link's token belongs to, if any (any organization: the token is the credential).
pub async fn by_token(store: &Store, token: &str) -> StoreResult<Option<(String, InvitationRow)>> {
    let sql = format!("SELECT {COLUMNS} FROM {FROM} WHERE i.token_hash = $1");
    let row = sqlx::query(&sql).bind(hash_secret(token)).fetch_optional(store.read()).await?;
    match row {
        Some(r) => Ok(Some((text(&r, "org_id")?, from_row(&r)?))),
        None => Ok(None),
    }
}

/// Marks Pending and In progress invitations whose deadline has passed as Expired, with a timeline event each, in one
/// transaction; returns how many.
pub async fn expire_due(store: &Store) -> StoreResult<usize> {
    let now = store.now_ms();
    let mut tx = store.begin().await?;
    let rows = sqlx::query(
        "UPDATE invitations SET status = 'expired', updated_at = $1 \
         WHERE status IN ('pending', 'in_progress') AND closes_at <= $1 RETURNING id, org_id, candidate_id, deadline",
    )
    .bind(now)
    .fetch_all(&mut *tx)
    .await?;
    let system = EventActor::system();
    for row in &rows {
        let detail = serde_json::json!({ "invitation_id": text(row, "id")?, "deadline": text(row, "deadline")? });
        insert_event(
            &mut tx,
            store,
            &text(row, "org_id")?,
            &text(row, "candidate_id")?,
            "invitation_expired",
            &system,
            detail,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(rows.len())
}

/// What an invitation's Edit may change.
#[derive(Debug, Clone)]
pub struct InvitationChanges {
    pub email: EmailAddress,
    pub language: Language,
    pub deadline: Deadline,
    /// The first instant past the new deadline (Unix ms).
    pub closes_at: i64,
    pub notify_me: bool,
}

pub struct Updated {
    pub invitation: InvitationRow,
    /// The deadline moved later: the candidate was emailed the new date.
    pub deadline_moved_later: bool,
    /// An Expired invitation is open again.
    pub reopened: bool,
}

/// Edits a Pending, In progress or Expired invitation in one transaction. A deadline moved later re-opens an Expired
/// invitation and queues the email `deadline_email` builds; answered, withdrawn or disabled invitations are
/// `Conflict("invitation_status")`.
pub async fn update(
    store: &Store,
    actor: &Actor,
    id: &str,
    changes: &InvitationChanges,
    link_key: &[u8],
    deadline_email: impl FnOnce(&EmailContext) -> Result<NewJob, String>,
) -> StoreResult<Updated> {
    let org_id = &actor.org.id;
    let now = store.now_ms();
    let mut tx = store.begin().await?;
    let row = sqlx::query(
        "SELECT i.status, i.closes_at, i.started_at, i.email, i.language, i.deadline, i.notify_me, i.candidate_id, \
         c.first_name, v.title, (SELECT COUNT(*) FROM questions q WHERE q.interview_id = v.id) AS n, \
         (SELECT CAST(COALESCE(SUM(q.max_answer_seconds + COALESCE(q.think_seconds, 30)), 0) AS BIGINT) \
         FROM questions q WHERE q.interview_id = v.id) AS secs \
         FROM invitations i JOIN candidates c ON c.org_id = i.org_id AND c.id = i.candidate_id \
         JOIN interviews v ON v.id = i.interview_id WHERE i.org_id = $1 AND i.id = $2",
    )
    .bind(org_id)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    let status = InvitationStatus::parse(&text(&row, "status")?).ok_or(StoreError::Conflict("invitation_status"))?;
    if !matches!(status, InvitationStatus::Pending | InvitationStatus::InProgress | InvitationStatus::Expired) {
        return Err(StoreError::Conflict("invitation_status"));
    }
    let moved_later = changes.closes_at > int(&row, "closes_at")?;
    let new_status = if status == InvitationStatus::Expired && changes.closes_at > now {
        status
            .apply(InvitationEvent::Reopen { started: opt_int(&row, "started_at")?.is_some() })
            .map_err(|_| StoreError::Conflict("invitation_status"))?
    } else {
        status
    };
    let mut changed = Vec::new();
    if text(&row, "email")? != changes.email.as_str() {
        changed.push("email");
    }
    if text(&row, "language")? != changes.language.code() {
        changed.push("language");
    }
    if text(&row, "deadline")? != changes.deadline.iso() {
        changed.push("deadline");
    }
    if (int(&row, "notify_me")? != 0) != changes.notify_me {
        changed.push("notify me");
    }
    sqlx::query(
        "UPDATE invitations SET email = $1, language = $2, deadline = $3, closes_at = $4, notify_me = $5, status = $6, \
         updated_at = $7 WHERE org_id = $8 AND id = $9",
    )
    .bind(changes.email.as_str())
    .bind(changes.language.code())
    .bind(changes.deadline.iso())
    .bind(changes.closes_at)
    .bind(i64::from(changes.notify_me))
    .bind(new_status.as_str())
    .bind(now)
    .bind(org_id)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    let reopened = new_status != status;
    if !changed.is_empty() {
        let detail = serde_json::json!({ "invitation_id": id, "fields": changed, "deadline": changes.deadline.iso(), "reopened": reopened });
        insert_event(
            &mut tx,
            store,
            org_id,
            &text(&row, "candidate_id")?,
            "invitation_edited",
            &EventActor::of(actor),
            detail,
        )
        .await?;
    }
    if moved_later && new_status.is_open() {
        let token = invitation_token(link_key, id);
        let job = deadline_email(&EmailContext {
            token: &token,
            candidate_first_name: &text(&row, "first_name")?,
            interview_title: &text(&row, "title")?,
            question_count: int(&row, "n")?,
            typical_minutes: (int(&row, "secs")? + 59) / 60,
        })
        .map_err(StoreError::Aborted)?
        .about_invitation(id);
        jobs::enqueue(&mut tx, store, &job).await?;
    }
    tx.commit().await?;
    Ok(Updated { invitation: get(store, org_id, id).await?, deadline_moved_later: moved_later, reopened })
}
