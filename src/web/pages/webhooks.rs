//! Webhooks, for admins: endpoints (address, events, secret, on/off), a test event, and each endpoint's delivery log
//! with a button to deliver an event again.

use super::layout::{AdminPage, CsrfOnly, Layout, local_time, render, render_invalid};
use crate::domain::FieldErrors;
use crate::store::webhooks::{self, EVENTS, Endpoint};
use crate::usecase::{self, UseCaseError};
use crate::web::error::PageResult;
use askama::Template;
use axum::extract::{Form, Path};

struct EndpointRow {
    id: String,
    url: String,
    events: String,
    enabled: bool,
    disabled_reason: Option<String>,
}

#[derive(Template)]
#[template(path = "webhooks/list.html")]
struct ListPage {
    layout: Layout,
    endpoints: Vec<EndpointRow>,
    events: Vec<&'static str>,
    url: String,
    chosen: Vec<String>,
    errors: FieldErrors,
}

impl ListPage {
    fn is_chosen(&self, event: &str) -> bool {
        self.chosen.iter().any(|e| e == event)
    }
}

async fn list_page(
    ctx: &AdminPage,
    url: String,
    chosen: Vec<String>,
    errors: FieldErrors,
) -> Result<ListPage, crate::web::error::PageError> {
    let endpoints = webhooks::endpoints(&ctx.state.store, ctx.org_id())
        .await?
        .into_iter()
        .map(|e| EndpointRow {
            events: e.events.join(", "),
            id: e.id,
            url: e.url,
            enabled: e.enabled,
            disabled_reason: e.disabled_reason,
        })
        .collect();
    Ok(ListPage {
        layout: ctx.layout("Webhooks", "webhooks"),
        endpoints,
        events: EVENTS.iter().map(|(e, _)| *e).collect(),
        url,
        chosen,
        errors,
    })
}

/// `GET /webhooks`.
pub async fn list(ctx: AdminPage) -> PageResult {
    let page =
        list_page(&ctx, String::new(), EVENTS.iter().map(|(e, _)| (*e).to_owned()).collect(), FieldErrors::new())
            .await?;
    render(&page, &page.layout)
}

/// The form's fields: `csrf`, `url`, `enabled`, and one `events` per box ticked.
fn fields(form: &[(String, String)]) -> (String, String, Vec<String>, bool) {
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let events = form.iter().filter(|(n, _)| n == "events").map(|(_, v)| v.clone()).collect();
    (get("csrf"), get("url"), events, form.iter().any(|(n, _)| n == "enabled"))
}

/// `POST /webhooks`.
pub async fn create(ctx: AdminPage, Form(form): Form<Vec<(String, String)>>) -> PageResult {
    let (csrf, url, events, _) = fields(&form);
    ctx.verify(&csrf)?;
    match usecase::webhooks::create(&ctx.state.usecases, &ctx.user.actor, &url, &events).await {
        Ok(id) => Ok(ctx.redirect(&format!("/webhooks/{id}"), "Endpoint added. Copy its secret to verify signatures.")),
        Err(UseCaseError::Invalid(errors)) => {
            let page = list_page(&ctx, url, events, errors).await?;
            render_invalid(&page, &page.layout)
        }
        Err(e) => Err(e.into()),
    }
}

struct DeliveryRow {
    id: String,
    event: String,
    when: String,
    status: String,
    code: String,
    duration: String,
    attempts: i64,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "webhooks/view.html")]
struct ViewPage {
    layout: Layout,
    endpoint: Endpoint,
    events: Vec<&'static str>,
    url: String,
    chosen: Vec<String>,
    enabled: bool,
    errors: FieldErrors,
    deliveries: Vec<DeliveryRow>,
}

impl ViewPage {
    fn is_chosen(&self, event: &str) -> bool {
        self.chosen.iter().any(|e| e == event)
    }
}

async fn view_page(ctx: &AdminPage, id: &str) -> Result<ViewPage, crate::web::error::PageError> {
    let endpoint = webhooks::endpoint(&ctx.state.store, ctx.org_id(), id).await?;
    let tz = ctx.user.actor.org.tz();
    let deliveries = webhooks::deliveries(&ctx.state.store, ctx.org_id(), id, 100)
        .await?
        .into_iter()
        .map(|d| DeliveryRow {
            when: local_time(d.created_at, &tz),
            status: match d.status.as_str() {
                "pending" => "Waiting".to_owned(),
                "delivered" => "Delivered".to_owned(),
                "failed" => "Failed; will retry".to_owned(),
                _ => "Given up".to_owned(),
            },
            code: d.response_code.map(|c| c.to_string()).unwrap_or_else(|| "—".into()),
            duration: d.duration_ms.map(|ms| format!("{ms} ms")).unwrap_or_else(|| "—".into()),
            attempts: d.attempts,
            error: d.last_error,
            event: d.event,
            id: d.id,
        })
        .collect();
    Ok(ViewPage {
        layout: ctx.layout("Webhook endpoint", "webhooks"),
        events: EVENTS.iter().map(|(e, _)| *e).collect(),
        url: endpoint.url.clone(),
        chosen: endpoint.events.clone(),
        enabled: endpoint.enabled,
        endpoint,
        errors: FieldErrors::new(),
        deliveries,
    })
}

/// `GET /webhooks/{id}`.
pub async fn view(ctx: AdminPage, Path(id): Path<String>) -> PageResult {
    let page = view_page(&ctx, &id).await?;
    render(&page, &page.layout)
}

/// `POST /webhooks/{id}`.
pub async fn update(ctx: AdminPage, Path(id): Path<String>, Form(form): Form<Vec<(String, String)>>) -> PageResult {
    let (csrf, url, events, enabled) = fields(&form);
    ctx.verify(&csrf)?;
    match usecase::webhooks::update(&ctx.state.usecases, &ctx.user.actor, &id, &url, &events, enabled).await {
        Ok(()) => Ok(ctx.redirect(&format!("/webhooks/{id}"), "Endpoint saved.")),
        Err(UseCaseError::Invalid(errors)) => {
            let mut page = view_page(&ctx, &id).await?;
            (page.url, page.chosen, page.enabled, page.errors) = (url, events, enabled, errors);
            render_invalid(&page, &page.layout)
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /webhooks/{id}/delete`.
pub async fn delete(ctx: AdminPage, Path(id): Path<String>, Form(form): Form<CsrfOnly>) -> PageResult {
    ctx.verify(&form.csrf)?;
    usecase::webhooks::delete(&ctx.state.usecases, &ctx.user.actor, &id).await?;
    Ok(ctx.redirect("/webhooks", "Endpoint deleted."))
}

/// `POST /webhooks/{id}/test`.
pub async fn test(ctx: AdminPage, Path(id): Path<String>, Form(form): Form<CsrfOnly>) -> PageResult {
    ctx.verify(&form.csrf)?;
    usecase::webhooks::test(&ctx.state.usecases, &ctx.user.actor, &id).await?;
    Ok(ctx.redirect(&format!("/webhooks/{id}"), "Test event queued; its delivery shows below."))
}

/// `POST /webhooks/{id}/deliveries/{delivery}/redeliver`.
pub async fn redeliver(
    ctx: AdminPage,
    Path((id, delivery)): Path<(String, String)>,
    Form(form): Form<CsrfOnly>,
) -> PageResult {
    ctx.verify(&form.csrf)?;
    webhooks::endpoint(&ctx.state.store, ctx.org_id(), &id).await?;
    usecase::webhooks::redeliver(&ctx.state.usecases, &ctx.user.actor, &delivery).await?;
    Ok(ctx.redirect(&format!("/webhooks/{id}"), "Queued to be delivered again."))
}
