//! API tokens on a page: make one (shown once), see when each was made and last used, revoke. Admins see and
//! revoke every token of the organization; others their own.

use super::layout::{CsrfOnly, Layout, Page, local_time, render, render_invalid};
use crate::domain::FieldErrors;
use crate::usecase::{self, UseCaseError};
use crate::web::error::PageResult;
use askama::Template;
use axum::Form;
use axum::extract::Path;
use axum::response::Response;

struct Row {
    id: String,
    name: String,
    owner: String,
    created: String,
    last_used: String,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    layout: Layout,
    rows: Vec<Row>,
    /// A token just made, shown this once.
    made: Option<String>,
    name: String,
    errors: FieldErrors,
    is_admin: bool,
}

async fn page(ctx: &Page, made: Option<String>, name: String, errors: FieldErrors) -> Result<TokensPage, UseCaseError> {
    let actor = &ctx.user.actor;
    let tz = actor.org.tz();
    let rows = usecase::tokens::list(&ctx.state.usecases, actor)
        .await?
        .into_iter()
        .map(|t| Row {
            owner: format!("{} ({})", t.user_name, t.user_email),
            created: local_time(t.created_at, &tz),
            last_used: t.last_used_at.map_or_else(|| "Never".to_owned(), |at| local_time(at, &tz)),
            id: t.id,
            name: if t.name.is_empty() { "(no name)".to_owned() } else { t.name },
        })
        .collect();
    Ok(TokensPage {
        layout: ctx.layout("API tokens", "tokens"),
        rows,
        made,
        name,
        errors,
        is_admin: actor.user.is_admin(),
    })
}

pub async fn list(ctx: Page) -> PageResult {
    let p = page(&ctx, None, String::new(), FieldErrors::new()).await?;
    render(&p, &p.layout)
}

#[derive(serde::Deserialize)]
pub struct NewTokenForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
}

pub async fn create(ctx: Page, Form(form): Form<NewTokenForm>) -> PageResult {
    ctx.verify(&form.csrf)?;
    match usecase::tokens::create(&ctx.state.usecases, &ctx.user.actor, &form.name).await {
        Ok(token) => {
            let p = page(&ctx, Some(token), String::new(), FieldErrors::new()).await?;
            render(&p, &p.layout)
        }
        Err(UseCaseError::Invalid(errors)) => {
            let p = page(&ctx, None, form.name.clone(), errors).await?;
            render_invalid(&p, &p.layout)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn revoke(ctx: Page, Path(id): Path<String>, Form(form): Form<CsrfOnly>) -> PageResult<Response> {
    ctx.verify(&form.csrf)?;
    let token = usecase::tokens::revoke(&ctx.state.usecases, &ctx.user.actor, &id).await?;
    Ok(ctx.redirect("/tokens", &format!("The token “{}” is revoked: requests with it are refused now.", token.name)))
}
