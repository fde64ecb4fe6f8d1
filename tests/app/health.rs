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
    if db == Db::Sqlite {
        // SQLite's own counters (the recorder is the process's, so the PostgreSQL run may see the SQLite runs' ones).
        let used = crate::helpers::gauge(&metrics, "candor_sqlite_memory_bytes").expect("SQLite's memory");
        let highest = crate::helpers::gauge(&metrics, "candor_sqlite_memory_highest_bytes").expect("its most");
        assert!(used > 0.0 && highest >= used, "{used} {highest}");
    }
    // The heap's figures come from the `candor` binary only (multinode.rs reads them from its nodes).
    assert_eq!(crate::helpers::gauge(&metrics, "candor_heap_allocated_bytes"), None);

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
