//! Typed configuration, from flags or `CANDOR_*` environment variables (see the README's table).

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Free space kept for takes already recording: 512 MiB.
pub const DEFAULT_DISK_RESERVE: u64 = 512 * 1024 * 1024;
/// Admins are warned below 4 GiB free.
pub const DEFAULT_DISK_WARN_BELOW: u64 = 4 * 1024 * 1024 * 1024;

/// Everything the application needs to start. Secrets are redacted in `Debug`.
#[derive(Clone)]
pub struct Config {
    /// Address to listen on; port 0 picks a free port (tests).
    pub listen: SocketAddr,
    /// Where the SQLite database, media and the local mail outbox live.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; `None` means `DATA_DIR/candor.db`.
    pub database_url: Option<String>,
    /// The address people reach Candor at, used in links in emails; `None` means `http://LISTEN`.
    pub base_url: Option<String>,
    /// `smtp://user:pass@host:587` (STARTTLS), `smtps://…:465` (TLS) or `smtp://host:25?tls=none`; `None` means the
    /// local outbox under `DATA_DIR/outbox`.
    pub smtp_url: Option<String>,
    /// The From address of every email.
    pub mail_from: String,
    /// Run the background worker in this process.
    pub run_worker: bool,
    /// Jobs run at once by this process's worker (emails are sent in parallel).
    pub worker_concurrency: usize,
    /// Take the client address from `X-Forwarded-For` (only behind a reverse proxy): the right-most address that is
    /// not one of `trusted_proxies` — the one the proxy itself saw.
    pub trust_proxy: bool,
    /// The reverse proxies in front of Candor (addresses or CIDR ranges). When given, `X-Forwarded-For` is only
    /// read from requests that come from one of them, and their own hops are skipped.
    pub trusted_proxies: Vec<IpRange>,
    /// Largest request body accepted, in bytes (uploads have their own limits).
    pub body_limit: usize,
    /// Pool size for the database.
    pub max_db_connections: u32,
    /// The key personal links are derived from (≥ 32 characters). `None`: one key for the whole deployment, kept in
    /// the database (made on first start, from `DATA_DIR/secret.key` when an earlier version left one).
    pub secret_key: Option<String>,
    /// Where recordings are stored: `s3://bucket[/prefix]?endpoint=…&region=…` (credentials from
    /// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`); `None` means the local directory `DATA_DIR/media`.
    pub media_url: Option<String>,
    /// Bytes of uploads that may wait in memory for the local disk, across all uploads: when they are all taken,
    /// uploads stop being read until the disk catches up.
    pub media_write_buffer_bytes: usize,
    /// Emulates a slower disk (benchmarks): the local media writers together write at most this many bytes a
    /// second. `None`: as fast as the disk goes.
    pub media_write_limit_bytes_per_second: Option<u64>,
    /// How long any one step of an SMTP conversation (connect, greeting, STARTTLS, sign-in, sending a message) may
    /// take before the attempt fails and is retried later.
    pub smtp_timeout: std::time::Duration,
    /// Free bytes on DATA_DIR's file system below which new takes are refused (507): what is left is for the takes
    /// already recording and the database.
    pub disk_reserve: u64,
    /// Free bytes below which admins see a warning on every page.
    pub disk_warn_below: u64,
    /// Where webhooks may be sent.
    pub webhooks: WebhookPolicy,
}

/// Where webhooks may go: https to public addresses only, unless the operator allows more.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WebhookPolicy {
    /// Plain http endpoints (`CANDOR_WEBHOOKS_ALLOW_HTTP`).
    pub allow_http: bool,
    /// Loopback, private, link-local and other internal addresses (`CANDOR_WEBHOOKS_ALLOW_PRIVATE`).
    pub allow_private: bool,
}

impl Config {
    /// The embedded default: SQLite and the outbox under `data_dir`, on 127.0.0.1:8080.
    pub fn embedded(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: data_dir.into(),
            database_url: None,
            base_url: None,
            smtp_url: None,
            mail_from: "Candor <candor@localhost>".to_owned(),
            run_worker: true,
            worker_concurrency: 4,
            trust_proxy: false,
            trusted_proxies: Vec::new(),
            body_limit: 2 * 1024 * 1024,
            max_db_connections: 16,
            secret_key: None,
            media_url: None,
            media_write_buffer_bytes: crate::media::DEFAULT_WRITE_BUFFER_BYTES,
            media_write_limit_bytes_per_second: None,
            smtp_timeout: std::time::Duration::from_secs(30),
            disk_reserve: DEFAULT_DISK_RESERVE,
            disk_warn_below: DEFAULT_DISK_WARN_BELOW,
            webhooks: WebhookPolicy::default(),
        }
    }

    /// The link key set by the operator (`CANDOR_SECRET_KEY`, at least 32 characters), if any.
    pub fn configured_link_key(&self) -> anyhow::Result<Option<Vec<u8>>> {
        match &self.secret_key {
            Some(key) => {
                anyhow::ensure!(key.len() >= 32, "CANDOR_SECRET_KEY must have at least 32 characters");
                Ok(Some(key.as_bytes().to_vec()))
            }
            None => Ok(None),
        }
    }

    /// The key of `DATA_DIR/secret.key`, where earlier versions kept it, if the file exists.
    pub fn legacy_link_key(&self) -> Option<Vec<u8>> {
        std::fs::read(self.data_dir.join("secret.key")).ok().filter(|k| k.len() >= 32)
    }

    pub fn resolved_database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}?mode=rwc", self.data_dir.join("candor.db").display()),
        }
    }
}

/// A list of [`IpRange`]s given as one comma-separated value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpRanges(pub Vec<IpRange>);

/// An address or a CIDR range of them (`10.0.0.0/8`, `::1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    net: std::net::IpAddr,
    bits: u8,
}

impl IpRange {
    pub fn parse(s: &str) -> Result<Self, String> {
        let (addr, bits) = match s.trim().split_once('/') {
            Some((a, b)) => (a, Some(b)),
            None => (s.trim(), None),
        };
        let net: std::net::IpAddr = addr.parse().map_err(|_| format!("{s:?} is not an address or CIDR range"))?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let bits = match bits {
            Some(b) => b.parse::<u8>().ok().filter(|b| *b <= max).ok_or_else(|| format!("{s:?}: bad prefix length"))?,
            None => max,
        };
        Ok(Self { net, bits })
    }

    /// Parses a comma-separated list.
    pub fn parse_list(s: &str) -> Result<Vec<Self>, String> {
        s.split(',').map(str::trim).filter(|p| !p.is_empty()).map(Self::parse).collect()
    }

    /// [`IpRange::parse_list`] as one command-line value.
    pub fn parse_option(s: &str) -> Result<IpRanges, String> {
        Self::parse_list(s).map(IpRanges)
    }

    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        use std::net::IpAddr;
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        match (self.net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = if self.bits == 0 { 0 } else { u32::MAX << (32 - u32::from(self.bits)) };
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = if self.bits == 0 { 0 } else { u128::MAX << (128 - u32::from(self.bits)) };
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// Replaces the password of a URL, and the values of query settings that hold secrets, with `***`.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            if u.query().is_some() {
                let pairs: Vec<(String, String)> = u
                    .query_pairs()
                    .map(|(k, v)| {
                        let secret = ["secret", "password", "token"].iter().any(|s| k.contains(s));
                        (k.into_owned(), if secret { "***".to_owned() } else { v.into_owned() })
                    })
                    .collect();
                u.query_pairs_mut().clear().extend_pairs(pairs);
            }
            u.to_string()
        }
        Err(_) => url.to_owned(),
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("database_url", &self.database_url.as_deref().map(redact_url))
            .field("base_url", &self.base_url)
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .field("mail_from", &self.mail_from)
            .field("smtp_timeout", &self.smtp_timeout)
            .field("run_worker", &self.run_worker)
            .field("trust_proxy", &self.trust_proxy)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("body_limit", &self.body_limit)
            .field("secret_key", &self.secret_key.as_ref().map(|_| "***"))
            .field("media_url", &self.media_url.as_deref().map(redact_url))
            .field("disk_reserve", &self.disk_reserve)
            .field("disk_warn_below", &self.disk_warn_below)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_ranges() {
        let r = IpRange::parse_list("10.0.0.0/8, 192.168.1.7, ::1").unwrap();
        assert!(r[0].contains("10.200.3.4".parse().unwrap()));
        assert!(!r[0].contains("11.0.0.1".parse().unwrap()));
        assert!(r[1].contains("192.168.1.7".parse().unwrap()));
        assert!(!r[1].contains("192.168.1.8".parse().unwrap()));
        assert!(r[2].contains("::1".parse().unwrap()));
        assert!(r[0].contains("::ffff:10.1.1.1".parse().unwrap()));
        assert!(IpRange::parse("10.0.0.0/33").is_err());
        assert!(IpRange::parse("nope").is_err());
    }

    #[test]
    fn debug_redacts_secrets() {
        let mut c = Config::embedded("data");
        c.smtp_url = Some("smtp://mailer:hunter2@mail.example.com:587".into());
        c.database_url = Some("postgres://app:s3cret@db/candor".into());
        c.media_url = Some("s3://media?endpoint=http://minio:9000&secret_access_key=sup3rs3cret".into());
        let s = format!("{c:?}");
        assert!(!s.contains("hunter2") && !s.contains("s3cret") && !s.contains("sup3rs3cret"), "{s}");
        assert!(s.contains("minio"));
        assert!(s.contains("mail.example.com"));
    }
}
