//! The audit log page (admins): newest first, filtered by user, action and dates (in the organization's time zone),
//! in keyset pages, and the same selection as a CSV file.

use super::layout::{AdminPage, Layout, local_time, render};
use crate::store::audit::{self, ACTIONS, Entry, Filter};
use crate::store::users;
use crate::usecase;
use crate::web::error::PageResult;
use askama::Template;
use axum::extract::Query;
use axum::http::header;
use axum::response::{IntoResponse, Response};

const PAGE_SIZE: i64 = 100;

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct AuditQuery {
    user: String,
    action: String,
    /// `YYYY-MM-DD`, inclusive.
    from: String,
    /// `YYYY-MM-DD`, inclusive.
    to: String,
    after: String,
}

struct Row {
    at: String,
    actor: String,
    action: String,
    target: String,
    detail: String,
    client: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    layout: Layout,
    rows: Vec<Row>,
    /// (id, name, selected)
    users: Vec<(String, String, bool)>,
    /// (action, label, selected)
    actions: Vec<(&'static str, &'static str, bool)>,
    from: String,
    to: String,
    /// The query string of the filters, for the next page and the CSV link.
    query: String,
    next: Option<String>,
    error: Option<String>,
}

/// The filter of a query: dates as the organization's local days; `Err` says which date is not one.
fn filter_of(q: &AuditQuery, tz: &jiff::tz::TimeZone) -> Result<Filter, String> {
    let day = |s: &str, field: &str| -> Result<Option<i64>, String> {
        if s.trim().is_empty() {
            return Ok(None);
        }
        let date: jiff::civil::Date =
            s.trim().parse().map_err(|_| format!("The {field} date is not a date like 2026-12-31."))?;
        date.to_zoned_datetime(tz.clone()).map(|z| Some(z.timestamp().as_millisecond())).map_err(|e| e.to_string())
    };
    let next_day = |s: &str| -> Result<Option<String>, String> {
        if s.trim().is_empty() {
            return Ok(None);
        }
        let date: jiff::civil::Date = s.trim().parse().map_err(|_| "The to date is not a date like 2026-12-31.")?;
        Ok(date.tomorrow().ok().map(|d| d.to_string()))
    };
    let until = match next_day(&q.to)? {
        Some(d) => day(&d, "to")?,
        None => None,
    };
    Ok(Filter {
        user_id: (!q.user.is_empty()).then(|| q.user.clone()),
        action: ACTIONS.iter().find(|(a, _)| *a == q.action).map(|(a, _)| (*a).to_owned()),
        from: day(&q.from, "from")?,
        until,
        after: usecase::invitations::decode_cursor(&q.after),
        limit: PAGE_SIZE,
    })
}

fn detail_text(e: &Entry) -> String {
    match &e.detail {
        serde_json::Value::Object(m) if m.is_empty() => String::new(),
        serde_json::Value::Object(m) => m
            .iter()
            .map(|(k, v)| format!("{k}: {}", v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

pub async fn list(ctx: AdminPage, Query(q): Query<AuditQuery>) -> PageResult {
    let actor = &ctx.user.actor;
    let tz = actor.org.tz();
    let (filter, error) = match filter_of(&q, &tz) {
        Ok(f) => (f, None),
        Err(message) => (Filter { limit: PAGE_SIZE, ..Default::default() }, Some(message)),
    };
    let entries = usecase::audit::list(&ctx.state.usecases, actor, &filter).await?;
    let next = (entries.len() as i64 == PAGE_SIZE)
        .then(|| entries.last().map(|e| usecase::invitations::encode_cursor(e.at, &e.id)))
        .flatten();
    let rows = entries
        .iter()
        .map(|e| Row {
            at: local_time(e.at, &tz),
            actor: e.actor.clone(),
            action: audit::action_label(&e.action).to_owned(),
            target: e.target.clone(),
            detail: detail_text(e),
            client: e.client.clone(),
        })
        .collect();
    let users = users::list(&ctx.state.store, &actor.org.id)
        .await?
        .into_iter()
        .map(|u| {
            let selected = u.id == q.user;
            (u.id, format!("{} ({})", u.name, u.email), selected)
        })
        .collect();
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([("user", &q.user), ("action", &q.action), ("from", &q.from), ("to", &q.to)])
        .finish();
    let page = AuditPage {
        layout: ctx.layout("Audit log", "audit"),
        rows,
        users,
        actions: ACTIONS.iter().map(|(a, l)| (*a, *l, *a == q.action)).collect(),
        from: q.from.clone(),
        to: q.to.clone(),
        query,
        next,
        error,
    };
    render(&page, &page.layout)
}

/// `GET /audit.csv`: every entry of the filters (not only a page), formula-neutralized.
pub async fn export(ctx: AdminPage, Query(q): Query<AuditQuery>) -> PageResult<Response> {
    let actor = &ctx.user.actor;
    let tz = actor.org.tz();
    let mut filter = filter_of(&q, &tz).unwrap_or(Filter { limit: PAGE_SIZE, ..Default::default() });
    filter.after = None;
    filter.limit = 1000;
    let mut out = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let head = ["Time", "User", "Action", "Target", "Details", "Client (hash)"];
    let csv_error = |e: csv::Error| crate::store::StoreError::Aborted(e.to_string());
    out.write_record(head).map_err(csv_error)?;
    loop {
        let entries = usecase::audit::list(&ctx.state.usecases, actor, &filter).await?;
        for e in &entries {
            let cells = [
                local_time(e.at, &tz),
                e.actor.clone(),
                audit::action_label(&e.action).to_owned(),
                e.target.clone(),
                detail_text(e),
                e.client.clone(),
            ];
            out.write_record(cells.iter().map(|c| crate::domain::spreadsheet_safe(c).into_owned()))
                .map_err(csv_error)?;
        }
        match entries.last() {
            Some(last) if entries.len() as i64 == filter.limit => filter.after = Some((last.at, last.id.clone())),
            _ => break,
        }
    }
    let body = out.into_inner().map_err(|e| crate::store::StoreError::Aborted(e.to_string()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"audit-log.csv\""),
        ],
        body,
    )
        .into_response())
}
