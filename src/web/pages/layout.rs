//! What every recruiter page shares, below the page modules: the frame ([`Layout`]), rendering (with 422 for a form
//! shown again with its errors), redirects with a one-time message, times in the organization's zone, the
//! CSRF-only form, the page upload limit, and where to go after sign-in.

use crate::web::auth::{AdminUser, CsrfToken, CurrentUser, FLASH_COOKIE, cookie, flash_cookie, take_flash};
use crate::web::error::{PageError, PageResult};
use crate::web::state::AppState;
use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Redirect, Response};

/// The languages people choose from, as (code, native name).
pub fn languages() -> Vec<(&'static str, &'static str)> {
    crate::domain::Language::ALL.iter().map(|l| (l.code(), l.native_name())).collect()
}

/// Largest upload a page accepts (CSV import, logo): 20 MiB. Larger CSV files go through `candor import`.
pub const UPLOAD_LIMIT_BYTES: usize = 20 * 1024 * 1024;

impl axum::extract::OptionalFromRequestParts<AppState> for CurrentUser {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &AppState,
    ) -> Result<Option<Self>, Self::Rejection> {
        match <CurrentUser as axum::extract::FromRequestParts<AppState>>::from_request_parts(parts, state).await {
            Ok(u) => Ok(Some(u)),
            Err(PageError::SignIn { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// What a page for visitors starts from (sign-in, setup, password reset, a shared answers page): the app, this
/// browser's CSRF token and the request's headers (for the one-time message).
pub struct Guest {
    pub state: AppState,
    pub csrf: CsrfToken,
    pub headers: HeaderMap,
}

impl FromRequestParts<AppState> for Guest {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let csrf = CsrfToken::from_request_parts(parts, state).await?;
        Ok(Guest { state: state.clone(), csrf, headers: parts.headers.clone() })
    }
}

impl Guest {
    /// The frame of a page for visitors, titled `title`.
    pub fn layout(&self, title: impl Into<String>) -> Layout {
        Layout::anonymous(&self.csrf, &self.headers, title)
    }

    /// Accepts a submitted form only when it carries this browser's CSRF token.
    pub fn verify(&self, submitted: &str) -> Result<(), PageError> {
        self.csrf.verify(submitted)
    }

    /// A redirect (303) that shows `message` on the next page.
    pub fn redirect(&self, to: &str, message: &str) -> Response {
        redirect_with(&self.state, to, message)
    }
}

/// What a signed-in page starts from: who is signed in, and all a [`Guest`] page has (it derefs to it). Who is
/// signed in is extracted first, so a visitor who is not is sent to sign in before anything else.
pub struct Page {
    pub user: CurrentUser,
    guest: Guest,
}

impl FromRequestParts<AppState> for Page {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let user = CurrentUser::from_request_parts(parts, state).await?;
        Ok(Page { user, guest: Guest::from_request_parts(parts, state).await? })
    }
}

impl std::ops::Deref for Page {
    type Target = Guest;
    fn deref(&self) -> &Guest {
        &self.guest
    }
}

impl Page {
    /// The page's frame, titled `title`, with `nav` marked in the navigation.
    pub fn layout(&self, title: impl Into<String>, nav: &'static str) -> Layout {
        Layout::new(&self.user, &self.csrf, &self.headers, title, nav)
    }

    /// The signed-in person's organization's id: every query a page makes is scoped by it.
    pub fn org_id(&self) -> &str {
        &self.user.actor.org.id
    }
}

/// A [`Page`] only an administrator of the organization may open (it derefs to the page).
pub struct AdminPage(Page);

impl FromRequestParts<AppState> for AdminPage {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let AdminUser(user) = AdminUser::from_request_parts(parts, state).await?;
        Ok(AdminPage(Page { user, guest: Guest::from_request_parts(parts, state).await? }))
    }
}

impl std::ops::Deref for AdminPage {
    type Target = Page;
    fn deref(&self) -> &Page {
        &self.0
    }
}

/// A form that carries nothing but its CSRF token (confirmations, row actions).
#[derive(serde::Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    pub csrf: String,
}

/// What every page's frame shows: who is signed in, the navigation, the CSRF token and a one-time message.
pub struct Layout {
    pub title: String,
    pub signed_in: bool,
    pub user_name: String,
    pub org_name: String,
    pub is_admin: bool,
    pub has_logo: bool,
    pub nav: &'static str,
    pub csrf: String,
    pub flash: Option<String>,
    /// A warning about the server for admins (the disk filling up).
    pub server_warning: Option<String>,
}

impl Layout {
    pub fn new(
        user: &CurrentUser,
        csrf: &CsrfToken,
        headers: &HeaderMap,
        title: impl Into<String>,
        nav: &'static str,
    ) -> Self {
        Self {
            title: title.into(),
            signed_in: true,
            user_name: user.actor.user.name.clone(),
            org_name: user.actor.org.name.clone(),
            is_admin: user.actor.user.is_admin(),
            has_logo: user.actor.org.has_logo,
            nav,
            csrf: csrf.0.clone(),
            flash: take_flash(headers),
            server_warning: user.server_warning.clone(),
        }
    }

    pub fn anonymous(csrf: &CsrfToken, headers: &HeaderMap, title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            signed_in: false,
            user_name: String::new(),
            org_name: String::new(),
            is_admin: false,
            has_logo: false,
            nav: "",
            csrf: csrf.0.clone(),
            flash: take_flash(headers),
            server_warning: None,
        }
    }
}

/// A file field's bytes, at most `cap`; `None` when the file is larger. The rest of a larger file is read and
/// dropped (the route's body limit bounds that): answering before the browser has sent its body would close the
/// connection under it, and it would show a reset connection instead of the answer.
pub async fn read_capped(
    field: &mut axum::extract::multipart::Field<'_>,
    cap: usize,
) -> Result<Option<Vec<u8>>, PageError> {
    let bad = |e: axum::extract::multipart::MultipartError| PageError::BadRequest(e.body_text());
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(bad)? {
        if bytes.len() + chunk.len() > cap {
            while let Ok(Some(_)) = field.chunk().await {}
            return Ok(None);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Some(bytes))
}

/// Renders a page; a one-time message it showed is then cleared.
pub fn render(page: &impl Template, layout: &Layout) -> PageResult {
    let body = page.render()?;
    let mut res = Html(body).into_response();
    if layout.flash.is_some() {
        res.headers_mut().append(header::SET_COOKIE, cookie(FLASH_COOKIE, "", Some(0), false));
    }
    Ok(res)
}

/// Renders a form again with its errors, as 422 so scripts and tests can tell.
pub fn render_invalid(page: &impl Template, layout: &Layout) -> PageResult {
    let mut res = render(page, layout)?;
    *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    Ok(res)
}

/// A redirect (303, so the browser follows with GET) that shows `message` on the next page.
pub fn redirect_with(state: &AppState, to: &str, message: &str) -> Response {
    let mut res = Redirect::to(to).into_response();
    res.headers_mut().append(header::SET_COOKIE, flash_cookie(message, state.secure_cookies));
    res
}

pub use crate::web::clock::local_time;

/// `next` after sign-in: only a path on this site. It is parsed as a URL against this site (as browsers will read
/// it): anything that leaves the site, carries control characters or white space (which browsers drop, turning
/// `/\t/evil.example` into `//evil.example`), or is not a plain path, goes to the candidates list instead.
pub fn safe_next(next: Option<&str>) -> String {
    const HOME: &str = "/candidates";
    const BASE: &str = "http://candor.invalid/";
    let Some(n) = next else { return HOME.to_owned() };
    if !n.starts_with('/') || n.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\') {
        return HOME.to_owned();
    }
    let Ok(base) = url::Url::parse(BASE) else { return HOME.to_owned() };
    match base.join(n) {
        Ok(u) if u.origin() == base.origin() && u.username().is_empty() && u.password().is_none() => {
            let mut out = u.path().to_owned();
            if let Some(q) = u.query() {
                out.push('?');
                out.push_str(q);
            }
            if out.starts_with("//") { HOME.to_owned() } else { out }
        }
        _ => HOME.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next(Some("/candidates/new")), "/candidates/new");
        assert_eq!(safe_next(Some("/invitations?status=any&q=ann")), "/invitations?status=any&q=ann");
        for evil in [
            "//evil.example/",
            "/\t/evil.example/",
            "/\n/evil.example/",
            "/\\evil.example",
            "https://evil.example/",
            "/ /evil.example",
            "/\r\nSet-Cookie: x=1",
            "evil.example",
            "/\u{0}/x",
        ] {
            assert_eq!(safe_next(Some(evil)), "/candidates", "{evil:?}");
        }
        assert_eq!(safe_next(None), "/candidates");
    }
}
