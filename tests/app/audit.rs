//! The audit log: security-relevant actions recorded with who did them and without secrets, shown to the
//! organization's admins only, filtered and paged, and exported as a formula-neutralized CSV.

use crate::both;
use crate::helpers::{Db, TestApp, texts};
use candor::store::audit;
use reqwest::{Method, StatusCode};

async fn audit_log_records_and_shows(db: Db) {
    let app = TestApp::spawn(db).await;
    let ada = app.create_org_admin("Acme", "ada@acme.fi").await;
    // A wrong password, then the right one.
    let res = app.login_with("ada@acme.fi", "not the password").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    app.login(&ada).await;
    // A user invited and deactivated.
    let res = app.post_form("/users", &[("name", "Bob Berg"), ("email", "bob@acme.fi"), ("role", "recruiter")]).await;
    assert!(res.status().is_redirection(), "{}", res.status());
    let users: Vec<audit::Entry> =
        audit::list(&app.store, &ada.org_id, &audit::Filter { limit: 10, ..Default::default() }).await.unwrap();
    let bob_id = users[0].detail["user_id"].as_str().expect("the invited user's id").to_owned();
    let res = app.post_form(&format!("/users/{bob_id}/active"), &[("active", "0")]).await;
    assert!(res.status().is_redirection());
    // An invitation deleted.
    let token = app.api_token(&ada).await;
    let interview = crate::candidate::new_interview(&app, &token, "Support", "").await;
    let (invitation, _) = crate::candidate::invite(&app, &token, &interview, "sv", "2099-12-31").await;
    let res = app.api(Method::DELETE, &format!("/invitations/{invitation}"), &token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    let html = app.get_html("/audit").await;
    let page = texts(&html, "tbody tr");
    for action in ["Sign-in failed", "Signed in", "User invited", "User deactivated", "Invitation deleted"] {
        assert!(page.iter().any(|r| r.contains(action)), "{action} in {page:#?}");
    }
    assert!(page.iter().any(|r| r.contains("An invitation to Support")), "{page:#?}");
    assert!(!html.contains("Saga") && !html.contains("saga@"), "no candidate's personal data in the log");
    assert!(!html.contains("not the password"), "no password is ever recorded");
    // Newest first.
    assert!(page[0].contains("Invitation deleted"), "{page:#?}");
    // Filtered by action and by user.
    let failed = texts(&app.get_html("/audit?action=sign_in_failed").await, "tbody tr");
    assert_eq!(failed.len(), 1, "{failed:#?}");
    assert!(failed[0].contains("wrong password") && failed[0].contains("ada@acme.fi"));
    let by_ada = texts(&app.get_html(&format!("/audit?user={}", ada.user_id)).await, "tbody tr");
    assert_eq!(by_ada.len(), page.len(), "every entry so far is Ada's");
    // Dates are the organization's days: nothing tomorrow, everything today.
    let today = jiff::Timestamp::from_millisecond(app.store.now_ms())
        .unwrap()
        .to_zoned_datetime(jiff::tz::TimeZone::get("Europe/Helsinki").unwrap())
        .date();
    let tomorrow = today.tomorrow().unwrap();
    assert_eq!(texts(&app.get_html(&format!("/audit?from={tomorrow}")).await, "tbody tr").len(), 0);
    assert_eq!(texts(&app.get_html(&format!("/audit?from={today}&to={today}")).await, "tbody tr").len(), page.len());
    let bad = app.get_html("/audit?from=someday").await;
    assert!(bad.contains("The from date is not a date"), "a clear message for a bad date");

    // Pages of 100, keyset.
    for i in 0..150 {
        let target = if i == 0 { "=HYPERLINK(\"http://evil.example\")".to_owned() } else { format!("target {i}") };
        let e = audit::NewEntry {
            org_id: &ada.org_id,
            user_id: Some(&ada.user_id),
            actor: "Ada",
            action: audit::SETTINGS_CHANGED,
            target: &target,
            detail: serde_json::json!({}),
            client: "",
        };
        audit::record(&app.store, &e).await.unwrap();
        app.store.clock.advance(std::time::Duration::from_millis(1));
    }
    let first = app.get_html("/audit").await;
    assert_eq!(texts(&first, "tbody tr").len(), 100);
    let at = first.find("after=").expect("a link to older entries");
    let after = first[at + 6..].split('"').next().unwrap().to_owned();
    let second = texts(&app.get_html(&format!("/audit?after={after}")).await, "tbody tr");
    assert_eq!(second.len(), 150 + page.len() - 100);
    assert!(second.last().unwrap().contains("Sign-in failed"), "the oldest entry ends the last page");
    // The CSV: every entry, a formula neutralized.
    let res = app.get("/audit.csv").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv = res.text().await.unwrap();
    assert_eq!(csv.lines().count(), 1 + 150 + page.len());
    assert!(csv.contains("'=HYPERLINK"), "formulas are neutralized");
    assert!(!csv.contains(",=HYPERLINK"));

    // Admins of this organization only.
    let eve = app.create_org_admin("Other", "eve@other.example").await;
    app.logout().await;
    app.login(&eve).await;
    let theirs = texts(&app.get_html("/audit").await, "tbody tr");
    assert!(theirs.iter().all(|r| !r.contains("acme.fi")), "{theirs:#?}");
    assert!(!app.get("/audit.csv").await.text().await.unwrap().contains("acme.fi"));
    let carl = app.create_org_user("Acme", "carl@acme.fi", "recruiter").await;
    app.logout().await;
    app.login(&carl).await;
    assert_eq!(app.get("/audit").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.get("/audit.csv").await.status(), StatusCode::FORBIDDEN);
}

both!(audit_log_records_and_shows);
