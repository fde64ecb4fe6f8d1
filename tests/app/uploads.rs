//! The tus upload protocol behind the personal link: creation, HEAD, PATCH in pieces, deferred length,
//! termination, expiration, the limits, a lock per upload, and resuming after a restart.

use crate::both;
use crate::candidate::invite;
use crate::helpers::{Db, S3Server, TestApp, TestUser, location};
use reqwest::{Method, StatusCode};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A recording as Chrome starts one: the EBML magic, then bytes.
pub(crate) fn webm(len: usize, seed: u8) -> Vec<u8> {
    let mut v = vec![0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86, 0x81, 0x01, 0x42, 0xF7, 0x81];
    let mut x: u32 = 0x9E37_79B9 ^ u32::from(seed);
    while v.len() < len {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        v.push((x >> 24) as u8);
    }
    v.truncate(len);
    v
}

/// Where the recordings go: the local directory (the default) or an S3 server.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Storage {
    Local,
    S3,
}

pub(crate) async fn spawn_on(db: Db, storage: Storage) -> (TestApp, Option<S3Server>) {
    match storage {
        Storage::Local => (TestApp::spawn(db).await, None),
        Storage::S3 => {
            let s3 = S3Server::start().await;
            let url = s3.media_url();
            (TestApp::spawn_with(db, |c| c.media_url = Some(url)).await, Some(s3))
        }
    }
}

#[derive(Clone)]
pub(crate) struct Candidate {
    pub link: String,
    pub invitation_id: String,
    pub questions: Vec<String>,
    pub interview_id: String,
    pub recruiter: TestUser,
    pub api_token: String,
}

/// An organization, a two-question interview (the first: 60 s, 2 takes), an invitation, and the candidate's consent.
pub(crate) async fn candidate(app: &mut TestApp) -> Candidate {
    let user = app.create_org_admin("Acme", "ada@acme.fi").await;
    let token = app.api_token(&user).await;
    let body = serde_json::json!({
        "name": "Short", "title": "Short",
        "questions": [
            {"text": "One", "max_answer_seconds": 60, "max_takes": 2, "think_seconds": null},
            {"text": "Two", "max_answer_seconds": 30, "max_takes": 1, "think_seconds": null},
        ]
    });
    let res = app.api(Method::POST, "/interviews", &token).json(&body).send().await.unwrap();
    let interview_id = res.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let interview = candor::store::interviews::get(&app.store, &user.org_id, &interview_id).await.unwrap();
    let c = Candidate {
        link: String::new(),
        invitation_id: String::new(),
        questions: interview.questions.iter().map(|q| q.id.clone()).collect(),
        interview_id,
        recruiter: user,
        api_token: token,
    };
    another_invitation(app, &c).await
}

/// Another invitation to the same interview, from the same recruiter, consented to in a fresh browser.
pub(crate) async fn another_invitation(app: &mut TestApp, c: &Candidate) -> Candidate {
    let (invitation_id, link) = invite(app, &c.api_token, &c.interview_id, "en", "2099-12-31").await;
    app.new_browser();
    assert_eq!(app.get(&link).await.status(), StatusCode::OK);
    let res = app.post_form(&format!("{link}/start"), &[("consent", "yes")]).await;
    assert_eq!(location(&res), format!("{link}/interview"));
    Candidate { link, invitation_id, ..c.clone() }
}

fn b64(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

pub(crate) fn tus(app: &TestApp, method: Method, path: &str) -> reqwest::RequestBuilder {
    app.client.request(method, app.url(path)).header("Tus-Resumable", "1.0.0")
}

pub(crate) async fn create(app: &TestApp, c: &Candidate, question: &str, length: Option<usize>) -> reqwest::Response {
    let mut req = tus(app, Method::POST, &format!("{}/uploads", c.link))
        .header("Upload-Metadata", format!("question {},filetype {}", b64(question), b64("video/webm")));
    req = match length {
        Some(n) => req.header("Upload-Length", n.to_string()),
        None => req.header("Upload-Defer-Length", "1"),
    };
    req.send().await.unwrap()
}

pub(crate) async fn patch(
    app: &TestApp,
    upload: &str,
    offset: usize,
    bytes: &[u8],
    length: Option<usize>,
) -> reqwest::Response {
    let mut req = tus(app, Method::PATCH, upload)
        .header("Content-Type", "application/offset+octet-stream")
        .header("Upload-Offset", offset.to_string());
    if let Some(n) = length {
        req = req.header("Upload-Length", n.to_string());
    }
    req.body(bytes.to_vec()).send().await.unwrap()
}

pub(crate) fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers().get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

/// What the server stored for a take, segment by segment.
pub(crate) async fn stored(app: &TestApp, take_id: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for s in candor::store::takes::segments(&app.store, take_id).await.unwrap() {
        assert_eq!(s.start_offset as usize, out.len(), "segments are contiguous");
        out.extend_from_slice(&app.state.media.read_range(&s.object_key, 0, s.length as u64).await.unwrap());
    }
    out
}

/// Files still under a temporary name (`….part`) below `dir`.
fn temporary_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut out = Vec::new();
    for path in entries.map(|e| e.unwrap().path()) {
        if path.is_dir() {
            out.extend(temporary_files(&path));
        } else if path.extension().is_some_and(|e| e == "part") {
            out.push(path);
        }
    }
    out
}

pub(crate) fn take_id(upload: &str) -> String {
    upload.rsplit('/').next().unwrap().to_owned()
}

async fn upload_in_pieces_with_a_deferred_length(db: Db) {
    for storage in [Storage::Local, Storage::S3] {
        upload_in_pieces_with_a_deferred_length_on(db, storage).await;
    }
}

async fn upload_in_pieces_with_a_deferred_length_on(db: Db, storage: Storage) {
    let (mut app, _s3) = spawn_on(db, storage).await;
    let c = candidate(&mut app).await;

    let res = app.client.request(Method::OPTIONS, app.url(&format!("{}/uploads", c.link))).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&res, "tus-version"), "1.0.0");
    for ext in ["creation", "creation-defer-length", "termination", "expiration"] {
        assert!(header(&res, "tus-extension").split(',').any(|e| e == ext), "{ext}");
    }
    // Without Tus-Resumable: 412.
    let res =
        app.client.post(app.url(&format!("{}/uploads", c.link))).header("Upload-Length", "10").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::PRECONDITION_FAILED);

    let res = create(&app, &c, &c.questions[0], None).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert!(!header(&res, "upload-expires").is_empty());
    let upload = header(&res, "location");
    assert!(upload.starts_with(&format!("{}/uploads/", c.link)), "{upload}");
    let inv = candor::store::invitations::get(&app.store, &c.recruiter.org_id, &c.invitation_id).await.unwrap();
    assert_eq!(inv.status, "in_progress", "the first take starts the interview");

    let head = tus(&app, Method::HEAD, &upload).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!((header(&head, "upload-offset"), header(&head, "upload-defer-length")), ("0".into(), "1".into()));
    assert_eq!(header(&head, "cache-control"), "no-store");

    let video = webm(700_000, 1);
    // Pieces as MediaRecorder's timeslices produce them.
    let res = patch(&app, &upload, 0, &video[..250_000], None).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&res, "upload-offset"), "250000");
    // A piece at the wrong offset: 409, and nothing changes.
    assert_eq!(patch(&app, &upload, 0, &video[..1000], None).await.status(), StatusCode::CONFLICT);
    assert_eq!(patch(&app, &upload, 260_000, &video[..1000], None).await.status(), StatusCode::CONFLICT);
    let res = tus(&app, Method::PATCH, &upload)
        .header("Content-Type", "application/octet-stream")
        .header("Upload-Offset", "250000")
        .body(video[250_000..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let res = patch(&app, &upload, 250_000, &video[250_000..500_000], None).await;
    assert_eq!(header(&res, "upload-offset"), "500000");
    // The last piece tells the length (Stop was pressed).
    let res = patch(&app, &upload, 500_000, &video[500_000..], Some(video.len())).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&res, "upload-offset"), "700000");
    let head = tus(&app, Method::HEAD, &upload).send().await.unwrap();
    assert_eq!((header(&head, "upload-offset"), header(&head, "upload-length")), ("700000".into(), "700000".into()));
    assert_eq!(patch(&app, &upload, 700_000, b"more", None).await.status(), StatusCode::CONFLICT);

    let take = candor::store::takes::get(&app.store, &c.invitation_id, &take_id(&upload)).await.unwrap();
    assert_eq!((take.status.as_str(), take.container.as_deref(), take.number), ("complete", Some("webm"), 1));
    assert!(stored(&app, &take.id).await == video, "the stored take is byte-identical");
}

async fn upload_limits(db: Db) {
    for storage in [Storage::Local, Storage::S3] {
        upload_limits_on(db, storage).await;
    }
}

async fn upload_limits_on(db: Db, storage: Storage) {
    let (mut app, _s3) = spawn_on(db, storage).await;
    let c = candidate(&mut app).await;
    let q = &c.questions[0];

    // Only recordings: the first bytes decide, not the headers.
    let upload = header(&create(&app, &c, q, None).await, "location");
    let res = patch(&app, &upload, 0, b"<html><script>alert(1)</script></html>", None).await;
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // Nothing of it was a recording: the take is given back, not counted.
    assert_eq!(tus(&app, Method::HEAD, &upload).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    assert!(stored(&app, &take_id(&upload)).await.is_empty());
    let first = create(&app, &c, q, None).await;
    assert_eq!((first.status(), header(&first, "x-take-number")), (StatusCode::CREATED, "1".to_owned()));
    let upload = header(&first, "location");

    // Larger than 60 s at a generous bitrate: 413, at creation and while streaming.
    let cap = 60 * 2_000_000 + 8 * 1024 * 1024;
    assert_eq!(create(&app, &c, &c.questions[1], Some(cap + 1)).await.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let small = header(&create(&app, &c, &c.questions[1], Some(1000)).await, "location");
    assert_eq!(patch(&app, &small, 0, &webm(1001, 2), None).await.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(header(&tus(&app, Method::HEAD, &small).send().await.unwrap(), "upload-offset"), "0");

    // The second take of the first question discards the first; a third is refused (2 takes).
    let second = create(&app, &c, q, None).await;
    assert_eq!((second.status(), header(&second, "x-take-number")), (StatusCode::CREATED, "2".to_owned()));
    assert_eq!(tus(&app, Method::HEAD, &upload).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(create(&app, &c, q, None).await.status(), StatusCode::CONFLICT);
    // A question of another interview, or none: 404.
    assert_eq!(create(&app, &c, "nope", None).await.status(), StatusCode::NOT_FOUND);

    // Termination: the take is gone and its bytes are deleted by a job.
    let second = header(&second, "location");
    patch(&app, &second, 0, &webm(5000, 3), None).await;
    let keys: Vec<String> = candor::store::takes::segments(&app.store, &take_id(&second))
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.object_key)
        .collect();
    assert_eq!(keys.len(), 1);
    assert_eq!(tus(&app, Method::DELETE, &second).send().await.unwrap().status(), StatusCode::NO_CONTENT);
    assert_eq!(tus(&app, Method::HEAD, &second).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    app.run_pending_jobs().await;
    assert!(app.state.media.read_range(&keys[0], 0, 1).await.is_err(), "the bytes are deleted");

    // Another invitation's upload, through this link: 404 — and the other way round.
    let (other_invitation, other_link) = invite(&app, &c.api_token, &c.interview_id, "en", "2099-12-31").await;
    app.post_form(&format!("{other_link}/start"), &[("consent", "yes")]).await;
    let other = Candidate { link: other_link, ..c.clone() };
    let theirs = header(&create(&app, &other, &c.questions[1], None).await, "location");
    let crossed = format!("{}/uploads/{}", c.link, take_id(&theirs));
    assert_eq!(tus(&app, Method::HEAD, &crossed).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(patch(&app, &crossed, 0, &webm(100, 4), None).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(tus(&app, Method::DELETE, &crossed).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(header(&tus(&app, Method::HEAD, &theirs).send().await.unwrap(), "upload-offset"), "0");
    // Nor can this link keep another invitation's take as its answer.
    assert_eq!(keep(&app, &c, &c.questions[1], &take_id(&theirs), None).await.status(), StatusCode::NOT_FOUND);

    // An unfinished upload expires after a day: 410, and the upkeep discards it.
    let pending = theirs;
    assert_eq!(patch(&app, &pending, 0, &webm(100, 5), None).await.status(), StatusCode::NO_CONTENT);
    app.store.clock.advance(Duration::from_secs(24 * 3600 + 1));
    assert_eq!(tus(&app, Method::HEAD, &pending).send().await.unwrap().status(), StatusCode::GONE);
    app.state.worker.run_maintenance().await.unwrap();
    let take = candor::store::takes::get(&app.store, &other_invitation, &take_id(&pending)).await.unwrap();
    assert_eq!(take.status, "discarded");
    assert!(candor::store::takes::segments(&app.store, &take.id).await.unwrap().is_empty());

    // Over the limit only in its second piece, once the first is being written: nothing is stored, and no
    // temporary file is left behind in a local media directory.
    let fresh = another_invitation(&mut app, &c).await;
    let split = header(&create(&app, &fresh, &c.questions[1], Some(1000)).await, "location");
    let (tx, over) = streamed_patch(&app, &split);
    tx.send(Ok(webm(600, 6))).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    if matches!(storage, Storage::Local) {
        assert_eq!(temporary_files(&app.data_dir.join("media")).len(), 1, "the first piece is being written");
    }
    tx.send(Ok(vec![0; 600])).await.unwrap();
    drop(tx);
    assert_eq!(over.await.unwrap().unwrap().status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(header(&tus(&app, Method::HEAD, &split).send().await.unwrap(), "upload-offset"), "0");
    assert_eq!(temporary_files(&app.data_dir.join("media")), Vec::<PathBuf>::new());
}

async fn closed_links_take_no_uploads(db: Db) {
    let mut app = TestApp::spawn(db).await;
    let c = candidate(&mut app).await;
    let upload = header(&create(&app, &c, &c.questions[0], None).await, "location");
    patch(&app, &upload, 0, &webm(1000, 6), None).await;
    // Disabled by a recruiter: the link's uploads are gone.
    app.new_browser();
    app.login(&c.recruiter).await;
    app.post_form(&format!("/invitations/{}/disable", c.invitation_id), &[]).await;
    assert_eq!(tus(&app, Method::HEAD, &upload).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(patch(&app, &upload, 1000, &webm(10, 7), None).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(create(&app, &c, &c.questions[1], None).await.status(), StatusCode::NOT_FOUND);
}

async fn concurrent_patches_one_wins(db: Db) {
    let mut app = TestApp::spawn(db).await;
    let c = candidate(&mut app).await;
    let upload = header(&create(&app, &c, &c.questions[0], None).await, "location");
    // A PATCH whose body trickles in holds the lock...
    let video = webm(20_000, 8);
    let (tx, slow) = streamed_patch(&app, &upload);
    tx.send(Ok(video[..10_000].to_vec())).await.unwrap();
    // (Once the server has its first bytes.)
    tokio::time::sleep(Duration::from_millis(300)).await;
    let res = patch(&app, &upload, 0, &video, None).await;
    assert_eq!(res.status(), StatusCode::LOCKED, "a second PATCH while the first streams gets 423");
    // ... the first one finishes and wins.
    tx.send(Ok(video[10_000..].to_vec())).await.unwrap();
    drop(tx);
    assert_eq!(slow.await.unwrap().unwrap().status(), StatusCode::NO_CONTENT);
    assert!(stored(&app, &take_id(&upload)).await == video);
}

pub(crate) type BodyPiece = Result<Vec<u8>, std::io::Error>;

/// A PATCH at offset 0, sent at once, whose body is what goes into the returned channel until it is dropped (an
/// `Err` breaks the connection off).
pub(crate) fn streamed_patch(
    app: &TestApp,
    upload: &str,
) -> (tokio::sync::mpsc::Sender<BodyPiece>, tokio::task::JoinHandle<reqwest::Result<reqwest::Response>>) {
    let (tx, rx) = tokio::sync::mpsc::channel::<BodyPiece>(4);
    let body = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) });
    let req = tus(app, Method::PATCH, upload)
        .header("Content-Type", "application/offset+octet-stream")
        .header("Upload-Offset", "0")
        .body(reqwest::Body::wrap_stream(body))
        .send();
    (tx, tokio::spawn(req))
}

async fn resume_after_the_connection_drops_and_the_server_restarts(db: Db) {
    for storage in [Storage::Local, Storage::S3] {
        resume_after_the_connection_drops_and_the_server_restarts_on(db, storage).await;
    }
}

async fn resume_after_the_connection_drops_and_the_server_restarts_on(db: Db, storage: Storage) {
    let (mut app, _s3) = spawn_on(db, storage).await;
    let c = candidate(&mut app).await;
    let upload = header(&create(&app, &c, &c.questions[0], None).await, "location");
    let video = webm(600_000, 9);
    // The network drops in the middle of a PATCH: what arrived is kept.
    let (tx, req) = streamed_patch(&app, &upload);
    tx.send(Ok(video[..300_000].to_vec())).await.unwrap();
    // Wait until the server has the first bytes, then cut the connection.
    tokio::time::sleep(Duration::from_millis(300)).await;
    tx.send(Err(std::io::Error::other("network down"))).await.unwrap();
    let _ = req.await;
    let mut offset = 0;
    for _ in 0..50 {
        let head = tus(&app, Method::HEAD, &upload).send().await.unwrap();
        offset = header(&head, "upload-offset").parse::<usize>().unwrap();
        if offset > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(offset > 0 && offset <= 300_000, "{offset}");

    // The server restarts; the upload resumes from the offset it reports.
    app.restart().await;
    let head = tus(&app, Method::HEAD, &upload).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(header(&head, "upload-offset"), offset.to_string());
    let res = patch(&app, &upload, offset, &video[offset..], Some(video.len())).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert!(stored(&app, &take_id(&upload)).await == video, "byte-identical after the resume");
}

both!(
    upload_in_pieces_with_a_deferred_length,
    upload_limits,
    closed_links_take_no_uploads,
    concurrent_patches_one_wins,
    resume_after_the_connection_drops_and_the_server_restarts
);

pub(crate) async fn upload_complete_take(app: &TestApp, c: &Candidate, question: &str, seed: u8) -> String {
    let upload = header(&create(app, c, question, None).await, "location");
    let video = webm(40_000, seed);
    let res = patch(app, &upload, 0, &video, Some(video.len())).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    take_id(&upload)
}

pub(crate) async fn keep(
    app: &TestApp,
    c: &Candidate,
    question: &str,
    take: &str,
    notes: Option<&str>,
) -> reqwest::Response {
    let body = serde_json::json!({ "take_id": take, "notes": notes, "csrf": app.csrf().await });
    app.client.post(app.url(&format!("{}/answers/{question}", c.link))).json(&body).send().await.unwrap()
}

async fn keeping_every_answer_completes_and_notifies(db: Db) {
    let smtp = crate::helpers::SmtpServer::start().await;
    let url = smtp.url();
    let mut app = TestApp::spawn_with(db, |c| c.smtp_url = Some(url)).await;
    let c = candidate(&mut app).await;
    let (q1, q2) = (&c.questions[0], &c.questions[1]);

    // A take still uploading cannot be kept.
    let uploading = header(&create(&app, &c, q1, None).await, "location");
    patch(&app, &uploading, 0, &webm(1000, 1), None).await;
    assert_eq!(keep(&app, &c, q1, &take_id(&uploading), None).await.status(), StatusCode::CONFLICT);
    // Without the page's CSRF token: refused.
    let res = app
        .client
        .post(app.url(&format!("{}/answers/{q1}", c.link)))
        .json(&serde_json::json!({ "take_id": take_id(&uploading) }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let first = upload_complete_take(&app, &c, q1, 2).await;
    // This question takes no notes; another question's take is not this one's.
    assert_eq!(keep(&app, &c, q1, &first, Some("my notes")).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(keep(&app, &c, q2, &first, None).await.status(), StatusCode::NOT_FOUND);
    let res = keep(&app, &c, q1, &first, None).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["completed"], false);
    assert_eq!(keep(&app, &c, q1, &first, None).await.status(), StatusCode::CONFLICT, "kept once");
    assert_eq!(create(&app, &c, q1, None).await.status(), StatusCode::CONFLICT, "no takes after keeping");

    let second = upload_complete_take(&app, &c, q2, 3).await;
    let res = keep(&app, &c, q2, &second, None).await;
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["completed"], true);

    let inv = candor::store::invitations::get(&app.store, &c.recruiter.org_id, &c.invitation_id).await.unwrap();
    assert_eq!(inv.status, "answered");
    assert!(inv.answered_at.is_some());
    let events = candor::store::candidates::timeline(&app.store, &c.recruiter.org_id, &inv.candidate_id).await.unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    for kind in ["opened", "consented", "started", "answered", "completed"] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    assert_eq!(kinds.iter().filter(|k| **k == "answered").count(), 2);

    // The link now shows that the interview is answered; nothing more is accepted.
    let res = app.get(&c.link).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("You have answered this video interview."));
    assert_eq!(create(&app, &c, q2, None).await.status(), StatusCode::NOT_FOUND);

    // Notify me: one email to the inviting user, with a direct link to the completed interview.
    app.run_pending_jobs().await;
    let mails: Vec<_> = smtp.messages().into_iter().filter(|m| m.to == "ada@acme.fi").collect();
    assert_eq!(mails.len(), 1, "{:?}", mails.iter().map(|m| &m.subject).collect::<Vec<_>>());
    assert_eq!(mails[0].subject, "Saga Lind completed the video interview “Short”");
    assert!(mails[0].text.contains(&format!("/invitations/{}/answers", c.invitation_id)));
}

async fn withdrawing_is_recorded_and_notified(db: Db) {
    let smtp = crate::helpers::SmtpServer::start().await;
    let url = smtp.url();
    let mut app = TestApp::spawn_with(db, |c| c.smtp_url = Some(url)).await;
    let c = candidate(&mut app).await;
    let res = app.post_form(&format!("{}/withdraw", c.link), &[]).await;
    assert_eq!(location(&res), c.link);
    let res = app.get(&c.link).await;
    assert_eq!(res.status(), StatusCode::GONE);
    assert!(res.text().await.unwrap().contains("You have withdrawn from this video interview."));
    assert_eq!(create(&app, &c, &c.questions[0], None).await.status(), StatusCode::NOT_FOUND);
    app.run_pending_jobs().await;
    let mails: Vec<_> = smtp.messages().into_iter().filter(|m| m.to == "ada@acme.fi").collect();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].subject, "Saga Lind withdrew from the video interview “Short”");
    let inv = candor::store::invitations::get(&app.store, &c.recruiter.org_id, &c.invitation_id).await.unwrap();
    assert_eq!(inv.status, "withdrawn");
}

async fn interviews_with_answers_keep_their_questions(db: Db) {
    let mut app = TestApp::spawn(db).await;
    let c = candidate(&mut app).await;
    let take = upload_complete_take(&app, &c, &c.questions[0], 4).await;
    assert_eq!(keep(&app, &c, &c.questions[0], &take, None).await.status(), StatusCode::OK);
    let keys: Vec<String> =
        candor::store::takes::segments(&app.store, &take).await.unwrap().into_iter().map(|s| s.object_key).collect();
    assert!(!keys.is_empty());

    // A recruiter cannot delete it, page or API, and is told why.
    let recruiter = app.create_org_user("Acme", "rick@acme.fi", "recruiter").await;
    app.new_browser();
    app.login(&recruiter).await;
    let page = app.get_html(&format!("/interviews/{}/delete", c.interview_id)).await;
    assert!(page.contains("cannot be deleted") && !page.contains("Delete video interview</button>"), "{page}");
    let res = app.post_form(&format!("/interviews/{}/delete", c.interview_id), &[]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let token = app.api_token(&recruiter).await;
    let res = app
        .api(Method::DELETE, &format!("/interviews/{}?delete_answers=true", c.interview_id), &token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT, "only an admin may delete answers");

    // Its questions cannot change any more; its title can.
    let interview = candor::store::interviews::get(&app.store, &c.recruiter.org_id, &c.interview_id).await.unwrap();
    let body = serde_json::json!({
        "name": "Short", "title": "Short and sweet",
        "questions": interview.questions.iter().map(|q| serde_json::json!({
            "text": q.text, "max_answer_seconds": q.max_answer_seconds, "max_takes": q.max_takes,
            "think_seconds": q.think_seconds,
        })).collect::<Vec<_>>(),
    });
    let res =
        app.api(Method::PATCH, &format!("/interviews/{}", c.interview_id), &token).json(&body).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let mut changed = body.clone();
    changed["questions"][0]["text"] = "Another question".into();
    let res =
        app.api(Method::PATCH, &format!("/interviews/{}", c.interview_id), &token).json(&changed).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("clone the interview"));

    // An admin deletes it after the second confirmation; the recordings go too.
    app.new_browser();
    app.login(&c.recruiter).await;
    let page = app.get_html(&format!("/interviews/{}/delete", c.interview_id)).await;
    assert!(page.contains("delete_answers"));
    let res = app.post_form(&format!("/interviews/{}/delete", c.interview_id), &[]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "not without ticking the box");
    let res = app.post_form(&format!("/interviews/{}/delete", c.interview_id), &[("delete_answers", "yes")]).await;
    assert_eq!(location(&res), "/interviews");
    assert!(candor::store::invitations::get(&app.store, &c.recruiter.org_id, &c.invitation_id).await.is_err());
    app.run_pending_jobs().await;
    for key in keys {
        assert!(app.state.media.read_range(&key, 0, 1).await.is_err(), "{key} is deleted");
    }
}

both!(
    keeping_every_answer_completes_and_notifies,
    withdrawing_is_recorded_and_notified,
    interviews_with_answers_keep_their_questions
);

async fn the_completed_interview_plays_with_ranges(db: Db) {
    for storage in [Storage::Local, Storage::S3] {
        the_completed_interview_plays_with_ranges_on(db, storage).await;
    }
}

async fn the_completed_interview_plays_with_ranges_on(db: Db, storage: Storage) {
    let (mut app, _s3) = spawn_on(db, storage).await;
    let c = candidate(&mut app).await;
    // A take stored in two segments.
    let upload = header(&create(&app, &c, &c.questions[0], None).await, "location");
    let video = webm(300_000, 11);
    patch(&app, &upload, 0, &video[..100_000], None).await;
    patch(&app, &upload, 100_000, &video[100_000..], Some(video.len())).await;
    let take = take_id(&upload);
    assert_eq!(keep(&app, &c, &c.questions[0], &take, None).await.status(), StatusCode::OK);
    let media = format!("/invitations/{}/takes/{take}/media", c.invitation_id);

    // Without a session: refused.
    app.new_browser();
    assert_eq!(app.get(&media).await.status(), StatusCode::SEE_OTHER);
    // Another organization's user: 404, page and media.
    let other = app.create_org_admin("Other", "eve@other.example").await;
    app.login(&other).await;
    assert_eq!(app.get(&media).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get(&format!("/invitations/{}/answers", c.invitation_id)).await.status(), StatusCode::NOT_FOUND);

    app.new_browser();
    app.login(&c.recruiter).await;
    let page = app.get_html(&format!("/invitations/{}/answers", c.invitation_id)).await;
    assert!(page.contains("Question 1: One") && page.contains("take 1 of 2"), "{page}");
    assert!(page.contains(&format!(r#"src="{media}#t=0.1""#)), "the player shows a poster frame from the take");
    assert!(page.contains("Not answered yet."), "question 2 is not answered");

    let get = |range: Option<&'static str>, if_range: Option<String>| {
        let mut req = app.client.get(app.url(&media));
        if let Some(r) = range {
            req = req.header("Range", r);
        }
        if let Some(i) = if_range {
            req = req.header("If-Range", i);
        }
        req.send()
    };
    let whole = get(None, None).await.unwrap();
    assert_eq!(whole.status(), StatusCode::OK);
    assert_eq!(header(&whole, "accept-ranges"), "bytes");
    assert_eq!(header(&whole, "content-type"), "video/webm");
    let etag = header(&whole, "etag");
    assert!(whole.bytes().await.unwrap() == video);

    for (range, from, to) in [
        ("bytes=0-99", 0, 100),
        ("bytes=99990-100009", 99_990, 100_010),
        ("bytes=-500", 299_500, 300_000),
        ("bytes=299000-", 299_000, 300_000),
    ] {
        let res = get(Some(range), Some(etag.clone())).await.unwrap();
        assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT, "{range}");
        assert_eq!(header(&res, "content-range"), format!("bytes {from}-{}/300000", to - 1), "{range}");
        assert!(res.bytes().await.unwrap() == video[from..to], "{range}");
    }
    let res = get(Some("bytes=0-9,20-29"), None).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "several ranges: the whole take");
    let res = get(Some("bytes=300000-"), None).await.unwrap();
    assert_eq!(res.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(header(&res, "content-range"), "bytes */300000");
    let res = get(Some("bytes=0-9"), Some("\"stale\"".into())).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "If-Range that no longer matches: the whole take");
}

both!(the_completed_interview_plays_with_ranges);

async fn a_finished_last_take_left_unkept_is_kept_on_return(db: Db) {
    let mut app = TestApp::spawn(db).await;
    let c = candidate(&mut app).await;
    let (q1, q2) = (c.questions[0].clone(), c.questions[1].clone());
    // Question 1 (two takes): one finished take, not kept — a take remains, so it waits for the candidate.
    let first = upload_complete_take(&app, &c, &q1, 21).await;
    // Question 2 (one take): finished, then the page was closed before Keep.
    let last = upload_complete_take(&app, &c, &q2, 22).await;
    let res = app.get(&format!("{}/interview", c.link)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let answers =
        candor::store::answering::answers_of(&app.store, &c.recruiter.org_id, &c.invitation_id).await.unwrap();
    let kept = |q: &str| answers.iter().find(|a| a.question_id == q).and_then(|a| a.kept_take_id.clone());
    assert_eq!(kept(&q2), Some(last), "the last take is the answer");
    assert_eq!(kept(&q1), None, "a question with a take left waits for the candidate");
    // Keeping question 1 now completes the interview.
    assert_eq!(keep(&app, &c, &q1, &first, None).await.status(), StatusCode::OK);
    let inv = candor::store::invitations::get(&app.store, &c.recruiter.org_id, &c.invitation_id).await.unwrap();
    assert_eq!(inv.status, "answered");
}

both!(a_finished_last_take_left_unkept_is_kept_on_return);

async fn an_interrupted_last_take_is_kept_with_what_arrived(db: Db) {
    let mut app = TestApp::spawn(db).await;
    let c = candidate(&mut app).await;
    let (q1, q2) = (c.questions[0].clone(), c.questions[1].clone());
    // Question 1 (two takes): a finished first take, then the second began but nothing of it arrived.
    upload_complete_take(&app, &c, &q1, 31).await;
    let empty = header(&create(&app, &c, &q1, None).await, "location");
    // Question 2 (one take): the page closed while recording; 3,000 bytes had arrived.
    let broken = header(&create(&app, &c, &q2, None).await, "location");
    let arrived = webm(3000, 32);
    assert_eq!(patch(&app, &broken, 0, &arrived, None).await.status(), StatusCode::NO_CONTENT);

    // The candidate comes back.
    let page = app.get_html(&format!("{}/interview", c.link)).await;
    assert!(page.contains("Your last take of question 2 was interrupted"), "{page}");
    let answers =
        candor::store::answering::answers_of(&app.store, &c.recruiter.org_id, &c.invitation_id).await.unwrap();
    let answer = |q: &str| answers.iter().find(|a| a.question_id == q).unwrap().clone();
    assert_eq!(answer(&q2).kept_take_id, Some(take_id(&broken)), "what arrived is the answer");
    assert!(answer(&q2).interrupted);
    assert_eq!(answer(&q2).kept_take_bytes, Some(3000));
    assert_eq!(stored(&app, &take_id(&broken)).await, arrived);
    // Nothing more is written to it, and it is not said again.
    let res = patch(&app, &broken, 3000, &webm(100, 33), None).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let page = app.get_html(&format!("{}/interview", c.link)).await;
    assert!(!page.contains(r#"id="notice""#), "said once");

    // Question 1's empty take is given back (nothing of it exists), so the candidate can still answer.
    assert_eq!(answer(&q1).takes_used, 1);
    assert_eq!(answer(&q1).kept_take_id, None);
    assert_eq!(tus(&app, Method::HEAD, &empty).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    let again = header(&create(&app, &c, &q1, Some(5000)).await, "location");
    let video = webm(5000, 34);
    assert_eq!(patch(&app, &again, 0, &video, None).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(keep(&app, &c, &q1, &take_id(&again), None).await.status(), StatusCode::OK);
    let inv = candor::store::invitations::get(&app.store, &c.recruiter.org_id, &c.invitation_id).await.unwrap();
    assert_eq!(inv.status, "answered");

    // The recruiter is told the recording ends early.
    app.new_browser();
    app.login(&c.recruiter).await;
    let page = app.get_html(&format!("/invitations/{}/answers", c.invitation_id)).await;
    assert_eq!(page.matches("recording interrupted").count(), 1, "{page}");
}

both!(an_interrupted_last_take_is_kept_with_what_arrived);
