//! Invitations: the email an invitation sends, resending it, editing it, and how lists of them are filtered and
//! paged (shared by the invitations page and the API).

use super::{Context, UseCaseError};
use crate::domain::{Deadline, EmailAddress, FieldErrors, InvitationStatus, Language, today_in};
use crate::mail::templates::{self as emails, InvitationEmail};
use crate::store::invitations::{self, NewInvitation, invitation_token};
use crate::store::jobs::NewJob;
use crate::store::sessions::Actor;
use crate::store::{StoreError, candidates, interviews};
use base64::Engine;

/// `status` of a list's filter: `open` (Pending or In progress, the default), `any`, or one status.
pub fn statuses_of(filter: &str) -> Option<Vec<InvitationStatus>> {
    match filter {
        "" | "open" => Some(vec![InvitationStatus::Pending, InvitationStatus::InProgress]),
        "any" => Some(vec![]),
        s => InvitationStatus::parse(s).map(|st| vec![st]),
    }
}

/// A list position as an opaque cursor (the page's `after=` and the API's `cursor`).
pub fn encode_cursor(k: i64, id: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{k}.{id}"))
}

pub fn decode_cursor(s: &str) -> Option<(i64, String)> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (k, id) = text.split_once('.')?;
    Some((k.parse().ok()?, id.to_owned()))
}

/// What an invitation email says and where it goes.
pub struct EmailTo<'a> {
    pub to: &'a str,
    pub language: Language,
    pub bcc_me: bool,
    pub deadline: Deadline,
}

/// The job that sends the invitation email (or, with `moved`, the new-deadline one) of the invitation `ctx` names,
/// from `actor`.
pub fn invitation_job(
    cx: &Context,
    actor: &Actor,
    email: &EmailTo<'_>,
    ctx: &invitations::EmailContext,
    moved: bool,
) -> Result<NewJob, askama::Error> {
    let link = cx.link(&format!("/i/{}", ctx.token));
    let build = if moved { emails::deadline_moved } else { emails::invitation };
    let message = build(&InvitationEmail {
        to: email.to,
        bcc: email.bcc_me.then_some(actor.user.email.as_str()),
        reply_to: &actor.user.email,
        language: email.language,
        org: &actor.org.name,
        candidate_first_name: ctx.candidate_first_name,
        interview_title: ctx.interview_title,
        deadline: email.deadline.date(),
        timezone: &actor.org.timezone,
        question_count: ctx.question_count,
        minutes: ctx.typical_minutes,
        link: &link,
    })?;
    Ok(message.job(Some(&actor.org.id)))
}

/// Sends a new invitation: the invitation, its candidate (a new one for an external invitee whose email is not
/// already one of the organization's) and its email, in one transaction. Sent again with the same idempotency key it
/// gives the first one (`repeated`); while the first is still being sent it is `Conflict("invitation_idempotency")`.
pub async fn send(cx: &Context, actor: &Actor, new: &NewInvitation) -> Result<invitations::Created, UseCaseError> {
    // The email is built in the transaction's task, once the invitation's link and candidate are known.
    let (context, sender, address) = (cx.clone(), actor.clone(), new.email.clone());
    let (language, bcc_me, deadline) = (new.language, new.bcc_me, new.deadline);
    let email: invitations::BuildJob = Box::new(move |mail| {
        let to = EmailTo { to: address.as_str(), language, bcc_me, deadline };
        invitation_job(&context, &sender, &to, mail, false).map_err(|e| e.to_string())
    });
    Ok(invitations::create(&cx.store, actor, new, &cx.link_key, email).await?)
}

/// Sends an open invitation's email again, with the same link; `Refused` when it is no longer open.
pub async fn resend(cx: &Context, actor: &Actor, id: &str) -> Result<invitations::InvitationRow, UseCaseError> {
    let inv = invitations::get(&cx.store, &actor.org.id, id).await?;
    let interview = interviews::get(&cx.store, &actor.org.id, &inv.interview_id).await?;
    let candidate = candidates::get(&cx.store, &actor.org.id, &inv.candidate_id).await?;
    let deadline = Deadline::from_stored(&inv.deadline)
        .ok_or_else(|| UseCaseError::Internal(anyhow::anyhow!("bad stored deadline")))?;
    let language = Language::parse("language", &inv.language).unwrap_or(Language::En);
    let token = invitation_token(&cx.link_key, &inv.id);
    let ctx = invitations::EmailContext {
        token: &token,
        candidate_first_name: &candidate.first_name,
        interview_title: &interview.title,
        question_count: interview.questions.len() as i64,
        typical_minutes: interview.typical_minutes(),
    };
    let to = EmailTo { to: &inv.email, language, bcc_me: inv.bcc_me, deadline };
    let job = invitation_job(cx, actor, &to, &ctx, false)?;
    match invitations::resend(&cx.store, actor, id, &job).await {
        Ok(()) => Ok(inv),
        Err(StoreError::Conflict(_)) => Err(UseCaseError::Refused(format!(
            "This invitation is {}; only a Pending or In progress invitation can be resent.",
            InvitationStatus::parse(&inv.status).map(InvitationStatus::label).unwrap_or("closed")
        ))),
        Err(e) => Err(e.into()),
    }
}

/// An invitation's editable fields, as typed.
pub struct Edit<'a> {
    pub email: &'a str,
    pub language: &'a str,
    pub deadline: &'a str,
    pub notify_me: bool,
}

/// Edits an invitation: a later deadline re-opens an expired one and emails the candidate the new date. `Invalid`
/// with the fields' errors; `Refused` when the invitation can no longer be edited.
pub async fn edit(
    cx: &Context,
    actor: &Actor,
    id: &str,
    edit: &Edit<'_>,
) -> Result<invitations::Updated, UseCaseError> {
    let tz = actor.org.tz();
    let now = cx.store.now();
    let mut errors = FieldErrors::new();
    let email = errors.check(EmailAddress::parse("email", edit.email));
    let language = errors.check(Language::parse("language", edit.language));
    let deadline = errors.check(Deadline::parse("deadline", edit.deadline, today_in(&tz, now)));
    let (Some(email), Some(language), Some(deadline)) = (email, language, deadline) else {
        return Err(UseCaseError::Invalid(errors));
    };
    let current = invitations::get(&cx.store, &actor.org.id, id).await?;
    let changes = invitations::InvitationChanges {
        email: email.clone(),
        language,
        deadline,
        closes_at: deadline.closes_at(&tz).as_millisecond(),
        notify_me: edit.notify_me,
    };
    let to = EmailTo { to: email.as_str(), language, bcc_me: current.bcc_me, deadline };
    let updated = invitations::update(&cx.store, actor, id, &changes, &cx.link_key, |ctx| {
        invitation_job(cx, actor, &to, ctx, true).map_err(|e| e.to_string())
    })
    .await;
    match updated {
        Ok(u) => Ok(u),
        Err(StoreError::Conflict(_)) => Err(UseCaseError::Refused(format!(
            "This invitation is {} and can no longer be edited.",
            InvitationStatus::parse(&current.status).map(InvitationStatus::label).unwrap_or("closed")
        ))),
        Err(e) => Err(e.into()),
    }
}

/// Disables an invitation's link (the candidate's page then says so); `Refused` once it is answered, withdrawn or
/// already disabled.
pub async fn disable(cx: &Context, actor: &Actor, id: &str) -> Result<(), UseCaseError> {
    match invitations::disable(&cx.store, actor, id).await {
        Err(StoreError::Conflict(_)) => {
            Err(UseCaseError::Refused("This invitation cannot be disabled any more.".into()))
        }
        other => Ok(other?),
    }
}

/// Deletes an invitation with its answers and takes; a job deletes their stored media.
pub async fn delete(cx: &Context, actor: &Actor, id: &str) -> Result<(), UseCaseError> {
    let inv = invitations::delete(&cx.store, actor, id).await?;
    // No personal data of the candidate: the log outlives an erasure.
    let detail = serde_json::json!({ "invitation_id": inv.id, "status": inv.status });
    let target = format!("An invitation to {}", inv.interview_name);
    super::audit::record(cx, actor, crate::store::audit::INVITATION_DELETED, &target, detail).await
}
