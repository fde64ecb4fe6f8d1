//! What the answers page and a share link both show, below both: the answer rows with their players and review
//! blocks, and the kept takes served with HTTP ranges.

use super::layout::local_time;
use crate::media::{Container, MediaStore};
use crate::store::takes::Segment;
use crate::store::{answering, interviews, invitations, takes};
use crate::web::error::PageError;
use crate::web::state::AppState;
use axum::body::Body;
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

/// The rating choices, best last.
pub(crate) const STAR_CHOICES: [&str; 10] = ["0.5", "1", "1.5", "2", "2.5", "3", "3.5", "4", "4.5", "5"];

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

/// A duration as `m:ss` (rounded to the second).
pub(crate) fn clock_time(ms: i64) -> String {
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
