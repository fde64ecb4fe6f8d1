//! What happens when things go wrong around Candor: a disk that fills, a database that cannot write, storage below
//! its reserve.

use crate::both;
use crate::helpers::{Db, TestApp};
use crate::uploads::{candidate, create, header, patch, take_id, webm};
use reqwest::{Method, StatusCode};
use serde_json::json;

/// SQLite rolls a whole transaction back by itself when the disk is full. The connection must come out of that
/// outside any transaction: once space is back, every acknowledged write is committed — read back through a
/// connection of another pool, as after a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_commit_again_after_the_disk_was_full() {
    let mut app = TestApp::spawn(Db::Sqlite).await;
    let c = candidate(&mut app).await;
    let token = c.api_token.clone();
    let new_candidate = |i: usize| json!({"first_name": "Filler", "last_name": format!("Number {i}"), "email": format!("filler{i}@example.fi")});
    // A large interview: plain inserts, which SQLite rolls back whole (transaction included) when the disk is full.
    let big_interview = |i: usize| {
        let questions: Vec<_> = (0..20)
            .map(|q| {
                json!({"text": format!("Question {q}"), "instructions": "i".repeat(2000), "max_answer_seconds": 60,
                            "max_takes": 1, "think_seconds": null})
            })
            .collect();
        json!({"name": format!("Big {i}"), "title": "Big", "intro_text": "x".repeat(4900), "questions": questions})
    };

    // The disk fills up: writes that need more room fail.
    app.store.limit_pages(Some(0)).await.unwrap();
    let mut refused = 0;
    for i in 0..20 {
        let res = app.api(Method::POST, "/interviews", &token).json(&big_interview(i)).send().await.unwrap();
        if res.status() == StatusCode::INTERNAL_SERVER_ERROR {
            refused += 1;
        } else {
            assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap());
        }
    }
    assert!(refused > 0, "the capped database refused writes");
    // Invitations sent at once share their transactions: each is answered 201 only if it was written (checked
    // below through another connection), on the capped database and once space is back.
    let invite = |round: &str, i: usize| {
        let body = json!({"candidate": {"first_name": "Ina", "last_name": format!("Number {i}"),
            "email": format!("ina-{round}-{i}@example.fi")}, "interview_id": c.interview_id, "deadline": "2099-01-01"});
        let req = app.api(Method::POST, "/invitations", &token).json(&body);
        async move { req.send().await.unwrap().status() }
    };
    let full: Vec<StatusCode> = futures_util::future::join_all((0..8).map(|i| invite("full", i))).await;
    assert!(full.iter().all(|s| [StatusCode::CREATED, StatusCode::INTERNAL_SERVER_ERROR].contains(s)), "{full:?}");

    // Space is freed. A request that is refused inside its transaction (an email already in the base) rolls back
    // as usual…
    app.store.limit_pages(None).await.unwrap();
    let duplicate = json!({"first_name": "Saga", "last_name": "Again", "email": "saga@example.se"});
    let res = app.api(Method::POST, "/candidates", &token).json(&duplicate).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    // …and what comes next is committed.
    let res = app.api(Method::POST, "/candidates", &token).json(&new_candidate(1000)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let id = res.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let res = app.api(Method::GET, &format!("/candidates/{id}"), &token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "the new candidate is there");

    // An upload acknowledged after the full disk has really moved on.
    let upload = create(&app, &c, &c.questions[0], None).await;
    assert_eq!(upload.status(), StatusCode::CREATED);
    let upload = header(&upload, "location");
    let res = patch(&app, &upload, 0, &webm(3000, 1), None).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    let after: Vec<StatusCode> = futures_util::future::join_all((0..8).map(|i| invite("after", i))).await;
    assert!(after.iter().all(|s| *s == StatusCode::CREATED), "{after:?}");

    let other = candor::store::Store::connect(&app.database_url, 2).await.unwrap();
    candor::store::candidates::get(&other, &c.recruiter.org_id, &id).await.expect("committed to the file");
    let filter = candor::store::invitations::ListFilter {
        statuses: vec![],
        answered_since: None,
        decision: None,
        candidate_query: None,
        candidate_id: None,
        interview_id: None,
        sort: candor::store::invitations::Sort::RecentlyCreated,
        after: None,
        limit: 200,
    };
    let written: std::collections::HashSet<String> =
        candor::store::invitations::list(&other, &c.recruiter.org_id, &filter)
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|i| i.email)
            .collect();
    for (round, answers) in [("full", &full), ("after", &after)] {
        for (i, status) in answers.iter().enumerate() {
            let email = format!("ina-{round}-{i}@example.fi");
            assert_eq!(written.contains(&email), *status == StatusCode::CREATED, "{email}: answered {status}");
        }
    }
    let take = candor::store::takes::get(&other, &c.invitation_id, &take_id(&upload)).await.unwrap();
    assert_eq!(take.upload_offset, 3000, "the acknowledged bytes are recorded");
    other.close().await;
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
}

/// PostgreSQL ends every connection Candor holds (as a restart or a failover does) between two requests: the
/// requests that follow are answered, because a pooled connection is checked before a query gets it, and a dead one
/// is replaced there and then.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_the_database_ended_are_replaced() {
    let mut app = TestApp::spawn(Db::Postgres).await;
    let c = candidate(&mut app).await;
    let list = || app.api(Method::GET, "/candidates?limit=5", &c.api_token).send();
    for _ in 0..8 {
        assert_eq!(list().await.unwrap().status(), StatusCode::OK);
    }
    let admin = sqlx::AnyPool::connect(&app.database_url).await.unwrap();
    let ended: Vec<sqlx::any::AnyRow> = sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() \
         AND pid <> pg_backend_pid()",
    )
    .fetch_all(&admin)
    .await
    .unwrap();
    assert!(!ended.is_empty(), "Candor's connections were there to end");
    admin.close().await;
    for i in 0..20 {
        let res = list().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "request {i} after the connections ended");
    }
}

/// `/healthz` says so, quickly, when the database cannot take a write.
async fn health_reports_a_database_that_cannot_write(db: Db) {
    let app = TestApp::spawn(db).await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().starts_with("ok\n"));
    app.store.close().await;
    let started = std::time::Instant::now();
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    assert!(res.text().await.unwrap().starts_with("database"));
    assert!(started.elapsed() < std::time::Duration::from_secs(3), "answered in {:?}", started.elapsed());
}

/// Below the disk reserve a new take is refused up front (507), admins are warned on every page, and the free
/// space is on /metrics.
async fn low_disk_refuses_new_takes_and_warns_admins(db: Db) {
    let mut app = TestApp::spawn_with(db, |c| {
        c.disk_reserve = u64::MAX / 2;
        c.disk_warn_below = u64::MAX / 2;
    })
    .await;
    let c = candidate(&mut app).await;
    let res = create(&app, &c, &c.questions[0], None).await;
    assert_eq!(res.status(), StatusCode::INSUFFICIENT_STORAGE);
    assert!(res.text().await.unwrap().contains("short of storage"));
    let link =
        candor::store::answering::state_by_token(&app.store, c.link.trim_start_matches("/i/")).await.unwrap().unwrap();
    assert_eq!(link.status, candor::domain::InvitationStatus::Pending, "nothing was started");
    let progress = candor::store::answering::progress(&app.store, &c.invitation_id).await.unwrap();
    assert!(progress.iter().all(|p| p.takes_used == 0), "no take was used up");

    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("candor_disk_free_bytes "), "{metrics}");
    let health = app.get("/healthz").await;
    assert_eq!(health.status(), StatusCode::OK, "low disk alone does not take the node out");
    assert!(health.text().await.unwrap().contains("below the reserve"));

    app.new_browser();
    app.login(&c.recruiter).await;
    let page = app.get_html("/invitations").await;
    let warnings = crate::helpers::texts(&page, ".warning");
    assert_eq!(warnings.len(), 1, "{page}");
    assert!(warnings[0].contains("disk is nearly full"), "{warnings:?}");
    // Not for recruiters who are not admins.
    let user = app.create_org_user("Acme", "rob@acme.fi", "recruiter").await;
    app.new_browser();
    app.login(&user).await;
    assert!(crate::helpers::texts(&app.get_html("/invitations").await, ".warning").is_empty());
}

both!(health_reports_a_database_that_cannot_write, low_disk_refuses_new_takes_and_warns_admins);

fn email_job(org_id: &str, to: &str) -> candor::store::jobs::NewJob {
    candor::mail::OutgoingEmail {
        to: vec![to.to_owned()],
        cc: vec![],
        bcc: vec![],
        reply_to: None,
        subject: "Hello".into(),
        html: "<p>Hello</p>".into(),
        text: "Hello".into(),
    }
    .job(Some(org_id))
}

async fn enqueue(app: &TestApp, job: candor::store::jobs::NewJob) -> String {
    let pool = sqlx::AnyPool::connect(&app.database_url).await.unwrap();
    let mut conn = pool.acquire().await.unwrap();
    candor::store::jobs::enqueue(&mut conn, &app.store, &job).await.unwrap()
}

async fn job_status(app: &TestApp, org_id: &str, id: &str) -> candor::store::jobs::Job {
    candor::store::jobs::list(&app.store, org_id, None, 500).await.unwrap().into_iter().find(|j| j.id == id).unwrap()
}

/// A mail server that stops answering fails each attempt after the SMTP time limit (to be retried), and while
/// every email waits on it the other jobs still run.
async fn a_silent_mail_server_holds_up_nothing(db: Db) {
    let silent = crate::helpers::SilentServer::start().await;
    let url = format!("smtp://127.0.0.1:{}?tls=none", silent.port);
    let app = TestApp::spawn_with(db, |c| {
        c.smtp_url = Some(url);
        c.smtp_timeout = std::time::Duration::from_secs(8);
        c.run_worker = true;
        c.worker_concurrency = 2;
    })
    .await;
    let admin = app.create_org_admin("Acme", "ada@acme.fi").await;
    let mut emails = Vec::new();
    for i in 0..20 {
        emails.push(enqueue(&app, email_job(&admin.org_id, &format!("p{i}@example.fi"))).await);
    }
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    // Every email is now waiting on the silent server; another kind of job is still taken at once.
    let other = candor::store::jobs::NewJob::new("delete_media", Some(&admin.org_id), json!({"keys": []}));
    let other = enqueue(&app, other).await;
    let started = std::time::Instant::now();
    while job_status(&app, &admin.org_id, &other).await.status != "done" {
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "the other job waited behind the emails");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // The stalled attempts end with a clear error, and the emails wait for their next attempt.
    let started = std::time::Instant::now();
    loop {
        let job = job_status(&app, &admin.org_id, &emails[0]).await;
        if job.status == "queued" && job.attempts == 1 {
            let error = job.last_error.unwrap();
            assert!(error.contains("did not answer within 8 s"), "{error}");
            break;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "the attempt never timed out: {job:?}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// Emails are retried for more than a day; one that is finally given up shows on the invitation (list and
/// candidate view), and admins put every dead email back in the queue at once.
async fn an_undelivered_invitation_email_shows_and_is_retried(db: Db) {
    let port = crate::helpers::free_port();
    let url = format!("smtp://127.0.0.1:{port}?tls=none");
    let mut app = TestApp::spawn_with(db, |c| c.smtp_url = Some(url)).await;
    let c = candidate(&mut app).await;
    let started = app.store.now_ms();
    let mut dead_after_hours = None;
    for _ in 0..60 {
        app.run_pending_jobs().await;
        let dead = candor::store::jobs::list(&app.store, &c.recruiter.org_id, Some("dead"), 10).await.unwrap();
        if !dead.is_empty() {
            dead_after_hours = Some((app.store.now_ms() - started) / 3_600_000);
            break;
        }
        app.store.clock.advance(std::time::Duration::from_secs(3600));
    }
    let hours = dead_after_hours.expect("given up in the end");
    assert!(hours >= 24, "given up after {hours} h");

    app.new_browser();
    app.login(&c.recruiter).await;
    let list = app.get_html("/invitations?status=any").await;
    assert_eq!(crate::helpers::texts(&list, ".undelivered"), vec!["Email not delivered"], "{list}");
    let candidate_id =
        candor::store::invitations::get(&app.store, &c.recruiter.org_id, &c.invitation_id).await.unwrap().candidate_id;
    let view = app.get_html(&format!("/candidates/{candidate_id}")).await;
    assert_eq!(crate::helpers::texts(&view, ".undelivered").len(), 1);
    let jobs_page = app.get_html("/jobs").await;
    assert!(jobs_page.contains("Retry all 1 dead “send_email” jobs"), "{jobs_page}");

    // Another organization's dead email, which this one's retry must leave alone.
    let other = app.create_org_admin("Globex", "gil@globex.example").await;
    let theirs = enqueue(&app, email_job(&other.org_id, "x@example.fi").attempts(1)).await;
    assert_eq!(app.run_pending_jobs().await, 1);
    assert_eq!(job_status(&app, &other.org_id, &theirs).await.status, "dead");

    let smtp = crate::helpers::SmtpServer::start_on(port).await;
    let res = app.post_form("/jobs/retry-dead", &[("kind", "send_email")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.run_pending_jobs().await, 1);
    assert_eq!(smtp.messages().len(), 1);
    let list = app.get_html("/invitations?status=any").await;
    assert!(crate::helpers::texts(&list, ".undelivered").is_empty(), "delivered now");
    assert_eq!(job_status(&app, &other.org_id, &theirs).await.status, "dead", "not another organization's");
}

both!(
    a_silent_mail_server_holds_up_nothing,
    an_undelivered_invitation_email_shows_and_is_retried,
    keeping_the_same_answers_at_once_completes_once
);

/// The same answers kept several times at once (double clicks, retries): the interview completes once — one
/// "completed" event, one Notify-me email, one rewrite per take.
async fn keeping_the_same_answers_at_once_completes_once(db: Db) {
    let mut app = TestApp::spawn(db).await;
    let c0 = candidate(&mut app).await;
    for round in 0..3 {
        let c = if round == 0 { c0.clone() } else { crate::uploads::another_invitation(&mut app, &c0).await };
        let first = crate::uploads::upload_complete_take(&app, &c, &c.questions[0], 1).await;
        let second = crate::uploads::upload_complete_take(&app, &c, &c.questions[1], 2).await;
        let mut racing = Vec::new();
        for i in 0..8 {
            let (q, t) = if i % 2 == 0 { (&c.questions[0], &first) } else { (&c.questions[1], &second) };
            racing.push(crate::uploads::keep(&app, &c, q, t, None));
        }
        let statuses: Vec<StatusCode> =
            futures_util::future::join_all(racing).await.into_iter().map(|r| r.status()).collect();
        assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 2, "{statuses:?}");
        // The others are told the answer is kept (409) or, once the interview is complete, that it is answered.
        assert!(statuses.iter().all(|s| [StatusCode::OK, StatusCode::CONFLICT, StatusCode::GONE].contains(s)));

        let inv = candor::store::invitations::get(&app.store, &c.recruiter.org_id, &c.invitation_id).await.unwrap();
        assert_eq!(inv.status, "answered");
        let events =
            candor::store::candidates::timeline(&app.store, &c.recruiter.org_id, &inv.candidate_id).await.unwrap();
        let of_this = |kind: &str| {
            events.iter().filter(|e| e.kind == kind && e.detail["invitation_id"] == c.invitation_id.as_str()).count()
        };
        assert_eq!(of_this("completed"), 1);
        assert_eq!(of_this("answered"), 2);
        let jobs = candor::store::jobs::list(&app.store, &c.recruiter.org_id, None, 500).await.unwrap();
        let notify = jobs
            .iter()
            .filter(|j| j.kind == "send_email" && j.payload.contains("completed the video interview"))
            .filter(|j| j.payload.contains(&c.invitation_id))
            .count();
        assert_eq!(notify, 1, "one Notify-me email");
        for take in [&first, &second] {
            let rewrites = jobs.iter().filter(|j| j.kind == "remux_take" && j.payload.contains(take.as_str())).count();
            assert_eq!(rewrites, 1, "one rewrite per take");
        }
    }
}

/// PostgreSQL goes away: requests fail within seconds (not the pool's half minute), /healthz says 503 within two,
/// and everything recovers by itself when the database is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_that_goes_away_fails_fast_and_recovers() {
    let mut proxy = crate::helpers::TcpProxy::start(("127.0.0.1".to_owned(), 5432)).await;
    let admin_url = crate::helpers::postgres_admin_url();
    let db = crate::helpers::TestDb::create(Db::Postgres, std::path::Path::new("/tmp")).await;
    let through_proxy = db.url.replace("127.0.0.1:5432", &format!("127.0.0.1:{}", proxy.port));
    assert_ne!(through_proxy, db.url, "the test database is reached through the proxy ({admin_url})");
    let app = TestApp::spawn_with(Db::Sqlite, |c| c.database_url = Some(through_proxy.clone())).await;
    let user = app.create_org_admin("Acme", "ada@acme.fi").await;
    app.login(&user).await;
    assert_eq!(app.get("/candidates").await.status(), StatusCode::OK);

    proxy.cut().await;
    let started = std::time::Instant::now();
    assert_eq!(app.get("/healthz").await.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(started.elapsed() < std::time::Duration::from_secs(3), "/healthz took {:?}", started.elapsed());
    let started = std::time::Instant::now();
    let res = app.get("/candidates").await;
    assert!(res.status().is_server_error(), "{}", res.status());
    assert!(started.elapsed() < std::time::Duration::from_secs(8), "a page took {:?}", started.elapsed());

    proxy.restore().await;
    let started = std::time::Instant::now();
    loop {
        if app.get("/healthz").await.status() == StatusCode::OK {
            break;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(30), "never recovered");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert_eq!(app.get("/candidates").await.status(), StatusCode::OK);
    drop(app);
    drop(db);
}

/// Several nodes on one database without CANDOR_SECRET_KEY share one link key: a link made on one works on the
/// other. An installation that kept its key in DATA_DIR/secret.key keeps its links.
async fn nodes_without_a_secret_key_share_one(db: Db) {
    let mut first = TestApp::spawn(db).await;
    let c = candidate(&mut first).await;
    let url = first.database_url.clone();
    let mut second = TestApp::spawn_with(db, |cfg| cfg.database_url = Some(url)).await;
    assert_eq!(first.state.usecases.link_key, second.state.usecases.link_key);
    second.new_browser();
    assert_eq!(second.get(&c.link).await.status(), StatusCode::OK, "the link works on the other node");

    let dir = tempfile::tempdir().unwrap();
    let legacy = b"an-old-key-from-data-dir-secret-key-file-0123456789".to_vec();
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    std::fs::write(dir.path().join("data/secret.key"), &legacy).unwrap();
    let data = dir.path().join("data");
    let old = TestApp::spawn_with(db, move |cfg| cfg.data_dir = data).await;
    assert_eq!(old.state.usecases.link_key, legacy, "an earlier installation's key is kept");
}

both!(nodes_without_a_secret_key_share_one);

/// A media storage that cannot be written is found at start (the node refuses to start, saying why) and by
/// /healthz, not by the first candidate who records.
async fn an_unusable_media_storage_is_found_early(db: Db) {
    let s3 = crate::helpers::S3Server::start().await;
    let wrong = s3.media_url().replace("s3://candor/", "s3://no-such-bucket/");
    let dir = tempfile::tempdir().unwrap();
    let test_db = crate::helpers::TestDb::create(db, dir.path()).await;
    let mut config = candor::Config::embedded(dir.path().join("data"));
    config.listen = "127.0.0.1:0".parse().unwrap();
    config.database_url = Some(test_db.url.clone());
    config.run_worker = false;
    config.media_url = Some(wrong);
    let err = match candor::Application::build(config).await {
        Ok(_) => panic!("started with a bucket that does not exist"),
        Err(e) => format!("{e:#}"),
    };
    assert!(err.contains("media storage"), "{err}");

    let url = s3.media_url();
    let app = TestApp::spawn_with(db, |c| c.media_url = Some(url)).await;
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    s3.remove_bucket();
    app.store.clock.advance(std::time::Duration::from_secs(31));
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(res.text().await.unwrap().contains("media storage"));
}

both!(an_unusable_media_storage_is_found_early);

/// Behind a proxy the client address is the one the proxy saw (the right-most hop that is not a trusted proxy), not
/// the first X-Forwarded-For entry, which the client writes: made-up entries do not escape sign-in throttling.
async fn throttling_behind_a_proxy_uses_the_address_the_proxy_saw(db: Db) {
    for trusted in [None, Some("127.0.0.1/32")] {
        let app = TestApp::spawn_with(db, |c| {
            c.trust_proxy = true;
            c.trusted_proxies = trusted.map(|t| candor::config::IpRange::parse_list(t).unwrap()).unwrap_or_default();
        })
        .await;
        let user = app.create_org_admin("Acme", "ada@acme.fi").await;
        let csrf = app.csrf().await;
        let attempt = |i: usize, email: String, password: &'static str| {
            // What a client sent, then what the proxy appended (and, with a list, the proxy in front of that one).
            let chain = match trusted {
                None => format!("198.51.100.{i}, 203.0.113.9"),
                Some(_) => format!("198.51.100.{i}, 203.0.113.9, 127.0.0.1"),
            };
            app.client
                .post(app.url("/login"))
                .header("x-forwarded-for", chain)
                .form(&[("csrf", csrf.as_str()), ("email", email.as_str()), ("password", password)])
                .send()
        };
        for i in 0..20 {
            let res = attempt(i, format!("nobody{i}@example.fi"), "wrong password").await.unwrap();
            assert!(res.text().await.unwrap().contains("The email or password is not right."), "attempt {i}");
        }
        let res = attempt(99, "nobody99@example.fi".into(), "wrong password").await.unwrap();
        assert!(res.text().await.unwrap().contains("Too many failed sign-in attempts"), "the 21st is throttled");
        // Another client behind the same proxy is not.
        let res = app
            .client
            .post(app.url("/login"))
            .header("x-forwarded-for", "203.0.113.10")
            .form(&[("csrf", csrf.as_str()), ("email", user.email.as_str()), ("password", user.password.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{trusted:?}");
    }
}

both!(throttling_behind_a_proxy_uses_the_address_the_proxy_saw);

/// What a killed process leaves in the media storage — temporary files of writes cut off, pieces stored but never
/// recorded — is swept away; pieces that takes refer to stay.
async fn crash_leftovers_are_swept(db: Db) {
    for storage in [crate::uploads::Storage::Local, crate::uploads::Storage::S3] {
        let (mut app, _s3) = crate::uploads::spawn_on(db, storage).await;
        let c = candidate(&mut app).await;
        let kept = crate::uploads::upload_complete_take(&app, &c, &c.questions[0], 5).await;
        let stray = format!("takes/{}/{}/0000000000000000-stray", c.invitation_id, take_id(&kept));
        app.state.media.put(&stray, bytes::Bytes::from_static(b"\x1a\x45\xdf\xa3 fragment")).await.unwrap();
        let partial = app.data_dir.join("media/takes/x/y/0000000000000000-z.123-1.part");
        if matches!(storage, crate::uploads::Storage::Local) {
            std::fs::create_dir_all(partial.parent().unwrap()).unwrap();
            let f = std::fs::File::create(&partial).unwrap();
            f.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(3600)).unwrap();
        }
        // A temporary file idle for an hour is gone; fresh pieces may still be on their way into the database: left
        // alone.
        let (files, pieces) = app.state.worker.sweep_media().await.unwrap();
        assert_eq!(pieces, 0);
        if matches!(storage, crate::uploads::Storage::Local) {
            assert_eq!(files, 1);
            assert!(!partial.exists());
        }
        app.store.clock.advance(std::time::Duration::from_secs(2 * 3600));
        let (_, pieces) = app.state.worker.sweep_media().await.unwrap();
        assert_eq!(pieces, 1, "{storage:?}");
        assert!(app.state.media.read_range(&stray, 0, 4).await.is_err(), "the stray piece is gone");
        assert_eq!(crate::uploads::stored(&app, &take_id(&kept)).await.len(), 40_000, "the take's pieces stay");
    }
}

both!(crash_leftovers_are_swept);
