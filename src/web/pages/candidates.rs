//! The candidate base: list (keyset pages, sortable), the name search fragment, create, view with timeline, edit,
//! delete, CSV import.

use super::layout::{CsrfOnly, Layout, Page, UPLOAD_LIMIT_BYTES, local_time, redirect_with, render, render_invalid};
use super::timeline::describe_event;
use crate::domain::FieldErrors;
use crate::import::{self, ImportReport};
use crate::store::StoreError;
use crate::store::candidates::{self, Candidate, Cursor, EventActor, NewCandidate, Sort};
use crate::usecase::{self, UseCaseError};
use crate::web::auth::CurrentUser;
use crate::web::error::{PageError, PageResult};
use crate::web::state::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{Html, IntoResponse};
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

pub struct CandidateRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub created: String,
}

fn row(c: Candidate, tz: &jiff::tz::TimeZone) -> CandidateRow {
    CandidateRow {
        name: c.full_name(),
        created: local_time(c.created_at, tz),
        id: c.id,
        email: c.email,
        phone: c.phone.unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "candidates/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<CandidateRow>,
    q: String,
    sort: &'static str,
    next: Option<String>,
    sorts: Vec<(&'static str, &'static str)>,
    /// How many candidates' names start with the search (for "invite all"), when searching.
    matching: usize,
}

#[derive(serde::Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    sort: String,
    after: Option<String>,
}

pub async fn list(ctx: Page, Query(q): Query<ListQuery>) -> PageResult {
    let org = &ctx.user.actor.org;
    let sort = Sort::parse(&q.sort).unwrap_or(Sort::Name);
    let (rows, next) = if q.q.trim().is_empty() {
        let after = match q.after.as_deref() {
            Some(a) => {
                Some(Cursor::decode(a).ok_or_else(|| PageError::BadRequest("This page link is not valid.".into()))?)
            }
            None => None,
        };
        let page = match candidates::list(&ctx.state.store, &org.id, sort, after.as_ref(), 50).await {
            Err(StoreError::Conflict(_)) => return Err(PageError::BadRequest("This page link is not valid.".into())),
            other => other?,
        };
        (page.items, page.next.map(|c| c.encode()))
    } else {
        (candidates::search(&ctx.state.store, &org.id, &q.q, candidates::SEARCH_MAX).await?, None)
    };
    let matching = if q.q.trim().is_empty() {
        0
    } else {
        candidates::ids_starting_with(&ctx.state.store, &org.id, &q.q, crate::usecase::bulk::BULK_MAX).await?.len()
    };
    let page = ListPage {
        matching,
        layout: ctx.layout("Candidates", "candidates"),
        rows: {
            let tz = org.tz();
            rows.into_iter().map(|c| row(c, &tz)).collect()
        },
        q: q.q,
        sort: sort.as_str(),
        next,
        sorts: vec![
            ("name", "Name A–Z"),
            ("-name", "Name Z–A"),
            ("-created", "Newest first"),
            ("created", "Oldest first"),
        ],
    };
    render(&page, &page.layout)
}

#[derive(Template)]
#[template(path = "candidates/suggest.html")]
struct SuggestFragment {
    items: Vec<Candidate>,
    q: String,
    /// More candidates match than are shown.
    more: bool,
}

#[derive(serde::Deserialize)]
pub struct SuggestQuery {
    #[serde(default)]
    q: String,
}

/// The typeahead's HTML fragment: up to ten candidates whose first or last name matches `q`.
pub async fn suggest(State(state): State<AppState>, user: CurrentUser, Query(q): Query<SuggestQuery>) -> PageResult {
    let mut items = candidates::search(&state.store, &user.actor.org.id, &q.q, candidates::SEARCH_MAX + 1).await?;
    let more = items.len() > candidates::SEARCH_MAX;
    items.truncate(candidates::SEARCH_MAX);
    Ok(Html(SuggestFragment { items, q: q.q, more }.render()?).into_response())
}

#[derive(Template)]
#[template(path = "candidates/form.html")]
struct FormPage {
    layout: Layout,
    action: String,
    form: CandidateForm,
    errors: FieldErrors,
    editing: bool,
}

#[derive(serde::Deserialize, Default)]
pub struct CandidateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    notes: String,
}

impl CandidateForm {
    fn parse(&self) -> Result<NewCandidate, FieldErrors> {
        NewCandidate::parse(&self.first_name, &self.last_name, &self.email, Some(&self.phone), Some(&self.notes))
    }
}

pub async fn new_form(ctx: Page) -> PageResult {
    let page = FormPage {
        layout: ctx.layout("New candidate", "candidates"),
        action: "/candidates".into(),
        form: CandidateForm::default(),
        errors: FieldErrors::new(),
        editing: false,
    };
    render(&page, &page.layout)
}

fn duplicate_email() -> FieldErrors {
    let mut errors = FieldErrors::new();
    errors.push("email", "Another candidate of your organization has this email.");
    errors
}

pub async fn create(ctx: Page, Form(form): Form<CandidateForm>) -> PageResult {
    ctx.verify(&form.csrf)?;
    let errors = match form.parse() {
        Ok(new) => match usecase::candidates::create(&ctx.state.usecases, &ctx.user.actor, &new).await {
            Ok(c) => {
                return Ok(redirect_with(
                    &ctx.state,
                    &format!("/candidates/{}", c.id),
                    &format!("{} is added.", c.full_name()),
                ));
            }
            Err(UseCaseError::Conflict(_)) => duplicate_email(),
            Err(e) => return Err(e.into()),
        },
        Err(errors) => errors,
    };
    let page = FormPage {
        layout: ctx.layout("New candidate", "candidates"),
        action: "/candidates".into(),
        form,
        errors,
        editing: false,
    };
    render_invalid(&page, &page.layout)
}

struct EventRow {
    when: String,
    actor: String,
    what: String,
}

#[derive(Template)]
#[template(path = "candidates/view.html")]
struct ViewPage {
    layout: Layout,
    c: Candidate,
    created: String,
    events: Vec<EventRow>,
    invitations: Vec<InvitationLine>,
}

/// One of the candidate's invitations, linking to its answers.
struct InvitationLine {
    id: String,
    interview: String,
    status_key: String,
    status: &'static str,
    deadline: String,
    answered: bool,
    email_undelivered: bool,
}

pub async fn view(ctx: Page, Path(id): Path<String>) -> PageResult {
    let org = &ctx.user.actor.org;
    let tz = org.tz();
    let c = candidates::get(&ctx.state.store, &org.id, &id).await?;
    let events = candidates::timeline(&ctx.state.store, &org.id, &id)
        .await?
        .into_iter()
        .map(|e| EventRow {
            when: local_time(e.created_at, &tz),
            actor: e.actor,
            what: describe_event(&e.kind, &e.detail),
        })
        .collect();
    let invitations = crate::store::invitations::of_candidate(&ctx.state.store, &org.id, &id)
        .await?
        .into_iter()
        .map(|i| InvitationLine {
            status: crate::domain::InvitationStatus::parse(&i.status)
                .map(crate::domain::InvitationStatus::label)
                .unwrap_or("?"),
            answered: i.status != "pending",
            email_undelivered: i.email_undelivered_at.is_some(),
            id: i.id,
            interview: i.interview_name,
            status_key: i.status,
            deadline: i.deadline,
        })
        .collect();
    let page = ViewPage {
        layout: ctx.layout(c.full_name(), "candidates"),
        created: local_time(c.created_at, &tz),
        c,
        events,
        invitations,
    };
    render(&page, &page.layout)
}

pub async fn edit_form(ctx: Page, Path(id): Path<String>) -> PageResult {
    let c = candidates::get(&ctx.state.store, ctx.org_id(), &id).await?;
    let page = FormPage {
        layout: ctx.layout(format!("Edit {}", c.full_name()), "candidates"),
        action: format!("/candidates/{}", c.id),
        form: CandidateForm {
            csrf: String::new(),
            first_name: c.first_name,
            last_name: c.last_name,
            email: c.email,
            phone: c.phone.unwrap_or_default(),
            notes: c.notes.unwrap_or_default(),
        },
        errors: FieldErrors::new(),
        editing: true,
    };
    render(&page, &page.layout)
}

pub async fn update(ctx: Page, Path(id): Path<String>, Form(form): Form<CandidateForm>) -> PageResult {
    ctx.verify(&form.csrf)?;
    let org_id = ctx.org_id();
    // A foreign or deleted id is a 404 before anything else.
    candidates::get(&ctx.state.store, org_id, &id).await?;
    let errors = match form.parse() {
        Ok(new) => match usecase::candidates::update(&ctx.state.usecases, &ctx.user.actor, &id, &new).await {
            Ok(c) => return Ok(ctx.redirect(&format!("/candidates/{}", c.id), "Changes saved.")),
            Err(UseCaseError::Conflict(_)) => duplicate_email(),
            Err(e) => return Err(e.into()),
        },
        Err(errors) => errors,
    };
    let page = FormPage {
        layout: ctx.layout("Edit candidate", "candidates"),
        action: format!("/candidates/{id}"),
        form,
        errors,
        editing: true,
    };
    render_invalid(&page, &page.layout)
}

#[derive(Template)]
#[template(path = "candidates/delete.html")]
struct DeletePage {
    layout: Layout,
    c: Candidate,
    holdings: usecase::privacy::Holdings,
}

/// The erasure's confirmation: what will go, in figures.
pub async fn delete_confirm(ctx: Page, Path(id): Path<String>) -> PageResult {
    let (c, holdings) = usecase::privacy::holdings(&ctx.state.usecases, &ctx.user.actor, &id).await?;
    let page = DeletePage { layout: ctx.layout(format!("Erase {}", c.full_name()), "candidates"), c, holdings };
    render(&page, &page.layout)
}

pub async fn delete(ctx: Page, Path(id): Path<String>, Form(form): Form<CsrfOnly>) -> PageResult {
    ctx.verify(&form.csrf)?;
    let c = candidates::get(&ctx.state.store, ctx.org_id(), &id).await?;
    let erased = usecase::privacy::erase(&ctx.state.usecases, &ctx.user.actor, &id).await?;
    tracing::info!(org_id = %ctx.user.actor.org.id, recordings = erased.recordings, "candidate erased");
    Ok(ctx.redirect(
        "/candidates",
        &format!(
            "{} is erased: {} invitations, {} recordings and {} emails with them.",
            c.full_name(),
            erased.invitations,
            erased.recordings,
            erased.emails
        ),
    ))
}

/// `/candidates/{id}/export`: everything held about the candidate as one ZIP (administrators).
pub async fn export(ctx: Page, Path(id): Path<String>) -> PageResult {
    let export = usecase::privacy::export(&ctx.state.usecases, &ctx.user.actor, &id).await?;
    Ok(crate::web::export::candidate_zip(&ctx.state, export, &ctx.user.actor.org.tz()))
}

#[derive(Template)]
#[template(path = "candidates/import.html")]
struct ImportPage {
    layout: Layout,
    report: Option<ImportReport>,
    error: Option<String>,
    limit_mb: usize,
}

pub async fn import_form(ctx: Page) -> PageResult {
    let page = ImportPage {
        layout: ctx.layout("Import candidates", "candidates"),
        report: None,
        error: None,
        limit_mb: UPLOAD_LIMIT_BYTES / (1024 * 1024),
    };
    render(&page, &page.layout)
}

pub async fn import_submit(ctx: Page, mut multipart: Multipart) -> PageResult {
    let show = |report: Option<ImportReport>, error: Option<String>| {
        let page = ImportPage {
            layout: ctx.layout("Import candidates", "candidates"),
            report,
            error: error.clone(),
            limit_mb: UPLOAD_LIMIT_BYTES / (1024 * 1024),
        };
        if error.is_some() { render_invalid(&page, &page.layout) } else { render(&page, &page.layout) }
    };
    let bad = |e: axum::extract::multipart::MultipartError| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            PageError::TooLarge(format!(
                "The file is larger than {} MB. Import it with `candor import candidates FILE --org-name NAME`.",
                UPLOAD_LIMIT_BYTES / (1024 * 1024)
            ))
        } else {
            PageError::BadRequest(e.body_text())
        }
    };
    let mut token = String::new();
    let mut file: Option<(tempfile_path::TempPath, u64)> = None;
    while let Some(mut field) = multipart.next_field().await.map_err(bad)? {
        match field.name().unwrap_or("") {
            "csrf" => token = field.text().await.map_err(bad)?,
            "file" => {
                // The upload goes to a temporary file, so memory stays bounded whatever its size.
                let tmp = tempfile_path::TempPath::new(&ctx.state.config.data_dir).map_err(anyhow::Error::from)?;
                let mut out = std::fs::File::create(tmp.path()).map_err(anyhow::Error::from)?;
                let mut size = 0u64;
                while let Some(chunk) = field.chunk().await.map_err(bad)? {
                    size += chunk.len() as u64;
                    if size > UPLOAD_LIMIT_BYTES as u64 {
                        // Read (and drop) what the body limit still lets through, so the browser gets this answer
                        // rather than a connection closed while it is still sending.
                        while let Ok(Some(_)) = field.chunk().await {}
                        return Err(PageError::TooLarge(format!(
                            "The file is larger than {} MB. Import it with `candor import candidates FILE --org-name NAME`.",
                            UPLOAD_LIMIT_BYTES / (1024 * 1024)
                        )));
                    }
                    out.write_all(&chunk).map_err(anyhow::Error::from)?;
                }
                out.flush().map_err(anyhow::Error::from)?;
                file = Some((tmp, size));
            }
            _ => {}
        }
    }
    ctx.verify(&token)?;
    let Some((tmp, size)) = file.filter(|(_, size)| *size > 0) else {
        return show(None, Some("Choose a CSV file to import.".into()));
    };
    let reader = std::fs::File::open(tmp.path()).map_err(anyhow::Error::from)?;
    let report = import::import_csv(
        &ctx.state.store,
        ctx.org_id(),
        &EventActor::of(&ctx.user.actor),
        std::io::BufReader::new(reader),
        Arc::new(AtomicU64::new(0)),
    )
    .await?;
    tracing::info!(org_id = %ctx.user.actor.org.id, bytes = size, imported = report.imported, "CSV import");
    let error = report.fatal.clone();
    show(Some(report), error)
}

/// A temporary file under the data folder, deleted when dropped.
mod tempfile_path {
    use std::path::{Path, PathBuf};

    pub struct TempPath(PathBuf);

    impl TempPath {
        pub fn new(data_dir: &Path) -> std::io::Result<Self> {
            let dir = data_dir.join("tmp");
            std::fs::create_dir_all(&dir)?;
            Ok(Self(dir.join(format!("upload-{}", uuid::Uuid::new_v4().simple()))))
        }

        pub fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempPath {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}
