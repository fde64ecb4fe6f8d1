//! Benchmark of reaching many candidates at once: 10,000 invitations from one bulk action
//! (`POST /api/v1/invitations/bulk`), then 10,000 through `POST /api/v1/invitations` (16 concurrent clients), each
//! delivered to Postfix's `smtp-sink` (a real SMTP server that is not the bottleneck) on loopback — time from the
//! request to the last message accepted, duplicates, losses — on SQLite and on PostgreSQL. Writes bench/RESULTS.md.
//!
//! Run: `scripts/bench-setup && cargo bench --bench bulk` (`scripts/bench-setup` installs Debian's `postfix`
//! package, which has `smtp-sink`). BENCH_INVITATIONS (default 10000), BENCH_DATABASE_URL (the PostgreSQL server's
//! admin URL), BENCH_BACKENDS (`sqlite,postgres`), BENCH_ONLY_BULK=1 (skip the one-by-one run), BENCH_TRACE=1 (print
//! the messages in every half second).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "harness.rs"]
mod harness;

use harness::{Killed, env_or, free_port, wait_port};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Postfix's `smtp-sink`, writing each message it accepts to a file of its own in `dir`.
struct Sink {
    port: u16,
    dir: PathBuf,
    _process: Killed,
}

fn smtp_sink_binary() -> PathBuf {
    ["/usr/sbin/smtp-sink", "/usr/lib/postfix/sbin/smtp-sink"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .expect("smtp-sink not found: install Debian's postfix package (scripts/bench-setup)")
}

async fn start_sink(dir: &Path) -> Sink {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    // smtp-sink drops to an unprivileged user when started as root: that user writes the messages.
    std::fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let port = free_port();
    let mut c = Command::new(smtp_sink_binary());
    let root = Command::new("id").arg("-u").output().map(|o| o.stdout == b"0\n").unwrap_or(false);
    if root {
        c.args(["-u", "nobody"]);
    }
    let process = Killed(
        c.arg("-d")
            .arg(format!("{}/%H%M%S.", dir.display()))
            .arg(format!("127.0.0.1:{port}"))
            .arg("256")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_port(port).await;
    Sink { port, dir: dir.to_owned(), _process: process }
}

impl Sink {
    fn count(&self) -> usize {
        std::fs::read_dir(&self.dir).map(|d| d.count()).unwrap_or(0)
    }

    /// Waits until `n` messages are in; gives the time since `started` when the last came. Panics after 10 minutes.
    async fn wait_for(&self, n: usize, started: Instant) -> f64 {
        loop {
            let count = self.count();
            if count >= n {
                return started.elapsed().as_secs_f64();
            }
            assert!(started.elapsed() < Duration::from_secs(600), "only {count} of {n} delivered after 10 minutes");
            if std::env::var("BENCH_TRACE").is_ok() {
                eprintln!("{:.2} s: {count}", started.elapsed().as_secs_f64());
                tokio::time::sleep(Duration::from_millis(480)).await;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// (messages, distinct recipients) once nothing more arrives.
    async fn tally(&self) -> (usize, usize) {
        tokio::time::sleep(Duration::from_secs(3)).await;
        let mut recipients = HashSet::new();
        let mut files = 0;
        for entry in std::fs::read_dir(&self.dir).unwrap() {
            let raw = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
            files += 1;
            for line in raw.lines().filter(|l| l.starts_with("X-Rcpt-Args:")) {
                recipients.insert(line.to_owned());
            }
        }
        (files, recipients.len())
    }
}

struct Run {
    /// Until the request(s) were answered.
    api_seconds: f64,
    /// Until the bulk send's job had created every invitation.
    created_seconds: Option<f64>,
    /// Until the last message was accepted.
    delivered_seconds: f64,
    messages: usize,
    recipients: usize,
}

struct Figures {
    backend: &'static str,
    bulk: Run,
    single: Run,
}

/// A name of the benchmark's mix: about half with diacritics, some Greek.
fn person(i: usize) -> (String, String) {
    let firsts = ["Aino", "Åsa", "Jörg", "Søren", "Ελένη", "Mikko", "Anna", "Zoë", "Pierre", "Łukasz"];
    let lasts = ["Järvinen", "Öberg", "Müller", "Nørgaard", "Παπαδοπούλου", "Virtanen", "Berg", "Dubois", "García"];
    (firsts[i % firsts.len()].to_owned(), format!("{}{}", lasts[(i / 10) % lasts.len()], i))
}

async fn bench(name: &'static str, database_url: Option<String>, dir: PathBuf, n: usize) -> Figures {
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let sink = start_sink(&dir.join("sink-bulk")).await;
    let env = |c: &mut Command, smtp_port: u16| {
        c.env("CANDOR_DATA_DIR", &dir).env("CANDOR_SMTP_URL", format!("smtp://127.0.0.1:{smtp_port}?tls=none"));
        match &database_url {
            Some(u) => c.env("DATABASE_URL", u),
            None => c.env_remove("DATABASE_URL"),
        };
    };
    let bulk_sink = |c: &mut Command| env(c, sink.port);
    let token = harness::create_org(&bulk_sink);
    let server = harness::start(&bulk_sink).await;
    let base = server.base.clone();
    let client = reqwest::Client::new();
    let interviews: serde_json::Value =
        client.get(format!("{base}/api/v1/interviews")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let interview = interviews["items"][0]["id"].as_str().unwrap().to_owned();

    // One bulk action.
    let people: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            let (first, last) = person(i);
            serde_json::json!({"first_name": first, "last_name": last, "email": format!("bulk{i}@example.com"),
                "language": (["en", "fi", "sv", "el"][i % 4])})
        })
        .collect();
    let body = serde_json::json!({"interview_id": interview, "deadline": "2099-12-31", "candidates": people});
    eprintln!("[{name}] one bulk send of {n}");
    let started = Instant::now();
    let res = client
        .post(format!("{base}/api/v1/invitations/bulk"))
        .bearer_auth(&token)
        .header("Idempotency-Key", "bench-bulk")
        .json(&body)
        .send()
        .await
        .unwrap();
    let api_seconds = started.elapsed().as_secs_f64();
    assert_eq!(res.status(), 202, "{}", res.text().await.unwrap_or_default());
    let summary: serde_json::Value = res.json().await.unwrap();
    let bulk_id = summary["id"].as_str().unwrap().to_owned();
    // When the job has created every invitation (and queued its email).
    let created = {
        let (client, url, token) = (client.clone(), format!("{base}/api/v1/invitations/bulk/{bulk_id}"), token.clone());
        tokio::spawn(async move {
            loop {
                let status: serde_json::Value =
                    client.get(&url).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
                if status["status"] != "sending" {
                    return started.elapsed().as_secs_f64();
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    let delivered_seconds = sink.wait_for(n, started).await;
    let created_seconds = created.await.unwrap();
    let (messages, recipients) = sink.tally().await;
    let status: serde_json::Value = client
        .get(format!("{base}/api/v1/invitations/bulk/{bulk_id}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    eprintln!(
        "[{name}] bulk: answered in {api_seconds:.2} s, all created after {created_seconds:.2} s, last accepted after {delivered_seconds:.2} s, {messages} messages, \
         {recipients} recipients; {status}"
    );
    assert_eq!(status["status"], "done");
    assert_eq!(status["sent"], n);
    let bulk = Run { api_seconds, created_seconds: Some(created_seconds), delivered_seconds, messages, recipients };

    if std::env::var("BENCH_ONLY_BULK").is_ok() {
        let single =
            Run { api_seconds: 0.0, created_seconds: None, delivered_seconds: 0.0, messages: 0, recipients: 0 };
        return Figures { backend: name, bulk, single };
    }
    // The same number one by one.
    drop(sink);
    let sink = start_sink(&dir.join("sink-single")).await;
    // The new sink listens on another port: a fresh server on the same data is pointed at it.
    drop(server);
    let server = harness::start(&|c: &mut Command| env(c, sink.port)).await;
    let base = server.base.clone();
    eprintln!("[{name}] {n} through POST /api/v1/invitations");
    let started = Instant::now();
    harness::invite_one_by_one(&base, &token, &interview, n, 16, |i| {
        let (first, last) = person(i);
        (first, last, format!("one{i}@example.com"))
    })
    .await;
    let api_seconds = started.elapsed().as_secs_f64();
    let delivered_seconds = sink.wait_for(n, started).await;
    let (messages, recipients) = sink.tally().await;
    eprintln!(
        "[{name}] one by one: API {api_seconds:.1} s, last accepted after {delivered_seconds:.1} s, {messages} messages, \
         {recipients} recipients"
    );
    let single = Run { api_seconds, created_seconds: None, delivered_seconds, messages, recipients };
    Figures { backend: name, bulk, single }
}

fn write_results(n: usize, figures: &[Figures]) {
    let mut s = String::from("## Bulk invitations: one action to the last message accepted\n\n");
    s.push_str(&format!(
        "Command: `scripts/bench-setup && cargo bench --bench bulk` (BENCH_INVITATIONS={n}). Date: {}. Machine: {} cores, \
         release build, everything on loopback: `candor serve` (one node, its own worker), Postfix's `smtp-sink` \
         (writes each accepted message to a file) as the SMTP server, PostgreSQL local. External candidates (names with \
         diacritics and Greek), each message checked by its recipient afterwards.\n\n",
        harness::date(),
        harness::cores()
    ));
    s.push_str(
        "| Database | path | invitations | request(s) answered s | all created s | last message accepted s | messages/s | messages | distinct recipients |\n\
         | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n",
    );
    for f in figures {
        for (path, r) in [
            ("one bulk send (`POST /api/v1/invitations/bulk`)", &f.bulk),
            ("one by one (`POST /api/v1/invitations`, 16 clients)", &f.single),
        ] {
            s.push_str(&format!(
                "| {} | {path} | {n} | {:.2} | {} | {:.2} | {:.0} | {} | {} |\n",
                f.backend,
                r.api_seconds,
                r.created_seconds.map_or("—".to_owned(), |s| format!("{s:.2}")),
                r.delivered_seconds,
                n as f64 / r.delivered_seconds,
                r.messages,
                r.recipients
            ));
        }
    }
    harness::write_section("bulk", &s);
}

fn main() {
    candor::install_tls_provider();
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("benchmark: run it with `cargo bench --bench bulk`");
        return;
    }
    let n: usize = env_or("BENCH_INVITATIONS", 10_000);
    let backends = std::env::var("BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".to_owned());
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/data");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let figures = rt.block_on(async {
        let mut figures = Vec::new();
        if backends.contains("sqlite") {
            figures.push(bench("SQLite", None, dir.join("bulk-sqlite"), n).await);
        }
        if backends.contains("postgres") {
            let url = harness::fresh_postgres("candor_bench_bulk").await;
            figures.push(bench("PostgreSQL", Some(url), dir.join("bulk-postgres"), n).await);
            harness::drop_postgres("candor_bench_bulk").await;
        }
        figures
    });
    if figures.len() == 2 && std::env::var("BENCH_ONLY_BULK").is_err() {
        write_results(n, &figures);
    } else {
        eprintln!("a partial run: bench/RESULTS.md is left as it was");
    }
}
