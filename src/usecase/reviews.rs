//! Reviews: what recruiters say of an invitation's answers (ratings and comments, each on the candidate's timeline)
//! and the read-only links they share with colleagues, who may rate under their own name.

use super::{Context, UseCaseError};
use crate::domain::{Stars, comment_text, share_days};
use crate::store::invitations::{self, InvitationRow};
use crate::store::reviews::{self, Reviewer, ShareLink, Subject};
use crate::store::sessions::Actor;
use crate::store::{answering, interviews};

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
    Ok(reviews::create_share(&cx.store, actor, &inv, &cx.link_key, days, allow_rating).await?)
}

/// Revokes a share link at once.
pub async fn revoke_share(
    cx: &Context,
    actor: &Actor,
    invitation_id: &str,
    share_id: &str,
) -> Result<(), UseCaseError> {
    let inv = invitations::get(&cx.store, &actor.org.id, invitation_id).await?;
    Ok(reviews::revoke_share(&cx.store, actor, &inv, share_id).await?)
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
