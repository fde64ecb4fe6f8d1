//! Sessions (cookie → hashed id in the database), CSRF (double-submit token checked on every form), API bearer
//! tokens, password hashing off the async threads, and the extractors that make a handler require a signed-in user.

use super::error::{ApiError, PageError};
use crate::store::sessions::{self, Actor};
use crate::web::state::AppState;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header, request::Parts};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub const SESSION_COOKIE: &str = "candor_session";
pub const CSRF_COOKIE: &str = "candor_csrf";
pub const FLASH_COOKIE: &str = "candor_flash";

pub fn get_cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: `Path=/`, `SameSite=Lax`, `HttpOnly`, `Secure` when served over https.
pub fn cookie(name: &str, value: &str, max_age_s: Option<i64>, secure: bool) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age_s {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static("invalid=1; Max-Age=0"))
}

/// A one-time message shown on the next page (e.g. "Candidate saved."), carried in a short-lived cookie.
pub fn flash_cookie(message: &str, secure: bool) -> HeaderValue {
    let encoded: String = url::form_urlencoded::byte_serialize(message.as_bytes()).collect();
    cookie(FLASH_COOKIE, &encoded, Some(60), secure)
}

pub fn take_flash(headers: &HeaderMap) -> Option<String> {
    let raw = get_cookie(headers, FLASH_COOKIE)?;
    url::form_urlencoded::parse(format!("m={raw}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .filter(|m| !m.is_empty())
}

/// The CSRF token of this browser, to put in every form as the `csrf` field.
#[derive(Clone, Debug)]
pub struct CsrfToken(pub String);

impl CsrfToken {
    /// Accepts the form only when it carries this browser's token.
    pub fn verify(&self, submitted: &str) -> Result<(), PageError> {
        let a = self.0.as_bytes();
        let b = submitted.as_bytes();
        let same = a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0;
        if same && !a.is_empty() {
            Ok(())
        } else {
            Err(PageError::Forbidden(
                "This form has expired or did not come from Candor. Go back, reload the page and try again.",
            ))
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CsrfToken {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<CsrfToken>()
            .cloned()
            .ok_or_else(|| PageError::Internal(anyhow::anyhow!("CSRF layer missing")))
    }
}

/// Gives every browser a CSRF token cookie, hands the token to handlers, and refuses state-changing page requests
/// whose `Origin` is another site.
pub async fn csrf_layer(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let existing = get_cookie(req.headers(), CSRF_COOKIE)
        .filter(|t| t.len() == 43 && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        .map(str::to_owned);
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe && !req.uri().path().starts_with("/api/") {
        let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
        if let Some(origin) = req.headers().get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
            let origin_host = origin.split_once("://").map(|(_, h)| h).unwrap_or(origin);
            if origin != "null" && origin_host != host {
                return PageError::Forbidden("This request came from another site and was refused.").into_response();
            }
        }
    }
    let token = match &existing {
        Some(t) => t.clone(),
        None => match sessions::new_secret() {
            Ok((t, _)) => t,
            Err(e) => return PageError::Internal(e.into()).into_response(),
        },
    };
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut res = next.run(req).await;
    if existing.is_none() {
        res.headers_mut().append(header::SET_COOKIE, cookie(CSRF_COOKIE, &token, None, state.secure_cookies));
    }
    res
}

/// A signed-in user of the pages; the session's hash is kept to end or keep this session.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub actor: Actor,
    pub session_hash: String,
    /// For admins: what they should know about the server (the disk filling up).
    pub server_warning: Option<String>,
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let next = parts.uri.path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "/".into());
        let Some(token) = get_cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(PageError::SignIn { next });
        };
        let hash = sessions::hash_secret(token);
        match sessions::session_actor(&state.store, &hash).await? {
            Some(actor) => {
                let server_warning = if actor.user.is_admin() { state.disk.warning() } else { None };
                Ok(CurrentUser { actor, session_hash: hash, server_warning })
            }
            None => Err(PageError::SignIn { next }),
        }
    }
}

/// A signed-in admin.
#[derive(Clone, Debug)]
pub struct AdminUser(pub CurrentUser);

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let user = CurrentUser::from_request_parts(parts, state).await?;
        if !user.actor.user.is_admin() {
            return Err(PageError::Forbidden("Only administrators of your organization can open this page."));
        }
        Ok(AdminUser(user))
    }
}

/// The caller of the API, from `Authorization: Bearer TOKEN`.
#[derive(Clone, Debug)]
pub struct ApiActor(pub Actor);

impl FromRequestParts<AppState> for ApiActor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or_else(ApiError::unauthorized)?;
        match sessions::token_actor(&state.store, &sessions::hash_secret(token)).await? {
            Some(actor) => Ok(ApiActor(actor)),
            None => Err(ApiError::unauthorized()),
        }
    }
}

/// The client's address. Without a trusted proxy: the socket peer. Behind one (`CANDOR_TRUST_PROXY` or
/// `CANDOR_TRUSTED_PROXIES`): the right-most `X-Forwarded-For` address that is not a trusted proxy — the address the
/// proxy itself saw, which the client cannot choose (the left-most entries are the client's to write). With a list
/// of proxies, a request that does not come from one of them is taken at its socket address.
pub fn client_ip(headers: &HeaderMap, peer: Option<std::net::SocketAddr>, config: &crate::config::Config) -> String {
    let peer_ip = peer.map(|p| p.ip());
    let fallback = || peer_ip.map(|p| p.to_string()).unwrap_or_else(|| "unknown".into());
    let forwarded = headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>();
    if !config.trust_proxy {
        if !forwarded.is_empty() {
            static WARNED: std::sync::Once = std::sync::Once::new();
            WARNED.call_once(|| {
                tracing::warn!(
                    "requests carry X-Forwarded-For but CANDOR_TRUST_PROXY is off: every client is counted at the \
                     proxy's address (sign-in throttling); set CANDOR_TRUST_PROXY or CANDOR_TRUSTED_PROXIES"
                )
            });
        }
        return fallback();
    }
    let trusted = |ip: std::net::IpAddr| config.trusted_proxies.iter().any(|r| r.contains(ip));
    if !config.trusted_proxies.is_empty() && !peer_ip.is_some_and(trusted) {
        return fallback();
    }
    let hops: Vec<&str> = forwarded.iter().flat_map(|v| v.split(',')).map(str::trim).collect();
    for hop in hops.iter().rev() {
        match hop.parse::<std::net::IpAddr>() {
            Ok(ip) if trusted(ip) => continue,
            Ok(ip) => return ip.to_string(),
            // Not an address: nothing to its left can be believed either.
            Err(_) => break,
        }
    }
    fallback()
}
