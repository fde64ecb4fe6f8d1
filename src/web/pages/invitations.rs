//! Manage video interview invitations: the list (filters, search, sorts, keyset pages), the invitation form for an
//! internal or an external candidate, and the row actions (resend, disable, delete, copy the candidate's link).

use super::layout::{CsrfOnly, Layout, Page, local_time, render, render_invalid};
use crate::domain::{Deadline, Decision, EmailAddress, FieldErrors, InvitationStatus, Language, today_in};
use crate::store::candidates::{self, NewCandidate};
use crate::store::interviews;
use crate::store::invitations::{self, Invitee, ListFilter, NewInvitation, Sort, invitation_token};
use crate::usecase::{self, UseCaseError};
use crate::web::error::{PageError, PageResult};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query};

struct Row {
    id: String,
    candidate_id: String,
    candidate: String,
    email: String,
    interview: String,
    interview_id: String,
    decision: Decision,
    via_public_link: bool,
    status: &'static str,
    status_key: String,
    sent: String,
    deadline: String,
    answered: String,
    open: bool,
    email_undelivered: bool,
}

#[derive(Template)]
#[template(path = "invitations/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<Row>,
    status: String,
    q: String,
    sort: &'static str,
    next: Option<String>,
    statuses: Vec<(&'static str, &'static str)>,
    sorts: Vec<(&'static str, &'static str)>,
    decision: String,
    decisions: Vec<(&'static str, &'static str)>,
}

#[derive(serde::Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    decision: String,
    after: Option<String>,
}

/// The default list shows invitations answered within this many days, with the open ones.
const RECENT_DAYS: i64 = 30;

pub async fn list(ctx: Page, Query(q): Query<ListQuery>) -> PageResult {
    let org = &ctx.user.actor.org;
    // The default view: what is open, and what was answered in the last 30 days.
    let current = q.status.is_empty() || q.status == "current";
    let statuses = if current {
        vec![InvitationStatus::Pending, InvitationStatus::InProgress]
    } else {
        usecase::invitations::statuses_of(&q.status)
            .ok_or_else(|| PageError::BadRequest("Unknown status filter.".into()))?
    };
    let answered_since = current.then(|| ctx.state.store.now_ms() - RECENT_DAYS * 24 * 3600 * 1000);
    let sort = Sort::parse(&q.sort).ok_or_else(|| PageError::BadRequest("Unknown sort order.".into()))?;
    let after = match q.after.as_deref() {
        Some(a) => Some(
            usecase::invitations::decode_cursor(a)
                .ok_or_else(|| PageError::BadRequest("This page link is not valid.".into()))?,
        ),
        None => None,
    };
    let decision = match q.decision.as_str() {
        "" | "any" => None,
        d => Some(Decision::parse(d).ok_or_else(|| PageError::BadRequest("Unknown decision filter.".into()))?),
    };
    let filter = ListFilter {
        decision,
        answered_since,
        statuses,
        candidate_query: Some(q.q.clone()).filter(|s| !s.trim().is_empty()),
        candidate_id: None,
        interview_id: None,
        sort,
        after,
        limit: 50,
    };
    let page = invitations::list(&ctx.state.store, &org.id, &filter).await?;
    let tz = org.tz();
    let rows = page
        .items
        .into_iter()
        .map(|i| {
            let status = InvitationStatus::parse(&i.status);
            Row {
                status: status.map(InvitationStatus::label).unwrap_or("?"),
                open: status.is_some_and(InvitationStatus::is_open),
                email_undelivered: i.email_undelivered_at.is_some(),
                status_key: i.status,
                sent: local_time(i.sent_at, &tz),
                answered: i.answered_at.map(|t| local_time(t, &tz)).unwrap_or_default(),
                id: i.id,
                candidate_id: i.candidate_id,
                candidate: i.candidate_name,
                email: i.email,
                interview: i.interview_name,
                interview_id: i.interview_id,
                via_public_link: i.source == "public",
                decision: Decision::parse(&i.decision).unwrap_or_default(),
                deadline: i.deadline,
            }
        })
        .collect();
    let mut statuses: Vec<(&'static str, &'static str)> =
        vec![("current", "Open or answered in the last 30 days"), ("open", "Pending or In progress"), ("any", "Any")];
    statuses.extend(InvitationStatus::ALL.iter().map(|s| (s.as_str(), s.label())));
    let page = ListPage {
        layout: ctx.layout("Manage video interview invitations", "invitations"),
        rows,
        status: if q.status.is_empty() { "current".into() } else { q.status },
        q: q.q,
        decision: if q.decision.is_empty() { "any".into() } else { q.decision },
        decisions: std::iter::once(("any", "Any decision"))
            .chain(Decision::ALL.into_iter().map(|d| (d.as_str(), d.label())))
            .collect(),
        sort: sort.as_str(),
        next: page.next.map(|(k, id)| usecase::invitations::encode_cursor(k, &id)),
        statuses,
        sorts: vec![
            ("created", "Recently created"),
            ("answered", "Recently answered"),
            ("deadline", "Closer deadline"),
        ],
    };
    render(&page, &page.layout)
}

#[derive(serde::Deserialize, Default, Clone)]
pub struct InvitationForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    candidate_id: String,
    #[serde(default)]
    full_name: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    interview_id: String,
    #[serde(default)]
    deadline: String,
    bcc_me: Option<String>,
    notify_me: Option<String>,
    #[serde(default)]
    form_key: String,
}

#[derive(Template)]
#[template(path = "invitations/form.html")]
struct FormPage {
    layout: Layout,
    form: InvitationForm,
    external: bool,
    errors: FieldErrors,
    languages: Vec<(&'static str, &'static str)>,
    interviews: Vec<(String, String)>,
    user_email: String,
    today: String,
    timezone: String,
}

async fn form_page(ctx: &Page, form: InvitationForm, errors: FieldErrors) -> PageResult<FormPage> {
    let org = &ctx.user.actor.org;
    let external = form.to == "external";
    let interviews = interviews::list(&ctx.state.store, &org.id).await?.into_iter().map(|i| (i.id, i.name)).collect();
    let tz = org.tz();
    let title = if external { "Invite an external candidate" } else { "Invite a candidate" };
    Ok(FormPage {
        layout: ctx.layout(title, "invitations"),
        form,
        external,
        errors,
        languages: super::layout::languages(),
        interviews,
        user_email: ctx.user.actor.user.email.clone(),
        today: today_in(&tz, ctx.state.store.now()).to_string(),
        timezone: org.timezone.clone(),
    })
}

#[derive(serde::Deserialize)]
pub struct NewQuery {
    #[serde(default)]
    to: String,
    candidate_id: Option<String>,
}

pub async fn new_form(ctx: Page, Query(q): Query<NewQuery>) -> PageResult {
    let mut form = InvitationForm {
        to: if q.to == "external" { "external".into() } else { "internal".into() },
        language: ctx.user.actor.org.language.clone(),
        form_key: crate::store::new_id(),
        ..Default::default()
    };
    if let Some(id) = q.candidate_id.filter(|id| !id.is_empty()) {
        let c = candidates::get(&ctx.state.store, ctx.org_id(), &id).await?;
        form.full_name = c.full_name();
        form.candidate_id = c.id;
        form.email = c.email;
    }
    let page = form_page(&ctx, form, FieldErrors::new()).await?;
    render(&page, &page.layout)
}

pub async fn create(ctx: Page, Form(form): Form<InvitationForm>) -> PageResult {
    ctx.verify(&form.csrf)?;
    let actor = &ctx.user.actor;
    let tz = actor.org.tz();
    let now = ctx.state.store.now();
    let mut errors = FieldErrors::new();
    let invitee = if form.to == "external" {
        match NewCandidate::parse(&form.first_name, &form.last_name, &form.email, None, None) {
            Ok(c) => Some(Invitee::New(c)),
            Err(e) => {
                errors.0.extend(e.0);
                None
            }
        }
    } else if form.candidate_id.trim().is_empty() {
        errors.push("full_name", "Choose a candidate: type part of the first or last name and pick from the list.");
        None
    } else {
        Some(Invitee::Existing(form.candidate_id.trim().to_owned()))
    };
    let email = if form.to == "external" {
        EmailAddress::parse("email", &form.email).ok()
    } else {
        errors.check(EmailAddress::parse("email", &form.email))
    };
    let language = errors.check(Language::parse("language", &form.language));
    if form.interview_id.trim().is_empty() {
        errors.push("interview_id", "Choose a video interview.");
    }
    let deadline = errors.check(Deadline::parse("deadline", &form.deadline, today_in(&tz, now)));
    let (Some(invitee), Some(email), Some(language), Some(deadline)) = (invitee, email, language, deadline) else {
        let page = form_page(&ctx, form, errors).await?;
        return render_invalid(&page, &page.layout);
    };
    if !errors.is_empty() {
        let page = form_page(&ctx, form, errors).await?;
        return render_invalid(&page, &page.layout);
    }
    let bcc_me = form.bcc_me.is_some();
    let new = NewInvitation {
        invitee,
        email: email.clone(),
        language,
        interview_id: form.interview_id.trim().to_owned(),
        deadline,
        closes_at: deadline.closes_at(&tz).as_millisecond(),
        bcc_me,
        notify_me: form.notify_me.is_some(),
        idempotency_key: Some(form.form_key.clone()).filter(|k| !k.is_empty() && k.len() <= 100),
        via_public_link: false,
    };
    let created = match usecase::invitations::send(&ctx.state.usecases, actor, &new).await {
        Ok(c) => c,
        // A double submit that raced past the first check: the first one won.
        Err(UseCaseError::Conflict("invitation_idempotency")) => {
            return Ok(ctx.redirect("/invitations", "This invitation was already sent."));
        }
        Err(e) => return Err(e.into()),
    };
    tracing::info!(invitation_id = %created.invitation.id, org_id = %actor.org.id, "invitation created");
    let mut message = if created.repeated {
        "This invitation was already sent.".to_owned()
    } else {
        format!("The invitation to {} is sent to {}.", created.invitation.candidate_name, created.invitation.email)
    };
    if created.reused_candidate {
        message
            .push_str(" That email already belonged to one of your candidates, so the invitation is on their record.");
    }
    Ok(ctx.redirect("/invitations", &message))
}

pub async fn resend(ctx: Page, Path(id): Path<String>, Form(form): Form<CsrfOnly>) -> PageResult {
    ctx.verify(&form.csrf)?;
    let inv = usecase::invitations::resend(&ctx.state.usecases, &ctx.user.actor, &id).await?;
    Ok(ctx.redirect("/invitations", &format!("The invitation is sent again to {}.", inv.email)))
}

pub async fn disable(ctx: Page, Path(id): Path<String>, Form(form): Form<CsrfOnly>) -> PageResult {
    ctx.verify(&form.csrf)?;
    usecase::invitations::disable(&ctx.state.usecases, &ctx.user.actor, &id).await?;
    Ok(ctx.redirect("/invitations", "The invitation is disabled: its link now says so."))
}

#[derive(Template)]
#[template(path = "invitations/delete.html")]
struct DeletePage {
    layout: Layout,
    inv: invitations::InvitationRow,
}

pub async fn delete_confirm(ctx: Page, Path(id): Path<String>) -> PageResult {
    let inv = invitations::get(&ctx.state.store, ctx.org_id(), &id).await?;
    let page = DeletePage { layout: ctx.layout("Delete invitation", "invitations"), inv };
    render(&page, &page.layout)
}

pub async fn delete(ctx: Page, Path(id): Path<String>, Form(form): Form<CsrfOnly>) -> PageResult {
    ctx.verify(&form.csrf)?;
    usecase::invitations::delete(&ctx.state.usecases, &ctx.user.actor, &id).await?;
    Ok(ctx.redirect("/invitations", "The invitation is deleted."))
}

#[derive(Template)]
#[template(path = "invitations/link.html")]
struct LinkPage {
    layout: Layout,
    inv: invitations::InvitationRow,
    link: String,
}

pub async fn link(ctx: Page, Path(id): Path<String>) -> PageResult {
    let inv = invitations::get(&ctx.state.store, ctx.org_id(), &id).await?;
    let link = ctx.state.link(&format!("/i/{}", invitation_token(&ctx.state.usecases.link_key, &inv.id)));
    let page = LinkPage { layout: ctx.layout("Candidate link", "invitations"), inv, link };
    let mut res = render(&page, &page.layout)?;
    res.headers_mut().insert("cache-control", axum::http::HeaderValue::from_static("no-store"));
    Ok(res)
}

#[derive(Template)]
#[template(path = "invitations/edit.html")]
struct EditPage {
    layout: Layout,
    inv: invitations::InvitationRow,
    form: EditForm,
    errors: FieldErrors,
    languages: Vec<(&'static str, &'static str)>,
    user_email: String,
    timezone: String,
}

#[derive(serde::Deserialize, Default)]
pub struct EditForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    deadline: String,
    notify_me: Option<String>,
}

fn edit_page(ctx: &Page, inv: invitations::InvitationRow, form: EditForm, errors: FieldErrors) -> EditPage {
    EditPage {
        layout: ctx.layout("Edit invitation", "invitations"),
        inv,
        form,
        errors,
        languages: super::layout::languages(),
        user_email: ctx.user.actor.user.email.clone(),
        timezone: ctx.user.actor.org.timezone.clone(),
    }
}

pub async fn edit_form(ctx: Page, Path(id): Path<String>) -> PageResult {
    let inv = invitations::get(&ctx.state.store, ctx.org_id(), &id).await?;
    let form = EditForm {
        csrf: String::new(),
        email: inv.email.clone(),
        language: inv.language.clone(),
        deadline: inv.deadline.clone(),
        notify_me: inv.notify_me.then(|| "1".to_owned()),
    };
    let page = edit_page(&ctx, inv, form, FieldErrors::new());
    render(&page, &page.layout)
}

pub async fn edit(ctx: Page, Path(id): Path<String>, Form(form): Form<EditForm>) -> PageResult {
    ctx.verify(&form.csrf)?;
    let inv = invitations::get(&ctx.state.store, ctx.org_id(), &id).await?;
    let edit = usecase::invitations::Edit {
        email: &form.email,
        language: &form.language,
        deadline: &form.deadline,
        notify_me: form.notify_me.is_some(),
    };
    match usecase::invitations::edit(&ctx.state.usecases, &ctx.user.actor, &id, &edit).await {
        Ok(updated) => {
            let mut message = "The invitation is saved.".to_owned();
            if updated.reopened {
                message.push_str(" It is open again.");
            }
            if updated.deadline_moved_later {
                message.push_str(" The candidate is emailed the new deadline.");
            }
            Ok(ctx.redirect("/invitations", &message))
        }
        Err(UseCaseError::Invalid(errors)) => {
            let page = edit_page(&ctx, inv, form, errors);
            render_invalid(&page, &page.layout)
        }
        Err(e) => Err(e.into()),
    }
}
