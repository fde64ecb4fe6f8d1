//! The tus 1.0 resumable-upload protocol (core, creation, creation-defer-length, termination, expiration) for takes,
//! under `/i/{token}/uploads`. The upload state is in the database (`store::takes`), so any node can take any
//! request; the bytes go through `media::MediaStore`. Each PATCH holds a lease-based lock on the upload while it
//! streams, so two PATCHes of one upload never write at once (the second gets 423).

use super::{link_of, token_shape_ok};
use crate::media::{WriteEnd, WriteError};
use crate::store::answering::{self, LinkState};
use crate::store::takes::{self, Appended, LockRefused, NewTake, Take};
use crate::store::{StoreError, new_id};
use crate::usecase::{self, UseCaseError};
use crate::web::error::current_request_id;
use crate::web::state::AppState;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;

pub const TUS_VERSION: &str = "1.0.0";
pub const TUS_EXTENSIONS: &str = "creation,creation-defer-length,termination,expiration";
/// A generous bitrate for the size cap of a take: 16 Mbit/s (2 MB/s) over the question's maximum duration.
pub const MAX_BYTES_PER_SECOND: i64 = 2_000_000;
/// Room for container overhead and a slow Stop on top of that.
pub const MAX_BYTES_SLACK: i64 = 8 * 1024 * 1024;
/// How long an unfinished upload can be resumed.
pub const UPLOAD_TTL_MS: i64 = 24 * 3600 * 1000;
pub use crate::usecase::answering::DEADLINE_GRACE_MS;
/// A PATCH's lock lasts this long and is renewed while the body streams; a crashed node's lock runs out after it,
/// well within the retries of common tus clients (tus-js-client gives up after about 10 s).
pub const LOCK_LEASE_MS: i64 = 5_000;
const LOCK_RENEW_EVERY: std::time::Duration = std::time::Duration::from_millis(1_500);
/// A PATCH body that sends nothing for this long is cut: what arrived is kept and the lock released, so the client
/// (or another connection of it) can resume at once instead of meeting 423 until the request times out.
pub const BODY_IDLE: std::time::Duration = std::time::Duration::from_secs(10);

/// A tus answer: the status, `Tus-Resumable` and the given headers, and a short text body for people reading logs.
fn reply(status: StatusCode, headers: &[(&'static str, String)], message: &str) -> Response {
    let mut res = (status, message.to_owned()).into_response();
    let h = res.headers_mut();
    h.insert("tus-resumable", HeaderValue::from_static(TUS_VERSION));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    for (name, value) in headers {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(*name, v);
        }
    }
    res
}

/// A refusal, boxed: `Response` is large, and the happy path should not carry its size.
type Refused = Box<Response>;

fn error(status: StatusCode, message: &str) -> Response {
    reply(status, &[], message)
}

fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(request_id = %current_request_id(), error = %e, "upload request failed");
    error(StatusCode::INTERNAL_SERVER_ERROR, "Internal error; the upload can be resumed.")
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// `Tus-Resumable: 1.0.0` is required on every request but OPTIONS.
fn check_version(headers: &HeaderMap) -> Result<(), Refused> {
    match header_str(headers, "tus-resumable") {
        Some(TUS_VERSION) => Ok(()),
        _ => Err(Box::new(reply(
            StatusCode::PRECONDITION_FAILED,
            &[("tus-version", TUS_VERSION.to_owned())],
            "Tus-Resumable 1.0.0 is required.",
        ))),
    }
}

fn parse_length(raw: Option<&str>) -> Result<Option<i64>, Refused> {
    match raw {
        None => Ok(None),
        Some(v) => {
            v.parse::<i64>().ok().filter(|n| *n >= 0).map(Some).ok_or_else(|| {
                Box::new(error(StatusCode::BAD_REQUEST, "Upload-Length must be a non-negative integer."))
            })
        }
    }
}

/// `Upload-Expires` as tus wants it (RFC 9110 date).
fn http_date(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string())
        .unwrap_or_default()
}

/// Parses `Upload-Metadata`: comma-separated `key base64value` pairs.
fn metadata(raw: &str) -> Vec<(String, String)> {
    raw.split(',')
        .filter_map(|pair| {
            let mut it = pair.trim().splitn(2, ' ');
            let key = it.next()?.to_owned();
            let value = it
                .next()
                .and_then(|v| base64::engine::general_purpose::STANDARD.decode(v.trim()).ok())
                .and_then(|v| String::from_utf8(v).ok())
                .unwrap_or_default();
            Some((key, value))
        })
        .collect()
}

fn no_such_upload() -> Refused {
    Box::new(error(StatusCode::NOT_FOUND, "No such upload."))
}

/// The link's state, when it still takes uploads at `now` (else 404: nothing is said about a closed invitation).
async fn open_link(state: &AppState, token: &str, grace_ms: i64) -> Result<LinkState, Refused> {
    if !token_shape_ok(token) {
        return Err(no_such_upload());
    }
    match answering::state_by_token(&state.store, token).await {
        Ok(Some(link)) if link.takes_answers(state.store.now_ms(), grace_ms) => Ok(link),
        Ok(_) => Err(no_such_upload()),
        Err(e) => Err(Box::new(internal(e))),
    }
}

/// The take an upload's URL names, when its link is open and the take may still take bytes or be asked about.
async fn upload_of(state: &AppState, token: &str, id: &str) -> Result<Take, Refused> {
    let link = open_link(state, token, DEADLINE_GRACE_MS).await?;
    take_of(state, &link, id).await
}

/// The take of this link, when it may still take bytes or be asked about.
async fn take_of(state: &AppState, link: &LinkState, id: &str) -> Result<Take, Refused> {
    match takes::get(&state.store, &link.invitation_id, id).await {
        Ok(t) if t.status == takes::DISCARDED => Err(Box::new(error(StatusCode::NOT_FOUND, "No such upload."))),
        Ok(t) if t.status == takes::UPLOADING && t.expires_at <= state.store.now_ms() => {
            Err(Box::new(error(StatusCode::GONE, "This upload has expired.")))
        }
        // Uploads that began before the deadline may finish within the grace period; none after it.
        Ok(t) if state.store.now_ms() >= link.closes_at && t.created_at >= link.closes_at => {
            Err(Box::new(error(StatusCode::NOT_FOUND, "No such upload.")))
        }
        Ok(t) => Ok(t),
        Err(StoreError::NotFound) => Err(Box::new(error(StatusCode::NOT_FOUND, "No such upload."))),
        Err(e) => Err(Box::new(internal(e))),
    }
}

fn offset_headers(take: &Take) -> Vec<(&'static str, String)> {
    let mut h = vec![("upload-offset", take.upload_offset.to_string())];
    match take.upload_length {
        Some(len) => h.push(("upload-length", len.to_string())),
        None => h.push(("upload-defer-length", "1".to_owned())),
    }
    if take.status == takes::UPLOADING {
        h.push(("upload-expires", http_date(take.expires_at)));
    }
    h
}

/// `OPTIONS /i/{token}/uploads`: what this server supports.
pub async fn options() -> Response {
    reply(
        StatusCode::NO_CONTENT,
        &[
            ("tus-version", TUS_VERSION.to_owned()),
            ("tus-extension", TUS_EXTENSIONS.to_owned()),
            ("tus-max-size", (600 * MAX_BYTES_PER_SECOND + MAX_BYTES_SLACK).to_string()),
        ],
        "",
    )
}

/// `POST /i/{token}/uploads` (creation): begins a take of the question named in `Upload-Metadata: question …`.
pub async fn create(State(state): State<AppState>, Path(token): Path<String>, headers: HeaderMap) -> Response {
    if let Err(r) = check_version(&headers) {
        return *r;
    }
    let link = match link_of(&state, &token).await {
        Ok(l) if l.state().takes_answers(state.store.now_ms(), 0) => l,
        _ => return *no_such_upload(),
    };
    if link.consented_at.is_none() {
        return error(StatusCode::FORBIDDEN, "Agree to the recording first.");
    }
    // A take begun now could not be kept: say so before anything is recorded, rather than fail halfway.
    if !state.disk.takes_new_recordings() {
        tracing::warn!(free = ?state.disk.free_bytes(), reserve = state.disk.reserve, "new take refused: disk low");
        return error(StatusCode::INSUFFICIENT_STORAGE, "The server is short of storage; recording cannot start now.");
    }
    let length = match parse_length(header_str(&headers, "upload-length")) {
        Ok(l) => l,
        Err(r) => return *r,
    };
    if length.is_none() && header_str(&headers, "upload-defer-length") != Some("1") {
        return error(StatusCode::BAD_REQUEST, "Send Upload-Length, or Upload-Defer-Length: 1.");
    }
    let meta = metadata(header_str(&headers, "upload-metadata").unwrap_or(""));
    let question_id = meta.iter().find(|(k, _)| k == "question").map(|(_, v)| v.as_str()).unwrap_or("");
    let Some(question) = link.interview.questions.iter().find(|q| q.id == question_id) else {
        return error(StatusCode::NOT_FOUND, "No such question in this interview.");
    };
    let max_bytes = question.max_answer_seconds * MAX_BYTES_PER_SECOND + MAX_BYTES_SLACK;
    if length.is_some_and(|l| l > max_bytes) {
        return error(StatusCode::PAYLOAD_TOO_LARGE, "This take is larger than the question's answer time allows.");
    }
    let now = state.store.now_ms();
    let new = NewTake {
        question_id: &question.id,
        max_takes: question.max_takes,
        upload_length: length,
        max_bytes,
        expires_at: now + UPLOAD_TTL_MS,
    };
    match usecase::answering::start_take(&state.usecases, &link, &new).await {
        Ok(take) => {
            let location = format!("/i/{token}/uploads/{}", take.id);
            let mut h = vec![("location", location), ("upload-expires", http_date(take.expires_at))];
            h.push(("x-take-number", take.number.to_string()));
            reply(StatusCode::CREATED, &h, "")
        }
        Err(UseCaseError::Conflict("takes_used_up")) => {
            error(StatusCode::CONFLICT, "Every take of this question has been used.")
        }
        Err(UseCaseError::Conflict("answer_kept")) => error(StatusCode::CONFLICT, "This question is already answered."),
        Err(UseCaseError::Conflict(_)) | Err(UseCaseError::NotFound) => error(StatusCode::NOT_FOUND, "No such upload."),
        Err(e) => internal(e),
    }
}

/// `HEAD /i/{token}/uploads/{id}`: where the upload stands.
pub async fn head(
    State(state): State<AppState>,
    Path((token, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = check_version(&headers) {
        return *r;
    }
    match upload_of(&state, &token, &id).await {
        Ok(take) => reply(StatusCode::OK, &offset_headers(&take), ""),
        Err(r) => *r,
    }
}

/// `PATCH /i/{token}/uploads/{id}`: appends the body at `Upload-Offset`. A request refused before its body is read
/// still has (up to 4 MiB of) its body read and dropped, so the client can read the answer instead of failing on a
/// closed connection.
pub async fn patch(
    State(state): State<AppState>,
    Path((token, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let mut body = Some(body);
    let res = patch_body(&state, &token, &id, &headers, &mut body).await;
    if let Some(unread) = body.take() {
        drain(unread).await;
    }
    res
}

/// Reads and drops what is left of a body, up to 4 MiB and 5 seconds.
async fn drain(body: Body) {
    use futures_util::StreamExt;
    const LIMIT: usize = 4 * 1024 * 1024;
    let mut stream = body.into_data_stream();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        let mut seen = 0;
        while let Some(Ok(chunk)) = stream.next().await {
            seen += chunk.len();
            if seen > LIMIT {
                break;
            }
        }
    })
    .await;
}

async fn patch_body(state: &AppState, token: &str, id: &str, headers: &HeaderMap, body: &mut Option<Body>) -> Response {
    if let Err(r) = check_version(headers) {
        return *r;
    }
    if header_str(headers, "content-type") != Some("application/offset+octet-stream") {
        return error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "Content-Type must be application/offset+octet-stream.");
    }
    let take = match upload_of(state, token, id).await {
        Ok(t) => t,
        Err(r) => return *r,
    };
    let Some(offset) = header_str(headers, "upload-offset").and_then(|v| v.parse::<i64>().ok()).filter(|o| *o >= 0)
    else {
        return error(StatusCode::BAD_REQUEST, "Upload-Offset must be a non-negative integer.");
    };
    let new_length = match parse_length(header_str(headers, "upload-length")) {
        Ok(l) => l,
        Err(r) => return *r,
    };
    if take.status != takes::UPLOADING {
        // An empty PATCH at the end of a finished upload repeats the last one (whose answer was lost): it is done.
        let empty = header_str(headers, "content-length").is_none_or(|l| l == "0");
        if empty && offset == take.upload_offset && take.upload_length == Some(take.upload_offset) {
            return reply(StatusCode::NO_CONTENT, &offset_headers(&take), "");
        }
        return error(StatusCode::CONFLICT, "This upload is complete.");
    }
    if offset != take.upload_offset {
        return reply(StatusCode::CONFLICT, &offset_headers(&take), "Upload-Offset does not match the upload.");
    }
    let declared = match (take.upload_length, new_length) {
        (Some(old), Some(new)) if old != new => {
            return error(StatusCode::BAD_REQUEST, "Upload-Length cannot change once it is set.");
        }
        (None, Some(new)) if new < offset => {
            return error(StatusCode::BAD_REQUEST, "Upload-Length is smaller than what was already uploaded.");
        }
        (None, Some(new)) if new > take.max_bytes => {
            return error(StatusCode::PAYLOAD_TOO_LARGE, "This take is larger than the question's answer time allows.");
        }
        (_, Some(new)) => Some(new),
        (old, None) => old,
    };
    let owner = new_id();
    match takes::lock(&state.store, &take, offset, &owner, LOCK_LEASE_MS).await {
        Ok(Ok(())) => {}
        Ok(Err(LockRefused::Offset)) => return error(StatusCode::CONFLICT, "Upload-Offset does not match the upload."),
        Ok(Err(LockRefused::Locked { until })) => {
            let seconds = ((until - state.store.now_ms()).max(0) + 999) / 1000;
            return reply(
                StatusCode::LOCKED,
                &[("retry-after", seconds.max(1).to_string())],
                "Another request is writing this upload; try again shortly.",
            );
        }
        Ok(Err(LockRefused::Closed)) => return error(StatusCode::CONFLICT, "This upload is no longer open."),
        Err(e) => return internal(e),
    }
    let limit = declared.unwrap_or(take.max_bytes).min(take.max_bytes);
    let key = format!("takes/{}/{}/{offset:016}-{owner}", take.invitation_id, take.id);
    // The lock is renewed while the body streams.
    let (stop_tx, mut stop_rx) = tokio::sync::oneshot::channel::<()>();
    let renewer = {
        let (store, take_id, owner) = (state.store.clone(), take.id.clone(), owner.clone());
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = &mut stop_rx => break,
                    _ = tokio::time::sleep(LOCK_RENEW_EVERY) => {
                        if let Err(e) = takes::renew_lock(&store, &take_id, &owner, LOCK_LEASE_MS).await {
                            tracing::warn!(error = %e, "cannot renew an upload lock");
                        }
                    }
                }
            }
        })
    };
    let room = (limit - offset).max(0) as u64;
    let expected = header_str(headers, "content-length").and_then(|v| v.parse::<u64>().ok());
    let Some(body) = body.take() else {
        return internal("the request body was already taken");
    };
    // Until the container is known (a first PATCH may be shorter than the bytes that tell it), the bytes stored so
    // far take part in telling it.
    let prior = match (&take.container, offset) {
        (Some(_), _) => None,
        (None, 0) => Some(Vec::new()),
        (None, n) if n < 16 => match stored_bytes(state, &take).await {
            Ok(b) => Some(b),
            Err(e) => {
                let _ = takes::release_lock(&state.store, &take.id, &owner).await;
                return internal(e);
            }
        },
        (None, _) => None,
    };
    let stream = idle_cut(body.into_data_stream(), BODY_IDLE);
    let written = state.media.write_stream(&key, stream, room, prior.as_deref(), expected).await;
    let _ = stop_tx.send(());
    let _ = renewer.await;
    let (length, container, end) = match written {
        Ok(w) => w,
        Err(e) => {
            let _ = takes::release_lock(&state.store, &take.id, &owner).await;
            return match e {
                WriteError::TooLarge => {
                    error(StatusCode::PAYLOAD_TOO_LARGE, "This take is larger than the question's answer time allows.")
                }
                WriteError::NotMedia => {
                    // Nothing of it was a recording: the take does not count.
                    if offset == 0
                        && let Err(e) = takes::give_back(&state.store, &take).await
                    {
                        return internal(e);
                    }
                    error(StatusCode::UNSUPPORTED_MEDIA_TYPE, "Only WebM and MP4 recordings are accepted.")
                }
                WriteError::Store(e) => internal(e),
            };
        }
    };
    let appended = Appended {
        start_offset: offset,
        length: length as i64,
        object_key: &key,
        container: container.map(|c| c.as_str()),
        upload_length: new_length.filter(|_| take.upload_length.is_none()),
    };
    match takes::append(&state.store, &take, &owner, &appended).await {
        Ok(updated) => {
            let status = match end {
                WriteEnd::Done => StatusCode::NO_CONTENT,
                // The client is gone; what arrived is kept and HEAD tells where to resume.
                WriteEnd::BrokenOff => StatusCode::BAD_REQUEST,
            };
            reply(status, &offset_headers(&updated), "")
        }
        Err(StoreError::Conflict(_)) => {
            let _ = state.media.delete(&key).await;
            error(StatusCode::CONFLICT, "The upload moved on meanwhile; ask for its offset again.")
        }
        // The take went while its bytes streamed (its candidate was erased, say): nothing of them stays.
        Err(StoreError::NotFound) => {
            let _ = state.media.delete(&key).await;
            error(StatusCode::NOT_FOUND, "No such upload.")
        }
        Err(e) => {
            let _ = state.media.delete(&key).await;
            internal(e)
        }
    }
}

/// tus core: a POST with `X-HTTP-Method-Override` is the method it names (for clients behind proxies that pass only
/// GET and POST). Applied before routing.
pub fn apply_method_override<B>(req: &mut axum::http::Request<B>) {
    use axum::http::Method;
    let path = req.uri().path();
    if req.method() != Method::POST || !path.starts_with("/i/") || !path.contains("/uploads") {
        return;
    }
    let wanted = req.headers().get("x-http-method-override").and_then(|v| v.to_str().ok()).map(str::trim);
    let method = match wanted.map(str::to_ascii_uppercase).as_deref() {
        Some("PATCH") => Method::PATCH,
        Some("HEAD") => Method::HEAD,
        Some("DELETE") => Method::DELETE,
        Some("OPTIONS") => Method::OPTIONS,
        _ => return,
    };
    *req.method_mut() = method;
}

/// The bytes of a take stored so far (only ever a few, while its container is not yet known).
async fn stored_bytes(state: &AppState, take: &Take) -> anyhow::Result<Vec<u8>> {
    let segments = takes::segments(&state.store, &take.id).await?;
    let parts: Vec<(&str, u64)> = segments.iter().map(|s| (s.object_key.as_str(), s.length as u64)).collect();
    state.media.read_concatenated(&parts).await
}

/// The body, ending in an error when nothing arrives for `idle` (a client that stalls mid-body).
fn idle_cut<S>(
    body: S,
    idle: std::time::Duration,
) -> impl futures_util::Stream<Item = Result<bytes::Bytes, axum::Error>> + Unpin
where
    S: futures_util::Stream<Item = Result<bytes::Bytes, axum::Error>> + Unpin,
{
    use futures_util::StreamExt;
    Box::pin(futures_util::stream::unfold(Some(body), move |body| async move {
        let mut body = body?;
        match tokio::time::timeout(idle, body.next()).await {
            Ok(Some(item)) => Some((item, Some(body))),
            Ok(None) => None,
            Err(_) => {
                let stalled = std::io::Error::new(std::io::ErrorKind::TimedOut, "the client sent nothing for a while");
                Some((Err(axum::Error::new(stalled)), None))
            }
        }
    }))
}

/// `DELETE /i/{token}/uploads/{id}` (termination): discards a take that is not kept.
pub async fn terminate(
    State(state): State<AppState>,
    Path((token, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = check_version(&headers) {
        return *r;
    }
    let take = match upload_of(&state, &token, &id).await {
        Ok(t) => t,
        Err(r) => return *r,
    };
    match usecase::answering::discard_take(&state.usecases, &take).await {
        Ok(()) => reply(StatusCode::NO_CONTENT, &[], ""),
        Err(UseCaseError::NotFound) => error(StatusCode::NOT_FOUND, "No such upload."),
        Err(e) => internal(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_pairs_are_decoded() {
        let m = metadata("question cXVlc3Rpb24x,filename dGFrZS53ZWJt, empty");
        assert_eq!(m[0], ("question".to_owned(), "question1".to_owned()));
        assert_eq!(m[1], ("filename".to_owned(), "take.webm".to_owned()));
        assert_eq!(m[2], ("empty".to_owned(), String::new()));
    }

    #[test]
    fn expiry_dates_are_http_dates() {
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
    }
}
