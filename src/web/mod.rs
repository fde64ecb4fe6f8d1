//! The HTTP edge: parses requests into domain types, calls one use case (or, to show something, store queries),
//! renders a page or JSON. This module holds the router and the middleware every request passes.

pub mod api;
pub mod auth;
pub mod candidate;
pub mod clock;
pub mod error;
pub mod export;
pub mod pages;
pub mod state;

pub use state::{AppState, Inner};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::time::{Duration, Instant};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;
use tracing::Instrument;

pub fn router(state: AppState) -> Router {
    let body_limit = state.config.body_limit;
    Router::new()
        .merge(pages::routes())
        .merge(candidate::routes())
        .nest("/api/v1", api::routes())
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_text))
        .route(
            "/static/candor.css",
            get(|| async { static_file("text/css; charset=utf-8", include_str!("../../static/candor.css")) }),
        )
        .route(
            "/static/candor.js",
            get(|| async { static_file("text/javascript; charset=utf-8", include_str!("../../static/candor.js")) }),
        )
        .route(
            "/static/recorder.js",
            get(|| async { static_file("text/javascript; charset=utf-8", include_str!("../../static/recorder.js")) }),
        )
        .route(
            "/static/vendor/tus-4.3.1.min.js",
            get(|| async {
                static_file("text/javascript; charset=utf-8", include_str!("../../static/vendor/tus-4.3.1.min.js"))
            }),
        )
        .route("/favicon.ico", get(favicon))
        .fallback(|| async { error::PageError::NotFound })
        .layer(middleware::from_fn_with_state(state.clone(), auth::csrf_layer))
        .layer(middleware::from_fn_with_state(state.clone(), edge_guard))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, Duration::from_secs(300)))
        .layer(middleware::from_fn(observe))
        .layer(CatchPanicLayer::new())
        .with_state(state)
}

/// How far over its limit an announced API body is refused without reading any of it.
const FAR_OVER: u64 = 8 * 1024 * 1024;

/// Refusals every route shares, before any handler runs, and the same shape for the refusals the framework makes:
/// - a path that decodes to control characters or to bytes that are not UTF-8 names nothing here: 404;
/// - in the API, a body announced (`Content-Length`) far over the limit (by more than 8 MiB) is refused at once
///   (413), before it is read; a body a little over is read up to the limit first, so that clients which send the
///   whole body before reading the answer see the 413 instead of a broken pipe (pages always do that: browsers
///   send it all);
/// - the framework's own plain-text refusals (a body over the limit sent without a length, a form or JSON body that
///   does not parse) become the error page on pages, and the JSON error in the API.
async fn edge_guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let api = path.starts_with("/api/");
    let decoded: Vec<u8> = percent_encoding::percent_decode_str(&path).collect();
    let odd = match std::str::from_utf8(&decoded) {
        Ok(text) => text.chars().any(char::is_control),
        Err(_) => true,
    };
    if odd {
        return if api {
            error::ApiError::not_found().into_response()
        } else {
            error::PageError::NotFound.into_response()
        };
    }
    let announced =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    let api_limit = state.config.body_limit;
    if api && announced.is_some_and(|len| len > api_limit as u64 + FAR_OVER) {
        // The body is never read; hyper does not reuse such a connection for another request.
        return too_large(api, Some(api_limit));
    }
    let res = next.run(req).await;
    let plain = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    // tus answers and the operators' endpoints are plain text on purpose.
    let own_text = (path.starts_with("/i/") && path.contains("/uploads")) || path == "/healthz" || path == "/metrics";
    if !plain || own_text || !(res.status().is_client_error() || res.status().is_server_error()) {
        return res;
    }
    let status = res.status();
    let message = match axum::body::to_bytes(res.into_body(), 64 * 1024).await {
        Ok(b) => String::from_utf8_lossy(&b).trim().to_owned(),
        Err(_) => String::new(),
    };
    match (status, api) {
        // Pages with uploads have limits of their own; the API has one.
        (StatusCode::PAYLOAD_TOO_LARGE, _) => too_large(api, api.then_some(api_limit)),
        (_, true) => {
            let code = if status.is_server_error() { "internal" } else { "bad_request" };
            error::ApiError::new(status, code, message).into_response()
        }
        (_, false) => error::error_page(status, "That did not work", &message),
    }
}

fn too_large(api: bool, limit: Option<usize>) -> Response {
    let message = match limit {
        Some(limit) => {
            format!("The request is larger than the {} this accepts.", crate::disk::human_bytes(limit as u64))
        }
        None => "The request is larger than this page accepts.".to_owned(),
    };
    if api {
        error::ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", message).into_response()
    } else {
        error::PageError::TooLarge(message).into_response()
    }
}

/// The site's icon, in every browser's tab (pages also name it with `<link rel="icon">`).
async fn favicon() -> Response {
    const ICON: &[u8] = include_bytes!("../../static/favicon.ico");
    ([(header::CONTENT_TYPE, "image/x-icon"), (header::CACHE_CONTROL, "public, max-age=86400")], ICON).into_response()
}

fn static_file(content_type: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "public, max-age=3600")], body).into_response()
}

/// Request id, tracing span, metrics and security headers for every request.
async fn observe(req: Request, next: Next) -> Response {
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let method = req.method().clone();
    let route = route_label(req.uri().path());
    let span = tracing::info_span!("request", %request_id, %method, path = %req.uri().path());
    let started = Instant::now();
    let mut res = error::REQUEST_ID.scope(request_id.clone(), next.run(req).instrument(span.clone())).await;
    let elapsed = started.elapsed();
    let status = res.status().as_u16().to_string();
    span.in_scope(|| tracing::info!(status = %status, ms = elapsed.as_secs_f64() * 1000.0, "served"));
    metrics::counter!("candor_http_requests_total", "method" => method.to_string(), "route" => route, "status" => status)
        .increment(1);
    metrics::histogram!("candor_http_request_duration_seconds", "route" => route).record(elapsed.as_secs_f64());
    let headers = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        headers.insert("x-request-id", v);
    }
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    headers.entry(header::CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    headers.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    headers.entry("x-frame-options").or_insert(HeaderValue::from_static("DENY"));
    res
}

/// Every page runs only Candor's own scripts and styles (no inline code, no other origin), sends forms only to
/// Candor, plays media from Candor (or from the browser's own recordings), and cannot be framed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// A low-cardinality label for a path: its first two segments, ids replaced.
fn route_label(path: &str) -> &'static str {
    let mut parts = path.trim_start_matches('/').split('/');
    match (parts.next().unwrap_or(""), parts.next()) {
        ("api", _) => "/api/v1",
        ("i", _) => "/i/*",
        ("candidates", None) => "/candidates",
        ("candidates", Some("suggest")) => "/candidates/suggest",
        ("candidates", Some(_)) => "/candidates/*",
        ("healthz", _) => "/healthz",
        ("metrics", _) => "/metrics",
        ("static", _) => "/static",
        ("login" | "logout" | "password" | "setup", _) => "/auth",
        ("users" | "settings" | "profile" | "outbox" | "jobs" | "org", _) => "/admin",
        _ => "other",
    }
}

/// How long a health check may take before it answers 503.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(2);

/// How long a passed media check is trusted.
const MEDIA_CHECK_EVERY_MS: i64 = 30_000;

/// 200 when a database write commits (and is read back) and the media storage takes a write, within two seconds;
/// 503 otherwise. Low disk space is reported in the body without failing the check.
async fn healthz(State(state): State<AppState>) -> Response {
    use std::sync::atomic::Ordering;
    let checks = async {
        state.store.probe_write(&state.node_id).await.map_err(|e| format!("database cannot write: {e}"))?;
        let now = state.store.now_ms();
        if now - state.media_checked_at.load(Ordering::Relaxed) > MEDIA_CHECK_EVERY_MS {
            state.media.check(&state.node_id).await.map_err(|e| format!("media storage: {e:#}"))?;
            state.media_checked_at.store(now, Ordering::Relaxed);
        }
        Ok::<(), String>(())
    };
    let failure = match tokio::time::timeout(HEALTH_TIMEOUT, checks).await {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e),
        Err(_) => Some(format!("no answer within {} s (database or media storage)", HEALTH_TIMEOUT.as_secs())),
    };
    let mut body = String::new();
    if let Some(failure) = &failure {
        tracing::warn!(error = %failure, "health check failed");
        body.push_str(failure);
        body.push('\n');
    } else {
        body.push_str("ok\n");
    }
    if let Some(free) = state.disk.free_bytes() {
        body.push_str(&format!("disk free: {} bytes", free));
        if free < state.disk.reserve {
            body.push_str(" (below the reserve: new recordings are refused)");
        }
        body.push('\n');
    }
    let status = if failure.is_some() { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::OK };
    (status, [(header::CACHE_CONTROL, "no-store")], body).into_response()
}

async fn metrics_text(State(state): State<AppState>) -> Response {
    match crate::store::jobs::counts(&state.store).await {
        Ok(counts) => {
            for status in ["queued", "running", "dead", "done"] {
                let n = counts.iter().find(|(s, _)| s == status).map(|(_, n)| *n).unwrap_or(0);
                metrics::gauge!("candor_jobs", "status" => status).set(n as f64);
            }
        }
        Err(e) => tracing::warn!(error = %e, "cannot count jobs for metrics"),
    }
    if state.store.backend() == crate::store::Backend::Sqlite {
        let (used, highest) = crate::store::sqlite_memory();
        metrics::gauge!("candor_sqlite_memory_bytes").set(used as f64);
        metrics::gauge!("candor_sqlite_memory_highest_bytes").set(highest as f64);
    }
    if let Some(heap) = crate::heap::figures() {
        metrics::gauge!("candor_heap_allocated_bytes").set(heap.allocated as f64);
        metrics::gauge!("candor_heap_resident_bytes").set(heap.resident as f64);
    }
    if let Some(free) = state.disk.free_bytes() {
        metrics::gauge!("candor_disk_free_bytes").set(free as f64);
        metrics::gauge!("candor_disk_reserve_bytes").set(state.disk.reserve as f64);
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], state.metrics.render()).into_response()
}
