//! Answering: what a candidate does through their personal link. Starting and discarding takes, keeping a take as
//! an answer (the last one completes the interview), coming back after the page closed mid-take, and withdrawing;
//! with *Notify me*, the inviting user's email is built here and queued in the same transaction. The bytes of a take
//! (offsets, locks, segments) are the upload protocol's own bookkeeping, in `web::candidate::tus` over `store::takes`.

use super::{Context, UseCaseError};
use crate::domain::{FieldErrors, NOTES_MAX_CHARS};
use crate::mail::templates::{self as emails, CandidateUpdate};
use crate::store::StoreError;
use crate::store::answering::{self, CompletedContext, Kept, Link};
use crate::store::jobs::NewJob;
use crate::store::takes::{self, NewTake, Take};

/// How long after the deadline an upload begun before it may still finish (and its take be kept).
pub const DEADLINE_GRACE_MS: i64 = 10 * 60 * 1000;

/// What a candidate is asked to agree to on the landing page, as shown.
pub struct ConsentText<'a> {
    /// Candor's paragraph on what is recorded, who sees it and for how long.
    pub privacy: &'a str,
    /// The organization's own notice and its link, if it set one.
    pub notice: Option<&'a str>,
    pub url: Option<&'a str>,
    /// The words beside the box.
    pub label: &'a str,
}

impl ConsentText<'_> {
    /// Everything shown, as one text.
    pub fn full(&self) -> String {
        let mut t = self.privacy.to_owned();
        for part in [self.notice, self.url, Some(self.label)].into_iter().flatten() {
            t.push_str("\n\n");
            t.push_str(part);
        }
        t
    }

    /// A short hash of the whole text: the version the page carries and the record names.
    pub fn version(&self) -> String {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(self.full().as_bytes());
        digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
    }
}

/// The candidate agreed to the recording (once; later calls change nothing): recorded with the exact text shown,
/// its version, the time and a keyed hash of the client's address.
pub async fn consent(
    cx: &Context,
    link: &Link,
    text: &ConsentText<'_>,
    client_address: &str,
) -> Result<(), UseCaseError> {
    let full = text.full();
    let version = text.version();
    let record = crate::store::privacy::NewConsent {
        org_id: &link.org.id,
        candidate_id: &link.candidate_id,
        invitation_id: &link.invitation_id,
        language: link.language.code(),
        text: &full,
        version: &version,
        privacy_url: text.url,
        retention_months: link.org.retention_months,
        client: &super::audit::client_hash(cx, client_address),
    };
    Ok(answering::consent(&cx.store, link, &record).await?)
}

/// Starts a take of a question (a tus upload's creation): the invitation moves to In progress, the take is counted
/// and the answer's earlier unkept takes are discarded, in one transaction. `Conflict("takes_used_up")`,
/// `Conflict("answer_kept")`, or `NotFound` for a question that is not the interview's.
pub async fn start_take(cx: &Context, link: &Link, new: &NewTake<'_>) -> Result<Take, UseCaseError> {
    Ok(takes::create(&cx.store, &link.take_owner(), new).await?)
}

/// Discards a take that is not kept (a tus termination); its bytes are deleted by a job.
pub async fn discard_take(cx: &Context, take: &Take) -> Result<(), UseCaseError> {
    Ok(takes::terminate(&cx.store, take).await?)
}

/// Why `notes` cannot go with an answer to `question_id`, if they cannot.
fn notes_problem(link: &Link, question_id: &str, notes: &str) -> Option<&'static str> {
    let allowed = link.interview.questions.iter().find(|q| q.id == question_id).is_some_and(|q| q.notes_allowed);
    if !allowed {
        Some("This question takes no notes.")
    } else if notes.chars().count() > NOTES_MAX_CHARS {
        Some("Notes can be at most 5000 characters.")
    } else if !crate::domain::multiline_ok(notes) {
        Some("Notes cannot contain control characters.")
    } else {
        None
    }
}

/// Keeps a complete take as the answer to `question_id`, with the candidate's notes (blank is none). `Invalid` for
/// notes the question does not take; the store's conflicts (`take_incomplete`, `answer_kept`, a link that no longer
/// takes answers) as `Conflict`.
pub async fn keep(
    cx: &Context,
    link: &Link,
    question_id: &str,
    take_id: &str,
    notes: Option<&str>,
) -> Result<Kept, UseCaseError> {
    let notes = notes.map(str::trim).filter(|n| !n.is_empty());
    if let Some(problem) = notes.and_then(|n| notes_problem(link, question_id, n)) {
        let mut errors = FieldErrors::new();
        errors.push("notes", problem);
        return Err(UseCaseError::Invalid(errors));
    }
    let kept = answering::keep(&cx.store, link, question_id, take_id, notes, DEADLINE_GRACE_MS, |c| {
        notify_job(cx, link, c, CandidateUpdate::Completed)
    })
    .await?;
    Ok(kept)
}

/// The candidate is back: the last allowed take of a question, left unkept when the page closed, is the answer (or,
/// when nothing of it arrived, is given back), since with no take left that is the only way on.
pub struct Resumed {
    /// That completed the interview.
    pub completed: bool,
    /// The questions whose last take broke off and was kept as it was.
    pub interrupted: Vec<String>,
}

pub async fn resume(cx: &Context, link: &Link) -> Result<Resumed, UseCaseError> {
    let settled = answering::settle_last_takes(&cx.store, link).await?;
    let mut interrupted = Vec::new();
    for last in settled {
        let kept = answering::keep(&cx.store, link, &last.question_id, &last.take_id, None, DEADLINE_GRACE_MS, |c| {
            notify_job(cx, link, c, CandidateUpdate::Completed)
        })
        .await;
        match kept {
            Ok(k) if k.completed => return Ok(Resumed { completed: true, interrupted }),
            Ok(_) if last.interrupted => interrupted.push(last.question_id),
            Ok(_) | Err(StoreError::Conflict(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Resumed { completed: false, interrupted })
}

/// The candidate withdraws (Pending or In progress → Withdrawn). An invitation already closed is `Conflict`.
pub async fn withdraw(cx: &Context, link: &Link) -> Result<(), UseCaseError> {
    Ok(answering::withdraw(&cx.store, link, |c| notify_job(cx, link, c, CandidateUpdate::Withdrew)).await?)
}

/// The *Notify me* email to the inviting user, with a direct link to the answers.
fn notify_job(cx: &Context, link: &Link, c: &CompletedContext, what: CandidateUpdate) -> Result<NewJob, String> {
    let answers = cx.link(&format!("/invitations/{}/answers", c.invitation_id));
    emails::candidate_update(c.user_email, c.user_name, c.candidate_name, &link.interview.title, what, &answers)
        .map(|m| m.job(Some(&link.org.id)))
        .map_err(|e| e.to_string())
}
