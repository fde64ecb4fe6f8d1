//! The command line: `serve` (the default), `migrate`, `admin create-user|create-token`, `import candidates`.

use crate::config::Config;
use crate::domain::{EmailAddress, Language, OrgName, Password, PersonName, Role, TimeZoneName};
use crate::store::candidates::EventActor;
use crate::store::orgs::NewOrganization;
use crate::store::users::NewUser;
use crate::store::{self, Store, StoreError, orgs, sessions, users};
use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Parser, Debug)]
#[command(name = "candor", version, about = "Self-hosted one-way video interviews")]
pub struct Cli {
    #[command(flatten)]
    pub opts: Opts,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Args, Debug, Clone)]
pub struct Opts {
    /// Address to listen on.
    #[arg(long, env = "CANDOR_LISTEN", default_value = "127.0.0.1:8080", global = true)]
    pub listen: SocketAddr,
    /// Folder for the SQLite database, media and the local mail outbox.
    #[arg(long, env = "CANDOR_DATA_DIR", default_value = "./data", global = true)]
    pub data_dir: PathBuf,
    /// `postgres://user@host/db` to use PostgreSQL; default: SQLite in DATA_DIR/candor.db.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// The address people reach Candor at, for links in emails (default: http://LISTEN).
    #[arg(long, env = "CANDOR_BASE_URL", global = true)]
    pub base_url: Option<String>,
    /// SMTP server: smtp://user:pass@host:587 (STARTTLS), smtps://…:465, or smtp://host:25?tls=none. Default: the
    /// local outbox in DATA_DIR/outbox.
    #[arg(long, env = "CANDOR_SMTP_URL", global = true, hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// From address of every email.
    #[arg(long, env = "CANDOR_MAIL_FROM", default_value = "Candor <candor@localhost>", global = true)]
    pub mail_from: String,
    /// Run background jobs in this process (true/false).
    #[arg(long, env = "CANDOR_WORKER", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    pub worker: bool,
    /// Jobs this process runs at once.
    #[arg(long, env = "CANDOR_WORKER_CONCURRENCY", default_value_t = 4, global = true)]
    pub worker_concurrency: usize,
    /// Trust X-Forwarded-For (only behind a reverse proxy).
    #[arg(long, env = "CANDOR_TRUST_PROXY", default_value_t = false, action = clap::ArgAction::Set, global = true)]
    pub trust_proxy: bool,
    /// The reverse proxies in front of Candor, comma-separated addresses or CIDR ranges (e.g. 10.0.0.0/8). With
    /// them, X-Forwarded-For is read only from requests they send, skipping their own hops.
    #[arg(long, env = "CANDOR_TRUSTED_PROXIES", default_value = "", global = true, value_parser = crate::config::IpRange::parse_option)]
    pub trusted_proxies: crate::config::IpRanges,
    /// Largest request body, in bytes (page uploads have their own 20 MiB limit).
    #[arg(long, env = "CANDOR_BODY_LIMIT", default_value_t = 2 * 1024 * 1024, global = true)]
    pub body_limit: usize,
    /// Database connections per process.
    #[arg(long, env = "CANDOR_DB_CONNECTIONS", default_value_t = 16, global = true)]
    pub db_connections: u32,
    /// Key personal links are derived from (≥ 32 characters; default: DATA_DIR/secret.key). Same on every node.
    #[arg(long, env = "CANDOR_SECRET_KEY", global = true, hide_env_values = true)]
    pub secret_key: Option<String>,
    /// Where recordings are stored: s3://bucket[/prefix]?endpoint=…&region=… (credentials from AWS_ACCESS_KEY_ID
    /// and AWS_SECRET_ACCESS_KEY). Default: the local directory DATA_DIR/media.
    #[arg(long, env = "CANDOR_MEDIA_URL", global = true)]
    pub media_url: Option<String>,
    /// MiB of uploads that may wait in memory for the disk, across all uploads; past it, uploads are read no
    /// faster than the disk writes.
    #[arg(long, env = "CANDOR_MEDIA_WRITE_BUFFER_MB", default_value_t = 16, global = true)]
    pub media_write_buffer_mb: usize,
    /// For benchmarks: emulate a slower disk by writing media at most this many MB/s (all uploads together).
    #[arg(long, env = "CANDOR_MEDIA_WRITE_LIMIT_MBPS", global = true, hide = true)]
    pub media_write_limit_mbps: Option<f64>,
    /// Seconds any one step of an SMTP conversation may take before the attempt fails (and is retried later).
    #[arg(long, env = "CANDOR_SMTP_TIMEOUT", default_value_t = 30, global = true)]
    pub smtp_timeout: u64,
    /// Free bytes on DATA_DIR's disk below which new recordings are refused (507).
    #[arg(long, env = "CANDOR_DISK_RESERVE", default_value_t = crate::config::DEFAULT_DISK_RESERVE, global = true)]
    pub disk_reserve: u64,
    /// Free bytes on DATA_DIR's disk below which admins see a warning.
    #[arg(long, env = "CANDOR_DISK_WARN_BELOW", default_value_t = crate::config::DEFAULT_DISK_WARN_BELOW, global = true)]
    pub disk_warn_below: u64,
    /// Let webhooks go to plain http endpoints (default: https only).
    #[arg(long, env = "CANDOR_WEBHOOKS_ALLOW_HTTP", default_value_t = false, action = clap::ArgAction::Set, global = true)]
    pub webhooks_allow_http: bool,
    /// Let webhooks go to loopback, private and link-local addresses (default: refused, against request forgery).
    #[arg(long, env = "CANDOR_WEBHOOKS_ALLOW_PRIVATE", default_value_t = false, action = clap::ArgAction::Set, global = true)]
    pub webhooks_allow_private: bool,
}

impl Opts {
    pub fn config(&self) -> Config {
        Config {
            listen: self.listen,
            data_dir: self.data_dir.clone(),
            database_url: self.database_url.clone().filter(|s| !s.is_empty()),
            base_url: self.base_url.clone().filter(|s| !s.is_empty()),
            smtp_url: self.smtp_url.clone().filter(|s| !s.is_empty()),
            mail_from: self.mail_from.clone(),
            run_worker: self.worker,
            worker_concurrency: self.worker_concurrency,
            trust_proxy: self.trust_proxy || !self.trusted_proxies.0.is_empty(),
            trusted_proxies: self.trusted_proxies.0.clone(),
            body_limit: self.body_limit,
            max_db_connections: self.db_connections,
            secret_key: self.secret_key.clone().filter(|s| !s.is_empty()),
            media_url: self.media_url.clone().filter(|s| !s.is_empty()),
            media_write_buffer_bytes: self.media_write_buffer_mb.max(1).saturating_mul(1024 * 1024),
            media_write_limit_bytes_per_second: self.media_write_limit_mbps.map(|m| (m * 1e6) as u64),
            smtp_timeout: std::time::Duration::from_secs(self.smtp_timeout.max(1)),
            disk_reserve: self.disk_reserve,
            disk_warn_below: self.disk_warn_below,
            webhooks: crate::config::WebhookPolicy {
                allow_http: self.webhooks_allow_http,
                allow_private: self.webhooks_allow_private,
            },
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server (the default).
    Serve,
    /// Bring the database schema up to date, then exit.
    Migrate,
    #[command(subcommand)]
    Admin(AdminCommand),
    #[command(subcommand)]
    Import(ImportCommand),
}

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Create a user (and the organization, when it does not exist yet).
    CreateUser {
        #[arg(long)]
        org_name: String,
        /// IANA time zone of a new organization, e.g. Europe/Helsinki.
        #[arg(long, default_value = "UTC")]
        timezone: String,
        /// Default UI language of a new organization: en, fi, sv, el, de, fr, es.
        #[arg(long, default_value = "en")]
        language: String,
        #[arg(long)]
        email: String,
        #[arg(long, env = "CANDOR_NEW_PASSWORD", hide_env_values = true)]
        password: String,
        /// The user's name (default: the part of the email before @).
        #[arg(long)]
        name: Option<String>,
        #[arg(long, default_value = "admin")]
        role: String,
    },
    /// Create an API token for a user; prints only the token.
    CreateToken {
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// Import candidates from a CSV file: first_name,last_name,email[,phone] with a header row.
    Candidates {
        file: PathBuf,
        #[arg(long)]
        org_name: String,
    },
}

async fn open_store(config: &Config) -> anyhow::Result<Store> {
    std::fs::create_dir_all(&config.data_dir)?;
    let store = Store::connect(&config.resolved_database_url(), 4).await?;
    store::migrate::migrate(&store).await?;
    Ok(store)
}

fn field<T>(r: Result<T, crate::domain::FieldError>) -> anyhow::Result<T> {
    r.map_err(|e| anyhow::anyhow!("--{}: {}", e.field.replace('_', "-"), e.message))
}

pub async fn create_user(config: &Config, cmd: AdminCommand) -> anyhow::Result<()> {
    let AdminCommand::CreateUser { org_name, timezone, language, email, password, name, role } = cmd else {
        bail!("not a create-user command")
    };
    let org_name = field(OrgName::parse("org_name", &org_name))?;
    let email = field(EmailAddress::parse("email", &email))?;
    let password = field(Password::parse("password", &password))?;
    let role = field(Role::parse("role", &role))?;
    let default_name = email.as_str().split('@').next().unwrap_or("Admin").to_owned();
    let name = field(PersonName::parse("name", name.as_deref().unwrap_or(&default_name)))?;
    let store = open_store(config).await?;
    let hash = crate::usecase::accounts::hash_password(password.expose().to_owned()).await?;
    let user = NewUser { email, name, role, password_hash: Some(hash) };
    let result = match orgs::find_by_name(&store, &org_name).await {
        Ok(org) => users::create(&store, &org.id, &user).await.map(|u| (org, u)),
        Err(StoreError::NotFound) => {
            let org = NewOrganization {
                name: org_name,
                timezone: field(TimeZoneName::parse("timezone", &timezone))?,
                language: field(Language::parse("language", &language))?,
            };
            orgs::create_with_first_user(&store, &org, &user).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok((org, user)) => {
            eprintln!("Created {} user {} in organization {:?}.", user.role, user.email, org.name);
            Ok(())
        }
        Err(StoreError::Conflict(_)) => bail!("a user with this email already exists"),
        Err(e) => Err(e.into()),
    }
}

pub async fn create_token(config: &Config, email: &str) -> anyhow::Result<()> {
    let email = field(EmailAddress::parse("email", email))?;
    let store = open_store(config).await?;
    let (user, _) = users::for_login(&store, &email).await?.context("no user has this email")?;
    if !user.active {
        bail!("this user is deactivated");
    }
    let (token, hash) = sessions::new_secret()?;
    sessions::create_api_token(&store, &user.id, &hash, "Command line").await?;
    let entry = crate::store::audit::NewEntry {
        org_id: &user.org_id,
        user_id: Some(&user.id),
        actor: "Command line",
        action: crate::store::audit::API_TOKEN_CREATED,
        target: &user.email,
        detail: serde_json::json!({}),
        client: "",
    };
    crate::store::audit::record(&store, &entry).await?;
    println!("{token}");
    Ok(())
}

pub async fn import_candidates(config: &Config, file: &std::path::Path, org_name: &str) -> anyhow::Result<()> {
    let org_name = field(OrgName::parse("org_name", org_name))?;
    let store = open_store(config).await?;
    store.allow_sqlite_memory(store::SQLITE_IMPORT_MEMORY_BYTES).await?;
    let org = match orgs::find_by_name(&store, &org_name).await {
        Err(StoreError::NotFound) => bail!("no organization is named {:?}", org_name.as_str()),
        other => other?,
    };
    let input = std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let size = input.metadata()?.len();
    let progress = Arc::new(AtomicU64::new(0));
    let bar = indicatif::ProgressBar::new(size);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let ticker = {
        let progress = progress.clone();
        let bar = bar.clone();
        tokio::spawn(async move {
            loop {
                bar.set_position(progress.load(Ordering::Relaxed));
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
        })
    };
    let actor = EventActor { label: "command line import".into() };
    let reader = std::io::BufReader::with_capacity(256 * 1024, input);
    let report = crate::import::import_csv(&store, &org.id, &actor, reader, progress.clone()).await;
    ticker.abort();
    bar.set_position(progress.load(Ordering::Relaxed));
    bar.finish();
    let report = report?;
    if let Some(fatal) = &report.fatal {
        bail!("{fatal}");
    }
    for p in &report.problems {
        eprintln!("line {}: {}", p.line, p.message);
    }
    let shown = report.problems.len() as u64;
    let total = report.error_count + report.duplicate_count;
    if total > shown {
        eprintln!("… and {} more problems", total - shown);
    }
    eprintln!(
        "Imported {} candidates; {} duplicates skipped; {} rows with errors.",
        report.imported, report.duplicate_count, report.error_count
    );
    Ok(())
}
