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

/// Attempts before an email is given up: with the worker's backoff (5 s doubling, at most an hour apart) the last
/// one is about 27 hours after the first, so a mail server that is away for a day still gets every message.
pub const MAIL_MAX_ATTEMPTS: i64 = 36;

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
        NewJob::new(SEND_EMAIL, org_id, serde_json::to_value(self).unwrap_or_default()).attempts(MAIL_MAX_ATTEMPTS)
    }
}

/// Where messages go.
#[derive(Clone)]
pub enum Mailer {
    /// `smtp://` (plain, STARTTLS): our own connection pool, with TCP_NODELAY so that the end-of-data marker is not
    /// held back by Nagle's algorithm (≈40 ms a message otherwise).
    Smtp(std::sync::Arc<SmtpPool>),
    /// `smtps://` (TLS from the first byte): lettre's transport.
    Smtps(AsyncSmtpTransport<Tokio1Executor>),
    Outbox(PathBuf),
}

/// Connections to one SMTP server, reused across messages.
pub struct SmtpPool {
    host: String,
    port: u16,
    tls: SmtpTls,
    credentials: Option<Credentials>,
    /// The most any one step of the conversation may take.
    timeout: Duration,
    idle: tokio::sync::Mutex<Vec<lettre::transport::smtp::client::AsyncSmtpConnection>>,
    /// A permit per open connection: [`SMTP_SESSIONS_MAX`].
    sessions: tokio::sync::Semaphore,
}

/// Runs one step of an SMTP conversation within the pool's time limit: a server that accepts and then stops
/// answering fails the attempt (to be retried later) instead of holding a worker forever.
async fn step<T, E>(
    limit: Duration,
    what: &str,
    fut: impl std::future::Future<Output = Result<T, E>>,
) -> anyhow::Result<T>
where
    E: std::error::Error + Send + Sync + 'static,
{
    match tokio::time::timeout(limit, fut).await {
        Ok(r) => r.with_context(|| format!("SMTP {what} failed")),
        Err(_) => anyhow::bail!("the SMTP server did not answer within {} s ({what})", limit.as_secs()),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum SmtpTls {
    None,
    Opportunistic,
    Required,
}

/// Connections open at once per node (most relays take a few dozen per client), all kept open when idle.
const SMTP_SESSIONS_MAX: usize = 16;

impl SmtpPool {
    async fn connect(&self) -> anyhow::Result<lettre::transport::smtp::client::AsyncSmtpConnection> {
        use lettre::transport::smtp::authentication::Mechanism;
        use lettre::transport::smtp::client::AsyncSmtpConnection;
        use lettre::transport::smtp::extension::ClientId;
        let stream =
            step(self.timeout, "connection", tokio::net::TcpStream::connect((self.host.as_str(), self.port))).await?;
        stream.set_nodelay(true)?;
        let hello = ClientId::default();
        let mut conn =
            step(self.timeout, "greeting", AsyncSmtpConnection::connect_with_transport(Box::new(stream), &hello))
                .await?;
        if self.tls != SmtpTls::None {
            if conn.can_starttls() {
                step(self.timeout, "STARTTLS", conn.starttls(TlsParameters::new(self.host.clone())?, &hello)).await?;
            } else if self.tls == SmtpTls::Required {
                anyhow::bail!(
                    "the SMTP server does not offer STARTTLS (use ?tls=none or ?tls=opportunistic to allow plain text)"
                );
            }
        }
        if let Some(credentials) = &self.credentials {
            step(self.timeout, "sign-in", conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials)).await?;
        }
        Ok(conn)
    }

    async fn send(&self, envelope: &lettre::address::Envelope, raw: &[u8]) -> anyhow::Result<()> {
        let _session = self.sessions.acquire().await?;
        let pooled = self.idle.lock().await.pop();
        let mut conn = match pooled {
            Some(c) => c,
            None => self.connect().await?,
        };
        let result = match tokio::time::timeout(self.timeout, conn.send(envelope, raw)).await {
            Ok(r) => r,
            // A stalled connection is dropped, never pooled again.
            Err(_) => {
                anyhow::bail!("the SMTP server did not answer within {} s (delivery)", self.timeout.as_secs())
            }
        };
        let conn = match result {
            Ok(_) => conn,
            // A pooled connection may have been closed by the server: try once more on a fresh one.
            Err(e) if pooled_error_is_retryable(&e) => {
                let mut fresh = self.connect().await?;
                step(self.timeout, "delivery", fresh.send(envelope, raw)).await?;
                fresh
            }
            Err(e) => return Err(anyhow::Error::new(e).context("SMTP delivery failed")),
        };
        let mut idle = self.idle.lock().await;
        if idle.len() < SMTP_SESSIONS_MAX {
            idle.push(conn);
        }
        Ok(())
    }
}

fn pooled_error_is_retryable(e: &lettre::transport::smtp::Error) -> bool {
    // Transient and permanent answers from the server are final for this attempt; a broken pipe is not.
    !(e.is_transient() || e.is_permanent())
}

/// What happened to a message that was handed over.
pub struct Delivered {
    pub transport: &'static str,
    pub eml_path: Option<String>,
}

impl Mailer {
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        match &config.smtp_url {
            Some(url) => smtp_mailer(url, config.smtp_timeout),
            None => Ok(Mailer::Outbox(config.data_dir.join("outbox"))),
        }
    }

    pub async fn send(&self, from: &str, email: &OutgoingEmail, message_id: &str) -> anyhow::Result<Delivered> {
        let message = build_message(from, email, message_id)?;
        match self {
            Mailer::Smtp(pool) => {
                pool.send(message.envelope(), &message.formatted()).await?;
                Ok(Delivered { transport: "smtp", eml_path: None })
            }
            Mailer::Smtps(transport) => {
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

impl Mailer {
    /// Deletes a message written to the local outbox (by its logged path; nothing outside the outbox folder, and a
    /// file already gone is fine).
    pub async fn remove_outbox_file(&self, path: &str) -> anyhow::Result<()> {
        let Mailer::Outbox(dir) = self else { return Ok(()) };
        let path = std::path::Path::new(path);
        let Some(name) = path.file_name().filter(|n| n.to_string_lossy().ends_with(".eml")) else { return Ok(()) };
        match tokio::fs::remove_file(dir.join(name)).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e).context("cannot delete from the outbox"),
            _ => Ok(()),
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

/// Builds the SMTP mailer from `smtp://` (STARTTLS required), `smtps://` (TLS from the start) or
/// `smtp://…?tls=none` / `?tls=opportunistic`, with `user:password@` credentials when given.
fn smtp_mailer(url: &str, timeout: Duration) -> anyhow::Result<Mailer> {
    let u = url::Url::parse(url).context("CANDOR_SMTP_URL is not a URL")?;
    let host = u.host_str().context("CANDOR_SMTP_URL has no host")?.to_owned();
    let tls_mode = u.query_pairs().find(|(k, _)| k == "tls").map(|(_, v)| v.into_owned());
    let credentials = (!u.username().is_empty())
        .then(|| Credentials::new(percent_decode(u.username()), percent_decode(u.password().unwrap_or(""))));
    let tls = match (u.scheme(), tls_mode.as_deref()) {
        ("smtps", _) => {
            let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.clone())
                .port(u.port().unwrap_or(465))
                .tls(Tls::Wrapper(TlsParameters::new(host)?))
                .timeout(Some(timeout));
            if let Some(c) = credentials {
                builder = builder.credentials(c);
            }
            return Ok(Mailer::Smtps(builder.build()));
        }
        ("smtp", None | Some("required")) => SmtpTls::Required,
        ("smtp", Some("opportunistic")) => SmtpTls::Opportunistic,
        ("smtp", Some("none")) => SmtpTls::None,
        _ => anyhow::bail!("CANDOR_SMTP_URL must be smtp://… or smtps://…, with tls=required|opportunistic|none"),
    };
    let port = u.port().unwrap_or(if tls == SmtpTls::None { 25 } else { 587 });
    Ok(Mailer::Smtp(std::sync::Arc::new(SmtpPool {
        host,
        port,
        tls,
        credentials,
        timeout,
        idle: tokio::sync::Mutex::new(Vec::new()),
        sessions: tokio::sync::Semaphore::new(SMTP_SESSIONS_MAX),
    })))
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}
