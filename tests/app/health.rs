use crate::both;
use crate::helpers::{Db, TestApp};
use reqwest::StatusCode;

async fn healthz_metrics_and_first_start(db: Db) {
    let app = TestApp::spawn(db).await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().contains_key("x-request-id"));

    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("candor_http_requests_total"), "{metrics}");
    assert!(metrics.contains("candor_jobs{status=\"queued\"}"), "{metrics}");

    // No organization yet: a one-time setup link exists and nothing else is reachable without an account.
    let link = app.setup_link.clone().expect("a setup link on first start");
    assert!(link.starts_with(&app.address));
    let res = app.get("/candidates").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(crate::helpers::location(&res), "/login?next=%2Fcandidates");
    assert_eq!(app.get("/no/such/page").await.status(), StatusCode::NOT_FOUND);
}

async fn graceful_shutdown_finishes_and_closes(db: Db) {
    let mut app = TestApp::spawn(db).await;
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    app.stop().await;
    assert!(reqwest::get(app.url("/healthz")).await.is_err(), "the port is closed after shutdown");
}

both!(healthz_metrics_and_first_start, graceful_shutdown_finishes_and_closes);
