//! Reviews: what recruiters say of an invitation's answers (ratings and comments, each on the candidate's timeline)
//! and the read-only links they share with colleagues, who may rate under their own name.

use super::{Context, UseCaseError};
use crate::domain::{Decision, Stars, comment_text, score, share_days};
use crate::domain::{FieldErrors, InvitationStatus};
use crate::store::candidates::EventActor;
use crate::store::invitations::{self, InvitationRow};
use crate::store::responses::{ResponseFilter, ResponseSort};
use crate::store::reviews::{self, Reviewer, ShareLink, Subject};
use crate::store::scorecards;
use crate::store::sessions::Actor;
use crate::store::{answering, interviews};
use base64::Engine;

/// Where a review lands: the invitation and, for a question, its rank (1-based; `None` for the interview as a
/// whole). A question of another interview is `NotFound`; one with no kept answer yet is `Refused`.
async fn subject_of(
    cx: &Context,
    actor: &Actor,
    invitation_id: &str,
    subject: &str,
) -> Result<(InvitationRow, Option<usize>), UseCaseError> {
    let org_id = &actor.org.id;
    let inv = invitations::get(&cx.store, org_id, invitation_id).await?;
    if subject == reviews::OVERALL {
        return Ok((inv, None));
    }
    let interview = interviews::get(&cx.store, org_id, &inv.interview_id).await?;
    let rank = interview.questions.iter().position(|q| q.id == subject).ok_or(UseCaseError::NotFound)? + 1;
    let answered = answering::answers_of(&cx.store, org_id, &inv.id)
        .await?
        .iter()
        .any(|a| a.question_id == subject && a.kept_take_id.is_some());
    if !answered {
        return Err(UseCaseError::Refused("This question has no answer to review yet.".into()));
    }
    Ok((inv, Some(rank)))
}

/// A rating given: the subject's rank and the stars (`None`: the rating was removed).
pub struct Rated {
    pub rank: Option<usize>,
    pub stars: Option<Stars>,
}

/// Sets, changes or removes (blank `stars`) `actor`'s rating of an answer or of the interview as a whole.
pub async fn rate(
    cx: &Context,
    actor: &Actor,
    invitation_id: &str,
    subject: &str,
    stars: &str,
) -> Result<Rated, UseCaseError> {
    let (inv, rank) = subject_of(cx, actor, invitation_id, subject).await?;
    let stars = if stars.trim().is_empty() { None } else { Some(Stars::parse("stars", stars)?) };
    reviews::rate(&cx.store, &[(Subject { inv: &inv, id: subject, rank }, stars)], &Reviewer::of(actor)).await?;
    Ok(Rated { rank, stars })
}

/// Adds `actor`'s comment on an answer or the interview; gives the subject's rank.
pub async fn comment(
    cx: &Context,
    actor: &Actor,
    invitation_id: &str,
    subject: &str,
    body: &str,
) -> Result<Option<usize>, UseCaseError> {
    let (inv, rank) = subject_of(cx, actor, invitation_id, subject).await?;
    let body = comment_text("body", body)?;
    reviews::add_comment(&cx.store, &Subject { inv: &inv, id: subject, rank }, &Reviewer::of(actor), &body).await?;
    Ok(rank)
}

/// The author changes (`Some`) or deletes (`None`) their comment; anyone else's comment is `NotFound`.
pub async fn change_comment(
    cx: &Context,
    actor: &Actor,
    invitation_id: &str,
    comment_id: &str,
    body: Option<&str>,
) -> Result<(), UseCaseError> {
    let inv = invitations::get(&cx.store, &actor.org.id, invitation_id).await?;
    let body = body.map(|b| comment_text("body", b)).transpose()?;
    reviews::change_comment(&cx.store, &inv, comment_id, &Reviewer::of(actor), body.as_deref()).await?;
    Ok(())
}

/// A new read-only link to an invitation's answers for `days` days, with or without rating.
pub async fn share(
    cx: &Context,
    actor: &Actor,
    invitation_id: &str,
    days: &str,
    allow_rating: bool,
) -> Result<ShareLink, UseCaseError> {
    let inv = invitations::get(&cx.store, &actor.org.id, invitation_id).await?;
    let days = share_days("days", days)?;
    let link = reviews::create_share(&cx.store, actor, &inv, &cx.link_key, days, allow_rating).await?;
    let detail = serde_json::json!({ "invitation_id": inv.id, "days": days, "allow_rating": allow_rating });
    let target = format!("Answers to {}", inv.interview_name);
    super::audit::record(cx, actor, crate::store::audit::SHARE_LINK_CREATED, &target, detail).await?;
    Ok(link)
}

/// Revokes a share link at once.
pub async fn revoke_share(
    cx: &Context,
    actor: &Actor,
    invitation_id: &str,
    share_id: &str,
) -> Result<(), UseCaseError> {
    let inv = invitations::get(&cx.store, &actor.org.id, invitation_id).await?;
    reviews::revoke_share(&cx.store, actor, &inv, share_id).await?;
    let detail = serde_json::json!({ "invitation_id": inv.id, "share_id": share_id });
    let target = format!("Answers to {}", inv.interview_name);
    super::audit::record(cx, actor, crate::store::audit::SHARE_LINK_REVOKED, &target, detail).await
}

/// A colleague opened a share link: on the candidate's timeline.
pub async fn share_opened(cx: &Context, link: &ShareLink, inv: &InvitationRow) -> Result<(), UseCaseError> {
    Ok(reviews::record_share_opened(&cx.store, link, inv).await?)
}

/// A colleague's ratings through a share link that allows rating, under the name they gave, saved together.
pub async fn rate_as_guest(
    cx: &Context,
    link: &ShareLink,
    name: String,
    ratings: &[(Subject<'_>, Option<Stars>)],
) -> Result<(), UseCaseError> {
    if !link.allow_rating {
        return Err(UseCaseError::Refused("This share link is for watching only.".into()));
    }
    let reviewer = Reviewer::Guest { link_id: link.id.clone(), name };
    Ok(reviews::rate(&cx.store, ratings, &reviewer).await?)
}

/// Parses scores as entered (`criterion id → "1".."5"`, blank to remove); field `scores.<criterion id>`.
fn parse_scores(scores: &[(String, String)]) -> Result<Vec<(String, Option<i64>)>, UseCaseError> {
    let mut errors = crate::domain::FieldErrors::new();
    let parsed: Vec<(String, Option<i64>)> = scores
        .iter()
        .filter_map(|(id, v)| {
            if v.trim().is_empty() {
                return Some((id.clone(), None));
            }
            errors.check(score(&format!("scores.{id}"), v)).map(|s| (id.clone(), Some(s)))
        })
        .collect();
    if !errors.is_empty() {
        return Err(UseCaseError::Invalid(errors));
    }
    Ok(parsed)
}

/// Sets, changes or removes (blank) `actor`'s scores of the invitation's candidate on the interview's criteria, all
/// or none. A criterion not on the interview's scorecard is `NotFound`.
pub async fn score_candidate(
    cx: &Context,
    actor: &Actor,
    invitation_id: &str,
    scores: &[(String, String)],
) -> Result<(), UseCaseError> {
    let inv = invitations::get(&cx.store, &actor.org.id, invitation_id).await?;
    let parsed = parse_scores(scores)?;
    Ok(scorecards::score(&cx.store, &inv, &Reviewer::of(actor), &parsed).await?)
}

/// A colleague's scores through a share link that allows rating, under the name they gave.
pub async fn score_as_guest(
    cx: &Context,
    link: &ShareLink,
    inv: &InvitationRow,
    name: String,
    scores: &[(String, String)],
) -> Result<(), UseCaseError> {
    if !link.allow_rating {
        return Err(UseCaseError::Refused("This share link is for watching only.".into()));
    }
    let parsed = parse_scores(scores)?;
    let reviewer = Reviewer::Guest { link_id: link.id.clone(), name };
    Ok(scorecards::score(&cx.store, inv, &reviewer, &parsed).await?)
}

/// Records the recruiter's decision (`undecided`, `advance`, `hold`, `reject`) on the candidate's timeline with who
/// decided; gives it and whether it changed.
pub async fn decide(
    cx: &Context,
    actor: &Actor,
    invitation_id: &str,
    decision: &str,
) -> Result<(Decision, bool), UseCaseError> {
    let inv = invitations::get(&cx.store, &actor.org.id, invitation_id).await?;
    let decision = Decision::parse_field("decision", decision)?;
    let changed = scorecards::decide(&cx.store, &inv, &EventActor::of(actor), &actor.user.id, decision).await?;
    Ok((decision, changed))
}

/// A list position as an opaque cursor: the sort key and the id.
pub fn encode_cursor(k: &str, id: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{id}.{k}"))
}

pub fn decode_cursor(s: &str) -> Option<(String, String)> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (id, k) = text.split_once('.')?;
    Some((k.to_owned(), id.to_owned()))
}

/// The response filters as a page or the API gives them; `field` names each one's error.
pub fn response_filter(
    status: &str,
    decision: &str,
    sort: &str,
    cursor: &str,
    limit: i64,
) -> Result<ResponseFilter, FieldErrors> {
    let mut errors = FieldErrors::new();
    let statuses = match status {
        "" | "any" => Some(vec![]),
        "open" => Some(vec![InvitationStatus::Pending, InvitationStatus::InProgress]),
        s => InvitationStatus::parse(s).map(|s| vec![s]),
    };
    if statuses.is_none() {
        errors.push("status", "Use any, open, or one status.");
    }
    let decision = match decision {
        "" | "any" => Some(None),
        d => Decision::parse(d).map(Some),
    };
    if decision.is_none() {
        errors.push("decision", "Use any, undecided, advance, hold or reject.");
    }
    let sort = ResponseSort::parse(sort);
    if sort.is_none() {
        errors.push("sort", "Use answered, name or rating.");
    }
    let after = if cursor.is_empty() { Some(None) } else { decode_cursor(cursor).map(Some) };
    if after.is_none() {
        errors.push("cursor", "This cursor is not one the list gave.");
    }
    if !(1..=200).contains(&limit) {
        errors.push("limit", "Use a limit from 1 to 200.");
    }
    match (statuses, decision, sort, after) {
        (Some(statuses), Some(decision), Some(sort), Some(after)) if errors.is_empty() => {
            Ok(ResponseFilter { statuses, decision, sort, after, limit })
        }
        _ => Err(errors),
    }
}
