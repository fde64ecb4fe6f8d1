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
