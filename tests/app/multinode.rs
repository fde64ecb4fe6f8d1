//! Two Candor nodes — separate processes — on one PostgreSQL database and one S3 bucket, behind a real nginx with
//! the configuration the README gives (`deploy/nginx.conf`): sessions and CSRF across nodes, keeps racing on both
//! nodes, an upload whose pieces alternate nodes and outlives one of them, and 300 invitation emails delivered
//! while one node is killed.

use crate::helpers::{Db, S3Server, SmtpServer, TestDb, browser, free_port, location};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Node {
    port: u16,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Node {
    fn start(database_url: &str, media_url: &str, smtp_url: &str, base_url: &str) -> Node {
        Self::start_with(database_url, media_url, smtp_url, base_url, &[])
    }

    fn start_with(database_url: &str, media_url: &str, smtp_url: &str, base_url: &str, env: &[(&str, &str)]) -> Node {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_candor"))
            .env("DATABASE_URL", database_url)
            .env("CANDOR_LISTEN", format!("127.0.0.1:{port}"))
            .env("CANDOR_DATA_DIR", dir.path())
            .env("CANDOR_MEDIA_URL", media_url)
            .env("CANDOR_SMTP_URL", smtp_url)
            .env("CANDOR_BASE_URL", base_url)
            .env("CANDOR_TRUSTED_PROXIES", "127.0.0.1")
            .env("CANDOR_WORKER_CONCURRENCY", "4")
            .env("CANDOR_LOG", std::env::var("CANDOR_TEST_LOG").unwrap_or_else(|_| "error".into()))
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        Node { port, child, _dir: dir }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    async fn wait_healthy(&self) {
        let started = Instant::now();
        loop {
            if let Ok(res) = reqwest::get(self.url("/healthz")).await
                && res.status() == StatusCode::OK
            {
                return;
            }
            assert!(started.elapsed() < Duration::from_secs(30), "node on {} did not start", self.port);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// kill -9.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

struct Nginx {
    port: u16,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Nginx {
    /// `deploy/nginx.conf`, with these upstream nodes, on `port`.
    async fn start(port: u16, nodes: &[u16]) -> Nginx {
        let dir = tempfile::tempdir().unwrap();
        let template =
            std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/nginx.conf"))
                .unwrap();
        let servers: String = nodes.iter().map(|p| format!("server 127.0.0.1:{p};\n        ")).collect();
        let conf = template
            .replace("server 127.0.0.1:8081;\n        server 127.0.0.1:8082;\n        ", &servers)
            .replace("listen 127.0.0.1:8080;", &format!("listen 127.0.0.1:{port};"))
            .replace("worker_processes auto;", "worker_processes 1;");
        assert!(conf.contains(&format!("127.0.0.1:{}", nodes[0])), "the template's upstream block changed");
        std::fs::create_dir_all(dir.path().join("logs")).unwrap();
        std::fs::write(dir.path().join("nginx.conf"), conf).unwrap();
        let child = Command::new("nginx")
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(dir.path().join("nginx.conf"))
            .arg("-g")
            .arg(format!("daemon off; master_process off; pid {}/nginx.pid;", dir.path().display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx is required for the multi-node test (apt-get install nginx-light)");
        let started = Instant::now();
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            assert!(started.elapsed() < Duration::from_secs(10), "nginx did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Nginx { port, child, _dir: dir }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn candor_cli(database_url: &str, args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_candor"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("CANDOR_DATA_DIR", dir.path())
        .env("CANDOR_LOG", "error")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn csrf_of(jar: &reqwest::cookie::Jar, url: &str) -> String {
    use reqwest::cookie::CookieStore;
    let header = jar.cookies(&url.parse().unwrap()).unwrap();
    header
        .to_str()
        .unwrap()
        .split(';')
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == "candor_csrf")
        .map(|(_, v)| v.to_owned())
        .unwrap()
}

/// A fresh browser that opens a personal link through nginx and agrees to the recording; with its CSRF token.
async fn consenting_browser(nginx: &Nginx, link: &str) -> (reqwest::Client, String) {
    let (browser, jar) = browser();
    assert_eq!(browser.get(nginx.url(link)).send().await.unwrap().status(), StatusCode::OK);
    let csrf = csrf_of(&jar, &nginx.url(""));
    let res = browser
        .post(nginx.url(&format!("{link}/start")))
        .form(&[("csrf", csrf.as_str()), ("consent", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    (browser, csrf)
}

/// Uploads `video` as a take of `question` through nginx in pieces of `piece` bytes (the length given with the last),
/// each piece answered 204 whichever node takes it; gives the take's id.
async fn upload_through(
    client: &reqwest::Client,
    nginx: &Nginx,
    link: &str,
    question: &str,
    video: &[u8],
    piece: usize,
) -> String {
    use base64::Engine;
    let tus = |method: Method, url: String| client.request(method, url).header("Tus-Resumable", "1.0.0");
    let meta = format!("question {}", base64::engine::general_purpose::STANDARD.encode(question));
    let res = tus(Method::POST, nginx.url(&format!("{link}/uploads")))
        .header("Upload-Defer-Length", "1")
        .header("Upload-Metadata", meta)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let upload = res.headers()["location"].to_str().unwrap().to_owned();
    let pieces = video.chunks(piece).count();
    for (n, bytes) in video.chunks(piece).enumerate() {
        let mut req = tus(Method::PATCH, nginx.url(&upload))
            .header("Content-Type", "application/offset+octet-stream")
            .header("Upload-Offset", (n * piece).to_string());
        if n + 1 == pieces {
            req = req.header("Upload-Length", video.len().to_string());
        }
        let status = req.body(bytes.to_vec()).send().await.unwrap().status();
        assert_eq!(status, StatusCode::NO_CONTENT, "piece {n} of {link}");
    }
    upload.rsplit('/').next().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_behind_nginx() {
    candor::install_tls_provider();
    let s3 = S3Server::start().await;
    let smtp = SmtpServer::start().await;
    let db = TestDb::create(Db::Postgres, std::path::Path::new("/tmp")).await;
    let nginx_port = free_port();
    let base = format!("http://127.0.0.1:{nginx_port}");
    candor_cli(&db.url, &["migrate"]);
    candor_cli(
        &db.url,
        &["admin", "create-user", "--org-name", "Acme", "--email", "ada@acme.fi", "--password", "a long password"],
    );
    let token = candor_cli(&db.url, &["admin", "create-token", "--email", "ada@acme.fi"]).trim().to_owned();
    let store = candor::store::Store::connect(&db.url, 2).await.unwrap();
    // Node A's mail server stalls: its claimed emails hang mid-conversation until A is killed, and B must take them
    // over once their leases run out.
    let stalled = crate::helpers::SilentServer::start().await;
    let stalled_url = format!("smtp://127.0.0.1:{}?tls=none", stalled.port);
    let mut a = Node::start_with(&db.url, &s3.media_url(), &stalled_url, &base, &[("CANDOR_SMTP_TIMEOUT", "600")]);
    let b = Node::start(&db.url, &s3.media_url(), &smtp.url(), &base);
    a.wait_healthy().await;
    b.wait_healthy().await;
    // A node's /metrics: the heap as jemalloc counts it, and no SQLite figures on PostgreSQL.
    let metrics = reqwest::get(b.url("/metrics")).await.unwrap().text().await.unwrap();
    let allocated = crate::helpers::gauge(&metrics, "candor_heap_allocated_bytes").expect("the heap's figures");
    let resident = crate::helpers::gauge(&metrics, "candor_heap_resident_bytes").expect("the heap's figures");
    assert!(allocated > 0.0 && resident >= allocated, "{allocated} {resident}");
    assert_eq!(crate::helpers::gauge(&metrics, "candor_sqlite_memory_bytes"), None, "{metrics}");
    let nginx = Nginx::start(nginx_port, &[a.port, b.port]).await;
    assert_eq!(nginx.url(""), base);
    let org_id = candor::store::orgs::find_by_name(&store, &candor::domain::OrgName::parse("o", "Acme").unwrap())
        .await
        .unwrap()
        .id;
    let api = |method: Method, path: &str| {
        reqwest::Client::new().request(method, nginx.url(&format!("/api/v1{path}"))).bearer_auth(&token)
    };

    // A session and CSRF that work whichever node answers (nginx alternates them).
    let (client, jar) = browser();
    let base = nginx.url("");
    assert_eq!(client.get(nginx.url("/login")).send().await.unwrap().status(), StatusCode::OK);
    let csrf = csrf_of(&jar, &base);
    let res = client
        .post(nginx.url("/login"))
        .form(&[("csrf", csrf.as_str()), ("email", "ada@acme.fi"), ("password", "a long password")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let csrf = csrf_of(&jar, &base);
    for i in 0..6 {
        let email = format!("form{i}@example.fi");
        let res = client
            .post(nginx.url("/candidates"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("first_name", "Form"),
                ("last_name", "Filled"),
                ("email", email.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "form {i}");
        assert!(location(&res).starts_with("/candidates/"));
    }

    // An interview and an invitation; the candidate consents through nginx.
    let interview = json!({"name": "Two", "title": "Two", "questions": [
        {"text": "One", "max_answer_seconds": 60, "max_takes": 2, "think_seconds": null},
        {"text": "Two", "max_answer_seconds": 60, "max_takes": 2, "think_seconds": null}]});
    let res = api(Method::POST, "/interviews").json(&interview).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let interview: serde_json::Value = res.json().await.unwrap();
    let interview_id = interview["id"].as_str().unwrap().to_owned();
    let questions: Vec<String> =
        interview["questions"].as_array().unwrap().iter().map(|q| q["id"].as_str().unwrap().to_owned()).collect();
    let invite = |email: String| {
        api(Method::POST, "/invitations")
            .json(&json!({"candidate": {"first_name": "Saga", "last_name": "Lind", "email": email},
                          "interview_id": interview_id, "deadline": "2099-12-31", "notify_me": true}))
            .send()
    };
    let res = invite("saga@example.se".into()).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let invitation_id = res.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let key = candor::store::deployment::link_key(&store, None).await.unwrap();
    let link = format!("/i/{}", candor::store::invitations::invitation_token(&key, &invitation_id));
    let (candidate, ccsrf) = consenting_browser(&nginx, &link).await;

    // Each take uploads in pieces through nginx (alternating nodes); the keeps race on both nodes at once.
    let mut takes = Vec::new();
    for (i, q) in questions.iter().enumerate() {
        let video = crate::uploads::webm(30_000, i as u8);
        takes.push(upload_through(&candidate, &nginx, &link, q, &video, 7_500).await);
    }
    let keep_on = |node: &Node, q: &str, take: &str| {
        candidate.post(node.url(&format!("{link}/answers/{q}"))).json(&json!({"take_id": take, "csrf": ccsrf})).send()
    };
    let racing = vec![
        keep_on(&a, &questions[0], &takes[0]),
        keep_on(&b, &questions[0], &takes[0]),
        keep_on(&a, &questions[1], &takes[1]),
        keep_on(&b, &questions[1], &takes[1]),
        keep_on(&b, &questions[1], &takes[1]),
        keep_on(&a, &questions[0], &takes[0]),
    ];
    let ok = futures_util::future::join_all(racing)
        .await
        .into_iter()
        .filter(|r| r.as_ref().unwrap().status() == StatusCode::OK)
        .count();
    assert_eq!(ok, 2, "each answer kept once");
    let inv = candor::store::invitations::get(&store, &org_id, &invitation_id).await.unwrap();
    assert_eq!(inv.status, "answered");
    let events = candor::store::candidates::timeline(&store, &org_id, &inv.candidate_id).await.unwrap();
    assert_eq!(events.iter().filter(|e| e.kind == "completed").count(), 1, "completed once");

    // 300 invitations; one node is killed while they go out, and while another take uploads through nginx.
    let mut created = Vec::new();
    for i in 0..300 {
        created.push(invite(format!("c{i:03}@example.fi")));
        if created.len() == 50 {
            for r in futures_util::future::join_all(std::mem::take(&mut created)).await {
                assert_eq!(r.unwrap().status(), StatusCode::CREATED);
            }
        }
    }
    for r in futures_util::future::join_all(created).await {
        assert_eq!(r.unwrap().status(), StatusCode::CREATED);
    }
    let started = Instant::now();
    while smtp.messages().len() < 60 {
        assert!(started.elapsed() < Duration::from_secs(60), "deliveries did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A is killed while it holds emails: its mail server never answers, so once A has connected to it, A is stuck
    // on an email it claimed (on a loaded machine A may claim its first ones late).
    while stalled.accepted() == 0 {
        assert!(started.elapsed() < Duration::from_secs(60), "node A claimed no email");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The emails running now: A's stuck ones among them (which they are — an invitation, or the Notify-me email
    // of the interview completed above — depends on what A claimed first).
    let held: std::collections::BTreeSet<String> = candor::store::jobs::list(&store, &org_id, None, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.kind == "send_email" && j.status == "running")
        .map(|j| j.id)
        .collect();
    assert!(!held.is_empty(), "A's email is running");
    a.kill();

    // The upload of another invitation goes on through nginx with one node left.
    let res = invite("late@example.fi".into()).await.unwrap();
    let late_id = res.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let late_link = format!("/i/{}", candor::store::invitations::invitation_token(&key, &late_id));
    let (late, _) = consenting_browser(&nginx, &late_link).await;
    upload_through(&late, &nginx, &late_link, &questions[0], &crate::uploads::webm(20_000, 42), 5_000).await;

    // Every invitation email arrives once; the dead node's claimed jobs are taken over once their lease runs out.
    let started = Instant::now();
    let wanted: std::collections::BTreeSet<String> = (0..300).map(|i| format!("c{i:03}@example.fi")).collect();
    loop {
        let mails = smtp.messages();
        let got: std::collections::BTreeSet<String> =
            mails.iter().flat_map(|m| m.rcpt_to.iter().cloned()).filter(|r| wanted.contains(r)).collect();
        if got.len() == wanted.len() {
            let mut by_recipient: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
            for m in &mails {
                for r in &m.rcpt_to {
                    by_recipient.entry(r.as_str()).or_default().push(m.message_id.as_str());
                }
            }
            for (r, ids) in by_recipient {
                assert!(ids.iter().all(|id| *id == ids[0]), "{r} got different messages: {ids:?}");
            }
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "only {} of 300 invitations delivered", got.len());
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // The emails running when A was killed all go out: B's at once, A's once their lease has run out.
    let jobs = loop {
        let jobs = candor::store::jobs::list(&store, &org_id, None, 1000).await.unwrap();
        if jobs.iter().filter(|j| held.contains(&j.id)).all(|j| j.status == "done") {
            break jobs;
        }
        assert!(started.elapsed() < Duration::from_secs(180), "the emails A held were not taken over");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert!(jobs.iter().all(|j| j.status != "dead"), "no email given up");
    let taken_over = jobs.iter().filter(|j| held.contains(&j.id) && j.attempts >= 2).count();
    assert!(taken_over > 0, "the killed node held emails that the other took over");
    // Nothing was delivered twice: each invitation's message arrived once.
    let mails = smtp.messages();
    let mut ids: Vec<&str> = mails.iter().map(|m| m.message_id.as_str()).collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "every message once");
    drop(b);
    store.close().await;
}
