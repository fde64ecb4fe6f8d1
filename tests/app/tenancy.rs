use crate::both;
use crate::helpers::{Db, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::json;

/// A user and a token of organization B get 404 for every candidate route with organization A's ids, and never see
/// A's candidates, mail or jobs.
async fn another_organization_sees_nothing(db: Db) {
    let mut app = TestApp::spawn(db).await;
    let a = app.create_org_admin("Org A", "admin@a.example").await;
    let b = app.create_org_admin("Org B", "admin@b.example").await;
    app.login(&a).await;
    let id = app.add_candidate("Secret", "Candidate", "secret@a.example").await;
    app.post_form("/users", &[("name", "New A"), ("email", "new@a.example"), ("role", "recruiter")]).await;
    app.run_pending_jobs().await;
    let token_b = app.api_token(&b).await;

    app.new_browser();
    app.login(&b).await;
    for path in [format!("/candidates/{id}"), format!("/candidates/{id}/edit"), format!("/candidates/{id}/delete")] {
        assert_eq!(app.get(&path).await.status(), StatusCode::NOT_FOUND, "GET {path}");
    }
    let fields = [("first_name", "Hacked"), ("last_name", "X"), ("email", "hacked@b.example")];
    assert_eq!(app.post_form(&format!("/candidates/{id}"), &fields).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.post_form(&format!("/candidates/{id}/delete"), &[]).await.status(), StatusCode::NOT_FOUND);
    assert!(!app.get_html("/candidates").await.contains("Secret"));
    assert!(!app.get_html("/candidates?q=secr").await.contains("Secret"));
    assert!(!app.get("/candidates/suggest?q=secret").await.text().await.unwrap().contains("Secret"));
    assert!(!app.get_html("/outbox").await.contains("new@a.example"));
    let users_a = candor::store::users::list(&app.store, &a.org_id).await.unwrap();
    let new_a = users_a.iter().find(|u| u.email == "new@a.example").unwrap();
    assert_eq!(
        app.post_form(&format!("/users/{}/active", new_a.id), &[("active", "0")]).await.status(),
        StatusCode::NOT_FOUND
    );
    let mail_a = candor::store::mail_log::list(&app.store, &a.org_id, 10).await.unwrap();
    assert_eq!(app.get(&format!("/outbox/{}", mail_a[0].id)).await.status(), StatusCode::NOT_FOUND);

    for method in [Method::GET, Method::DELETE] {
        let res = app.api(method.clone(), &format!("/candidates/{id}"), &token_b).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{method} with B's token");
    }
    let res = app
        .api(Method::PATCH, &format!("/candidates/{id}"), &token_b)
        .json(&json!({"first_name": "Hacked"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let list: serde_json::Value =
        app.api(Method::GET, "/candidates?q=secret", &token_b).send().await.unwrap().json().await.unwrap();
    assert!(list["items"].as_array().unwrap().is_empty());
    let list: serde_json::Value =
        app.api(Method::GET, "/candidates", &token_b).send().await.unwrap().json().await.unwrap();
    assert!(list["items"].as_array().unwrap().is_empty());

    // The same email may be a candidate in both organizations.
    let res = app
        .api(Method::POST, "/candidates", &token_b)
        .json(&json!({"first_name": "Also", "last_name": "Here", "email": "secret@a.example"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    // A's candidate is untouched.
    let c = candor::store::candidates::get(&app.store, &a.org_id, &id).await.unwrap();
    assert_eq!(c.first_name, "Secret");
}

both!(another_organization_sees_nothing);
