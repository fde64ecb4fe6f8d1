//! The emails of the accounts flow. Each is one askama template per part: HTML (auto-escaped) and plain text.

use super::OutgoingEmail;
use askama::Template;

#[derive(Template)]
#[template(path = "emails/set_password.html")]
struct SetPasswordHtml<'a> {
    name: &'a str,
    org: &'a str,
    inviter: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "emails/set_password.txt")]
struct SetPasswordText<'a> {
    name: &'a str,
    org: &'a str,
    inviter: &'a str,
    link: &'a str,
}

/// The email a new user gets to set their password.
pub fn set_password(to: &str, name: &str, org: &str, inviter: &str, link: &str) -> askama::Result<OutgoingEmail> {
    Ok(OutgoingEmail {
        to: vec![to.to_owned()],
        cc: vec![],
        bcc: vec![],
        reply_to: None,
        subject: format!("Your Candor account at {org}"),
        html: SetPasswordHtml { name, org, inviter, link }.render()?,
        text: SetPasswordText { name, org, inviter, link }.render()?,
    })
}

#[derive(Template)]
#[template(path = "emails/reset_password.html")]
struct ResetPasswordHtml<'a> {
    name: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "emails/reset_password.txt")]
struct ResetPasswordText<'a> {
    name: &'a str,
    link: &'a str,
}

/// The email with a link to choose a new password.
pub fn reset_password(to: &str, name: &str, link: &str) -> askama::Result<OutgoingEmail> {
    Ok(OutgoingEmail {
        to: vec![to.to_owned()],
        cc: vec![],
        bcc: vec![],
        reply_to: None,
        subject: "Reset your Candor password".to_owned(),
        html: ResetPasswordHtml { name, link }.render()?,
        text: ResetPasswordText { name, link }.render()?,
    })
}

#[derive(Template)]
#[template(path = "emails/invitation.html")]
struct InvitationHtml<'a> {
    lang: &'a str,
    greeting: &'a str,
    intro: &'a str,
    deadline: &'a str,
    how: &'a str,
    needs: &'a str,
    button: &'a str,
    link: &'a str,
    link_note: &'a str,
    footer: &'a str,
}

#[derive(Template)]
#[template(path = "emails/invitation.txt")]
struct InvitationText<'a> {
    greeting: &'a str,
    intro: &'a str,
    deadline: &'a str,
    how: &'a str,
    needs: &'a str,
    button: &'a str,
    link: &'a str,
    footer: &'a str,
}

/// What an invitation email says.
pub struct InvitationEmail<'a> {
    pub to: &'a str,
    pub bcc: Option<&'a str>,
    pub reply_to: &'a str,
    pub language: crate::domain::Language,
    pub org: &'a str,
    pub candidate_first_name: &'a str,
    pub interview_title: &'a str,
    pub deadline: jiff::civil::Date,
    pub timezone: &'a str,
    pub question_count: i64,
    pub minutes: i64,
    pub link: &'a str,
}

/// Why an invitation email is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationKind {
    /// The invitation itself (and its resends).
    First,
    /// The deadline was moved later: the new date and the same link.
    DeadlineMoved,
    /// Some days before the deadline, to a candidate who has not finished.
    Reminder,
}

/// The invitation email, in the invitation's language.
pub fn invitation(e: &InvitationEmail) -> askama::Result<OutgoingEmail> {
    invitation_email(e, InvitationKind::First)
}

/// The email telling the candidate their deadline was moved later: the new date and the same link.
pub fn deadline_moved(e: &InvitationEmail) -> askama::Result<OutgoingEmail> {
    invitation_email(e, InvitationKind::DeadlineMoved)
}

/// The reminder before the deadline, with the same link.
pub fn reminder(e: &InvitationEmail) -> askama::Result<OutgoingEmail> {
    invitation_email(e, InvitationKind::Reminder)
}

fn invitation_email(e: &InvitationEmail, kind: InvitationKind) -> askama::Result<OutgoingEmail> {
    use crate::i18n::{fill, invitation_texts, long_date};
    let t = invitation_texts(e.language);
    let date = long_date(e.language, e.deadline);
    let count = e.question_count.to_string();
    let minutes = e.minutes.to_string();
    let values = [
        ("org", e.org),
        ("name", e.candidate_first_name),
        ("title", e.interview_title),
        ("date", date.as_str()),
        ("zone", e.timezone),
        ("count", count.as_str()),
        ("minutes", minutes.as_str()),
    ];
    let f = |s: &str| fill(s, &values);
    let (greeting, deadline, how, needs, footer) = (f(t.greeting), f(t.deadline), f(t.how), f(t.needs), f(t.footer));
    let (subject, intro) = match kind {
        InvitationKind::First => (f(t.subject), f(t.intro)),
        InvitationKind::DeadlineMoved => (f(t.extended_subject), f(t.extended_intro)),
        InvitationKind::Reminder => (f(t.reminder_subject), f(t.reminder_intro)),
    };
    Ok(OutgoingEmail {
        to: vec![e.to.to_owned()],
        cc: vec![],
        bcc: e.bcc.map(|b| vec![b.to_owned()]).unwrap_or_default(),
        reply_to: Some(e.reply_to.to_owned()),
        subject,
        html: InvitationHtml {
            lang: e.language.code(),
            greeting: &greeting,
            intro: &intro,
            deadline: &deadline,
            how: &how,
            needs: &needs,
            button: t.button,
            link: e.link,
            link_note: t.link_note,
            footer: &footer,
        }
        .render()?,
        text: InvitationText {
            greeting: &greeting,
            intro: &intro,
            deadline: &deadline,
            how: &how,
            needs: &needs,
            button: t.button,
            link: e.link,
            footer: &footer,
        }
        .render()?,
    })
}

#[derive(Template)]
#[template(path = "emails/candidate_update.html")]
struct CandidateUpdateHtml<'a> {
    name: &'a str,
    message: &'a str,
    action: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "emails/candidate_update.txt")]
struct CandidateUpdateText<'a> {
    name: &'a str,
    message: &'a str,
    action: &'a str,
    link: &'a str,
}

/// What a candidate did, for the *Notify me* email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CandidateUpdate {
    Completed,
    Withdrew,
}

/// The *Notify me* email to the inviting user: the candidate completed the interview (with a direct link to it) or
/// withdrew.
pub fn candidate_update(
    to: &str,
    user_name: &str,
    candidate: &str,
    interview_title: &str,
    what: CandidateUpdate,
    link: &str,
) -> askama::Result<OutgoingEmail> {
    let (subject, message, action) = match what {
        CandidateUpdate::Completed => (
            format!("{candidate} completed the video interview “{interview_title}”"),
            format!("{candidate} has answered every question of “{interview_title}”."),
            "Watch the answers",
        ),
        CandidateUpdate::Withdrew => (
            format!("{candidate} withdrew from the video interview “{interview_title}”"),
            format!("{candidate} has withdrawn from “{interview_title}” and will not answer it."),
            "Open the invitation",
        ),
    };
    Ok(OutgoingEmail {
        to: vec![to.to_owned()],
        cc: vec![],
        bcc: vec![],
        reply_to: None,
        subject,
        html: CandidateUpdateHtml { name: user_name, message: &message, action, link }.render()?,
        text: CandidateUpdateText { name: user_name, message: &message, action, link }.render()?,
    })
}
