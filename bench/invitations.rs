//! Benchmark of invitations: 10,000 invitations through the API delivered to a real SMTP server (aiosmtpd with the
//! lean handler of bench/smtp_sink.py) on
//! loopback — time until the last is delivered, messages/s, duplicates — and the invitations list page with 100,000
//! invitations under a steady 200 requests/s — p50/p99 — on SQLite and on PostgreSQL. Writes bench/RESULTS.md.
//!
//! Run: `cargo bench --bench invitations` (needs python3 with aiosmtpd: `pip install aiosmtpd`).
//! BENCH_INVITATIONS (default 10000), BENCH_LIST_ROWS (default 100000), BENCH_DATABASE_URL as for `typeahead`,
//! BENCH_BACKENDS (`sqlite,postgres`), BENCH_KEEP=1 to keep the PostgreSQL database afterwards.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashSet;
#[path = "harness.rs"]
mod harness;

use harness::{Killed, free_port, percentile, wait_port};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Figures {
    backend: &'static str,
    sent: usize,
    api_seconds: f64,
    delivered_seconds: f64,
    unique: usize,
    list: Vec<(&'static str, f64, f64, usize, usize)>,
}

async fn bench(name: &'static str, database_url: Option<String>, dir: PathBuf, n: usize, list_rows: usize) -> Figures {
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let maildir = dir.join("maildir");
    let smtp_port = free_port();
    let _smtp = Killed(
        Command::new("python3")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/smtp_sink.py"))
            .arg(format!("127.0.0.1:{smtp_port}"))
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 bench/smtp_sink.py (pip install aiosmtpd)"),
    );
    wait_port(smtp_port).await;
    let env = |c: &mut Command| {
        c.env("CANDOR_DATA_DIR", &dir).env("CANDOR_SMTP_URL", format!("smtp://127.0.0.1:{smtp_port}?tls=none"));
        match &database_url {
            Some(u) => c.env("DATABASE_URL", u),
            None => c.env_remove("DATABASE_URL"),
        };
    };
    let token = harness::create_org(&env);
    let server = harness::start(&env).await;
    let base = server.base.clone();
    let client = reqwest::Client::new();
    let interviews: serde_json::Value =
        client.get(format!("{base}/api/v1/interviews")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let interview = interviews["items"][0]["id"].as_str().unwrap().to_owned();

    eprintln!("[{name}] sending {n} invitations through the API");
    let started = Instant::now();
    harness::invite_one_by_one(&base, &token, &interview, n, 16, |i| {
        (format!("Cand{i}"), "Bench".to_owned(), format!("cand{i}@example.com"))
    })
    .await;
    let api_seconds = started.elapsed().as_secs_f64();
    let new_dir = maildir.join("new");
    let delivered_seconds = loop {
        let count = std::fs::read_dir(&new_dir).map(|d| d.count()).unwrap_or(0);
        if count >= n {
            break started.elapsed().as_secs_f64();
        }
        assert!(started.elapsed() < Duration::from_secs(600), "only {count} of {n} delivered after 10 minutes");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut recipients = HashSet::new();
    let mut files = 0;
    for entry in std::fs::read_dir(&new_dir).unwrap() {
        let raw = std::fs::read_to_string(entry.unwrap().path()).unwrap_or_default();
        files += 1;
        if let Some(line) = raw.lines().find(|l| l.starts_with("X-RcptTo:")) {
            recipients.insert(line.to_owned());
        }
    }
    eprintln!(
        "[{name}] API {api_seconds:.1} s, last delivered after {delivered_seconds:.1} s, {files} messages, {} recipients",
        recipients.len()
    );
    assert_eq!(files, recipients.len(), "a duplicate was delivered");

    // Grow to `list_rows` invitations by copying the ones made above (new ids and link hashes, mixed statuses).
    let url = database_url.clone().unwrap_or_else(|| format!("sqlite://{}?mode=rwc", dir.join("candor.db").display()));
    let store = candor::store::Store::connect(&url, 2).await.unwrap();
    let copies = list_rows.div_ceil(n).saturating_sub(1);
    if copies > 0 {
        let pool = sqlx::AnyPool::connect(&url).await.unwrap();
        sqlx::query(&format!(
            "INSERT INTO invitations (id, org_id, candidate_id, interview_id, invited_by, email, language, deadline, closes_at, \
             bcc_me, notify_me, status, token_hash, idempotency_key, created_at, updated_at, sent_at, started_at, answered_at) \
             WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < {copies}) \
             SELECT i.id || '-' || k.n, i.org_id, i.candidate_id, i.interview_id, i.invited_by, i.email, i.language, i.deadline, \
             i.closes_at - k.n * CAST(86400000 AS BIGINT), i.bcc_me, i.notify_me, \
             CASE k.n % 5 WHEN 0 THEN 'pending' WHEN 1 THEN 'in_progress' WHEN 2 THEN 'answered' WHEN 3 THEN 'expired' ELSE 'disabled' END, \
             i.token_hash || '-' || k.n, NULL, i.created_at - k.n * CAST(1000 AS BIGINT), i.updated_at, i.sent_at, NULL, \
             CASE k.n % 5 WHEN 2 THEN i.created_at ELSE NULL END FROM invitations i, k"
        ))
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query("ANALYZE").execute(&pool).await.unwrap();
        pool.close().await;
    }
    let total: i64 = {
        let pool = sqlx::AnyPool::connect(&url).await.unwrap();
        let row: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM invitations").fetch_one(&pool).await.unwrap();
        pool.close().await;
        row.0
    };
    store.close().await;
    eprintln!("[{name}] {total} invitations; list under load");

    // A signed-in browser.
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let browser = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(64)
        .build()
        .unwrap();
    browser.get(format!("{base}/login")).send().await.unwrap();
    let cookies = reqwest::cookie::CookieStore::cookies(&*jar, &base.parse().unwrap()).unwrap();
    let csrf =
        cookies.to_str().unwrap().split(';').find_map(|kv| kv.trim().strip_prefix("candor_csrf=")).unwrap().to_owned();
    let res = browser
        .post(format!("{base}/login"))
        .form(&[("csrf", csrf.as_str()), ("email", "bench@example.com"), ("password", "bench password 1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);

    let mut list = Vec::new();
    for (label, path) in [
        ("default (Pending or In progress, newest first)", "/invitations"),
        ("any status, closer deadline", "/invitations?status=any&sort=deadline"),
        ("search “cand12”", "/invitations?status=any&q=cand12"),
    ] {
        let rate = 200.0;
        let duration = Duration::from_secs(15);
        let count = (rate * duration.as_secs_f64()) as usize;
        let start = Instant::now();
        let mut handles = Vec::with_capacity(count);
        for i in 0..count {
            let due = start + Duration::from_secs_f64(i as f64 / rate);
            let (browser, url) = (browser.clone(), format!("{base}{path}"));
            handles.push(tokio::spawn(async move {
                tokio::time::sleep_until(due.into()).await;
                let t = Instant::now();
                let res = browser.get(&url).send().await;
                let ok = matches!(&res, Ok(r) if r.status() == 200);
                if let Ok(r) = res {
                    let _ = r.bytes().await;
                }
                (t.elapsed().as_secs_f64() * 1000.0, ok)
            }));
        }
        let mut times = Vec::new();
        let mut failed = 0;
        for h in handles {
            let (ms, ok) = h.await.unwrap();
            times.push(ms);
            if !ok {
                failed += 1;
            }
        }
        times.sort_by(f64::total_cmp);
        let (p50, p99) = (percentile(&times, 0.5), percentile(&times, 0.99));
        eprintln!("[{name}] {label}: p50 {p50:.1} ms, p99 {p99:.1} ms, {failed} failed of {count}");
        list.push((label, p50, p99, count, failed));
    }
    Figures { backend: name, sent: n, api_seconds, delivered_seconds, unique: recipients.len(), list }
}

fn write_results(n: usize, list_rows: usize, figures: &[Figures]) {
    let date = harness::date();
    let mut s = String::from("## Invitations: delivery and the list under load\n\n");
    s.push_str(&format!(
        "Command: `cargo bench --bench invitations` (BENCH_INVITATIONS={n}, BENCH_LIST_ROWS={list_rows}). Date: {date}. Machine: {} cores, release build, \
         everything on loopback: `candor serve` (one node, its own worker), aiosmtpd (bench/smtp_sink.py: writes each message unparsed) as the SMTP server, PostgreSQL local.\n\n",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0)
    ));
    s.push_str("Invitations created by `POST /api/v1/invitations` (external candidates, 16 concurrent clients, Idempotency-Key each), delivered by the worker over SMTP:\n\n");
    s.push_str("| Database | invitations | API done s | last delivered s | messages/s | distinct recipients |\n| --- | --- | --- | --- | --- | --- |\n");
    for f in figures {
        s.push_str(&format!(
            "| {} | {} | {:.1} | {:.1} | {:.0} | {} |\n",
            f.backend,
            f.sent,
            f.api_seconds,
            f.delivered_seconds,
            f.sent as f64 / f.delivered_seconds,
            f.unique
        ));
    }
    s.push_str(&format!("\nThe invitations list page (`GET /invitations`, signed in, 50 rows) with {list_rows} invitations, 200 requests/s for 15 s (open loop):\n\n"));
    s.push_str("| Database | view | p50 ms | p99 ms | requests | failed |\n| --- | --- | --- | --- | --- | --- |\n");
    for f in figures {
        for (label, p50, p99, count, failed) in &f.list {
            s.push_str(&format!("| {} | {label} | {p50:.1} | {p99:.1} | {count} | {failed} |\n", f.backend));
        }
    }
    harness::write_section("invitations", &s);
}

fn main() {
    candor::install_tls_provider();
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("benchmark: run it with `cargo bench --bench invitations`");
        return;
    }
    let n: usize = std::env::var("BENCH_INVITATIONS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let list_rows: usize = std::env::var("BENCH_LIST_ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/data");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let figures = rt.block_on(async {
        let admin = std::env::var("BENCH_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&admin).await.expect("PostgreSQL for the benchmark");
        sqlx::query("DROP DATABASE IF EXISTS candor_bench_inv WITH (FORCE)").execute(&mut conn).await.unwrap();
        sqlx::query("CREATE DATABASE candor_bench_inv").execute(&mut conn).await.unwrap();
        let pg = format!("{}/candor_bench_inv", admin.rsplit_once('/').unwrap().0);
        sqlx::any::install_default_drivers();
        // BENCH_BACKENDS=sqlite or =postgres runs one; BENCH_KEEP=1 keeps the PostgreSQL database for a look.
        let backends = std::env::var("BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".to_owned());
        let mut figures = Vec::new();
        if backends.contains("sqlite") {
            figures.push(bench("SQLite", None, dir.join("inv-sqlite"), n, list_rows).await);
        }
        if backends.contains("postgres") {
            figures.push(bench("PostgreSQL", Some(pg), dir.join("inv-pg"), n, list_rows).await);
        }
        if std::env::var("BENCH_KEEP").is_err() {
            sqlx::query("DROP DATABASE IF EXISTS candor_bench_inv WITH (FORCE)").execute(&mut conn).await.unwrap();
        }
        figures
    });
    if figures.len() == 2 {
        write_results(n, list_rows, &figures);
    } else {
        eprintln!("one database only: bench/RESULTS.md is left as it was");
    }
}
