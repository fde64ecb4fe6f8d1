//! The completed interview: the target of the Notify-me link. Every question with the kept take (played from
//! `…/takes/{id}/media`, served with HTTP ranges behind the recruiter's session), the candidate's notes and the
//! candidate's timeline.

use super::candidates::describe_event;
use super::layout::{CsrfOnly, redirect_with, render_invalid};
use super::layout::{Layout, local_time, render};
use crate::domain::InvitationStatus;
use crate::domain::Stars;
use crate::media::{Container, MediaStore};
use crate::store::reviews::{self, Reviewer};
use crate::store::takes::Segment;
use crate::store::{answering, candidates, interviews, invitations, takes};
use crate::web::AppState;
use crate::web::auth::{CsrfToken, CurrentUser};
use crate::web::error::{PageError, PageResult};
use askama::Template;
use axum::body::Body;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;

pub(crate) struct AnswerRow {
    pub rank: usize,
    pub question_id: String,
    pub text: String,
    pub instructions: Option<String>,
    /// `take 2 of 3`, when answered.
    pub take: Option<String>,
    /// `m:ss`, once known.
    pub duration: Option<String>,
    pub media_url: Option<String>,
    pub mime: &'static str,
    /// The recording broke off (the candidate's page closed on the last take): it ends early.
    pub interrupted: bool,
    pub notes: Option<String>,
    pub answered_at: String,
    /// Answered, but the recording was deleted after the retention period.
    pub deleted: bool,
    pub review: ReviewBlock,
}

/// The ratings and comments of one subject (a question, or the interview as a whole), and the form state.
#[derive(Default)]
pub(crate) struct ReviewBlock {
    pub subject: String,
    pub average: Option<String>,
    pub ratings: Vec<(String, String)>,
    /// The signed-in reviewer's own rating.
    pub mine: Option<String>,
    pub comments: Vec<CommentRow>,
    pub rating_error: Option<String>,
    pub comment_error: Option<String>,
    pub comment_draft: String,
}

pub(crate) struct CommentRow {
    pub id: String,
    pub who: String,
    pub when: String,
    pub body: String,
    pub edited: bool,
    pub mine: bool,
}

struct EventRow {
    when: String,
    actor: String,
    what: String,
}

struct ShareRow {
    id: String,
    url: String,
    by: String,
    /// "works until …", "expired on …", "revoked on …".
    state: String,
    usable: bool,
    allow_rating: bool,
}

/// The rating choices, best last.
pub(crate) const STAR_CHOICES: [&str; 10] = ["0.5", "1", "1.5", "2", "2.5", "3", "3.5", "4", "4.5", "5"];

#[derive(Template)]
#[template(path = "invitations/answers.html")]
struct AnswersPage {
    layout: Layout,
    inv: invitations::InvitationRow,
    status: &'static str,
    title: String,
    audio_only: bool,
    sent: String,
    answered: String,
    answers: Vec<AnswerRow>,
    overall: ReviewBlock,
    stars: [&'static str; 10],
    shares: Vec<ShareRow>,
    share_days: [i64; 5],
    share_days_default: i64,
    events: Vec<EventRow>,
    media_deleted: Option<String>,
}

/// A form's problem to show on the page again (422), in the block of `subject`.
#[derive(Default)]
struct Problem {
    subject: String,
    rating: Option<String>,
    comment: Option<String>,
    draft: String,
}

/// The answers of an invitation, question by question, with media under `media_base` (`/invitations/{id}` for
/// recruiters, `/s/{token}` on a share link).
pub(crate) async fn answer_rows(
    state: &AppState,
    org: &crate::store::orgs::Organization,
    inv: &invitations::InvitationRow,
    interview: &interviews::Interview,
    media_base: &str,
) -> Result<Vec<AnswerRow>, PageError> {
    let answers = answering::answers_of(&state.store, &org.id, &inv.id).await?;
    let tz = org.tz();
    Ok(interview
        .questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let a = answers.iter().find(|a| a.question_id == q.id);
            // A kept take whose row is gone was deleted by the retention job.
            let kept = a.filter(|a| a.kept_take_number.is_some()).and_then(|a| a.kept_take_id.clone());
            AnswerRow {
                deleted: a.is_some_and(|a| a.kept_take_id.is_some()) && kept.is_none(),
                rank: i + 1,
                question_id: q.id.clone(),
                text: q.text.clone(),
                instructions: q.instructions.clone(),
                take: a
                    .and_then(|a| a.kept_take_number)
                    .filter(|_| kept.is_some())
                    .map(|n| format!("take {n} of {}", q.max_takes)),
                duration: a.and_then(|a| a.duration_ms).map(clock_time),
                media_url: kept.map(|t| format!("{media_base}/takes/{t}/media")),
                mime: Container::mime_of(a.and_then(|a| a.container.as_deref())),
                interrupted: a.is_some_and(|a| a.interrupted),
                notes: a.and_then(|a| a.notes.clone()),
                answered_at: a.and_then(|a| a.kept_at).map(|t| local_time(t, &tz)).unwrap_or_default(),
                review: ReviewBlock { subject: q.id.clone(), ..Default::default() },
            }
        })
        .collect())
}

/// Fills a subject's block from the invitation's ratings and comments, as `me` sees it.
fn review_block(
    subject: &str,
    ratings: &[reviews::Rating],
    comments: &[reviews::Comment],
    me: &str,
    tz: &jiff::tz::TimeZone,
) -> ReviewBlock {
    let mine: Vec<&reviews::Rating> = ratings.iter().filter(|r| r.subject == subject).collect();
    ReviewBlock {
        subject: subject.to_owned(),
        average: crate::domain::average(mine.iter().map(|r| r.stars.halves())),
        ratings: mine.iter().map(|r| (r.reviewer_name.clone(), r.stars.label())).collect(),
        mine: mine.iter().find(|r| r.reviewer == me).map(|r| r.stars.label()),
        comments: comments
            .iter()
            .filter(|c| c.subject == subject)
            .map(|c| CommentRow {
                id: c.id.clone(),
                who: c.reviewer_name.clone(),
                when: local_time(c.created_at, tz),
                body: c.body.clone(),
                edited: c.updated_at > c.created_at,
                mine: c.reviewer == me,
            })
            .collect(),
        ..Default::default()
    }
}

/// `GET /invitations/{id}/answers`.
pub async fn view(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> PageResult {
    let page = answers_page(&state, &user, &csrf, &headers, &id, Problem::default()).await?;
    render(&page, &page.layout)
}

async fn answers_page(
    state: &AppState,
    user: &CurrentUser,
    csrf: &CsrfToken,
    headers: &HeaderMap,
    id: &str,
    problem: Problem,
) -> Result<AnswersPage, PageError> {
    let org = &user.actor.org;
    let inv = invitations::get(&state.store, &org.id, id).await?;
    let interview = interviews::get(&state.store, &org.id, &inv.interview_id).await?;
    let tz = org.tz();
    let mut rows = answer_rows(state, org, &inv, &interview, &format!("/invitations/{id}")).await?;
    let (ratings, comments) = reviews::of_invitation(&state.store, &inv.id).await?;
    let me = Reviewer::of(&user.actor).key();
    let mut overall = review_block(reviews::OVERALL, &ratings, &comments, &me, &tz);
    for row in &mut rows {
        row.review = review_block(&row.question_id, &ratings, &comments, &me, &tz);
    }
    for block in rows.iter_mut().map(|r| &mut r.review).chain(std::iter::once(&mut overall)) {
        if block.subject == problem.subject {
            block.rating_error = problem.rating.clone();
            block.comment_error = problem.comment.clone();
            block.comment_draft = problem.draft.clone();
        }
    }
    let now = state.store.now_ms();
    let shares = reviews::shares_of(&state.store, &inv.id)
        .await?
        .into_iter()
        .map(|s| ShareRow {
            url: state.link(&format!("/s/{}", reviews::share_token(&state.link_key, &s.id))),
            by: s.created_by_name.clone(),
            state: match s.revoked_at {
                Some(t) => format!("revoked on {}", local_time(t, &tz)),
                None if now >= s.expires_at => format!("expired on {}", local_time(s.expires_at, &tz)),
                None => format!("works until {}", local_time(s.expires_at, &tz)),
            },
            usable: s.usable_at(now),
            allow_rating: s.allow_rating,
            id: s.id,
        })
        .collect();
    let events = candidates::timeline(&state.store, &org.id, &inv.candidate_id)
        .await?
        .into_iter()
        .map(|e| EventRow {
            when: local_time(e.created_at, &tz),
            what: describe_event(&e.kind, &e.detail),
            actor: e.actor,
        })
        .collect();
    Ok(AnswersPage {
        layout: Layout::new(user, csrf, headers, format!("{} — {}", inv.candidate_name, interview.name), "invitations"),
        status: InvitationStatus::parse(&inv.status).map(InvitationStatus::label).unwrap_or("?"),
        title: interview.title.clone(),
        audio_only: interview.audio_only,
        sent: local_time(inv.sent_at, &tz),
        answered: inv.answered_at.map(|t| local_time(t, &tz)).unwrap_or_default(),
        media_deleted: inv.media_deleted_at.map(|t| local_time(t, &tz)),
        inv,
        answers: rows,
        overall,
        stars: STAR_CHOICES,
        shares,
        share_days: crate::domain::SHARE_DAYS,
        share_days_default: crate::domain::SHARE_DAYS_DEFAULT,
        events,
    })
}

/// The subject of a review form: `overall`, or a question of the interview that has a kept answer.
async fn checked_subject(
    state: &AppState,
    org_id: &str,
    inv: &invitations::InvitationRow,
    subject: &str,
) -> Result<Option<usize>, PageError> {
    if subject == reviews::OVERALL {
        return Ok(None);
    }
    let interview = interviews::get(&state.store, org_id, &inv.interview_id).await?;
    let rank = interview.questions.iter().position(|q| q.id == subject).ok_or(PageError::NotFound)? + 1;
    let answered = answering::answers_of(&state.store, org_id, &inv.id)
        .await?
        .iter()
        .any(|a| a.question_id == subject && a.kept_take_id.is_some());
    if !answered {
        return Err(PageError::BadRequest("This question has no answer to review yet.".into()));
    }
    Ok(Some(rank))
}

#[derive(serde::Deserialize)]
pub struct RatingForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    subject: String,
    /// Empty: remove the rating.
    #[serde(default)]
    stars: String,
}

/// `POST /invitations/{id}/ratings`: sets, changes or removes the user's rating of an answer or the interview.
pub async fn rate(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<RatingForm>,
) -> PageResult {
    csrf.verify(&form.csrf)?;
    let inv = invitations::get(&state.store, &user.actor.org.id, &id).await?;
    let rank = checked_subject(&state, &user.actor.org.id, &inv, &form.subject).await?;
    let stars = if form.stars.trim().is_empty() {
        None
    } else {
        match Stars::parse("stars", &form.stars) {
            Ok(s) => Some(s),
            Err(e) => {
                let problem = Problem { subject: form.subject, rating: Some(e.message), ..Default::default() };
                let page = answers_page(&state, &user, &csrf, &headers, &id, problem).await?;
                return render_invalid(&page, &page.layout);
            }
        }
    };
    let subject = reviews::Subject { inv: &inv, id: &form.subject, rank };
    reviews::rate(&state.store, &[(subject, stars)], &Reviewer::of(&user.actor)).await?;
    let message = match stars {
        Some(s) => format!("Rated {}.", s.label()),
        None => "Rating removed.".to_owned(),
    };
    Ok(redirect_with(&state, &format!("/invitations/{id}/answers#{}", anchor(rank)), &message))
}

/// The page anchor of a subject's block.
fn anchor(rank: Option<usize>) -> String {
    rank.map_or_else(|| "overall".to_owned(), |r| format!("q{r}"))
}

#[derive(serde::Deserialize)]
pub struct CommentForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
}

/// `POST /invitations/{id}/comments`.
pub async fn comment(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<CommentForm>,
) -> PageResult {
    csrf.verify(&form.csrf)?;
    let inv = invitations::get(&state.store, &user.actor.org.id, &id).await?;
    let rank = checked_subject(&state, &user.actor.org.id, &inv, &form.subject).await?;
    let body = match crate::domain::comment_text("body", &form.body) {
        Ok(b) => b,
        Err(e) => {
            let problem =
                Problem { subject: form.subject, comment: Some(e.message), draft: form.body, ..Default::default() };
            let page = answers_page(&state, &user, &csrf, &headers, &id, problem).await?;
            return render_invalid(&page, &page.layout);
        }
    };
    let subject = reviews::Subject { inv: &inv, id: &form.subject, rank };
    reviews::add_comment(&state.store, &subject, &Reviewer::of(&user.actor), &body).await?;
    Ok(redirect_with(&state, &format!("/invitations/{id}/answers#{}", anchor(rank)), "Comment added."))
}

/// `POST /invitations/{id}/comments/{comment}`: the author changes their comment.
pub async fn edit_comment(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path((id, comment_id)): Path<(String, String)>,
    Form(form): Form<CommentForm>,
) -> PageResult {
    csrf.verify(&form.csrf)?;
    let inv = invitations::get(&state.store, &user.actor.org.id, &id).await?;
    let body = crate::domain::comment_text("body", &form.body).map_err(|e| PageError::BadRequest(e.message))?;
    reviews::change_comment(&state.store, &inv, &comment_id, &Reviewer::of(&user.actor), Some(&body)).await?;
    Ok(redirect_with(&state, &format!("/invitations/{id}/answers"), "Comment changed."))
}

/// `POST /invitations/{id}/comments/{comment}/delete`: the author deletes their comment.
pub async fn delete_comment(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path((id, comment_id)): Path<(String, String)>,
    Form(form): Form<CsrfOnly>,
) -> PageResult {
    csrf.verify(&form.csrf)?;
    let inv = invitations::get(&state.store, &user.actor.org.id, &id).await?;
    reviews::change_comment(&state.store, &inv, &comment_id, &Reviewer::of(&user.actor), None).await?;
    Ok(redirect_with(&state, &format!("/invitations/{id}/answers"), "Comment deleted."))
}

#[derive(serde::Deserialize)]
pub struct ShareForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    days: String,
    #[serde(default)]
    allow_rating: Option<String>,
}

/// `POST /invitations/{id}/shares`: a new read-only link for colleagues.
pub async fn share(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path(id): Path<String>,
    Form(form): Form<ShareForm>,
) -> PageResult {
    csrf.verify(&form.csrf)?;
    let inv = invitations::get(&state.store, &user.actor.org.id, &id).await?;
    let days = crate::domain::share_days("days", &form.days).map_err(|e| PageError::BadRequest(e.message))?;
    let link =
        reviews::create_share(&state.store, &user.actor, &inv, &state.link_key, days, form.allow_rating.is_some())
            .await?;
    let until = local_time(link.expires_at, &user.actor.org.tz());
    Ok(redirect_with(
        &state,
        &format!("/invitations/{id}/answers#share"),
        &format!("Share link created: it works until {until}. Copy it below."),
    ))
}

/// `POST /invitations/{id}/shares/{share}/revoke`.
pub async fn revoke_share(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path((id, share_id)): Path<(String, String)>,
    Form(form): Form<CsrfOnly>,
) -> PageResult {
    csrf.verify(&form.csrf)?;
    let inv = invitations::get(&state.store, &user.actor.org.id, &id).await?;
    reviews::revoke_share(&state.store, &user.actor, &inv, &share_id).await?;
    Ok(redirect_with(&state, &format!("/invitations/{id}/answers#share"), "Share link revoked: it no longer works."))
}

/// A duration as `m:ss` (rounded to the second).
fn clock_time(ms: i64) -> String {
    let s = (ms + 500) / 1000;
    format!("{}:{:02}", s / 60, s % 60)
}

/// A byte range request, as far as it is understood.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeRequest {
    /// No `Range` header (or one to ignore, such as several ranges): the whole object.
    Whole,
    /// `start..=end`, within the object.
    Part(u64, u64),
    /// Nothing of the object matches.
    Unsatisfiable,
}

/// Parses a `Range` header against an object of `len` bytes: `bytes=a-b`, `bytes=a-`, `bytes=-n`. Several ranges
/// are answered with the whole object (which RFC 9110 allows).
pub fn parse_range(header: Option<&str>, len: u64) -> RangeRequest {
    let Some(spec) = header.map(str::trim).and_then(|h| h.strip_prefix("bytes=")) else {
        return RangeRequest::Whole;
    };
    if spec.contains(',') {
        return RangeRequest::Whole;
    }
    let Some((a, b)) = spec.split_once('-') else {
        return RangeRequest::Whole;
    };
    let (a, b) = (a.trim(), b.trim());
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(start), Ok(end)) if start <= end => {
            if start >= len {
                RangeRequest::Unsatisfiable
            } else {
                RangeRequest::Part(start, end.min(len - 1))
            }
        }
        (Ok(start), Err(_)) if b.is_empty() => {
            if start >= len {
                RangeRequest::Unsatisfiable
            } else {
                RangeRequest::Part(start, len - 1)
            }
        }
        (Err(_), Ok(suffix)) if a.is_empty() => {
            if suffix == 0 || len == 0 {
                RangeRequest::Unsatisfiable
            } else {
                RangeRequest::Part(len.saturating_sub(suffix), len - 1)
            }
        }
        _ => RangeRequest::Whole,
    }
}

/// Bytes `start..=end` of a take stored as segments, read piece by piece (at most 1 MiB at a time).
fn segment_stream(
    media: MediaStore,
    segments: Vec<Segment>,
    start: u64,
    end: u64,
) -> impl futures_util::Stream<Item = Result<bytes::Bytes, std::io::Error>> + Send + 'static {
    const PIECE: u64 = 1024 * 1024;
    let mut pieces = Vec::new();
    for s in &segments {
        let (s_start, s_end) = (s.start_offset as u64, (s.start_offset + s.length) as u64);
        let (from, to) = (start.max(s_start), (end + 1).min(s_end));
        let mut at = from;
        while at < to {
            let upto = (at + PIECE).min(to);
            pieces.push((s.object_key.clone(), at - s_start, upto - s_start));
            at = upto;
        }
    }
    futures_util::stream::iter(pieces).then(move |(key, from, to)| {
        let media = media.clone();
        async move { media.read_range(&key, from, to).await.map_err(std::io::Error::other) }
    })
}

/// `GET /invitations/{id}/takes/{take}/media`: a kept take, behind the recruiter's session. Its URL is no
/// credential.
pub async fn media(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path((id, take_id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    serve_take(&state, &user.actor.org.id, &id, &take_id, &headers).await
}

/// A kept take of the organization's invitation, with HTTP ranges (206, `Content-Range`, 416), an ETag and
/// `If-Range`. Whoever calls it has checked the reader may see the invitation.
pub(crate) async fn serve_take(
    state: &AppState,
    org_id: &str,
    invitation_id: &str,
    take_id: &str,
    headers: &HeaderMap,
) -> Result<Response, PageError> {
    let (take, segments) = takes::kept_media(&state.store, org_id, invitation_id, take_id).await?;
    let len: u64 = segments.iter().map(|s| s.length as u64).sum();
    let etag = format!("\"{}-{len}\"", take.id);
    let mime = Container::mime_of(take.container.as_deref());
    let if_range_ok = headers.get(header::IF_RANGE).and_then(|v| v.to_str().ok()).is_none_or(|v| v.trim() == etag);
    let range = if if_range_ok {
        parse_range(headers.get(header::RANGE).and_then(|v| v.to_str().ok()), len)
    } else {
        RangeRequest::Whole
    };
    let mut res = match range {
        RangeRequest::Unsatisfiable => {
            let mut r = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            r
        }
        RangeRequest::Whole => {
            let body = Body::from_stream(segment_stream(state.media.clone(), segments, 0, len.saturating_sub(1)));
            let mut r = (StatusCode::OK, body).into_response();
            r.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(len));
            r
        }
        RangeRequest::Part(start, end) => {
            let body = Body::from_stream(segment_stream(state.media.clone(), segments, start, end));
            let mut r = (StatusCode::PARTIAL_CONTENT, body).into_response();
            r.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(end - start + 1));
            if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{len}")) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            r
        }
    };
    let h = res.headers_mut();
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_as_rfc_9110_has_them() {
        assert_eq!(parse_range(None, 100), RangeRequest::Whole);
        assert_eq!(parse_range(Some("bytes=0-9"), 100), RangeRequest::Part(0, 9));
        assert_eq!(parse_range(Some("bytes=50-"), 100), RangeRequest::Part(50, 99));
        assert_eq!(parse_range(Some("bytes=-10"), 100), RangeRequest::Part(90, 99));
        assert_eq!(parse_range(Some("bytes=-1000"), 100), RangeRequest::Part(0, 99));
        assert_eq!(parse_range(Some("bytes=90-1000"), 100), RangeRequest::Part(90, 99));
        assert_eq!(parse_range(Some("bytes=100-"), 100), RangeRequest::Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=-0"), 100), RangeRequest::Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=0-1,5-6"), 100), RangeRequest::Whole);
        assert_eq!(parse_range(Some("bytes=9-0"), 100), RangeRequest::Whole);
        assert_eq!(parse_range(Some("items=0-1"), 100), RangeRequest::Whole);
    }
}
