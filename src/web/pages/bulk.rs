//! Bulk invitations: the form (a CSV file, or the candidates ticked on the candidates list), the preview that says
//! what will happen, and the send's progress (the page can be left and come back to), with Send and Cancel.

use super::layout::{Layout, Page, languages, read_capped, render, render_invalid};
use crate::domain::FieldErrors;
use crate::store::{bulk, candidates, interviews};
use crate::usecase::bulk::{BULK_MAX, Person, Settings, people_from_csv};
use crate::usecase::{self, UseCaseError};
use crate::web::error::{PageError, PageResult};
use askama::Template;
use axum::extract::{Multipart, Path, Query};

/// Largest CSV file the form takes.
const CSV_LIMIT: usize = 5 * 1024 * 1024;

#[derive(Template)]
#[template(path = "invitations/bulk_form.html")]
struct FormPage {
    layout: Layout,
    chosen: Vec<String>,
    /// A search whose every match is invited, and how many match.
    query: String,
    matching: usize,
    interviews: Vec<(String, String)>,
    languages: Vec<(&'static str, &'static str)>,
    interview_id: String,
    language: String,
    deadline: String,
    notify_me: bool,
    errors: FieldErrors,
    /// This form's own key: sending it twice (a double click) makes one bulk send.
    form_key: String,
}

async fn form_page(ctx: &Page, chosen: Vec<String>) -> Result<FormPage, PageError> {
    let interviews =
        interviews::list(&ctx.state.store, ctx.org_id()).await?.into_iter().map(|i| (i.id, i.name)).collect();
    Ok(FormPage {
        layout: ctx.layout("Bulk invitations", "invitations"),
        chosen,
        query: String::new(),
        matching: 0,
        interviews,
        languages: languages(),
        interview_id: String::new(),
        language: String::new(),
        deadline: String::new(),
        notify_me: true,
        errors: FieldErrors::new(),
        form_key: crate::store::new_id(),
    })
}

/// `GET /invitations/bulk?c=…&c=…`: the form, with the candidates ticked on the candidates list.
pub async fn form(ctx: Page, Query(q): Query<Vec<(String, String)>>) -> PageResult {
    let chosen = q.iter().filter(|(k, _)| k == "c").map(|(_, v)| v.clone()).collect();
    let mut page = form_page(&ctx, chosen).await?;
    if let Some((_, query)) = q.iter().find(|(k, _)| k == "q").filter(|(_, v)| !v.trim().is_empty()) {
        page.matching = candidates::ids_starting_with(&ctx.state.store, ctx.org_id(), query, BULK_MAX).await?.len();
        page.query = query.clone();
    }
    render(&page, &page.layout)
}

/// `POST /invitations/bulk` (multipart): checks the people and shows the preview.
pub async fn create(ctx: Page, mut multipart: Multipart) -> PageResult {
    let bad = |e: axum::extract::multipart::MultipartError| PageError::BadRequest(e.body_text());
    let (mut csrf, mut interview_id, mut language, mut deadline, mut form_key) =
        (String::new(), String::new(), String::new(), String::new(), String::new());
    let mut notify_me = false;
    let mut query = String::new();
    let mut chosen = Vec::new();
    let mut file: Vec<u8> = Vec::new();
    while let Some(mut field) = multipart.next_field().await.map_err(bad)? {
        match field.name().unwrap_or("") {
            "csrf" => csrf = field.text().await.map_err(bad)?,
            "interview_id" => interview_id = field.text().await.map_err(bad)?,
            "language" => language = field.text().await.map_err(bad)?,
            "deadline" => deadline = field.text().await.map_err(bad)?,
            "form_key" => form_key = field.text().await.map_err(bad)?,
            "notify_me" => notify_me = true,
            "c" => chosen.push(field.text().await.map_err(bad)?),
            "q" => query = field.text().await.map_err(bad)?,
            "file" => {
                let Some(bytes) = read_capped(&mut field, CSV_LIMIT - file.len()).await? else {
                    return Err(PageError::TooLarge(format!(
                        "The file is larger than {} MB; split it.",
                        CSV_LIMIT / (1024 * 1024)
                    )));
                };
                file.extend_from_slice(&bytes);
            }
            _ => {}
        }
    }
    ctx.verify(&csrf)?;
    let mut errors = FieldErrors::new();
    if !query.trim().is_empty() {
        for id in candidates::ids_starting_with(&ctx.state.store, ctx.org_id(), &query, BULK_MAX).await? {
            if !chosen.contains(&id) {
                chosen.push(id);
            }
        }
    }
    let mut people: Vec<(i64, Person)> =
        chosen.iter().enumerate().map(|(i, id)| (i as i64 + 1, Person::Candidate(id.clone()))).collect();
    if !file.is_empty() {
        match people_from_csv(&file) {
            Ok(rows) => people.extend(rows),
            Err(e) => errors.push("file", e),
        }
    }
    let settings = Settings {
        interview_id: &interview_id,
        language: &language,
        deadline: &deadline,
        notify_me,
        idempotency_key: Some(form_key.as_str()).filter(|k| !k.is_empty() && k.len() <= 100),
    };
    let result = if errors.is_empty() {
        usecase::bulk::preview(&ctx.state.usecases, &ctx.user.actor, &settings, &people).await
    } else {
        Err(UseCaseError::Invalid(errors))
    };
    match result {
        Ok((id, _)) => Ok(ctx.redirect(&format!("/invitations/bulk/{id}"), "Check the preview, then send.")),
        Err(UseCaseError::Invalid(errors)) => {
            let mut page = form_page(&ctx, chosen).await?;
            (page.interview_id, page.language, page.deadline, page.notify_me, page.errors) =
                (interview_id, language, deadline, notify_me, errors);
            if !form_key.is_empty() {
                page.form_key = form_key;
            }
            render_invalid(&page, &page.layout)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "invitations/bulk.html")]
struct BulkPage {
    layout: Layout,
    bulk: bulk::Bulk,
    invalid: Vec<(i64, String, String)>,
    skipped: Vec<(i64, String, String)>,
}

/// `GET /invitations/bulk/{id}`: the preview, or the send's progress.
pub async fn view(ctx: Page, Path(id): Path<String>) -> PageResult {
    let b = usecase::bulk::get(&ctx.state.usecases, &ctx.user.actor, &id).await?;
    let invalid = bulk::rows_with(&ctx.state.store, &id, "invalid", 200).await?;
    let skipped = bulk::rows_with(&ctx.state.store, &id, "skipped", 200).await?;
    let page = BulkPage { layout: ctx.layout("Bulk invitations", "invitations"), bulk: b, invalid, skipped };
    render(&page, &page.layout)
}

#[derive(serde::Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /invitations/bulk/{id}/send`.
pub async fn send(ctx: Page, Path(id): Path<String>, axum::Form(form): axum::Form<CsrfForm>) -> PageResult {
    ctx.verify(&form.csrf)?;
    usecase::bulk::start(&ctx.state.usecases, &ctx.user.actor, &id).await?;
    Ok(ctx.redirect(&format!("/invitations/bulk/{id}"), "Sending: you can leave this page and come back."))
}

/// `POST /invitations/bulk/{id}/cancel`.
pub async fn cancel(ctx: Page, Path(id): Path<String>, axum::Form(form): axum::Form<CsrfForm>) -> PageResult {
    ctx.verify(&form.csrf)?;
    usecase::bulk::cancel(&ctx.state.usecases, &ctx.user.actor, &id).await?;
    Ok(ctx.redirect(&format!("/invitations/bulk/{id}"), "Cancelled: nothing more is sent; what was sent stays sent."))
}
