use super::{ApiJson, ApiQuery, ErrorBody, invalid};
use crate::domain::{Deadline, EmailAddress, FieldErrors, Language, today_in};
use crate::store::candidates::{self, NewCandidate};
use crate::store::invitations::{self, InvitationRow, Invitee, ListFilter, NewInvitation, Sort};
use crate::usecase::invitations::{decode_cursor, encode_cursor, statuses_of};
use crate::usecase::{self, UseCaseError};
use crate::web::auth::ApiActor;
use crate::web::error::{ApiError, ApiResult};
use crate::web::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct ExternalCandidate {
    #[schema(min_length = 1, max_length = 100, pattern = r"^[^\x00-\x1f\x7f]*[^\x00-\x20\x7f][^\x00-\x1f\x7f]*$")]
    pub first_name: String,
    #[schema(min_length = 1, max_length = 100, pattern = r"^[^\x00-\x1f\x7f]*[^\x00-\x20\x7f][^\x00-\x1f\x7f]*$")]
    pub last_name: String,
    #[schema(min_length = 3, max_length = 254, format = Email)]
    pub email: String,
}

/// Give `candidate_id` (an internal candidate) **or** `candidate` (an external one: created, or reused when the
/// organization already has that email).
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct InvitationBody {
    pub candidate_id: Option<String>,
    pub candidate: Option<ExternalCandidate>,
    /// The address the invitation goes to; default: the candidate's.
    #[schema(min_length = 3, max_length = 254, format = Email)]
    pub email: Option<String>,
    /// `en`, `fi`, `sv`, `el`, `de`, `fr`, `es`; default: the organization's language.
    #[schema(pattern = "^(en|fi|sv|el|de|fr|es)$")]
    pub language: Option<String>,
    pub interview_id: String,
    /// `YYYY-MM-DD`, inclusive, today or later in the organization's time zone.
    #[schema(format = Date)]
    pub deadline: String,
    #[serde(default)]
    pub bcc_me: bool,
    #[serde(default)]
    pub notify_me: bool,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct InvitationPage {
    pub items: Vec<InvitationRow>,
    pub next_cursor: Option<String>,
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// `open` (pending or in progress, the default), `any`, or one status.
    status: Option<String>,
    candidate_id: Option<String>,
    interview_id: Option<String>,
    /// `created` (default, newest first), `answered`, `deadline`.
    sort: Option<String>,
    /// `undecided`, `advance`, `hold` or `reject`: only invitations with that decision.
    decision: Option<String>,
    cursor: Option<String>,
    /// 1–200, default 50.
    limit: Option<i64>,
}

/// Invitations of the organization, filtered and in pages.
#[utoipa::path(get, operation_id = "list_invitations", path = "/api/v1/invitations", params(ListParams), tag = "invitations",
    responses((status = 200, body = InvitationPage), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(p): ApiQuery<ListParams>,
) -> ApiResult<Json<InvitationPage>> {
    let statuses =
        statuses_of(p.status.as_deref().unwrap_or("")).ok_or_else(|| invalid("status", "Unknown status."))?;
    let sort = Sort::parse(p.sort.as_deref().unwrap_or(""))
        .ok_or_else(|| invalid("sort", "Use created, answered or deadline."))?;
    let decision = match p.decision.as_deref() {
        None | Some("") | Some("any") => None,
        Some(d) => Some(
            crate::domain::Decision::parse(d)
                .ok_or_else(|| invalid("decision", "Use undecided, advance, hold or reject."))?,
        ),
    };
    let limit = p.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(invalid("limit", "Use a limit from 1 to 200."));
    }
    let after = match p.cursor.as_deref() {
        None => None,
        Some(c) => Some(decode_cursor(c).ok_or_else(|| invalid("cursor", "This cursor is not valid."))?),
    };
    let filter = ListFilter {
        answered_since: None,
        decision,
        statuses,
        candidate_query: None,
        candidate_id: p.candidate_id,
        interview_id: p.interview_id,
        sort,
        after,
        limit,
    };
    let page = invitations::list(&state.store, &actor.org.id, &filter).await?;
    let next_cursor = page.next.map(|(k, id)| encode_cursor(k, &id));
    Ok(Json(InvitationPage { items: page.items, next_cursor }))
}

/// Invite a candidate. An `Idempotency-Key` header makes the request safe to retry: the same key gives back the
/// invitation it created.
#[utoipa::path(post, operation_id = "create_invitation", path = "/api/v1/invitations", request_body = InvitationBody, tag = "invitations",
    params(("Idempotency-Key" = Option<String>, Header, description = "Any unique string, at most 100 characters")),
    responses((status = 201, body = InvitationRow), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    headers: HeaderMap,
    ApiJson(body): ApiJson<InvitationBody>,
) -> ApiResult<Response> {
    let idempotency_key = match headers.get("idempotency-key").map(|v| v.to_str().map(str::trim)) {
        None => None,
        Some(Ok(k)) if !k.is_empty() && k.len() <= 100 => Some(format!("api:{k}")),
        Some(_) => return Err(invalid("Idempotency-Key", "Use 1 to 100 visible characters.")),
    };
    let tz = actor.org.tz();
    let now = state.store.now();
    let mut errors = FieldErrors::new();
    let (invitee, default_email) = match (&body.candidate_id, &body.candidate) {
        (Some(id), None) => {
            let c = candidates::get(&state.store, &actor.org.id, id).await?;
            (Some(Invitee::Existing(c.id)), c.email)
        }
        (None, Some(c)) => match NewCandidate::parse(&c.first_name, &c.last_name, &c.email, None, None) {
            Ok(new) => (Some(Invitee::New(new)), c.email.clone()),
            Err(e) => {
                for f in e.0 {
                    errors.push(format!("candidate.{}", f.field), f.message);
                }
                (None, String::new())
            }
        },
        _ => {
            errors.push("candidate_id", "Give either candidate_id or candidate.");
            (None, String::new())
        }
    };
    let email = errors.check(EmailAddress::parse("email", body.email.as_deref().unwrap_or(&default_email)));
    let language = errors.check(Language::parse("language", body.language.as_deref().unwrap_or(&actor.org.language)));
    let deadline = errors.check(Deadline::parse("deadline", &body.deadline, today_in(&tz, now)));
    let (Some(invitee), Some(email), Some(language), Some(deadline)) = (invitee, email, language, deadline) else {
        return Err(ApiError::validation(&errors));
    };
    if !errors.is_empty() {
        return Err(ApiError::validation(&errors));
    }
    let new = NewInvitation {
        invitee,
        email: email.clone(),
        language,
        interview_id: body.interview_id.clone(),
        deadline,
        closes_at: deadline.closes_at(&tz).as_millisecond(),
        bcc_me: body.bcc_me,
        notify_me: body.notify_me,
        idempotency_key,
        via_public_link: false,
    };
    let created = match usecase::invitations::send(&state.usecases, &actor, &new).await {
        Ok(c) => c.invitation,
        Err(UseCaseError::Conflict(_)) => {
            return Err(ApiError::conflict("A request with this Idempotency-Key is in progress; retry it."));
        }
        Err(e) => return Err(e.into()),
    };
    Ok((StatusCode::CREATED, [("location", format!("/api/v1/invitations/{}", created.id))], Json(created))
        .into_response())
}

/// One invitation.
#[utoipa::path(get, operation_id = "get_invitation", path = "/api/v1/invitations/{id}", tag = "invitations",
    responses((status = 200, body = InvitationRow), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<InvitationRow>> {
    Ok(Json(invitations::get(&state.store, &actor.org.id, &id).await?))
}

/// Delete an invitation (its link stops working).
#[utoipa::path(delete, operation_id = "delete_invitation", path = "/api/v1/invitations/{id}", tag = "invitations",
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    usecase::invitations::delete(&state.usecases, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Send the invitation email again, with the same link.
#[utoipa::path(post, operation_id = "resend_invitation", path = "/api/v1/invitations/{id}/resend", tag = "invitations",
    responses((status = 200, body = InvitationRow), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
pub async fn resend(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<InvitationRow>> {
    usecase::invitations::resend(&state.usecases, &actor, &id).await?;
    Ok(Json(invitations::get(&state.store, &actor.org.id, &id).await?))
}

/// Disable the invitation's link.
#[utoipa::path(post, operation_id = "disable_invitation", path = "/api/v1/invitations/{id}/disable", tag = "invitations",
    responses((status = 200, body = InvitationRow), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
pub async fn disable(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<InvitationRow>> {
    usecase::invitations::disable(&state.usecases, &actor, &id).await?;
    Ok(Json(invitations::get(&state.store, &actor.org.id, &id).await?))
}

/// Only the fields present change.
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct InvitationPatch {
    #[schema(min_length = 3, max_length = 254, format = Email)]
    pub email: Option<String>,
    #[schema(pattern = "^(en|fi|sv|el|de|fr|es)$")]
    pub language: Option<String>,
    /// `YYYY-MM-DD`; a later date re-opens an expired invitation and emails the candidate the new date.
    #[schema(format = Date)]
    pub deadline: Option<String>,
    pub notify_me: Option<bool>,
}

/// Edit an invitation's email, language, deadline or Notify me.
#[utoipa::path(patch, operation_id = "update_invitation", path = "/api/v1/invitations/{id}", request_body = InvitationPatch, tag = "invitations",
    responses((status = 200, body = InvitationRow), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<InvitationPatch>,
) -> ApiResult<Json<InvitationRow>> {
    let current = invitations::get(&state.store, &actor.org.id, &id).await?;
    let edit = usecase::invitations::Edit {
        email: patch.email.as_deref().unwrap_or(&current.email),
        language: patch.language.as_deref().unwrap_or(&current.language),
        deadline: patch.deadline.as_deref().unwrap_or(&current.deadline),
        notify_me: patch.notify_me.unwrap_or(current.notify_me),
    };
    match usecase::invitations::edit(&state.usecases, &actor, &id, &edit).await {
        Ok(updated) => Ok(Json(updated.invitation)),
        Err(UseCaseError::Refused(_)) => Err(ApiError::conflict("This invitation can no longer be edited.")),
        Err(e) => Err(e.into()),
    }
}

/// One person of a bulk send: `candidate_id` (an internal candidate) **or** their name and email.
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct BulkPerson {
    pub candidate_id: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    /// This person's language, when the send has none.
    #[schema(pattern = "^(en|fi|sv|el|de|fr|es)$")]
    pub language: Option<String>,
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct BulkBody {
    pub interview_id: String,
    /// `YYYY-MM-DD`, inclusive.
    #[schema(format = Date)]
    pub deadline: String,
    /// Everyone's language; default: each person's own, else the organization's.
    #[schema(pattern = "^(en|fi|sv|el|de|fr|es)$")]
    pub language: Option<String>,
    #[serde(default)]
    pub notify_me: bool,
    /// 1–20,000 people.
    pub candidates: Vec<BulkPerson>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct BulkRowProblem {
    /// The person's position in `candidates`, from 1.
    pub position: i64,
    pub message: String,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct BulkSummary {
    pub id: String,
    /// `sending`, `done` or `cancelled`.
    pub status: String,
    pub to_send: i64,
    pub sent: i64,
    /// People with an open invitation to the interview already (or listed twice).
    pub skipped: i64,
    pub invalid: Vec<BulkRowProblem>,
}

async fn bulk_summary(state: &AppState, actor: &crate::store::sessions::Actor, id: &str) -> ApiResult<BulkSummary> {
    let b = usecase::bulk::get(&state.usecases, actor, id).await?;
    let invalid = crate::store::bulk::rows_with(&state.store, id, "invalid", 1000)
        .await?
        .into_iter()
        .map(|(position, _, message)| BulkRowProblem { position, message })
        .collect();
    Ok(BulkSummary { to_send: b.pending, sent: b.sent, skipped: b.skipped, status: b.status, id: b.id, invalid })
}

/// Invite many people to one interview; sent by a background job (follow it with `get_bulk_invitation`). With an
/// `Idempotency-Key` header, a repeated request gives back the first send.
#[utoipa::path(post, operation_id = "create_bulk_invitation", path = "/api/v1/invitations/bulk", request_body = BulkBody, tag = "invitations",
    params(("Idempotency-Key" = Option<String>, Header, description = "Any unique string, at most 100 characters")),
    responses((status = 202, body = BulkSummary), (status = 200, body = BulkSummary), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn bulk(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    headers: HeaderMap,
    ApiJson(body): ApiJson<BulkBody>,
) -> ApiResult<Response> {
    let key = match headers.get("idempotency-key").map(|v| v.to_str().map(str::trim)) {
        None => None,
        Some(Ok(k)) if !k.is_empty() && k.len() <= 100 => Some(format!("api:{k}")),
        Some(_) => return Err(invalid("Idempotency-Key", "Use 1 to 100 visible characters.")),
    };
    let people: Vec<(i64, usecase::bulk::Person)> = body
        .candidates
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let person = match p.candidate_id {
                Some(id) => usecase::bulk::Person::Candidate(id),
                None => usecase::bulk::Person::External {
                    first_name: p.first_name.unwrap_or_default(),
                    last_name: p.last_name.unwrap_or_default(),
                    email: p.email.unwrap_or_default(),
                    language: p.language,
                },
            };
            (i as i64 + 1, person)
        })
        .collect();
    let settings = usecase::bulk::Settings {
        interview_id: &body.interview_id,
        language: body.language.as_deref().unwrap_or(""),
        deadline: &body.deadline,
        notify_me: body.notify_me,
        idempotency_key: key.as_deref(),
    };
    let (id, repeated) = usecase::bulk::preview(&state.usecases, &actor, &settings, &people).await?;
    if repeated {
        return Ok((StatusCode::OK, Json(bulk_summary(&state, &actor, &id).await?)).into_response());
    }
    usecase::bulk::start(&state.usecases, &actor, &id).await?;
    Ok((StatusCode::ACCEPTED, Json(bulk_summary(&state, &actor, &id).await?)).into_response())
}

/// A bulk send's progress.
#[utoipa::path(get, operation_id = "get_bulk_invitation", path = "/api/v1/invitations/bulk/{id}", tag = "invitations",
    responses((status = 200, body = BulkSummary), (status = 404, body = ErrorBody)))]
pub async fn bulk_status(
    State(state): State<AppState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<Json<BulkSummary>> {
    Ok(Json(bulk_summary(&state, &actor, &id).await?))
}
