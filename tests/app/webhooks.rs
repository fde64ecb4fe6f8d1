//! Webhooks: endpoints registered by admins, each event delivered once per state change and signed so the Standard
//! Webhooks reference library (`standardwebhooks` from PyPI) verifies it; failures retried, an endpoint failing for
//! a day switched off with an email to the admins; internal addresses refused unless the operator allows them.

use crate::both;
use crate::helpers::{Db, TestApp, free_port};
use crate::review::{RECORDED, keep_recording};
use crate::uploads::{another_invitation, candidate};
use reqwest::{Method, StatusCode};
use std::path::PathBuf;
use std::time::Duration;

/// The Python receiver: verifies each delivery with `standardwebhooks` and logs it.
struct Receiver {
    port: u16,
    dir: tempfile::TempDir,
    child: std::process::Child,
}

impl Receiver {
    async fn start() -> Receiver {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/webhook_receiver.py");
        let child = std::process::Command::new("python3")
            .arg(script)
            .arg(port.to_string())
            .arg(dir.path().join("secret"))
            .arg(dir.path().join("status"))
            .arg(dir.path().join("log"))
            .spawn()
            .expect("python3 with standardwebhooks (pip install standardwebhooks)");
        let receiver = Receiver { port, dir, child };
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return receiver;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the webhook receiver did not start");
    }

    fn set(&self, file: &str, value: &str) {
        std::fs::write(self.dir.path().join(file), value).unwrap();
    }

    /// Every delivery received: (verified by the library, webhook-id, body).
    fn received(&self) -> Vec<(bool, String, serde_json::Value)> {
        std::fs::read_to_string(self.dir.path().join("log"))
            .unwrap_or_default()
            .lines()
            .map(|l| {
                let e: serde_json::Value = serde_json::from_str(l).unwrap();
                let body = serde_json::from_str(e["body"].as_str().unwrap()).unwrap_or_default();
                (e["verified"].as_bool().unwrap(), e["id"].as_str().unwrap_or("").to_owned(), body)
            })
            .collect()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const ALL: [&str; 7] = [
    "invitation.created",
    "invitation.opened",
    "invitation.started",
    "invitation.completed",
    "invitation.expired",
    "invitation.withdrawn",
    "invitation.decided",
];

async fn add_endpoint(app: &TestApp, url: &str, events: &[&str]) -> reqwest::Response {
    let mut fields = vec![("url", url)];
    fields.extend(events.iter().map(|e| ("events", *e)));
    app.post_form("/webhooks", &fields).await
}

async fn events_are_delivered_once_signed_and_retried(db: Db) {
    let rx = Receiver::start().await;
    let mut app = TestApp::spawn_with(db, |c| {
        c.webhooks.allow_http = true;
        c.webhooks.allow_private = true;
    })
    .await;
    let mut c = candidate(&mut app).await;
    app.new_browser();
    app.login(&c.recruiter).await;
    // Bad input: field by field, nothing stored.
    let res = add_endpoint(&app, "ftp://example.com/x", &[]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("Enter the full address") && html.contains("Choose at least one event."));
    assert!(
        add_endpoint(&app, "https://x.example/", &["invitation.nope"])
            .await
            .text()
            .await
            .unwrap()
            .contains("Unknown event")
    );
    let url = format!("http://127.0.0.1:{}/hook", rx.port);
    let res = add_endpoint(&app, &url, &ALL).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let endpoint = &candor::store::webhooks::endpoints(&app.store, &c.recruiter.org_id).await.unwrap()[0];
    assert!(endpoint.secret.starts_with("whsec_"));
    rx.set("secret", &endpoint.secret);

    // A new invitation, opened twice, consented, answered, decided twice: each change once.
    let inv = another_invitation(&mut app, &c).await;
    app.get(&inv.link).await;
    keep_recording(&app, &inv, 0, RECORDED).await;
    keep_recording(&app, &inv, 1, RECORDED).await;
    for _ in 0..2 {
        let res = app
            .api(Method::PUT, &format!("/invitations/{}/decision", inv.invitation_id), &c.api_token)
            .json(&serde_json::json!({"decision": "advance"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    }
    // Another one withdrawn, and a third that expires.
    c = another_invitation(&mut app, &c).await;
    assert!(app.post_form(&format!("{}/withdraw", c.link), &[]).await.status().is_redirection());
    // A third whose deadline passes.
    let org = candor::store::orgs::get(&app.store, &c.recruiter.org_id).await.unwrap();
    let today = candor::domain::today_in(&org.tz(), app.store.now());
    let res = app
        .api(Method::POST, "/invitations", &c.api_token)
        .json(&serde_json::json!({"candidate": {"first_name": "Ode", "last_name": "Late", "email": "ode@example.se"},
            "interview_id": c.interview_id, "deadline": today.to_string()}))
        .send()
        .await
        .unwrap();
    let expiring = res.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    app.store.clock.advance(Duration::from_secs(2 * 24 * 3600));
    app.state.worker.run_maintenance().await.unwrap();
    app.run_pending_jobs().await;
    let received = rx.received();
    assert!(received.iter().all(|(ok, _, _)| *ok), "every delivery verifies with standardwebhooks: {received:?}");
    let of = |id: &str| -> Vec<String> {
        rx.received()
            .iter()
            .filter(|(_, _, b)| b["data"]["invitation"]["id"] == id)
            .map(|(_, _, b)| b["type"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        of(&inv.invitation_id),
        ["invitation.created", "invitation.opened", "invitation.started", "invitation.completed", "invitation.decided"]
    );
    assert_eq!(of(&c.invitation_id), ["invitation.created", "invitation.opened", "invitation.withdrawn"]);
    assert_eq!(of(&expiring), ["invitation.created", "invitation.expired"]);
    let completed = received.iter().find(|(_, _, b)| b["type"] == "invitation.completed").unwrap();
    let data = &completed.2["data"];
    assert_eq!(data["candidate"]["email"], "saga@example.se");
    assert_eq!(data["interview"]["id"], c.interview_id.as_str());
    assert_eq!(data["organization"]["id"], c.recruiter.org_id.as_str());
    assert!(data["answers_url"].as_str().unwrap().ends_with(&format!("/invitations/{}/answers", inv.invitation_id)));
    assert!(completed.1.starts_with("msg_"));
    let decided = received.iter().find(|(_, _, b)| b["type"] == "invitation.decided").unwrap();
    assert_eq!(decided.2["data"]["invitation"]["decision"], "advance");

    // The endpoint fails: retried later with the same message id, and delivered once it answers again.
    rx.set("status", "500");
    let before = rx.received().len();
    let failing = another_invitation(&mut app, &c).await;
    app.run_pending_jobs().await;
    app.new_browser();
    app.login(&c.recruiter).await;
    let after: Vec<_> = rx.received()[before..].to_vec();
    assert!(!after.is_empty());
    let page = app.get_html(&format!("/webhooks/{}", endpoint.id)).await;
    assert!(page.contains("Failed; will retry") && page.contains("<td>500</td>"), "{page}");
    rx.set("status", "200");
    app.store.clock.advance(Duration::from_secs(30));
    app.run_pending_jobs().await;
    let retried: Vec<_> = rx.received()[before..].iter().map(|(_, id, _)| id.clone()).collect();
    assert!(retried.len() > after.len());
    assert!(retried.iter().filter(|id| **id == after[0].1).count() >= 2, "a retry carries the same webhook-id");
    assert!(app.get_html(&format!("/webhooks/{}", endpoint.id)).await.contains("Delivered"));
    let _ = failing;

    // Delivered again from the log, and a test event: new message ids, verified.
    let deliveries =
        candor::store::webhooks::deliveries(&app.store, &c.recruiter.org_id, &endpoint.id, 100).await.unwrap();
    let n = rx.received().len();
    let again = format!("/webhooks/{}/deliveries/{}/redeliver", endpoint.id, deliveries[0].id);
    assert!(app.post_form(&again, &[]).await.status().is_redirection());
    assert!(app.post_form(&format!("/webhooks/{}/test", endpoint.id), &[]).await.status().is_redirection());
    app.run_pending_jobs().await;
    let new: Vec<_> = rx.received()[n..].to_vec();
    assert_eq!(new.len(), 2);
    assert!(new.iter().all(|(ok, id, _)| *ok && !id.is_empty()));
    assert!(new.iter().any(|(_, _, b)| b["type"] == "webhook.test"));

    // Failing for a day: switched off, the admins told by email.
    rx.set("status", "503");
    let _late = another_invitation(&mut app, &c).await;
    app.run_pending_jobs().await;
    app.store.clock.advance(Duration::from_secs(25 * 3600));
    app.run_pending_jobs().await;
    let endpoint = candor::store::webhooks::endpoint(&app.store, &c.recruiter.org_id, &endpoint.id).await.unwrap();
    assert!(!endpoint.enabled && endpoint.disabled_reason.as_deref() == Some("Every delivery failed for a day."));
    app.run_pending_jobs().await;
    let told = app.outbox_files().iter().any(|p| {
        let m = std::fs::read_to_string(p).unwrap();
        m.contains("A webhook endpoint was switched off") && m.contains("ada@acme.fi")
    });
    assert!(told, "the admins were emailed");
    // Switched off: no more events queued for it.
    let queued =
        candor::store::webhooks::deliveries(&app.store, &c.recruiter.org_id, &endpoint.id, 1000).await.unwrap().len();
    another_invitation(&mut app, &c).await;
    assert_eq!(
        candor::store::webhooks::deliveries(&app.store, &c.recruiter.org_id, &endpoint.id, 1000).await.unwrap().len(),
        queued
    );

    // Another organization sees none of it; a recruiter who is not an admin is refused.
    let eve = app.create_org_admin("Other", "eve@other.example").await;
    app.new_browser();
    app.login(&eve).await;
    assert_eq!(app.get(&format!("/webhooks/{}", endpoint.id)).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.post_form(&format!("/webhooks/{}/test", endpoint.id), &[]).await.status(), StatusCode::NOT_FOUND);
    let rick = app.create_org_user("Acme", "rick@acme.fi", "recruiter").await;
    app.new_browser();
    app.login(&rick).await;
    assert_eq!(app.get("/webhooks").await.status(), StatusCode::FORBIDDEN);
}

/// Without the operator's leave: http endpoints are refused when registered, and deliveries to internal addresses
/// (loopback here) fail without a request being made.
async fn internal_addresses_are_refused(db: Db) {
    let rx = Receiver::start().await;
    let mut app = TestApp::spawn(db).await;
    let c = candidate(&mut app).await;
    app.new_browser();
    app.login(&c.recruiter).await;
    let res = add_endpoint(&app, &format!("http://127.0.0.1:{}/hook", rx.port), &ALL).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("Use an https:// address"));
    for host in ["127.0.0.1", "localhost", "169.254.169.254", "10.0.0.7", "[::1]"] {
        let res = add_endpoint(&app, &format!("https://{host}:{}/hook", rx.port), &["invitation.created"]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{host}");
    }
    rx.set("secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    another_invitation(&mut app, &c).await;
    app.run_pending_jobs().await;
    assert!(rx.received().is_empty(), "nothing reached the internal address");
    for e in candor::store::webhooks::endpoints(&app.store, &c.recruiter.org_id).await.unwrap() {
        let d = candor::store::webhooks::deliveries(&app.store, &c.recruiter.org_id, &e.id, 10).await.unwrap();
        assert_eq!(d.len(), 1);
        assert!(
            d[0].last_error.as_deref().unwrap_or("").contains("internal address"),
            "{}: {:?}",
            e.url,
            d[0].last_error
        );
        assert_eq!(d[0].response_code, None);
    }
}

both!(events_are_delivered_once_signed_and_retried, internal_addresses_are_refused);
