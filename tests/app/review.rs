//! Reviewing a completed interview: recordings rewritten for seeking and served with ranges, ratings, comments,
//! share links, reminders and retention.

use crate::both;
use crate::helpers::{Db, TestApp, location};
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

/// A recording WebKitGTK's MediaRecorder made (fragmented MP4, H.264 + AAC, like Safari's): `ftyp` twice and a
/// `moof` repeated without its data near the end.
pub(crate) const RECORDED_MP4: &[u8] = include_bytes!("../fixtures/webkit-take.mp4");

async fn a_kept_mp4_recording_becomes_progressive(db: Db) {
    let mut app = TestApp::spawn(db).await;
    let c = candidate(&mut app).await;
    let take = keep_recording(&app, &c, 0, RECORDED_MP4).await;
    assert_eq!(stored(&app, &take).await, RECORDED_MP4, "stored as recorded");
    app.run_pending_jobs().await;
    let after = candor::store::takes::segments(&app.store, &take).await.unwrap();
    assert_eq!(after.len(), 1, "one object once rewritten");
    assert!(after[0].object_key.ends_with(".mp4"), "{}", after[0].object_key);
    let rewritten = stored(&app, &take).await;
    // The index before the media: ftyp, then moov, then the one mdat.
    assert_eq!(&rewritten[4..8], b"ftyp");
    let moov_at = u32::from_be_bytes(rewritten[..4].try_into().unwrap()) as usize;
    assert_eq!(&rewritten[moov_at + 4..moov_at + 8], b"moov");
    assert_eq!(
        candor::media::mp4::remux(&rewritten).err().map(|e| e.to_string()).as_deref(),
        Some("already progressive (no fragments)")
    );

    // The answers page shows its duration; the recruiter's player gets it with ranges.
    app.new_browser();
    app.login(&c.recruiter).await;
    let page = app.get_html(&format!("/invitations/{}/answers", c.invitation_id)).await;
    assert!(page.contains("0:04"), "duration shown: {page}");
    let media = format!("/invitations/{}/takes/{take}/media", c.invitation_id);
    let res = app.client.get(app.url(&media)).header("Range", "bytes=0-99").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(header(&res, "content-type"), "video/mp4");
    assert_eq!(res.bytes().await.unwrap(), rewritten[..100]);
}

/// A progressive MP4, as a camera app writes one and a candidate may upload: kept as it came, no job left failing.
async fn a_progressive_mp4_is_kept_as_it_came(db: Db) {
    let mut app = TestApp::spawn(db).await;
    let c = candidate(&mut app).await;
    let progressive = candor::media::mp4::remux(RECORDED_MP4).unwrap().bytes;
    let take = keep_recording(&app, &c, 0, &progressive).await;
    app.run_pending_jobs().await;
    assert_eq!(stored(&app, &take).await, progressive);
    assert_eq!(candor::store::takes::segments(&app.store, &take).await.unwrap().len(), 3, "not rewritten");
    let dead = candor::store::jobs::list(&app.store, &c.recruiter.org_id, Some("dead"), 10).await.unwrap();
    assert!(dead.is_empty(), "no job left failing: {dead:?}");
}

both!(
    a_kept_recording_is_rewritten_for_seeking,
    a_recording_that_cannot_be_read_stays_as_recorded,
    a_kept_mp4_recording_becomes_progressive,
    a_progressive_mp4_is_kept_as_it_came
);

/// A candidate who kept both answers (as recorded), and the recruiter signed in.
async fn answered(app: &mut TestApp) -> Candidate {
    let c = candidate(app).await;
    keep_recording(app, &c, 0, RECORDED).await;
    keep_recording(app, &c, 1, RECORDED).await;
    app.new_browser();
    app.login(&c.recruiter).await;
    c
}

async fn ratings_and_comments(db: Db) {
    let mut app = TestApp::spawn(db).await;
    let c = answered(&mut app).await;
    let (q1, q2) = (&c.questions[0], &c.questions[1]);
    let page = format!("/invitations/{}/answers", c.invitation_id);
    let ratings = format!("{page}/../ratings").replace("/answers/..", "");
    let comments = ratings.replace("/ratings", "/comments");

    for bad in ["0", "5.5", "0.3", "four"] {
        let res = app.post_form(&ratings, &[("subject", q1), ("stars", bad)]).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(res.text().await.unwrap().contains("Choose a rating from 0.5 to 5, in steps of 0.5."));
    }
    let (stored, _) = candor::store::reviews::of_invitation(&app.store, &c.invitation_id).await.unwrap();
    assert!(stored.is_empty(), "nothing stored from bad input");

    let res = app.post_form(&ratings, &[("subject", q1), ("stars", "4.5")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(app.post_form(&ratings, &[("subject", "overall"), ("stars", "3")]).await.status().is_redirection());
    // Unknown subjects: 404.
    assert_eq!(app.post_form(&ratings, &[("subject", "nope"), ("stars", "3")]).await.status(), StatusCode::NOT_FOUND);

    // A colleague of the same organization rates too: both are shown, with the average.
    let rick = app.create_org_user("Acme", "rick@acme.fi", "recruiter").await;
    app.new_browser();
    app.login(&rick).await;
    assert!(app.post_form(&ratings, &[("subject", q1), ("stars", "4")]).await.status().is_redirection());
    let html = app.get_html(&page).await;
    assert!(html.contains("★ 4.3</strong> (2 ratings)"), "{html}");
    assert!(html.contains("User ada 4.5") && html.contains("User rick 4"), "who rated what");
    // Changing one's rating replaces it; an empty choice removes it.
    assert!(app.post_form(&ratings, &[("subject", q1), ("stars", "5")]).await.status().is_redirection());
    assert!(app.get_html(&page).await.contains("★ 4.8</strong> (2 ratings)"));
    assert!(app.post_form(&ratings, &[("subject", q1), ("stars", "")]).await.status().is_redirection());
    assert!(app.get_html(&page).await.contains("★ 4.5</strong> (1 rating)"));

    // Comments: escaped, editable and deletable by their author only.
    let xss = r#"<script>alert("x")</script> & <img src=x onerror=alert(1)>"#;
    let res = app.post_form(&comments, &[("subject", q2), ("body", "   ")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("Write a comment."));
    assert!(app.post_form(&comments, &[("subject", q2), ("body", xss)]).await.status().is_redirection());
    let html = app.get_html(&page).await;
    assert!(!html.contains("<script>alert") && !html.contains("<img src=x"), "comment escaped");
    assert!(html.contains("&#60;script&#62;alert(") && html.contains("&#38; &#60;img src=x onerror=alert(1)&#62;"));
    let (_, stored) = candor::store::reviews::of_invitation(&app.store, &c.invitation_id).await.unwrap();
    let comment = format!("{comments}/{}", stored[0].id);

    app.new_browser();
    app.login(&c.recruiter).await;
    let res = app.post_form(&comment, &[("body", "taken over")]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "another reviewer's comment");
    assert_eq!(app.post_form(&format!("{comment}/delete"), &[]).await.status(), StatusCode::NOT_FOUND);
    app.new_browser();
    app.login(&rick).await;
    let res = app.post_form(&comment, &[("body", "  ")]).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST, "a comment cannot be emptied");
    assert!(res.text().await.unwrap().contains("Write a comment."));
    assert!(app.get_html(&page).await.contains("&#60;script&#62;alert("), "the comment is unchanged");
    assert!(app.post_form(&comment, &[("body", "Clear, calm answer.")]).await.status().is_redirection());
    let html = app.get_html(&page).await;
    assert!(html.contains("Clear, calm answer.") && html.contains("(edited)"));
    assert!(app.post_form(&format!("{comment}/delete"), &[]).await.status().is_redirection());
    assert!(!app.get_html(&page).await.contains("Clear, calm answer."));

    // Another organization sees and changes nothing.
    let eve = app.create_org_admin("Other", "eve@other.example").await;
    app.new_browser();
    app.login(&eve).await;
    assert_eq!(app.post_form(&ratings, &[("subject", q1), ("stars", "1")]).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.post_form(&comments, &[("subject", q1), ("body", "hi")]).await.status(), StatusCode::NOT_FOUND);

    // On the candidate's timeline.
    let inv = candor::store::invitations::get(&app.store, &c.recruiter.org_id, &c.invitation_id).await.unwrap();
    app.new_browser();
    app.login(&c.recruiter).await;
    let view = app.get_html(&format!("/candidates/{}", inv.candidate_id)).await;
    assert!(view.contains("Rated question 1 of “Short”: 4.5"), "{view}");
    assert!(view.contains("Rated “Short” overall: 3"));
    assert!(view.contains("Commented on question 2 of “Short”"));
    assert!(
        view.contains(&format!(r#"href="/invitations/{}/answers""#, c.invitation_id)),
        "reachable from the candidate"
    );
}

async fn unanswered_questions_are_not_rated(db: Db) {
    let mut app = TestApp::spawn(db).await;
    let c = candidate(&mut app).await;
    keep_recording(&app, &c, 0, RECORDED).await;
    app.new_browser();
    app.login(&c.recruiter).await;
    let res = app
        .post_form(
            &format!("/invitations/{}/ratings", c.invitation_id),
            &[("subject", &c.questions[1]), ("stars", "3")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().await.unwrap().contains("This question has no answer to review yet."));
}

/// The share link shown on the answers page (the newest first).
fn share_links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("/s/") {
        let token: String =
            rest[i + 3..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
        if token.len() == 43 && !out.contains(&format!("/s/{token}")) {
            out.push(format!("/s/{token}"));
        }
        rest = &rest[i + 3..];
    }
    out
}

async fn share_links_for_colleagues(db: Db) {
    let mut app = TestApp::spawn(db).await;
    let c = answered(&mut app).await;
    let page = format!("/invitations/{}/answers", c.invitation_id);
    let shares = format!("/invitations/{}/shares", c.invitation_id);
    assert_eq!(app.post_form(&shares, &[("days", "15")]).await.status(), StatusCode::BAD_REQUEST);
    let res = app.post_form(&shares, &[("days", "14"), ("allow_rating", "yes")]).await;
    assert_eq!(location(&res), format!("{page}#share"));
    let html = app.get_html(&page).await;
    let links = share_links(&html);
    assert_eq!(links.len(), 1, "{html}");
    let link = links[0].clone();
    assert!(html.contains("colleagues may rate"));

    // A colleague without an account watches.
    app.new_browser();
    let res = app.get(&link).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(&res, "cache-control"), "no-store");
    let shared = res.text().await.unwrap();
    assert!(shared.contains("Question 1: One") && shared.contains("Question 2: Two"));
    assert!(shared.contains("This link works until"), "{shared}");
    let media: Vec<&str> = shared.match_indices(&format!("{link}/takes/")).map(|(i, _)| &shared[i..]).collect();
    let media_url = media[0].split('#').next().unwrap().split('"').next().unwrap().to_owned();
    let res = app.client.get(app.url(&media_url)).header("Range", "bytes=0-99").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(res.bytes().await.unwrap(), RECORDED[..100]);
    // The recruiter's media URL is no way in without a session.
    let take = media_url.rsplit("/takes/").next().unwrap().trim_end_matches("/media");
    let recruiter_media = format!("/invitations/{}/takes/{take}/media", c.invitation_id);
    assert_eq!(app.get(&recruiter_media).await.status(), StatusCode::SEE_OTHER);
    // Another invitation's take is not reachable through this link.
    let other = crate::uploads::another_invitation(&mut app, &c).await;
    let other_take = keep_recording(&app, &other, 0, RECORDED).await;
    app.new_browser();
    assert_eq!(app.get(&format!("{link}/takes/{other_take}/media")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get("/s/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").await.status(), StatusCode::NOT_FOUND);

    // The colleague rates with their name.
    let q1 = c.questions[0].clone();
    let field = format!("stars_{q1}");
    let res = app.post_form(&format!("{link}/ratings"), &[(&field, "4")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("Enter your name."));
    let res = app.post_form(&format!("{link}/ratings"), &[("name", "Bea"), (&field, "5.5")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    assert!(body.contains("Choose a rating from 0.5 to 5, in steps of 0.5.") && body.contains(r#"value="Bea""#));
    let name = "Bea <b>Berg</b>";
    let res =
        app.post_form(&format!("{link}/ratings"), &[("name", name), (&field, "4"), ("stars_overall", "3.5")]).await;
    assert_eq!(location(&res), format!("{link}?rated=1"));
    assert!(app.get_html(&format!("{link}?rated=1")).await.contains("your ratings are saved"));

    app.new_browser();
    app.login(&c.recruiter).await;
    let html = app.get_html(&page).await;
    assert!(html.contains("Bea &#60;b&#62;Berg&#60;/b&#62; (share link) 4"), "{html}");
    assert!(!html.contains("<b>Berg</b>"));
    assert!(html.contains("Opened the share link to “Short”"), "every opening on the timeline");

    // Revoked: a clear page, and the media go with it.
    let share_id = candor::store::reviews::shares_of(&app.store, &c.invitation_id).await.unwrap()[0].id.clone();
    let res = app.post_form(&format!("{shares}/{share_id}/revoke"), &[]).await;
    assert!(res.status().is_redirection());
    app.new_browser();
    let res = app.get(&link).await;
    assert_eq!(res.status(), StatusCode::GONE);
    assert!(res.text().await.unwrap().contains("This share link was revoked on"));
    assert_eq!(app.get(&media_url).await.status(), StatusCode::GONE);

    // Expired: watching only, then gone after its days.
    app.login(&c.recruiter).await;
    app.post_form(&shares, &[("days", "1")]).await;
    let watch_only = share_links(&app.get_html(&page).await)[0].clone();
    assert_ne!(watch_only, link);
    app.new_browser();
    assert_eq!(app.get(&watch_only).await.status(), StatusCode::OK);
    let res = app.post_form(&format!("{watch_only}/ratings"), &[("name", "Bea"), (&field, "4")]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    app.store.clock.advance(Duration::from_secs(24 * 3600 + 1));
    let res = app.get(&watch_only).await;
    assert_eq!(res.status(), StatusCode::GONE);
    assert!(res.text().await.unwrap().contains("This share link expired on"));

    // Another organization cannot make or revoke links of this invitation.
    let eve = app.create_org_admin("Other", "eve@other.example").await;
    app.login(&eve).await;
    assert_eq!(app.post_form(&shares, &[("days", "14")]).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.post_form(&format!("{shares}/{share_id}/revoke"), &[]).await.status(), StatusCode::NOT_FOUND);
}

both!(ratings_and_comments, unanswered_questions_are_not_rated, share_links_for_colleagues);
