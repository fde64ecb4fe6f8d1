//! Public links: an interview's link anyone may register through (first name, last name, email). Registering never
//! says whether the person was known: it creates or reuses the candidate and an invitation, and emails the personal
//! link to the address given, so the interview is opened from that mailbox; an open invitation of the same person to
//! the same interview is sent again instead. Refused requests (closed link, wrong code, over the rate limit, the
//! honeypot filled in) store nothing.

use super::{Context, UseCaseError};
use crate::domain::{Deadline, FieldErrors, Language, today_in};
use crate::store::candidates::NewCandidate;
use crate::store::invitations::{Invitee, NewInvitation};
use crate::store::public_links::{self, PublicLink, PublicLinkSettings};
use crate::store::sessions::Actor;
use crate::store::{orgs, users};

/// Registrations one client address may make in an hour.
pub const REGISTRATIONS_PER_HOUR: i64 = 5;

/// The settings as the recruiter's form gives them; each field's error named.
pub struct SettingsInput<'a> {
    pub enabled: bool,
    pub closes_on: &'a str,
    pub language: &'a str,
    pub access_code: &'a str,
    pub answer_days: &'a str,
}

/// Sets up or changes the interview's public link.
pub async fn configure(
    cx: &Context,
    actor: &Actor,
    interview_id: &str,
    input: &SettingsInput<'_>,
) -> Result<PublicLink, UseCaseError> {
    let mut errors = FieldErrors::new();
    let tz = actor.org.tz();
    let today = today_in(&tz, cx.store.now());
    let closes_on = if input.closes_on.trim().is_empty() {
        Some(None)
    } else {
        errors.check(Deadline::parse("closes_on", input.closes_on, today)).map(|d| Some(d.iso()))
    };
    let language = errors.check(Language::parse("language", input.language));
    let code = input.access_code.trim();
    if !code.is_empty() && (!(4..=64).contains(&code.chars().count()) || code.chars().any(char::is_control)) {
        errors.push("access_code", "Use 4 to 64 characters for the access code, or leave it empty for none.");
    }
    let days = input.answer_days.trim().parse::<i64>().ok().filter(|d| (1..=60).contains(d));
    if days.is_none() {
        errors.push("answer_days", "Enter a number of days from 1 to 60.");
    }
    let (Some(closes_on), Some(language), Some(answer_days), true) = (closes_on, language, days, errors.is_empty())
    else {
        return Err(UseCaseError::Invalid(errors));
    };
    let settings = PublicLinkSettings {
        enabled: input.enabled,
        closes_on,
        language: language.code().to_owned(),
        access_code: (!code.is_empty()).then(|| code.to_owned()),
        answer_days,
    };
    Ok(public_links::save(&cx.store, &actor.org.id, interview_id, &actor.user.id, &cx.link_key, &settings).await?)
}

/// Whether the link takes registrations now: switched on, and its closing date not past in the organization's zone.
pub fn is_open(link: &PublicLink, org: &orgs::Organization, now: jiff::Timestamp) -> bool {
    let today = today_in(&org.tz(), now);
    link.enabled && link.closes_on.as_deref().and_then(Deadline::from_stored).is_none_or(|d| d.date() >= today)
}

/// What a visitor typed.
pub struct Registration<'a> {
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub email: &'a str,
    pub access_code: &'a str,
    /// A field people do not see; a form that fills it in is a robot's.
    pub honeypot: &'a str,
    /// The client address as a keyed hash, for the rate limit.
    pub client_hash: &'a str,
}

/// Why a registration was not taken, for the page to say (each in the link's language).
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    Closed,
    TooMany,
}

/// What happened, said the same way whatever it was (the page never reveals whether the person was known).
#[derive(Debug, PartialEq, Eq)]
pub enum Registered {
    /// A new invitation was sent.
    Invited(String),
    /// An open invitation to this interview was sent again.
    SentAgain(String),
    /// The honeypot was filled in: nothing was done.
    Ignored,
}

/// Registers a visitor through the link; `Err(Ok(refusal))` when the link or the rate limit refuses, `Err(Err(e))`
/// for invalid fields (each named) and failures.
pub async fn register(
    cx: &Context,
    link: &PublicLink,
    input: &Registration<'_>,
) -> Result<Registered, Result<Refusal, UseCaseError>> {
    let org = orgs::get(&cx.store, &link.org_id).await.map_err(|e| Err(e.into()))?;
    if !is_open(link, &org, cx.store.now()) {
        return Err(Ok(Refusal::Closed));
    }
    let mut errors = FieldErrors::new();
    let candidate = match NewCandidate::parse(input.first_name, input.last_name, input.email, None, None) {
        Ok(c) => Some(c),
        Err(e) => {
            errors.0.extend(e.0);
            None
        }
    };
    if let Some(code) = &link.access_code
        && input.access_code.trim() != code
    {
        errors.push("access_code", "This access code is not right. Check the code you were given.");
    }
    let (Some(candidate), true) = (candidate, errors.is_empty()) else {
        return Err(Err(UseCaseError::Invalid(errors)));
    };
    if !input.honeypot.trim().is_empty() {
        return Ok(Registered::Ignored);
    }
    let hour_ago = cx.store.now_ms() - 3_600_000;
    let recent =
        public_links::registrations_since(&cx.store, input.client_hash, hour_ago).await.map_err(|e| Err(e.into()))?;
    if recent >= REGISTRATIONS_PER_HOUR {
        return Err(Ok(Refusal::TooMany));
    }
    let user = users::get(&cx.store, &org.id, &link.created_by).await.map_err(|e| Err(e.into()))?;
    let actor = Actor { user, org };
    // Registrations of one email to one interview at the same moment make one invitation: they share an idempotency
    // key named by the email's invitations so far, counted before looking for an open one (so one made in between
    // is either seen open or counted by neither), and the ones that lose find the winner's.
    let email_key = candidate.email.key();
    let round = public_links::invitations_of_email(&cx.store, &actor.org.id, &link.interview_id, &email_key)
        .await
        .map_err(|e| Err(e.into()))?;
    let existing = public_links::open_invitation_of(&cx.store, &actor.org.id, &link.interview_id, &email_key)
        .await
        .map_err(|e| Err(e.into()))?;
    let done = match existing {
        Some(id) => {
            super::invitations::resend(cx, &actor, &id).await.map_err(Err)?;
            Registered::SentAgain(id)
        }
        None => {
            let tz = actor.org.tz();
            let today = today_in(&tz, cx.store.now());
            let mut last = today.checked_add(jiff::Span::new().days(link.answer_days)).unwrap_or(today);
            if let Some(close) = link.closes_on.as_deref().and_then(Deadline::from_stored) {
                last = last.min(close.date().max(today));
            }
            let deadline = Deadline::parse("deadline", &last.to_string(), today).map_err(|e| Err(e.into()))?;
            let language = Language::parse("language", &link.language).unwrap_or(Language::En);
            let key = format!("public:{}:{email_key}:{round}", link.interview_id);
            let new = NewInvitation {
                email: candidate.email.clone(),
                invitee: Invitee::New(candidate),
                language,
                interview_id: link.interview_id.clone(),
                deadline,
                closes_at: deadline.closes_at(&tz).as_millisecond(),
                bcc_me: false,
                notify_me: false,
                idempotency_key: Some(key.clone()),
                via_public_link: true,
            };
            match super::invitations::send(cx, &actor, &new).await {
                Ok(created)
                    if created.repeated
                        && ["pending", "in_progress"].contains(&created.invitation.status.as_str())
                        && created.invitation.closes_at > cx.store.now_ms() =>
                {
                    Registered::SentAgain(created.invitation.id)
                }
                // The round's key names a closed invitation (one of the email's earlier ones was deleted since):
                // a round of its own.
                Ok(created) if created.repeated => {
                    let new =
                        NewInvitation { idempotency_key: Some(format!("{key}:{}", crate::store::new_id())), ..new };
                    Registered::Invited(super::invitations::send(cx, &actor, &new).await.map_err(Err)?.invitation.id)
                }
                Ok(created) => Registered::Invited(created.invitation.id),
                // Another registration of the same email made the candidate or the invitation meanwhile: its
                // email carries the link.
                Err(UseCaseError::Conflict(_)) => {
                    match public_links::open_invitation_of(&cx.store, &actor.org.id, &link.interview_id, &email_key)
                        .await
                        .map_err(|e| Err(e.into()))?
                    {
                        Some(id) => Registered::SentAgain(id),
                        None => return Err(Err(UseCaseError::Conflict("invitation_idempotency"))),
                    }
                }
                Err(e) => return Err(Err(e)),
            }
        }
    };
    public_links::record_registration(&cx.store, &link.id, input.client_hash).await.map_err(|e| Err(e.into()))?;
    Ok(done)
}
