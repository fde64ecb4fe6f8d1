//! Reviewing a completed interview: recordings rewritten for seeking and served with ranges, ratings, comments,
//! share links, reminders and retention.

use crate::both;
use crate::helpers::{Db, TestApp};
use crate::uploads::{Candidate, Storage, candidate, create, header, keep, patch, spawn_on, stored, take_id};
use reqwest::StatusCode;
use std::time::Duration;

/// A six-second recording made by Chromium's MediaRecorder (VP8 + Opus, a key frame each second): no duration,
/// no cues, clusters of unknown size.
pub(crate) const RECORDED: &[u8] = include_bytes!("../fixtures/take.webm");

/// Uploads `bytes` as a take of question `q` in three PATCHes and keeps it; returns the take's id.
pub(crate) async fn keep_recording(app: &TestApp, c: &Candidate, q: usize, bytes: &[u8]) -> String {
    let upload = header(&create(app, c, &c.questions[q], None).await, "location");
    let (a, b) = (bytes.len() / 3, 2 * bytes.len() / 3);
    assert_eq!(patch(app, &upload, 0, &bytes[..a], None).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(patch(app, &upload, a, &bytes[a..b], None).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(patch(app, &upload, b, &bytes[b..], Some(bytes.len())).await.status(), StatusCode::NO_CONTENT);
    let take = take_id(&upload);
    assert_eq!(keep(app, c, &c.questions[q], &take, None).await.status(), StatusCode::OK);
    take
}

async fn a_kept_recording_is_rewritten_for_seeking(db: Db) {
    for storage in [Storage::Local, Storage::S3] {
        a_kept_recording_is_rewritten_for_seeking_on(db, storage).await;
    }
}

async fn a_kept_recording_is_rewritten_for_seeking_on(db: Db, storage: Storage) {
    let (mut app, _s3) = spawn_on(db, storage).await;
    let c = candidate(&mut app).await;
    let take = keep_recording(&app, &c, 0, RECORDED).await;
    let before = candor::store::takes::segments(&app.store, &take).await.unwrap();
    assert_eq!(before.len(), 3);
    assert_eq!(stored(&app, &take).await, RECORDED);

    app.run_pending_jobs().await;
    let after = candor::store::takes::segments(&app.store, &take).await.unwrap();
    assert_eq!(after.len(), 1, "one object once rewritten");
    let rewritten = stored(&app, &take).await;
    let summary = candor::media::webm::inspect(&rewritten).unwrap();
    let original = candor::media::webm::inspect(RECORDED).unwrap();
    assert!(summary.sizes_known);
    let duration = summary.duration_ms.unwrap();
    assert!((5_500.0..7_000.0).contains(&duration), "{duration}");
    assert!(summary.cues.len() >= 5, "{:?}", summary.cues);
    assert_eq!(summary.frames, original.frames, "the same frames, in the same order");

    // The replaced objects stay readable for a player still streaming them, then go.
    let old_key = &before[0].object_key;
    assert!(app.state.media.read_range(old_key, 0, 10).await.is_ok());
    app.store.clock.advance(Duration::from_millis(candor::store::takes::REPLACED_MEDIA_GRACE_MS as u64 + 1000));
    app.run_pending_jobs().await;
    assert!(app.state.media.read_range(old_key, 0, 10).await.is_err(), "replaced objects are deleted");

    // The recruiter plays the rewritten take with ranges, and sees its duration.
    app.new_browser();
    app.login(&c.recruiter).await;
    let media = format!("/invitations/{}/takes/{take}/media", c.invitation_id);
    let res = app.client.get(app.url(&media)).header("Range", "bytes=0-1023").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(header(&res, "content-range"), format!("bytes 0-1023/{}", rewritten.len()));
    assert_eq!(res.bytes().await.unwrap(), rewritten[..1024]);
    let page = app.get_html(&format!("/invitations/{}/answers", c.invitation_id)).await;
    assert!(page.contains("0:06"), "duration shown: {page}");

    // A second run of the job (a retry) finds nothing left to do.
    assert!(candor::store::takes::awaiting_remux(&app.store, &take).await.unwrap().is_none());
    assert!(!candor::store::takes::record_remux(&app.store, &take, Some(("elsewhere", 1)), None).await.unwrap());
    assert_eq!(stored(&app, &take).await, rewritten);
}

async fn a_recording_that_cannot_be_read_stays_as_recorded(db: Db) {
    let mut app = TestApp::spawn(db).await;
    let c = candidate(&mut app).await;
    // The WebM magic, then noise.
    let take = keep_recording(&app, &c, 0, &crate::uploads::webm(50_000, 9)).await;
    let bytes = stored(&app, &take).await;
    app.run_pending_jobs().await;
    assert_eq!(stored(&app, &take).await, bytes);
    let dead = candor::store::jobs::list(&app.store, &c.recruiter.org_id, Some("dead"), 10).await.unwrap();
    assert!(dead.is_empty(), "no job left failing: {dead:?}");
}

both!(a_kept_recording_is_rewritten_for_seeking, a_recording_that_cannot_be_read_stays_as_recorded);
