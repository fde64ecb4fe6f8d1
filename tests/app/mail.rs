use crate::both;
use crate::helpers::{Db, SmtpServer, TestApp, free_port};
use std::time::Duration;

/// With the SMTP server down, emails stay queued; once it is back each is delivered exactly once.
async fn mail_outage_then_exactly_once_delivery(db: Db) {
    let port = free_port();
    let url = format!("smtp://127.0.0.1:{port}?tls=none");
    let app = TestApp::spawn_with(db, |c| c.smtp_url = Some(url)).await;
    let admin = app.create_org_admin("Acme", "ada@acme.fi").await;
    app.login(&admin).await;
    for i in 0..3 {
        let email = format!("new{i}@acme.fi");
        app.post_form("/users", &[("name", "New User"), ("email", &email), ("role", "recruiter")]).await;
    }
    assert_eq!(app.run_pending_jobs().await, 3);
    assert!(candor::store::mail_log::list(&app.store, &admin.org_id, 10).await.unwrap().is_empty());
    let queued = candor::store::jobs::list(&app.store, &admin.org_id, Some("queued"), 10).await.unwrap();
    assert_eq!(queued.len(), 3, "still queued after the failed attempt");
    assert!(queued[0].last_error.as_deref().unwrap().contains("SMTP"));

    let smtp = SmtpServer::start_on(port).await;
    app.store.clock.advance(Duration::from_secs(10));
    assert_eq!(app.run_pending_jobs().await, 3);
    app.store.clock.advance(Duration::from_secs(3600));
    assert_eq!(app.run_pending_jobs().await, 0);
    let mut to: Vec<String> = smtp.messages().into_iter().flat_map(|m| m.rcpt_to).collect();
    to.sort();
    assert_eq!(to, vec!["new0@acme.fi", "new1@acme.fi", "new2@acme.fi"]);
}

/// Names and organization names are escaped in the HTML part; the text part carries them as typed.
async fn emails_escape_what_people_typed(db: Db) {
    let smtp = SmtpServer::start().await;
    let url = smtp.url();
    let app = TestApp::spawn_with(db, |c| c.smtp_url = Some(url)).await;
    let admin = app.create_org_admin("Acme <b>& Co</b>", "ada@acme.fi").await;
    app.login(&admin).await;
    let evil = "<img src=x onerror=alert(1)>";
    app.post_form("/users", &[("name", evil), ("email", "evil@acme.fi"), ("role", "recruiter")]).await;
    app.run_pending_jobs().await;
    let mail = smtp.messages().pop().unwrap();
    assert!(!mail.html.contains("<img") && mail.html.contains("&#60;img src=x onerror=alert(1)&#62;"), "{}", mail.html);
    assert!(mail.html.contains("Acme &#60;b&#62;&#38; Co&#60;/b&#62;"));
    assert!(mail.text.contains(evil));
    assert!(mail.bcc_header.is_none());
}

both!(mail_outage_then_exactly_once_delivery, emails_escape_what_people_typed);
