use crate::both;
use crate::helpers::{Db, TestApp, texts};
use candor::store::jobs::{self, NewJob};
use std::time::Duration;

async fn enqueue(app: &TestApp, job: NewJob) -> String {
    let mut conn = app.store_conn().await;
    jobs::enqueue(&mut conn, &app.store, &job).await.unwrap()
}

impl TestApp {
    async fn store_conn(&self) -> sqlx::pool::PoolConnection<sqlx::Any> {
        // Tests enqueue outside a use case; production code always enqueues inside one.
        let pool = sqlx::AnyPool::connect(&self.database_url).await.unwrap();
        pool.acquire().await.unwrap()
    }
}

async fn exactly_one_claimer_wins(db: Db) {
    let app = TestApp::spawn(db).await;
    for i in 0..40 {
        enqueue(&app, NewJob::new("noop", None, serde_json::json!({ "i": i }))).await;
    }
    // Four claimers race for forty jobs, two one at a time and two in batches of three: every job is claimed once,
    // none twice, and a batch is never larger than asked for.
    let mut handles = Vec::new();
    for c in 0..4 {
        let store = app.store.clone();
        handles.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let batch =
                    jobs::claim_many(&store, 60_000, if c % 2 == 0 { 1 } else { 3 }, jobs::Lane::All).await.unwrap();
                assert!(batch.len() <= if c % 2 == 0 { 1 } else { 3 }, "claimed {} jobs", batch.len());
                if batch.is_empty() {
                    break;
                }
                mine.extend(batch.into_iter().map(|j| j.id));
            }
            mine
        }));
    }
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.await.unwrap());
    }
    let n = all.len();
    all.sort();
    all.dedup();
    assert_eq!((n, all.len()), (40, 40));
    assert!(jobs::claim(&app.store, 60_000).await.unwrap().is_none());

    // A lease that runs out lets another worker take the job over.
    app.store.clock.advance(Duration::from_secs(61));
    let again = jobs::claim(&app.store, 60_000).await.unwrap().expect("an expired lease is claimable");
    assert_eq!(again.attempts, 2);
}

async fn failures_back_off_then_die_keeping_the_error(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.create_org_admin("Acme", "ada@acme.fi").await;
    let mut job = NewJob::new("no_such_kind", Some(&admin.org_id), serde_json::json!({}));
    job.max_attempts = 3;
    let id = enqueue(&app, job).await;

    assert_eq!(app.run_pending_jobs().await, 1);
    assert_eq!(app.run_pending_jobs().await, 0, "not due again before the backoff");
    app.store.clock.advance(Duration::from_secs(6));
    assert_eq!(app.run_pending_jobs().await, 1);
    app.store.clock.advance(Duration::from_secs(6));
    assert_eq!(app.run_pending_jobs().await, 0, "the second backoff is longer");
    app.store.clock.advance(Duration::from_secs(5));
    assert_eq!(app.run_pending_jobs().await, 1);
    app.store.clock.advance(Duration::from_secs(3600));
    assert_eq!(app.run_pending_jobs().await, 0, "dead after three attempts");

    let listed = jobs::list(&app.store, &admin.org_id, Some("dead"), 10).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, id);
    assert!(listed[0].last_error.as_deref().unwrap().contains("unknown job kind"));

    app.login(&admin).await;
    let page = app.get_html("/jobs?status=dead").await;
    assert!(texts(&page, "tr.job-dead td").iter().any(|t| t.contains("unknown job kind")));
    let res = app.post_form(&format!("/jobs/{id}/retry"), &[]).await;
    assert_eq!(res.status(), reqwest::StatusCode::SEE_OTHER);
    assert_eq!(app.run_pending_jobs().await, 1, "a retried job runs again");
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("candor_jobs_total{kind=\"no_such_kind\",outcome=\"dead\"}"), "{metrics}");
}

/// A running job's lease is renewed while it runs, so it is never taken over; a crashed worker's job (no renewal)
/// is taken over within about a minute.
async fn leases_are_renewed_while_a_job_runs(db: Db) {
    let app = TestApp::spawn(db).await;
    enqueue(&app, NewJob::new("noop", None, serde_json::json!({}))).await;
    let lease = candor::jobs::LEASE_MS;
    assert!(lease <= 60_000, "a crashed node's jobs resume within a minute");
    let job = jobs::claim(&app.store, lease).await.unwrap().unwrap();
    for _ in 0..5 {
        app.store.clock.advance(Duration::from_millis(lease as u64 / 2));
        jobs::renew_leases(&app.store, std::slice::from_ref(&job.id), lease).await.unwrap();
        assert!(jobs::claim(&app.store, lease).await.unwrap().is_none(), "a renewed lease is not taken over");
    }
    app.store.clock.advance(Duration::from_millis(lease as u64 + 1000));
    let again = jobs::claim(&app.store, lease).await.unwrap().expect("taken over once renewals stop");
    assert_eq!(again.id, job.id);
}

both!(exactly_one_claimer_wins, failures_back_off_then_die_keeping_the_error, leases_are_renewed_while_a_job_runs);
