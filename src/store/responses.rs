//! An interview's responses as reviewers see them: every invitation to it with its status, decision, ratings and
//! scorecard sums, sorted and filtered, in keyset pages; a candidate's neighbours in that list; and the funnel of an
//! organization or an interview. Read-only.

use super::{Store, StoreResult, int, opt_int, placeholders, text};
use crate::domain::{Decision, InvitationStatus};
use std::collections::HashMap;

/// The order of an interview's responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResponseSort {
    /// Newest answers first, then the unanswered (newest invitation first).
    #[default]
    Answered,
    /// By candidate name, A to Z.
    Name,
    /// Highest overall rating (average of reviewers) first, unrated last.
    Rating,
}

impl ResponseSort {
    pub const ALL: [ResponseSort; 3] = [ResponseSort::Answered, ResponseSort::Name, ResponseSort::Rating];

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "" | "answered" => Some(ResponseSort::Answered),
            "name" => Some(ResponseSort::Name),
            "rating" => Some(ResponseSort::Rating),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ResponseSort::Answered => "answered",
            ResponseSort::Name => "name",
            ResponseSort::Rating => "rating",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ResponseSort::Answered => "Recently answered",
            ResponseSort::Name => "Candidate name",
            ResponseSort::Rating => "Highest rated",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ResponseFilter {
    /// Empty: any status.
    pub statuses: Vec<InvitationStatus>,
    pub decision: Option<Decision>,
    pub sort: ResponseSort,
    /// The keyset position: (sort key, id) of the last row of the previous page.
    pub after: Option<(String, String)>,
    pub limit: i64,
}

/// A sum and a count, to average.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub sum: i64,
    pub n: i64,
}

#[derive(Debug, Clone)]
pub struct Response {
    pub id: String,
    pub candidate_id: String,
    pub candidate_name: String,
    pub email: String,
    pub status: String,
    pub sent_at: i64,
    pub answered_at: Option<i64>,
    pub decision: Decision,
    /// The candidate registered through the interview's public link.
    pub via_public_link: bool,
    /// Ratings in halves per subject (a question id or `overall`).
    pub ratings: HashMap<String, Tally>,
    /// The reviewer's own rating in halves per subject.
    pub mine: HashMap<String, i64>,
    /// Scores per criterion (deleted criteria left out).
    pub scores: HashMap<String, Tally>,
}

pub struct ResponsePage {
    pub items: Vec<Response>,
    pub next: Option<(String, String)>,
}

/// The sort key of a row, as SQL, and whether it runs downwards.
fn key_of(sort: ResponseSort) -> (&'static str, bool) {
    match sort {
        ResponseSort::Answered => ("COALESCE(i.answered_at, 0)", true),
        ResponseSort::Name => ("c.full_key", false),
        ResponseSort::Rating => (
            "COALESCE((SELECT CAST(SUM(r.halves) * 1000 / COUNT(*) AS BIGINT) FROM ratings r \
             WHERE r.invitation_id = i.id AND r.subject = 'overall' HAVING COUNT(*) > 0), -1)",
            true,
        ),
    }
}

/// A page of the interview's responses (the interview is known to be the organization's), as `reviewer` sees them.
pub async fn list(
    store: &Store,
    org_id: &str,
    interview_id: &str,
    reviewer: &str,
    filter: &ResponseFilter,
) -> StoreResult<ResponsePage> {
    let limit = filter.limit.clamp(1, 500);
    let (key, down) = key_of(filter.sort);
    let mut args: Vec<String> = vec![org_id.to_owned(), interview_id.to_owned()];
    let arg = |v: String, args: &mut Vec<String>| {
        args.push(v);
        format!("${}", args.len())
    };
    // CROSS JOIN keeps SQLite's planner to this order (the interview's invitations first, then each one's
    // candidate): left free, SQLite went through every candidate of the organization and each one's invitations to
    // every interview (17-21 ms instead of 3-5 ms for an interview of 1,000 among 100,000 invitations; its
    // statistics know only the average interview). PostgreSQL plans a CROSS JOIN with these conditions like the
    // inner join it is.
    let mut inner = format!(
        "SELECT i.id, {key} AS k FROM invitations i CROSS JOIN candidates c \
         WHERE c.org_id = i.org_id AND c.id = i.candidate_id AND i.org_id = $1 AND i.interview_id = $2"
    );
    if !filter.statuses.is_empty() {
        let list: Vec<String> = filter.statuses.iter().map(|s| arg(s.as_str().to_owned(), &mut args)).collect();
        inner.push_str(&format!(" AND i.status IN ({})", list.join(", ")));
    }
    if let Some(d) = filter.decision {
        let p = arg(d.as_str().to_owned(), &mut args);
        inner.push_str(&format!(" AND i.decision = {p}"));
    }
    let numeric = filter.sort != ResponseSort::Name;
    let mut outer = format!("SELECT x.id, x.k FROM ({inner}) x");
    if let Some((k, id)) = &filter.after {
        let pk = arg(k.clone(), &mut args);
        let pk = if numeric { format!("CAST({pk} AS BIGINT)") } else { pk };
        let pid = arg(id.clone(), &mut args);
        let op = if down { "<" } else { ">" };
        outer.push_str(&format!(" WHERE (x.k, x.id) {op} ({pk}, {pid})"));
    }
    let dir = if down { "DESC" } else { "ASC" };
    let lim = arg((limit + 1).to_string(), &mut args);
    outer.push_str(&format!(" ORDER BY x.k {dir}, x.id {dir} LIMIT CAST({lim} AS BIGINT)"));
    let mut query = sqlx::query(&outer);
    for a in &args {
        query = query.bind(a.clone());
    }
    let page = query.fetch_all(store.read()).await?;
    let mut keys = Vec::with_capacity(page.len());
    for r in &page {
        let k = if numeric { int(r, "k")?.to_string() } else { text(r, "k")? };
        keys.push((k, text(r, "id")?));
    }
    let next = if keys.len() as i64 > limit {
        keys.truncate(limit as usize);
        keys.last().cloned()
    } else {
        None
    };
    let ids: Vec<String> = keys.into_iter().map(|(_, id)| id).collect();
    let items = rows_of(store, org_id, &ids, reviewer).await?;
    Ok(ResponsePage { items, next })
}

/// The responses of these invitations of the organization, in the order given, with their ratings and scores.
pub async fn rows_of(store: &Store, org_id: &str, ids: &[String], reviewer: &str) -> StoreResult<Vec<Response>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = placeholders(2, ids.len());
    let sql = format!(
        "SELECT i.id, i.candidate_id, c.first_name || ' ' || c.last_name AS candidate_name, i.email, i.status, \
         i.sent_at, i.answered_at, i.decision, i.source FROM invitations i JOIN candidates c ON c.org_id = i.org_id AND c.id = i.candidate_id \
         WHERE i.org_id = $1 AND i.id IN ({list})"
    );
    let mut q = sqlx::query(&sql).bind(org_id);
    for id in ids {
        q = q.bind(id);
    }
    let mut by_id: HashMap<String, Response> = HashMap::with_capacity(ids.len());
    for r in q.fetch_all(store.read()).await? {
        let id = text(&r, "id")?;
        by_id.insert(
            id.clone(),
            Response {
                id,
                candidate_id: text(&r, "candidate_id")?,
                candidate_name: text(&r, "candidate_name")?,
                email: text(&r, "email")?,
                status: text(&r, "status")?,
                sent_at: int(&r, "sent_at")?,
                answered_at: opt_int(&r, "answered_at")?,
                decision: Decision::parse(&text(&r, "decision")?).unwrap_or_default(),
                via_public_link: text(&r, "source")? == "public",
                ratings: HashMap::new(),
                mine: HashMap::new(),
                scores: HashMap::new(),
            },
        );
    }
    let list = placeholders(3, ids.len());
    let sql = format!(
        "SELECT invitation_id, subject, CAST(SUM(halves) AS BIGINT) AS s, COUNT(*) AS n, \
         MAX(CASE WHEN reviewer = $2 THEN halves END) AS mine FROM ratings \
         WHERE org_id = $1 AND invitation_id IN ({list}) GROUP BY invitation_id, subject"
    );
    let mut q = sqlx::query(&sql).bind(org_id).bind(reviewer);
    for id in ids {
        q = q.bind(id);
    }
    for r in q.fetch_all(store.read()).await? {
        if let Some(resp) = by_id.get_mut(&text(&r, "invitation_id")?) {
            let subject = text(&r, "subject")?;
            if let Some(m) = opt_int(&r, "mine")? {
                resp.mine.insert(subject.clone(), m);
            }
            resp.ratings.insert(subject, Tally { sum: int(&r, "s")?, n: int(&r, "n")? });
        }
    }
    let list = placeholders(2, ids.len());
    let sql = format!(
        "SELECT s.invitation_id, s.criterion_id, CAST(SUM(s.score) AS BIGINT) AS s, COUNT(*) AS n FROM scores s \
         JOIN criteria k ON k.id = s.criterion_id AND k.deleted_at IS NULL \
         WHERE s.org_id = $1 AND s.invitation_id IN ({list}) GROUP BY s.invitation_id, s.criterion_id"
    );
    let mut q = sqlx::query(&sql).bind(org_id);
    for id in ids {
        q = q.bind(id);
    }
    for r in q.fetch_all(store.read()).await? {
        if let Some(resp) = by_id.get_mut(&text(&r, "invitation_id")?) {
            resp.scores.insert(text(&r, "criterion_id")?, Tally { sum: int(&r, "s")?, n: int(&r, "n")? });
        }
    }
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

/// How many invitations the interview has, and how many were answered.
pub async fn counts(store: &Store, org_id: &str, interview_id: &str) -> StoreResult<(i64, i64)> {
    let r = sqlx::query(
        "SELECT COUNT(*) AS n, COUNT(answered_at) AS answered FROM invitations WHERE org_id = $1 AND interview_id = $2",
    )
    .bind(org_id)
    .bind(interview_id)
    .fetch_one(store.read())
    .await?;
    Ok((int(&r, "n")?, int(&r, "answered")?))
}

/// Where an answered invitation stands among its interview's answered ones (newest answers first): the one before,
/// the one after, its place (1-based) and how many there are.
#[derive(Debug, Clone, Default)]
pub struct Neighbours {
    pub previous: Option<String>,
    pub next: Option<String>,
    pub position: i64,
    pub total: i64,
}

pub async fn neighbours(
    store: &Store,
    org_id: &str,
    interview_id: &str,
    id: &str,
    answered_at: Option<i64>,
) -> StoreResult<Neighbours> {
    let Some(at) = answered_at else {
        return Ok(Neighbours::default());
    };
    let base = "FROM invitations WHERE org_id = $1 AND interview_id = $2 AND answered_at IS NOT NULL";
    let one = |sql: String| {
        let store = store.clone();
        async move {
            let row = sqlx::query(&sql)
                .bind(org_id)
                .bind(interview_id)
                .bind(at)
                .bind(id)
                .fetch_optional(store.read())
                .await?;
            row.map(|r| text(&r, "id")).transpose()
        }
    };
    let previous =
        one(format!("SELECT id {base} AND (answered_at, id) > ($3, $4) ORDER BY answered_at, id LIMIT 1")).await?;
    let next =
        one(format!("SELECT id {base} AND (answered_at, id) < ($3, $4) ORDER BY answered_at DESC, id DESC LIMIT 1"))
            .await?;
    let r = sqlx::query(&format!(
        "SELECT COUNT(*) AS total, COUNT(CASE WHEN (answered_at > $3 OR (answered_at = $3 AND id >= $4)) THEN 1 END) AS position {base}"
    ))
    .bind(org_id)
    .bind(interview_id)
    .bind(at)
    .bind(id)
    .fetch_one(store.read())
    .await?;
    Ok(Neighbours { previous, next, position: int(&r, "position")?, total: int(&r, "total")? })
}

/// An organization's (or one interview's) funnel.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct Funnel {
    pub invited: i64,
    pub opened: i64,
    pub started: i64,
    pub completed: i64,
    pub expired: i64,
    pub withdrawn: i64,
    /// Milliseconds from the invitation to its completion, the median of the completed ones.
    pub median_to_complete_ms: Option<i64>,
    /// Completions in each period between the boundaries asked for (e.g. weeks).
    pub completed_per_period: Vec<i64>,
}

/// The funnel, with completions counted between each pair of `boundaries` (Unix ms, ascending). Every figure comes
/// from an index: the stages from `(org_id, status, opened_at, started_at, answered_at)`, the median from
/// `completed_in_ms`, the periods from `answered_at`.
pub async fn funnel(
    store: &Store,
    org_id: &str,
    interview_id: Option<&str>,
    boundaries: &[i64],
) -> StoreResult<Funnel> {
    let scope = if interview_id.is_some() { " AND interview_id = $2" } else { "" };
    let counts_sql = format!(
        "SELECT COUNT(*) AS invited, COUNT(opened_at) AS opened, COUNT(started_at) AS started, \
         COUNT(answered_at) AS completed, COUNT(CASE WHEN status = 'expired' THEN 1 END) AS expired, \
         COUNT(CASE WHEN status = 'withdrawn' THEN 1 END) AS withdrawn FROM invitations WHERE org_id = $1{scope}"
    );
    let mut q = sqlx::query(&counts_sql).bind(org_id);
    if let Some(i) = interview_id {
        q = q.bind(i);
    }
    let r = q.fetch_one(store.read()).await?;
    let mut f = Funnel {
        invited: int(&r, "invited")?,
        opened: int(&r, "opened")?,
        started: int(&r, "started")?,
        completed: int(&r, "completed")?,
        expired: int(&r, "expired")?,
        withdrawn: int(&r, "withdrawn")?,
        ..Default::default()
    };
    if f.completed > 0 {
        let median_sql = format!(
            "SELECT completed_in_ms AS d FROM invitations WHERE org_id = $1{scope} AND completed_in_ms IS NOT NULL \
             ORDER BY completed_in_ms LIMIT 1 OFFSET {}",
            (f.completed - 1) / 2
        );
        let mut q = sqlx::query(&median_sql).bind(org_id);
        if let Some(i) = interview_id {
            q = q.bind(i);
        }
        f.median_to_complete_ms = q.fetch_optional(store.read()).await?.map(|r| int(&r, "d")).transpose()?;
    }
    if let (Some(first), Some(last)) = (boundaries.first(), boundaries.last())
        && boundaries.len() > 1
    {
        // One row: a sum per period (the boundaries are numbers this code computed, written into the statement).
        let sums: Vec<String> = boundaries
            .windows(2)
            .enumerate()
            .map(|(i, w)| {
                format!("CAST(COALESCE(SUM(CASE WHEN answered_at >= {} AND answered_at < {} THEN 1 ELSE 0 END), 0) AS BIGINT) AS p{i}", w[0], w[1])
            })
            .collect();
        let sql = format!(
            "SELECT {} FROM invitations WHERE org_id = $1{scope} AND answered_at >= {first} AND answered_at < {last}",
            sums.join(", ")
        );
        let mut q = sqlx::query(&sql).bind(org_id);
        if let Some(i) = interview_id {
            q = q.bind(i);
        }
        let r = q.fetch_one(store.read()).await?;
        f.completed_per_period =
            (0..boundaries.len() - 1).map(|i| int(&r, &format!("p{i}"))).collect::<StoreResult<_>>()?;
    }
    Ok(f)
}

/// Funnels computed a moment ago, per node: a dashboard asked for many times a second is computed once every
/// [`FUNNEL_FRESH_MS`] per organization (or interview) and week range, and shown at most that old. While one request
/// computes it, the others for the same funnel wait for that result rather than computing it too.
#[derive(Default)]
pub struct FunnelCache {
    entries: std::sync::Mutex<HashMap<FunnelKey, FunnelSlot>>,
}

/// The organization, the interview (if one), the first period's start.
type FunnelKey = (String, Option<String>, i64);
/// When it was computed (store clock) and what, behind the lock its computation holds.
type FunnelSlot = std::sync::Arc<tokio::sync::Mutex<Option<(i64, Funnel)>>>;

/// How old a funnel may be when shown.
pub const FUNNEL_FRESH_MS: i64 = 5_000;

impl FunnelCache {
    pub async fn funnel(
        &self,
        store: &Store,
        org_id: &str,
        interview_id: Option<&str>,
        boundaries: &[i64],
    ) -> StoreResult<Funnel> {
        let key = (org_id.to_owned(), interview_id.map(str::to_owned), boundaries.first().copied().unwrap_or(0));
        let slot = {
            let mut entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if entries.len() > 10_000 {
                entries.clear();
            }
            entries.entry(key).or_default().clone()
        };
        let mut held = slot.lock().await;
        let now = store.now_ms();
        if let Some((at, f)) = held.as_ref()
            && now - *at < FUNNEL_FRESH_MS
            && *at <= now
        {
            return Ok(f.clone());
        }
        let f = funnel(store, org_id, interview_id, boundaries).await?;
        *held = Some((now, f.clone()));
        Ok(f)
    }
}
