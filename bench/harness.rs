//! What the benchmarks share: free ports, the `candor` binary, child processes killed on drop, PostgreSQL databases
//! of their own, an organization with an API token, and their sections of bench/RESULTS.md.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub fn candor() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_candor"));
    c.env("CANDOR_LOG", "warn");
    c
}

/// A child process, killed when dropped.
pub struct Killed(pub Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub async fn wait_port(port: u16) {
    for _ in 0..400 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("nothing listens on {port}");
}

/// A WebM-looking body: the EBML magic, then pseudo-random bytes.
pub fn media_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut v = vec![0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86, 0x81, 0x01, 0x42, 0xF7, 0x81];
    let mut x = 0x9E37_79B9_7F4A_7C15u64 ^ seed;
    while v.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.truncate(len);
    v
}

pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Now, for the results' "Date:".
pub fn date() -> String {
    Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

pub fn cores() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0)
}

/// Replaces the section of bench/RESULTS.md between `<!-- {name}:begin -->` and `<!-- {name}:end -->` (or appends
/// it); `body` holds neither marker.
pub fn write_section(name: &str, body: &str) {
    let (begin, end) = (format!("<!-- {name}:begin -->\n"), format!("<!-- {name}:end -->\n"));
    let section = format!("{begin}{body}{end}");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/RESULTS.md");
    let old = std::fs::read_to_string(&path).unwrap_or_default();
    let new = match (old.find(&begin), old.find(&end)) {
        (Some(a), Some(z)) => format!("{}{}{}", &old[..a], section, &old[z + end.len()..]),
        _ => format!("{old}\n{section}"),
    };
    std::fs::write(&path, new).unwrap();
    eprintln!("wrote {}", path.display());
}

/// A fresh PostgreSQL database `name` on the server of BENCH_DATABASE_URL (an admin URL, default the local server);
/// gives its URL. [`drop_postgres`] removes it.
pub async fn fresh_postgres(name: &str) -> String {
    use sqlx::Connection;
    let admin = admin_url();
    let mut conn = sqlx::PgConnection::connect(&admin).await.expect("PostgreSQL for the benchmark");
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.unwrap();
    format!("{}/{name}", admin.rsplit_once('/').unwrap().0)
}

pub async fn drop_postgres(name: &str) {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&admin_url()).await.expect("PostgreSQL for the benchmark");
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut conn).await.unwrap();
}

fn admin_url() -> String {
    std::env::var("BENCH_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A `candor serve` on a free port; killed when dropped.
pub struct Server {
    pub base: String,
    pub process: Killed,
}

/// Makes the organization "Bench" with its admin bench@example.com through the CLI; gives an API token of theirs.
/// `env` sets each command's environment (data directory, database, SMTP…).
pub fn create_org(env: &impl Fn(&mut Command)) -> String {
    let mut c = candor();
    env(&mut c);
    let created = c
        .args(["admin", "create-user", "--org-name", "Bench", "--timezone", "Europe/Helsinki", "--email"])
        .args(["bench@example.com", "--password", "bench password 1"])
        .status()
        .unwrap();
    assert!(created.success());
    let mut c = candor();
    env(&mut c);
    String::from_utf8(c.args(["admin", "create-token", "--email", "bench@example.com"]).output().unwrap().stdout)
        .unwrap()
        .trim()
        .to_owned()
}

/// Starts `candor serve` and waits until it listens.
pub async fn start(env: &impl Fn(&mut Command)) -> Server {
    let port = free_port();
    let mut c = candor();
    env(&mut c);
    let process = Killed(
        c.args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_port(port).await;
    Server { base: format!("http://127.0.0.1:{port}"), process }
}

/// Creates `n` invitations of external candidates through `POST /api/v1/invitations` from `clients` concurrent
/// clients (each with an Idempotency-Key); `person(i)` gives the i-th one's first name, last name and email.
pub async fn invite_one_by_one(
    base: &str,
    token: &str,
    interview: &str,
    n: usize,
    clients: usize,
    person: fn(usize) -> (String, String, String),
) {
    let client = reqwest::Client::new();
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (client, base, token, interview, next) =
            (client.clone(), base.to_owned(), token.to_owned(), interview.to_owned(), next.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let (first, last, email) = person(i);
                let body = serde_json::json!({
                    "candidate": {"first_name": first, "last_name": last, "email": email},
                    "language": (["en", "fi", "sv", "de"][i % 4]), "interview_id": interview, "deadline": "2099-12-31"
                });
                let res = client
                    .post(format!("{base}/api/v1/invitations"))
                    .bearer_auth(&token)
                    .header("Idempotency-Key", format!("bench-{i}"))
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 201, "{}", res.text().await.unwrap_or_default());
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}
