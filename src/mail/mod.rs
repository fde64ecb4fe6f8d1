//! Email: messages are built (from askama templates) at the edge, queued as `send_email` jobs in the transaction that
//! causes them, and delivered by the worker through a [`Mailer`]: SMTP when configured, else the local outbox (one
//! `.eml` file per message under `DATA_DIR/outbox/`). Every message has an HTML and a plain-text part.

pub mod templates;

use crate::config::Config;
use crate::store::jobs::NewJob;
use anyhow::Context;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::PathBuf;
use std::time::Duration;

pub const SEND_EMAIL: &str = "send_email";

/// A message ready to send, as stored in a `send_email` job's payload.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct OutgoingEmail {
    pub to: Vec<String>,
    #[serde(default)]
    pub cc: Vec<String>,
    #[serde(default)]
    pub bcc: Vec<String>,
    pub reply_to: Option<String>,
    pub subject: String,
    pub html: String,
    pub text: String,
}

impl OutgoingEmail {
    /// The job that sends this message.
    pub fn job(&self, org_id: Option<&str>) -> NewJob {
        NewJob::new(SEND_EMAIL, org_id, serde_json::to_value(self).unwrap_or_default())
    }
}

/// Where messages go.
#[derive(Clone)]
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Outbox(PathBuf),
}

/// What happened to a message that was handed over.
pub struct Delivered {
    pub transport: &'static str,
    pub eml_path: Option<String>,
}

impl Mailer {
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        match &config.smtp_url {
            Some(url) => Ok(Mailer::Smtp(smtp_transport(url)?)),
            None => Ok(Mailer::Outbox(config.data_dir.join("outbox"))),
        }
    }

    pub async fn send(&self, from: &str, email: &OutgoingEmail, message_id: &str) -> anyhow::Result<Delivered> {
        let message = build_message(from, email, message_id)?;
        match self {
            Mailer::Smtp(transport) => {
                transport.send(message).await.context("SMTP delivery failed")?;
                Ok(Delivered { transport: "smtp", eml_path: None })
            }
            Mailer::Outbox(dir) => {
                tokio::fs::create_dir_all(dir).await.context("cannot create the outbox folder")?;
                let name = format!("{message_id}.eml");
                let tmp = dir.join(format!(".{name}.tmp"));
                let path = dir.join(&name);
                tokio::fs::write(&tmp, message.formatted()).await.context("cannot write to the outbox")?;
                tokio::fs::rename(&tmp, &path).await.context("cannot write to the outbox")?;
                Ok(Delivered { transport: "outbox", eml_path: Some(path.display().to_string()) })
            }
        }
    }
}

fn build_message(from: &str, email: &OutgoingEmail, message_id: &str) -> anyhow::Result<Message> {
    let parse = |a: &str| a.parse::<Mailbox>().with_context(|| format!("invalid address {a:?}"));
    let from = parse(from)?;
    let domain = from.email.domain().to_owned();
    let mut builder = Message::builder()
        .from(from)
        .subject(&email.subject)
        .message_id(Some(format!("<{message_id}@{domain}>")))
        .date_now();
    for to in &email.to {
        builder = builder.to(parse(to)?);
    }
    for cc in &email.cc {
        builder = builder.cc(parse(cc)?);
    }
    for bcc in &email.bcc {
        builder = builder.bcc(parse(bcc)?);
    }
    if let Some(reply_to) = &email.reply_to {
        builder = builder.reply_to(parse(reply_to)?);
    }
    // lettre puts Bcc recipients in the envelope and leaves the Bcc header out of the message itself.
    let body = MultiPart::alternative_plain_html(email.text.clone(), email.html.clone());
    builder.multipart(body).context("cannot build the message")
}

/// Builds the SMTP transport from `smtp://` (STARTTLS required), `smtps://` (TLS from the start) or
/// `smtp://…?tls=none` / `?tls=opportunistic`, with `user:password@` credentials when given.
fn smtp_transport(url: &str) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let u = url::Url::parse(url).context("CANDOR_SMTP_URL is not a URL")?;
    let host = u.host_str().context("CANDOR_SMTP_URL has no host")?.to_owned();
    let tls_mode = u.query_pairs().find(|(k, _)| k == "tls").map(|(_, v)| v.into_owned());
    let (tls, default_port) = match (u.scheme(), tls_mode.as_deref()) {
        ("smtps", _) => (Tls::Wrapper(TlsParameters::new(host.clone())?), 465),
        ("smtp", None | Some("required")) => (Tls::Required(TlsParameters::new(host.clone())?), 587),
        ("smtp", Some("opportunistic")) => (Tls::Opportunistic(TlsParameters::new(host.clone())?), 587),
        ("smtp", Some("none")) => (Tls::None, 25),
        _ => anyhow::bail!("CANDOR_SMTP_URL must be smtp://… or smtps://…, with tls=required|opportunistic|none"),
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(u.port().unwrap_or(default_port))
        .tls(tls)
        .timeout(Some(Duration::from_secs(30)));
    if !u.username().is_empty() {
        let user = percent_decode(u.username());
        let pass = percent_decode(u.password().unwrap_or(""));
        builder = builder.credentials(Credentials::new(user, pass));
    }
    Ok(builder.build())
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}
