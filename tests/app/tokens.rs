//! API tokens on a page: made with a name and shown once, last use shown, revoked at once; each user manages their
//! own and admins every one of the organization; both in the audit log.

use crate::both;
use crate::helpers::{Db, TestApp, texts};
use reqwest::{Method, StatusCode};

fn new_token(html: &str) -> String {
    let at = html.find("id=\"new-token\">").expect("the new token on the page") + "id=\"new-token\">".len();
    html[at..].split('<').next().unwrap().to_owned()
}

async fn token_id(app: &TestApp, name: &str) -> String {
    let pool = sqlx::AnyPool::connect(&app.database_url).await.unwrap();
    let (id,): (String,) =
        sqlx::query_as("SELECT id FROM api_tokens WHERE name = $1").bind(name).fetch_one(&pool).await.unwrap();
    pool.close().await;
    id
}

async fn tokens_made_used_and_revoked(db: Db) {
    let app = TestApp::spawn(db).await;
    let ada = app.create_org_admin("Acme", "ada@acme.fi").await;
    let carl = app.create_org_user("Acme", "carl@acme.fi", "recruiter").await;
    app.login(&ada).await;
    let res = app.post_form("/tokens", &[("name", "Ada's script")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let adas = new_token(&res.text().await.unwrap());
    app.logout().await;

    app.login(&carl).await;
    let html = app.get_html("/tokens").await;
    assert!(html.contains("No tokens yet"), "another user's tokens are not shown");
    let res = app.post_form("/tokens", &[("name", "  ")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("Name the token"));
    let res = app.post_form("/tokens", &[("name", "HR <system>")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    let token = new_token(&html);
    assert!(html.contains("HR &") && !html.contains("<system>"), "the name is escaped");
    assert_eq!(texts(&app.get_html("/tokens").await, "tbody tr")[0].matches("Never").count(), 1);
    let res = app.api(Method::GET, "/interviews", &token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let rows = texts(&app.get_html("/tokens").await, "tbody tr");
    assert!(!rows[0].contains("Never"), "last used shown: {rows:#?}");
    // Someone else's token: not found, and it keeps working.
    let adas_id = token_id(&app, "Ada's script").await;
    let res = app.post_form(&format!("/tokens/{adas_id}/revoke"), &[]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.api(Method::GET, "/interviews", &adas).send().await.unwrap().status(), StatusCode::OK);
    app.logout().await;

    // The admin sees every token and revokes Carl's: refused at once.
    app.login(&ada).await;
    let html = app.get_html("/tokens").await;
    let rows = texts(&html, "tbody tr");
    assert_eq!(rows.len(), 2, "{rows:#?}");
    assert!(rows.iter().any(|r| r.contains("carl@acme.fi")));
    let carls_id = token_id(&app, "HR <system>").await;
    let res = app.post_form(&format!("/tokens/{carls_id}/revoke"), &[]).await;
    assert!(res.status().is_redirection());
    assert_eq!(app.api(Method::GET, "/interviews", &token).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert_eq!(app.api(Method::GET, "/interviews", &adas).send().await.unwrap().status(), StatusCode::OK);
    let log = texts(&app.get_html("/audit").await, "tbody tr");
    assert!(log.iter().any(|r| r.contains("API token revoked") && r.contains("carl@acme.fi")), "{log:#?}");
    assert_eq!(log.iter().filter(|r| r.contains("API token created")).count(), 2, "{log:#?}");
    // Another organization's admin sees none of them.
    let eve = app.create_org_admin("Other", "eve@other.example").await;
    app.logout().await;
    app.login(&eve).await;
    assert!(app.get_html("/tokens").await.contains("No tokens yet"));
    let res = app.post_form(&format!("/tokens/{adas_id}/revoke"), &[]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

both!(tokens_made_used_and_revoked);
