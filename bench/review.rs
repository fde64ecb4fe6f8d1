//! Benchmark of the review workspace: an interview's responses page with 1,000 answered invitations (each rated per
//! question and overall and scored on three criteria by three reviewers) and the dashboards, in an organization of
//! 100,000 invitations, under a steady 50 requests/s — p50/p99 — on SQLite and on PostgreSQL. Writes
//! bench/RESULTS.md.
//!
//! Run: `cargo bench --bench review`. BENCH_ANSWERED (default 1000), BENCH_ORG_ROWS (default 100000),
//! BENCH_RATE (requests/s, default 50), BENCH_SECONDS (per view, default 15), BENCH_DATABASE_URL (the PostgreSQL
//! server's admin URL), BENCH_BACKENDS (`sqlite,postgres`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "harness.rs"]
mod harness;

use harness::{candor, percentile};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Figures {
    backend: &'static str,
    invitations: i64,
    ratings: i64,
    scores: i64,
    views: Vec<(&'static str, f64, f64, usize, usize)>,
}

/// Inserts `rows` (each a list of values as SQL literals) into `table` in batches.
async fn insert_rows(pool: &sqlx::AnyPool, table: &str, columns: &str, rows: &[String]) {
    let mut tx = pool.begin().await.unwrap();
    for chunk in rows.chunks(200) {
        sqlx::query(&format!("INSERT INTO {table} ({columns}) VALUES {}", chunk.join(", ")))
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
}

async fn bench(
    name: &'static str,
    database_url: Option<String>,
    dir: PathBuf,
    answered: usize,
    org_rows: usize,
) -> Figures {
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let env = |c: &mut Command| {
        c.env("CANDOR_DATA_DIR", &dir).env("CANDOR_WORKER", "false");
        match &database_url {
            Some(u) => c.env("DATABASE_URL", u),
            None => c.env_remove("DATABASE_URL"),
        };
    };
    let token = harness::create_org(&env);
    // The candidates, through the importer.
    let csv = dir.join("candidates.csv");
    let firsts = ["Aino", "Åsa", "Jörg", "Søren", "Eleni", "Mikko", "Anna", "Pierre"];
    let lasts = ["Järvinen", "Öberg", "Müller", "Nørgaard", "Papadopoulou", "Virtanen", "Berg", "Dubois"];
    let mut text = String::from("first_name,last_name,email\n");
    for i in 0..answered {
        text.push_str(&format!("{},{}{i},cand{i}@example.com\n", firsts[i % 8], lasts[(i / 8) % 8]));
    }
    std::fs::write(&csv, text).unwrap();
    let mut c = candor();
    env(&mut c);
    assert!(c.args(["import", "candidates", csv.to_str().unwrap(), "--org-name", "Bench"]).status().unwrap().success());
    let server = harness::start(&env).await;
    let base = server.base.clone();
    let client = reqwest::Client::new();
    let api = |path: &str, body: serde_json::Value| {
        let req = client.post(format!("{base}/api/v1{path}")).bearer_auth(&token).json(&body);
        async move {
            let res = req.send().await.unwrap();
            assert!(res.status().is_success(), "{}", res.text().await.unwrap_or_default());
            res.json::<serde_json::Value>().await.unwrap()
        }
    };
    let question =
        |t: &str| serde_json::json!({"text": t, "max_answer_seconds": 60, "max_takes": 2, "think_seconds": 30});
    let a = api(
        "/interviews",
        serde_json::json!({"name": "Reviewed", "title": "Reviewed", "questions": [question("One"), question("Two"), question("Three")]}),
    )
    .await;
    let b = api("/interviews", serde_json::json!({"name": "Other", "title": "Other", "questions": [question("Only")]}))
        .await;
    let (a_id, b_id) = (a["id"].as_str().unwrap().to_owned(), b["id"].as_str().unwrap().to_owned());
    let questions: Vec<String> =
        a["questions"].as_array().unwrap().iter().map(|q| q["id"].as_str().unwrap().to_owned()).collect();
    let mut criteria = Vec::new();
    for c in ["Communication", "Motivation", "Problem solving"] {
        criteria.push(
            api(&format!("/interviews/{a_id}/criteria"), serde_json::json!({"name": c})).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }

    // Seeded straight into the database: the answered invitations with their reviews, then copies to fill the
    // organization.
    let url = database_url.clone().unwrap_or_else(|| format!("sqlite://{}?mode=rwc", dir.join("candor.db").display()));
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    sqlx::any::install_default_drivers();
    let (org_id, user_id): (String, String) =
        sqlx::query_as("SELECT org_id, id FROM users WHERE email = 'bench@example.com'")
            .fetch_one(&pool)
            .await
            .unwrap();
    let candidates: Vec<(String, String)> =
        sqlx::query_as("SELECT id, email FROM candidates WHERE org_id = $1 ORDER BY id")
            .bind(&org_id)
            .fetch_all(&pool)
            .await
            .unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    let day = 86_400_000i64;
    let reviewers = [format!("user:{user_id}"), "user:reviewer-2".to_owned(), "user:reviewer-3".to_owned()];
    let (mut invs, mut ratings, mut scores) = (Vec::new(), Vec::new(), Vec::new());
    for (n, (cid, email)) in candidates.iter().enumerate() {
        let id = format!("bench{n:07}");
        let sent = now - (n as i64 % 80) * day - 3_600_000;
        let answered_at = sent + (n as i64 * 7919 % 5) * day + 1_800_000;
        let decision = ["undecided", "advance", "hold", "reject"][n % 4];
        invs.push(format!(
            "('{id}', '{org_id}', '{cid}', '{a_id}', '{user_id}', '{email}', 'en', '2099-12-31', {}, 0, 0, 'answered', \
             'hash-{id}', {sent}, {answered_at}, {sent}, {}, {}, {answered_at}, '{decision}', {})",
            now + 400 * day,
            sent + 60_000,
            sent + 120_000,
            answered_at - sent
        ));
        for (r, reviewer) in reviewers.iter().enumerate() {
            for (s, subject) in questions.iter().map(String::as_str).chain(["overall"]).enumerate() {
                let halves = 1 + (n * 3 + r * 5 + s * 7) % 10;
                ratings.push(format!(
                    "('r-{id}-{r}-{s}', '{org_id}', '{id}', '{subject}', '{reviewer}', 'Reviewer {r}', {halves}, {now}, {now})"
                ));
            }
            for (k, criterion) in criteria.iter().enumerate() {
                let score = 1 + (n + r * 2 + k * 3) % 5;
                scores.push(format!(
                    "('s-{id}-{r}-{k}', '{org_id}', '{id}', '{criterion}', '{reviewer}', 'Reviewer {r}', {score}, {now}, {now})"
                ));
            }
        }
    }
    insert_rows(
        &pool,
        "invitations",
        "id, org_id, candidate_id, interview_id, invited_by, email, language, deadline, closes_at, bcc_me, notify_me, \
         status, token_hash, created_at, updated_at, sent_at, opened_at, started_at, answered_at, decision, completed_in_ms",
        &invs,
    )
    .await;
    insert_rows(
        &pool,
        "ratings",
        "id, org_id, invitation_id, subject, reviewer, reviewer_name, halves, created_at, updated_at",
        &ratings,
    )
    .await;
    insert_rows(
        &pool,
        "scores",
        "id, org_id, invitation_id, criterion_id, reviewer, reviewer_name, score, created_at, updated_at",
        &scores,
    )
    .await;
    let copies = org_rows.saturating_sub(answered).div_ceil(answered.max(1));
    if copies > 0 {
        // Copies in the other interview: mixed statuses, sent over the last 16 weeks.
        sqlx::query(&format!(
            "INSERT INTO invitations (id, org_id, candidate_id, interview_id, invited_by, email, language, deadline, closes_at, \
             bcc_me, notify_me, status, token_hash, created_at, updated_at, sent_at, opened_at, started_at, answered_at, decision, \
             completed_in_ms) \
             WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < {copies}) \
             SELECT i.id || '-' || k.n, i.org_id, i.candidate_id, '{b_id}', i.invited_by, i.email, i.language, i.deadline, \
             i.closes_at, 0, 0, \
             CASE k.n % 6 WHEN 0 THEN 'pending' WHEN 1 THEN 'in_progress' WHEN 2 THEN 'answered' WHEN 3 THEN 'expired' \
             WHEN 4 THEN 'withdrawn' ELSE 'answered' END, \
             i.token_hash || '-' || k.n, i.created_at - k.n * CAST({day} AS BIGINT), i.updated_at, \
             i.sent_at - (k.n % 30) * CAST({day} AS BIGINT), \
             CASE k.n % 6 WHEN 0 THEN NULL ELSE i.opened_at - (k.n % 30) * CAST({day} AS BIGINT) END, \
             CASE WHEN k.n % 6 IN (0, 3) THEN NULL ELSE i.started_at - (k.n % 30) * CAST({day} AS BIGINT) END, \
             CASE WHEN k.n % 6 IN (2, 5) THEN i.answered_at - (k.n % 30) * CAST({day} AS BIGINT) ELSE NULL END, 'undecided', \
             CASE WHEN k.n % 6 IN (2, 5) THEN i.completed_in_ms ELSE NULL END \
             FROM invitations i, k WHERE i.interview_id = '{a_id}'"
        ))
        .execute(&pool)
        .await
        .unwrap();
    }
    sqlx::query("ANALYZE").execute(&pool).await.unwrap();
    let count = |sql: &'static str| {
        let pool = pool.clone();
        async move { sqlx::query_as::<_, (i64,)>(sql).fetch_one(&pool).await.unwrap().0 }
    };
    let (invitations, n_ratings, n_scores) = (
        count("SELECT COUNT(*) FROM invitations").await,
        count("SELECT COUNT(*) FROM ratings").await,
        count("SELECT COUNT(*) FROM scores").await,
    );
    pool.close().await;
    eprintln!("[{name}] {invitations} invitations, {n_ratings} ratings, {n_scores} scores");

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

    let rate: f64 = std::env::var("BENCH_RATE").ok().and_then(|v| v.parse().ok()).unwrap_or(50.0);
    let seconds: f64 = std::env::var("BENCH_SECONDS").ok().and_then(|v| v.parse().ok()).unwrap_or(15.0);
    let mut views = Vec::new();
    for (label, path) in [
        ("responses, newest answers first", format!("/interviews/{a_id}/responses")),
        ("responses, highest rated first", format!("/interviews/{a_id}/responses?sort=rating")),
        ("responses, decision Advance, by name", format!("/interviews/{a_id}/responses?decision=advance&sort=name")),
        ("responses, JSON API", format!("/api/v1/interviews/{a_id}/responses")),
        ("organization dashboard", "/dashboard".to_owned()),
        ("interview dashboard (1,000 answered)", format!("/interviews/{a_id}/dashboard")),
    ] {
        let count = (rate * seconds) as usize;
        let start = Instant::now();
        let mut handles = Vec::with_capacity(count);
        for i in 0..count {
            let due = start + Duration::from_secs_f64(i as f64 / rate);
            let (browser, url, token) = (browser.clone(), format!("{base}{path}"), token.clone());
            let api = path.starts_with("/api/");
            handles.push(tokio::spawn(async move {
                tokio::time::sleep_until(due.into()).await;
                let t = Instant::now();
                let req = browser.get(&url);
                let req = if api { req.bearer_auth(token) } else { req };
                let res = req.send().await;
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
        views.push((label, p50, p99, count, failed));
    }
    // The CSV export once, whole.
    let t = Instant::now();
    let res = browser.get(format!("{base}/interviews/{a_id}/responses.csv")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().await.unwrap();
    let ms = t.elapsed().as_secs_f64() * 1000.0;
    eprintln!("[{name}] CSV export: {ms:.0} ms, {} bytes", bytes.len());
    views.push(("CSV export of the 1,000 (one request)", ms, ms, 1, 0));
    Figures { backend: name, invitations, ratings: n_ratings, scores: n_scores, views }
}

fn write_results(rate: f64, figures: &[Figures]) {
    let date = harness::date();
    let mut s = String::from("## Review workspace: responses and dashboards under load\n\n");
    s.push_str(&format!(
        "Command: `cargo bench --bench review`. Date: {date}. Machine: {} cores, release build, one `candor serve` node \
         (worker off), a signed-in client on loopback, PostgreSQL local. One interview has 1,000 answered invitations, \
         each rated on its 3 questions and overall and scored on 3 criteria by 3 reviewers; the organization's other \
         invitations fill it to the total below. Each view is requested at {rate:.0} requests/s for 15 s (open loop).\n\n",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0)
    ));
    s.push_str("| Database | invitations | ratings | scores | view | p50 ms | p99 ms | requests | failed |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
    for f in figures {
        for (label, p50, p99, count, failed) in &f.views {
            s.push_str(&format!(
                "| {} | {} | {} | {} | {label} | {p50:.1} | {p99:.1} | {count} | {failed} |\n",
                f.backend, f.invitations, f.ratings, f.scores
            ));
        }
    }
    harness::write_section("review", &s);
}

fn main() {
    candor::install_tls_provider();
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("benchmark: run it with `cargo bench --bench review`");
        return;
    }
    let answered: usize = std::env::var("BENCH_ANSWERED").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
    let org_rows: usize = std::env::var("BENCH_ORG_ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let rate: f64 = std::env::var("BENCH_RATE").ok().and_then(|v| v.parse().ok()).unwrap_or(50.0);
    let backends = std::env::var("BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".to_owned());
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/data");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let figures = rt.block_on(async {
        sqlx::any::install_default_drivers();
        let mut figures = Vec::new();
        if backends.contains("sqlite") {
            figures.push(bench("SQLite", None, dir.join("review-sqlite"), answered, org_rows).await);
        }
        if backends.contains("postgres") {
            let admin = std::env::var("BENCH_DATABASE_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(&admin).await.expect("PostgreSQL for the benchmark");
            sqlx::query("DROP DATABASE IF EXISTS candor_bench_review WITH (FORCE)").execute(&mut conn).await.unwrap();
            sqlx::query("CREATE DATABASE candor_bench_review").execute(&mut conn).await.unwrap();
            let pg = format!("{}/candor_bench_review", admin.rsplit_once('/').unwrap().0);
            figures.push(bench("PostgreSQL", Some(pg), dir.join("review-postgres"), answered, org_rows).await);
            sqlx::query("DROP DATABASE IF EXISTS candor_bench_review WITH (FORCE)").execute(&mut conn).await.unwrap();
        }
        figures
    });
    write_results(rate, &figures);
}
