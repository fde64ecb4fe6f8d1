//! An interview's public link, set up by a recruiter: on or off, a closing date, the page's language, an optional
//! access code and how many days registrants get to answer. The link itself is shown to copy.

use super::layout::{Layout, Page, languages, render, render_invalid};
use crate::domain::FieldErrors;
use crate::store::interviews::{self, Interview};
use crate::store::public_links::{self, PublicLink, public_token};
use crate::usecase::UseCaseError;
use crate::usecase::public_links::{SettingsInput, configure};
use crate::web::error::PageResult;
use askama::Template;
use axum::extract::{Form, Path};

#[derive(Template)]
#[template(path = "interviews/public_link.html")]
struct PublicLinkPage {
    layout: Layout,
    interview: Interview,
    url: Option<String>,
    enabled: bool,
    closes_on: String,
    language: String,
    access_code: String,
    answer_days: String,
    languages: Vec<(&'static str, &'static str)>,
    errors: FieldErrors,
}

fn page_of(ctx: &Page, interview: Interview, link: Option<PublicLink>) -> PublicLinkPage {
    let url =
        link.as_ref().map(|l| ctx.state.link(&format!("/p/{}", public_token(&ctx.state.usecases.link_key, &l.id))));
    PublicLinkPage {
        layout: ctx.layout(format!("Public link: {}", interview.name), "interviews"),
        interview,
        url,
        enabled: link.as_ref().is_some_and(|l| l.enabled),
        closes_on: link.as_ref().and_then(|l| l.closes_on.clone()).unwrap_or_default(),
        language: link.as_ref().map_or_else(|| ctx.user.actor.org.language.clone(), |l| l.language.clone()),
        access_code: link.as_ref().and_then(|l| l.access_code.clone()).unwrap_or_default(),
        answer_days: link.as_ref().map_or(7, |l| l.answer_days).to_string(),
        languages: languages(),
        errors: FieldErrors::new(),
    }
}

/// `GET /interviews/{id}/public-link`.
pub async fn form(ctx: Page, Path(id): Path<String>) -> PageResult {
    let interview = interviews::get(&ctx.state.store, ctx.org_id(), &id).await?;
    let link = public_links::of_interview(&ctx.state.store, ctx.org_id(), &id).await?;
    let page = page_of(&ctx, interview, link);
    render(&page, &page.layout)
}

#[derive(serde::Deserialize)]
pub struct PublicLinkForm {
    #[serde(default)]
    csrf: String,
    enabled: Option<String>,
    #[serde(default)]
    closes_on: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    access_code: String,
    #[serde(default)]
    answer_days: String,
}

/// `POST /interviews/{id}/public-link`.
pub async fn save(ctx: Page, Path(id): Path<String>, Form(form): Form<PublicLinkForm>) -> PageResult {
    ctx.verify(&form.csrf)?;
    let input = SettingsInput {
        enabled: form.enabled.is_some(),
        closes_on: &form.closes_on,
        language: &form.language,
        access_code: &form.access_code,
        answer_days: &form.answer_days,
    };
    match configure(&ctx.state.usecases, &ctx.user.actor, &id, &input).await {
        Ok(link) => {
            let message = if link.enabled {
                "Public link saved: it takes registrations."
            } else {
                "Public link saved: it is switched off."
            };
            Ok(ctx.redirect(&format!("/interviews/{id}/public-link"), message))
        }
        Err(UseCaseError::Invalid(errors)) => {
            let interview = interviews::get(&ctx.state.store, ctx.org_id(), &id).await?;
            let link = public_links::of_interview(&ctx.state.store, ctx.org_id(), &id).await?;
            let mut page = page_of(&ctx, interview, link);
            page.enabled = form.enabled.is_some();
            page.closes_on = form.closes_on;
            page.language = form.language;
            page.access_code = form.access_code;
            page.answer_days = form.answer_days;
            page.errors = errors;
            render_invalid(&page, &page.layout)
        }
        Err(e) => Err(e.into()),
    }
}
