//! Odd input everywhere — control characters, NUL bytes, invisible names, redirects off the site, bodies larger than
//! announced limits — gets a clear 4xx, never a 500.

use crate::both;
use crate::helpers::{Db, TestApp, location, texts};
use crate::uploads::{candidate, keep, take_id, upload_complete_take};
use reqwest::{Method, StatusCode};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// `next` after sign-in never leaves the site, whatever a browser would make of it, and never breaks the answer.
async fn sign_in_never_redirects_off_the_site(db: Db) {
    let app = TestApp::spawn(db).await;
    let user = app.create_org_admin("Acme", "ada@acme.fi").await;
    for next in ["/\t/evil.example/", "/\n/evil.example/", "//evil.example", "/\\evil.example", "/\r\nX-Evil: 1"] {
        let res =
            app.post_form("/login", &[("email", &user.email), ("password", &user.password), ("next", next)]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(location(&res), "/candidates", "{next:?}");
        app.logout().await;
    }
    let res = app.get("/login?next=/%09/evil.example/").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(!res.text().await.unwrap().contains("evil.example"));
}

/// NUL bytes and control characters: ids that cannot exist are 404, text is a field error, search answers.
async fn nul_bytes_and_control_characters(db: Db) {
    let mut app = TestApp::spawn(db).await;
    let c = candidate(&mut app).await;
    let token = c.api_token.clone();
    app.new_browser();
    app.login(&c.recruiter).await;

    for path in ["/candidates/ab%00cd", "/invitations/ab%00cd/answers", "/interviews/%00/edit", "/candidates/%FF%FE"] {
        assert_eq!(app.get(path).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
    for path in ["/candidates/ab%00cd", "/invitations/%00", "/interviews/%FF"] {
        let res = app.api(Method::GET, path, &token).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found");
    }
    // Ids in query strings and JSON bodies.
    let res = app.get("/invitations/new?to=internal&candidate_id=ab%00cd").await;
    assert!(res.status().is_client_error() || res.status().is_success(), "{}", res.status());
    let body = json!({"candidate_id": "ab\u{0}cd", "email": "x@example.fi", "language": "en",
                      "interview_id": "zz\u{0}", "deadline": "2099-12-31"});
    let res = app.api(Method::POST, "/invitations", &token).json(&body).send().await.unwrap();
    assert!(
        res.status() == StatusCode::NOT_FOUND || res.status() == StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        res.status()
    );
    let res = app.api(Method::GET, "/candidates?after=ab%00cd", &token).send().await.unwrap();
    assert!(res.status().is_client_error() || res.status().is_success(), "{}", res.status());
    assert_ne!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);

    // Search never errors (FTS5 on SQLite, text on PostgreSQL).
    for q in ["a%00b", "%00", "Sa%00ga", "%E2%80%8B"] {
        assert_eq!(app.get(&format!("/candidates/suggest?q={q}")).await.status(), StatusCode::OK, "{q}");
        let res = app.api(Method::GET, &format!("/candidates?q={q}"), &token).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{q}");
        assert_eq!(app.get(&format!("/invitations?q={q}")).await.status(), StatusCode::OK, "{q}");
    }

    // Text: comments, a copy's name, candidates' notes on an answer.
    let res = app
        .post_form(
            &format!("/invitations/{}/comments", c.invitation_id),
            &[("subject", "overall"), ("body", "bad\u{0}")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app.post_form(&format!("/interviews/{}/clone", c.interview_id), &[("name", "Copy\u{0}")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app.post_form(&format!("/interviews/{}/clone", c.interview_id), &[("name", "\u{200B}\u{2060}")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Names made only of invisible characters, or that turn text around.
    for name in ["\u{200B}\u{200B}", "\u{202E}\u{200D}", "Ann\u{202E}evil"] {
        let body = json!({"first_name": name, "last_name": "Lind", "email": "inv@example.fi"});
        let res = app.api(Method::POST, "/candidates", &token).json(&body).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{name:?}");
        let res = app
            .post_form("/candidates", &[("first_name", name), ("last_name", "Lind"), ("email", "inv@example.fi")])
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{name:?}");
    }

    // Signing in with a NUL in the email: refused, not an error.
    app.new_browser();
    let res = app.login_with("ada\u{0}@acme.fi", "whatever password").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // A candidate's notes with control characters.
    app.new_browser();
    assert_eq!(app.get(&c.link).await.status(), StatusCode::OK);
    let take = upload_complete_take(&app, &c, &c.questions[0], 7).await;
    let res = keep(&app, &c, &c.questions[0], &take, Some("notes\u{0}")).await;
    assert!(res.status().is_client_error(), "{}", res.status());
    let _ = take_id(&take);
}

/// Refusals the framework makes look like the rest: a huge body announced to the API is refused at once (JSON
/// 413), an over-limit form gets the error page, a malformed JSON body gets the API's error.
async fn oversized_and_malformed_bodies(db: Db) {
    let mut app = TestApp::spawn(db).await;
    let c = candidate(&mut app).await;

    // Announce a gigabyte, send nothing: the answer comes at once.
    let mut stream = tokio::net::TcpStream::connect(app.address.trim_start_matches("http://")).await.unwrap();
    let request = format!(
        "POST /api/v1/candidates HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\n\
         Content-Length: 1000000000\r\n\r\n{{",
        c.api_token
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(std::time::Duration::from_secs(3), stream.read(&mut answer))
        .await
        .expect("answered before the body")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("\"too_large\""), "{answer}");

    // A form larger than the limit: the error page, not plain text.
    app.new_browser();
    app.login(&c.recruiter).await;
    let notes = "n".repeat(3 * 1024 * 1024);
    let res = app
        .post_form(
            "/candidates",
            &[("first_name", "Big"), ("last_name", "Notes"), ("email", "b@example.fi"), ("notes", &notes)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert_eq!(texts(&res.text().await.unwrap(), "h1"), vec!["Too large"]);

    // Malformed JSON and the wrong content type: the API's JSON error with the right status.
    let res = app
        .api(Method::POST, "/candidates", &c.api_token)
        .header("content-type", "application/json")
        .body("{\"first_name\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.json::<serde_json::Value>().await.unwrap()["error"]["message"].is_string());
    let res = app.api(Method::POST, "/candidates", &c.api_token).body("first_name=x").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(res.json::<serde_json::Value>().await.unwrap()["error"]["code"].is_string());
}

/// Time zones: the list's names in any case are kept in the list's spelling; others are refused, never replaced.
async fn time_zones_are_canonical_or_refused(db: Db) {
    let app = TestApp::spawn(db).await;
    let user = app.create_org_admin("Acme", "ada@acme.fi").await;
    app.login(&user).await;
    let save = |tz: &'static str| {
        let app = &app;
        async move {
            app.post_form(
                "/settings",
                &[
                    ("name", "Acme"),
                    ("timezone", tz),
                    ("language", "en"),
                    ("reminder_days", "2"),
                    ("retention_months", "12"),
                ],
            )
            .await
        }
    };
    for bad in ["Etc/GMT+5", "EST5EDT", "Mars/Olympus", ""] {
        assert_eq!(save(bad).await.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    assert_eq!(save("europe/helsinki").await.status(), StatusCode::SEE_OTHER);
    let org = candor::store::orgs::get(&app.store, &user.org_id).await.unwrap();
    assert_eq!(org.timezone, "Europe/Helsinki");
}

/// Keeping an answer on a link that no longer takes answers says why.
async fn keeping_on_a_closed_link_gives_the_real_reason(db: Db) {
    let mut app = TestApp::spawn(db).await;
    let c = candidate(&mut app).await;
    let take = upload_complete_take(&app, &c, &c.questions[0], 3).await;
    let res =
        app.api(Method::POST, &format!("/invitations/{}/disable", c.invitation_id), &c.api_token).send().await.unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    let res = keep(&app, &c, &c.questions[0], &take, None).await;
    assert_eq!(res.status(), StatusCode::GONE);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"], "This video interview link is no longer active.");
}

both!(
    sign_in_never_redirects_off_the_site,
    nul_bytes_and_control_characters,
    oversized_and_malformed_bodies,
    time_zones_are_canonical_or_refused,
    keeping_on_a_closed_link_gives_the_real_reason
);
