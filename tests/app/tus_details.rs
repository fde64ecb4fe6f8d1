//! The corners of the tus protocol that clients nobody here wrote depend on: method override, a repeated last
//! PATCH, tiny first pieces, refused bytes, a client that stalls mid-body.

use crate::both;
use crate::helpers::{Db, TestApp};
use crate::uploads::{candidate, create, header, patch, stored, streamed_patch, take_id, tus, webm};
use reqwest::{Method, StatusCode};
use std::time::Duration;

/// A short MP4 start: box size, then `ftyp`.
fn mp4(len: usize) -> Vec<u8> {
    let mut v = b"\0\0\0\x20ftypisom\0\0\x02\0isomiso2avc1mp41".to_vec();
    v.extend((0..len).map(|i| (i * 7 % 251) as u8));
    v.truncate(len);
    v
}

async fn method_override_and_a_repeated_last_patch(db: Db) {
    let mut app = TestApp::spawn(db).await;
    let c = candidate(&mut app).await;
    let upload = header(&create(&app, &c, &c.questions[0], Some(3000)).await, "location");
    let video = webm(3000, 4);
    // POST with X-HTTP-Method-Override is the method it names (tus core).
    let res = tus(&app, Method::POST, &upload)
        .header("X-HTTP-Method-Override", "PATCH")
        .header("Content-Type", "application/offset+octet-stream")
        .header("Upload-Offset", "0")
        .body(video[..1000].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = tus(&app, Method::POST, &upload).header("X-HTTP-Method-Override", "HEAD").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(&res, "upload-offset"), "1000");
    assert_eq!(patch(&app, &upload, 1000, &video[1000..], None).await.status(), StatusCode::NO_CONTENT);
    // The answer to the last PATCH was lost; the client sends an empty PATCH at the end: done, not a conflict.
    let res = patch(&app, &upload, 3000, &[], None).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&res, "upload-offset"), "3000");
    // Bytes after the end are still refused.
    assert_eq!(patch(&app, &upload, 3000, &[1, 2], None).await.status(), StatusCode::CONFLICT);
    assert_eq!(stored(&app, &take_id(&upload)).await, video);
}

async fn tiny_first_pieces_and_refused_bytes(db: Db) {
    let mut app = TestApp::spawn(db).await;
    let c = candidate(&mut app).await;
    // An MP4 whose first PATCH is 5 bytes: not enough to tell, but it could begin one.
    let upload = header(&create(&app, &c, &c.questions[0], None).await, "location");
    let video = mp4(5000);
    assert_eq!(patch(&app, &upload, 0, &video[..5], None).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(patch(&app, &upload, 5, &video[5..], Some(5000)).await.status(), StatusCode::NO_CONTENT);
    let take = candor::store::takes::get(&app.store, &c.invitation_id, &take_id(&upload)).await.unwrap();
    assert_eq!(take.container.as_deref(), Some("mp4"));
    assert_eq!(stored(&app, &take.id).await, video);

    // A take whose first bytes are not a recording: 415, and the take is given back (question 2 allows one).
    let upload = header(&create(&app, &c, &c.questions[1], None).await, "location");
    let res = patch(&app, &upload, 0, b"<html><body>not a video</body></html>", None).await;
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let again = create(&app, &c, &c.questions[1], None).await;
    assert_eq!(again.status(), StatusCode::CREATED, "the refused take did not use up the question's only take");
    // A short piece that cannot begin a recording is refused at once.
    let upload = header(&again, "location");
    assert_eq!(patch(&app, &upload, 0, b"<html", None).await.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

/// A client that stalls mid-body: others get 423 with Retry-After meanwhile; after a few seconds of silence the body
/// is cut, what arrived is kept, and the upload resumes from another connection.
async fn a_stalled_body_is_cut_and_keeps_what_arrived(db: Db) {
    let mut app = TestApp::spawn(db).await;
    let c = candidate(&mut app).await;
    let upload = header(&create(&app, &c, &c.questions[0], None).await, "location");
    let video = webm(30_000, 9);
    let (tx, stalled) = streamed_patch(&app, &upload);
    tx.send(Ok(video[..12_000].to_vec())).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let res = patch(&app, &upload, 0, &video, None).await;
    assert_eq!(res.status(), StatusCode::LOCKED);
    let retry: u64 = header(&res, "retry-after").parse().unwrap();
    assert!((1..=5).contains(&retry), "Retry-After {retry}");
    // The client goes silent (the connection stays open).
    let started = std::time::Instant::now();
    let offset = loop {
        let res = tus(&app, Method::HEAD, &upload).send().await.unwrap();
        let offset: usize = header(&res, "upload-offset").parse().unwrap();
        if offset > 0 {
            break offset;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "the stalled body was never cut");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(offset, 12_000, "what arrived is kept");
    let res = patch(&app, &upload, offset, &video[offset..], Some(video.len())).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT, "resumed from another connection at once");
    assert_eq!(stored(&app, &take_id(&upload)).await, video);
    drop(tx);
    let _ = stalled.await;
}

both!(
    method_override_and_a_repeated_last_patch,
    tiny_first_pieces_and_refused_bytes,
    a_stalled_body_is_cut_and_keeps_what_arrived
);

/// tuspy, a tus client nobody here wrote, uploads a take in small pieces; the server stores it byte for byte.
async fn tuspy_uploads_a_take(db: Db) {
    let mut app = TestApp::spawn(db).await;
    let c = candidate(&mut app).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("take.webm");
    let video = webm(50_000, 11);
    std::fs::write(&file, &video).unwrap();
    let script = r#"
import sys
from tusclient import client
endpoint, path, question = sys.argv[1:4]
uploader = client.TusClient(endpoint).uploader(
    file_path=path, chunk_size=7000, metadata={"question": question, "filetype": "video/webm"}, retries=2)
uploader.upload()
print(uploader.url)
"#;
    let endpoint = app.url(&format!("{}/uploads", c.link));
    let question = c.questions[0].clone();
    let path = file.display().to_string();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3").args(["-c", script, &endpoint, &path, &question]).output()
    })
    .await
    .unwrap()
    .expect("python3 with tuspy is required (pip install tuspy)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let url = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let take = candor::store::takes::get(&app.store, &c.invitation_id, &take_id(&url)).await.unwrap();
    assert_eq!(take.status, "complete");
    assert_eq!(stored(&app, &take.id).await, video);
}

both!(tuspy_uploads_a_take);
