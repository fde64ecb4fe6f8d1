//! A public link `/p/{token}`: the interview's title and intro in the link's language and a registration form (first
//! name, last name, email, the access code when there is one, and a field people do not see). Whatever happens, the
//! answer page says the same ("check your email"), so it never reveals whether the person was known. A closed or
//! switched-off link says so (410); over the rate limit, 429. An unknown token is a plain 404.

use crate::domain::Language;
use crate::i18n::{PublicTexts, fill, public_texts};
use crate::store::{interviews, orgs, public_links};
use crate::usecase::UseCaseError;
use crate::usecase::public_links::{Refusal, Registration, is_open, register};
use crate::web::auth::{CsrfToken, client_ip};
use crate::web::error::{PageError, PageResult};
use crate::web::state::{AppState, token_shape_ok};
use askama::Template;
use axum::extract::{ConnectInfo, Form, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse};
use std::net::SocketAddr;

#[derive(Template)]
#[template(path = "public/register.html")]
struct RegisterPage {
    t: &'static PublicTexts,
    token: String,
    csrf: String,
    org_name: String,
    title: String,
    intro: Option<String>,
    lead: String,
    needs_code: bool,
    /// Closed, too many, or sent: the message instead of the form.
    closed: Option<&'static str>,
    sent: Option<String>,
    first_name: String,
    last_name: String,
    email: String,
    errors: Vec<(&'static str, &'static str)>,
}

impl RegisterPage {
    fn error(&self, field: &str) -> Option<&'static str> {
        self.errors.iter().find(|(f, _)| *f == field).map(|(_, m)| *m)
    }
}

async fn page_of(
    state: &AppState,
    token: &str,
    csrf: &CsrfToken,
) -> Result<(RegisterPage, public_links::PublicLink, bool), PageError> {
    if !token_shape_ok(token) {
        return Err(PageError::NotFound);
    }
    let link = public_links::by_token(&state.store, token).await?.ok_or(PageError::NotFound)?;
    let org = orgs::get(&state.store, &link.org_id).await?;
    let interview = interviews::get(&state.store, &org.id, &link.interview_id).await?;
    let t = public_texts(Language::parse("language", &link.language).unwrap_or(Language::En));
    let open = is_open(&link, &org, state.store.now());
    let page = RegisterPage {
        t,
        token: token.to_owned(),
        csrf: csrf.0.clone(),
        lead: fill(t.lead, &[("org", &org.name)]),
        org_name: org.name,
        title: interview.title,
        intro: interview.intro_text,
        needs_code: link.access_code.is_some(),
        closed: (!open).then_some(t.closed),
        sent: None,
        first_name: String::new(),
        last_name: String::new(),
        email: String::new(),
        errors: Vec::new(),
    };
    Ok((page, link, open))
}

fn html(page: &RegisterPage, status: StatusCode) -> PageResult {
    Ok((status, [(header::CACHE_CONTROL, "no-store")], Html(page.render()?)).into_response())
}

/// `GET /p/{token}`.
pub async fn view(State(state): State<AppState>, Path(token): Path<String>, csrf: CsrfToken) -> PageResult {
    let (page, _, open) = page_of(&state, &token, &csrf).await?;
    html(&page, if open { StatusCode::OK } else { StatusCode::GONE })
}

#[derive(serde::Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    access_code: String,
    /// The honeypot.
    #[serde(default)]
    website: String,
}

/// `POST /p/{token}`.
pub async fn submit(
    State(state): State<AppState>,
    Path(token): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    csrf: CsrfToken,
    Form(form): Form<RegisterForm>,
) -> PageResult {
    csrf.verify(&form.csrf)?;
    let (mut page, link, _) = page_of(&state, &token, &csrf).await?;
    let ip = client_ip(&headers, Some(peer), &state.config);
    let client_hash = crate::usecase::audit::client_hash(&state.usecases, &ip);
    let input = Registration {
        first_name: &form.first_name,
        last_name: &form.last_name,
        email: &form.email,
        access_code: &form.access_code,
        honeypot: &form.website,
        client_hash: &client_hash,
    };
    page.first_name = form.first_name.chars().take(200).collect();
    page.last_name = form.last_name.chars().take(200).collect();
    page.email = form.email.chars().take(300).collect();
    match register(&state.usecases, &link, &input).await {
        Ok(_) => {
            let t = page.t;
            page.sent = Some(fill(t.sent_text, &[("email", form.email.trim())]));
            html(&page, StatusCode::OK)
        }
        Err(Ok(Refusal::Closed)) => {
            page.closed = Some(page.t.closed);
            html(&page, StatusCode::GONE)
        }
        Err(Ok(Refusal::TooMany)) => {
            page.errors = vec![("form", page.t.too_many)];
            html(&page, StatusCode::TOO_MANY_REQUESTS)
        }
        Err(Err(UseCaseError::Invalid(errors))) => {
            let t = page.t;
            page.errors = errors
                .0
                .iter()
                .map(|e| match e.field.as_str() {
                    "first_name" => ("first_name", t.first_name_error),
                    "last_name" => ("last_name", t.last_name_error),
                    "access_code" => ("access_code", t.code_error),
                    _ => ("email", t.email_error),
                })
                .collect();
            html(&page, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(Err(e)) => Err(e.into()),
    }
}
