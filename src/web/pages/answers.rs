//! The completed interview: the target of the Notify-me link. Every question with the kept take (played from
//! `…/takes/{id}/media`, served with HTTP ranges behind the recruiter's session), the candidate's notes and the
//! candidate's timeline.

use super::candidates::describe_event;
use super::{Layout, local_time, render};
use crate::domain::InvitationStatus;
use crate::media::MediaStore;
use crate::store::takes::Segment;
use crate::store::{answering, candidates, interviews, invitations, takes};
use crate::web::AppState;
use crate::web::auth::{CsrfToken, CurrentUser};
use crate::web::error::{PageError, PageResult};
use askama::Template;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;

struct AnswerRow {
    rank: usize,
    text: String,
    instructions: Option<String>,
    /// `take 2 of 3`, when answered.
    take: Option<String>,
    /// `m:ss`, once known.
    duration: Option<String>,
    media_url: Option<String>,
    mime: &'static str,
    notes: Option<String>,
    answered_at: String,
}

struct EventRow {
    when: String,
    actor: String,
    what: String,
}

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
    events: Vec<EventRow>,
}

/// `GET /invitations/{id}/answers`.
pub async fn view(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> PageResult {
    let org = &user.actor.org;
    let inv = invitations::get(&state.store, &org.id, &id).await?;
    let interview = interviews::get(&state.store, &org.id, &inv.interview_id).await?;
    let answers = answering::answers_of(&state.store, &org.id, &id).await?;
    let tz = org.tz();
    let rows = interview
        .questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let a = answers.iter().find(|a| a.question_id == q.id);
            let kept = a.and_then(|a| a.kept_take_id.clone());
            AnswerRow {
                rank: i + 1,
                text: q.text.clone(),
                instructions: q.instructions.clone(),
                take: a
                    .and_then(|a| a.kept_take_number)
                    .filter(|_| kept.is_some())
                    .map(|n| format!("take {n} of {}", q.max_takes)),
                duration: a.and_then(|a| a.duration_ms).map(clock_time),
                media_url: kept.map(|t| format!("/invitations/{id}/takes/{t}/media")),
                mime: match a.and_then(|a| a.container.as_deref()) {
                    Some("mp4") => "video/mp4",
                    _ => "video/webm",
                },
                notes: a.and_then(|a| a.notes.clone()),
                answered_at: a.and_then(|a| a.kept_at).map(|t| local_time(t, &tz)).unwrap_or_default(),
            }
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
    let page = AnswersPage {
        layout: Layout::new(
            &user,
            &csrf,
            &headers,
            format!("{} — {}", inv.candidate_name, interview.name),
            "invitations",
        ),
        status: InvitationStatus::parse(&inv.status).map(InvitationStatus::label).unwrap_or("?"),
        title: interview.title.clone(),
        audio_only: interview.audio_only,
        sent: local_time(inv.sent_at, &tz),
        answered: inv.answered_at.map(|t| local_time(t, &tz)).unwrap_or_default(),
        inv,
        answers: rows,
        events,
    };
    render(&page, &page.layout)
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

/// `GET /invitations/{id}/takes/{take}/media`: a kept take, with HTTP ranges (206, `Content-Range`, 416), an ETag
/// and `If-Range`. Only the organization's signed-in users reach it; its URL is no credential.
pub async fn media(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path((id, take_id)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let (take, segments) = takes::kept_media(&state.store, &user.actor.org.id, &id, &take_id).await?;
    let len: u64 = segments.iter().map(|s| s.length as u64).sum();
    let etag = format!("\"{}-{len}\"", take.id);
    let mime = match take.container.as_deref() {
        Some("mp4") => "video/mp4",
        _ => "video/webm",
    };
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
