//! A candidate's data on request: the export (one streamed ZIP, read back by Python's `zipfile`), the erasure
//! (every table, the media storage and the outbox scanned for what identified them), an erasure during an upload,
//! consent records with the text shown, the organization's privacy notice, and the retention of candidates.

use crate::both;
use crate::helpers::{Db, TestApp, location, texts};
use crate::review::{RECORDED, keep_recording};
use crate::uploads::{Candidate, Storage, candidate, create, header, patch, spawn_on, stored, take_id};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::Duration;

/// Another person invited to the same interview by the same recruiter, consented and with one answer kept.
async fn someone_else(app: &mut TestApp, c: &Candidate, first: &str, last: &str, email: &str) -> Candidate {
    let body = json!({
        "candidate": {"first_name": first, "last_name": last, "email": email},
        "email": email, "language": "fi", "interview_id": c.interview_id, "deadline": "2099-12-31",
    });
    let res = app.api(Method::POST, "/invitations", &c.api_token).json(&body).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let invitation_id = res.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let link =
        format!("/i/{}", candor::store::invitations::invitation_token(&app.state.usecases.link_key, &invitation_id));
    app.new_browser();
    assert_eq!(app.get(&link).await.status(), StatusCode::OK);
    let res = app.post_form(&format!("{link}/start"), &[("consent", "yes")]).await;
    assert_eq!(location(&res), format!("{link}/interview"));
    let other = Candidate { link, invitation_id, ..c.clone() };
    keep_recording(app, &other, 0, &crate::uploads::webm(40_000, 7)).await;
    other
}

/// Every text cell of every table, as `table: row`, for the rows that contain `needle` (any case).
async fn rows_containing(app: &TestApp, needle: &str) -> Vec<String> {
    use sqlx::Row;
    let pool = sqlx::AnyPool::connect(&app.database_url).await.unwrap();
    let sqlite = app.database_url.starts_with("sqlite");
    let tables: Vec<String> = if sqlite {
        sqlx::query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
            .fetch_all(&pool)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<String, _>(0))
            .collect()
    } else {
        sqlx::query("SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'")
            .fetch_all(&pool)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<String, _>(0))
            .collect()
    };
    assert!(tables.len() > 25, "{tables:?}");
    let needle = needle.to_lowercase();
    let mut found = Vec::new();
    for table in tables {
        // Each row as one text: every column, whatever its type.
        let sql = if sqlite {
            let columns: Vec<String> = sqlx::query(&format!("SELECT name FROM pragma_table_info('{table}')"))
                .fetch_all(&pool)
                .await
                .unwrap()
                .iter()
                .map(|r| r.get::<String, _>(0))
                .collect();
            let cells: Vec<String> = columns.iter().map(|c| format!("coalesce(CAST(\"{c}\" AS TEXT), '')")).collect();
            format!("SELECT {} AS row_text FROM \"{table}\"", cells.join(" || '|' || "))
        } else {
            format!("SELECT CAST(t AS TEXT) AS row_text FROM \"{table}\" t")
        };
        for r in sqlx::query(&sql).fetch_all(&pool).await.unwrap() {
            let text: Option<String> = r.try_get("row_text").ok().flatten();
            if let Some(text) = text
                && contains_word(&text.to_lowercase(), &needle)
            {
                found.push(format!("{table}: {}", text.chars().take(300).collect::<String>()));
            }
        }
    }
    pool.close().await;
    found
}

/// Whether `needle` stands in `text` as a word of its own: not inside a longer run of letters and digits. A random
/// id, salt or password hash can hold "saga" or "LiNd" by chance; a name or an id that was kept stands on its own.
fn contains_word(text: &str, needle: &str) -> bool {
    let is_word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    text.match_indices(needle)
        .any(|(at, _)| !is_word(text[..at].chars().next_back()) && !is_word(text[at + needle.len()..].chars().next()))
}

#[test]
fn a_needle_inside_a_longer_word_is_not_found() {
    assert!(contains_word("users: x|Saga Lind|y", "Lind"));
    assert!(contains_word("saga@example.se", "saga@example.se"));
    assert!(contains_word("{\"candidate\":\"01m90\"}", "01m90"));
    assert!(!contains_word("$argon2id$v=19$YVcLiNdfEHlg", "LiNd"));
    assert!(!contains_word("01m90sagaxz", "saga"));
}

/// Every object key in the media storage.
async fn media_keys(app: &TestApp) -> Vec<String> {
    use futures_util::StreamExt;
    let mut keys = Vec::new();
    let mut listed = app.state.media.list_takes();
    while let Some(item) = listed.next().await {
        keys.push(item.unwrap().0);
    }
    keys
}

/// The archive as Python's `zipfile` reads it (CRC-checked): each name with its size, and `candidate.json`.
fn read_zip(bytes: &[u8]) -> (Vec<(String, usize)>, serde_json::Value, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.zip");
    std::fs::write(&path, bytes).unwrap();
    let script = r#"
import json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
bad = z.testzip()
assert bad is None, bad
out = [[i.filename, i.file_size] for i in z.infolist()]
z.extractall(sys.argv[2])
print(json.dumps(out))
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", script, path.to_str().unwrap(), dir.path().join("x").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let names: Vec<(String, usize)> = serde_json::from_slice(&out.stdout).unwrap();
    let doc = serde_json::from_slice(&std::fs::read(dir.path().join("x/candidate.json")).unwrap()).unwrap();
    (names, doc, dir)
}

async fn export_and_erasure(db: Db) {
    for storage in [Storage::Local, Storage::S3] {
        export_and_erasure_on(db, storage).await;
    }
}

async fn export_and_erasure_on(db: Db, storage: Storage) {
    let (mut app, _s3) = spawn_on(db, storage).await;
    let c = candidate(&mut app).await;
    let first = keep_recording(&app, &c, 0, RECORDED).await;
    let second = keep_recording(&app, &c, 1, &crate::uploads::webm(30_000, 3)).await;
    let other = someone_else(&mut app, &c, "Oskari", "Mäkelä", "oskari@example.fi").await;
    app.run_pending_jobs().await;
    let saga = candor::store::invitations::get(&app.store, &c.recruiter.org_id, &c.invitation_id).await.unwrap();
    let cid = saga.candidate_id.clone();

    // Reviews about her: a rating, a comment, a share link.
    let rate = json!({ "subject": "overall", "stars": 4.5 });
    let res = app
        .api(Method::POST, &format!("/invitations/{}/ratings", c.invitation_id), &c.api_token)
        .json(&rate)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let comment = json!({ "subject": c.questions[0], "body": "Clear <answer> & calm" });
    let res = app
        .api(Method::POST, &format!("/invitations/{}/comments", c.invitation_id), &c.api_token)
        .json(&comment)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    app.new_browser();
    app.login(&c.recruiter).await;
    let res = app.post_form(&format!("/invitations/{}/shares", c.invitation_id), &[("days", "7")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // The export, through the API: one ZIP, read back by Python's zipfile.
    let res = app.api(Method::GET, &format!("/candidates/{cid}/export"), &c.api_token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(header(&res, "content-type"), "application/zip");
    assert!(header(&res, "content-disposition").contains("candidate-Saga-Lind.zip"));
    let bytes = res.bytes().await.unwrap();
    let (names, doc, dir) = read_zip(&bytes);
    assert_eq!(names.len(), 3, "{names:?}");
    assert_eq!(names[0].0, "candidate.json");
    assert_eq!(names[1].0, "recordings/01 Short 2099-12-31/Question 01 - One.webm", "{names:?}");
    assert_eq!(names[2].0, "recordings/01 Short 2099-12-31/Question 02 - Two.webm", "{names:?}");
    let extracted = |i: usize| std::fs::read(dir.path().join("x").join(&names[i].0)).unwrap();
    assert_eq!(extracted(1), stored(&app, &first).await);
    assert_eq!(extracted(2), stored(&app, &second).await);
    assert_eq!(doc["candidate"]["email"], "saga@example.se");
    assert_eq!(doc["candidate"]["first_name"], "Saga");
    let invs = doc["invitations"].as_array().unwrap();
    assert_eq!(invs.len(), 1);
    assert_eq!(invs[0]["interview"]["questions"][0]["text"], "One");
    assert_eq!(invs[0]["answers"].as_array().unwrap().len(), 2);
    assert_eq!(invs[0]["ratings"][0]["stars"], "4.5");
    assert_eq!(invs[0]["comments"][0]["text"], "Clear <answer> & calm");
    assert_eq!(invs[0]["share_links"].as_array().unwrap().len(), 1);
    let consents = doc["consents"].as_array().unwrap();
    assert_eq!(consents.len(), 1);
    assert!(consents[0]["text"].as_str().unwrap().contains("They are kept for at most 12 months"));
    assert_eq!(consents[0]["version"].as_str().unwrap().len(), 12);
    let kinds: Vec<&str> = doc["timeline"].as_array().unwrap().iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert!(kinds.contains(&"invited") && kinds.contains(&"consented") && kinds.contains(&"completed"), "{kinds:?}");
    let emails = doc["emails"].as_array().unwrap();
    assert!(emails.iter().any(|m| m["to"].as_str().unwrap().contains("saga@example.se")), "{emails:?}");
    assert!(emails.iter().any(|m| m["subject"].as_str().unwrap().contains("completed")), "{emails:?}");
    // Nothing of anyone else.
    let text = String::from_utf8_lossy(&bytes).to_lowercase();
    for foreign in ["oskari", "mäkelä", &other.invitation_id] {
        assert!(!text.contains(foreign), "{foreign} in the export");
    }
    // The export is on her timeline and in the audit log, which does not name her.
    assert!(app.get_html(&format!("/candidates/{cid}")).await.contains("Their data was exported (2 recordings)"));

    // Only admins export.
    let recruiter = app.create_org_user("Acme", "rita@acme.fi", "recruiter").await;
    let recruiter_token = app.api_token(&recruiter).await;
    let res = app.api(Method::GET, &format!("/candidates/{cid}/export"), &recruiter_token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // Another organization's admin finds nothing, and cannot erase her.
    let stranger = app.create_org_admin("Other", "olga@other.fi").await;
    let stranger_token = app.api_token(&stranger).await;
    let res = app.api(Method::GET, &format!("/candidates/{cid}/export"), &stranger_token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app.api(Method::DELETE, &format!("/candidates/{cid}"), &stranger_token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // The page's link gives the same archive.
    let res = app.get(&format!("/candidates/{cid}/export")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let (names_again, _, _) = read_zip(&res.bytes().await.unwrap());
    assert_eq!(names_again[1..], names[1..]);

    // The confirmation names what goes.
    let html = app.get_html(&format!("/candidates/{cid}/delete")).await;
    let list = texts(&html, "#erasure-list li").join(" ");
    assert!(list.contains("1 invitation(s)") && list.contains("2 kept recording(s)"), "{list}");

    // The search below sees her while she is there.
    assert!(!rows_containing(&app, "Lind").await.is_empty());
    // Erased, through the API.
    let res = app.api(Method::DELETE, &format!("/candidates/{cid}?erase=true"), &c.api_token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    app.run_pending_jobs().await;
    // Recordings replaced by their rewrite go 10 minutes later (a player may still be streaming them).
    app.store.clock.advance(Duration::from_secs(11 * 60));
    app.run_pending_jobs().await;

    // No row anywhere names her, her ids or her email (as words of their own: a random hash may hold "lind"); the
    // audit log keeps one entry in figures.
    for needle in ["saga@example.se", "Saga", "Lind", cid.as_str(), first.as_str(), second.as_str()] {
        let rows = rows_containing(&app, needle).await;
        assert!(rows.is_empty(), "{needle} still in {rows:#?}");
    }
    // The invitation's id is left only in audit entries about share links (an id that now points nowhere).
    let rows = rows_containing(&app, &c.invitation_id).await;
    assert!(rows.iter().all(|r| r.starts_with("audit_log: ")), "{rows:#?}");
    let entries = candor::store::audit::list(
        &app.store,
        &c.recruiter.org_id,
        &candor::store::audit::Filter { limit: 1000, ..Default::default() },
    )
    .await
    .unwrap();
    let erased = entries.iter().find(|e| e.action == "candidate_erased").expect("an erasure entry");
    assert_eq!(erased.detail["recordings"], 2);
    assert!(erased.detail["emails"].as_i64().unwrap() >= 2, "{:?}", erased.detail);
    assert!(entries.iter().any(|e| e.action == "candidate_exported"));
    // Nothing of hers in the media storage or the outbox.
    let keys = media_keys(&app).await;
    assert!(!keys.is_empty());
    assert!(keys.iter().all(|k| !k.contains(&c.invitation_id)), "{keys:?}");
    assert!(keys.iter().any(|k| k.contains(&other.invitation_id)));
    for file in app.outbox_files() {
        let mail = std::fs::read_to_string(&file).unwrap();
        assert!(!mail.to_lowercase().contains("saga@example.se"), "{}", file.display());
        assert!(!mail.contains(&c.invitation_id), "{}", file.display());
    }
    // Her link closes with a clear page; the other candidate's answers are all there.
    let res = app.get(&c.link).await;
    assert_eq!(res.status(), StatusCode::GONE);
    assert!(res.text().await.unwrap().contains("data was deleted at the organization"));
    let oskari = candor::store::invitations::get(&app.store, &c.recruiter.org_id, &other.invitation_id).await.unwrap();
    let answers = candor::store::answering::answers_of(&app.store, &c.recruiter.org_id, &oskari.id).await.unwrap();
    let kept = answers[0].kept_take_id.clone().unwrap();
    assert!(!stored(&app, &kept).await.is_empty());
    assert_eq!(app.api(Method::GET, &format!("/candidates/{cid}"), &c.api_token).send().await.unwrap().status(), 404);
}

/// The candidate is recording when their data is erased: the upload ends, and nothing it sent stays behind.
async fn erasure_during_an_upload(db: Db) {
    for storage in [Storage::Local, Storage::S3] {
        erasure_during_an_upload_on(db, storage).await;
    }
}

async fn erasure_during_an_upload_on(db: Db, storage: Storage) {
    let (mut app, _s3) = spawn_on(db, storage).await;
    let c = candidate(&mut app).await;
    let bytes = crate::uploads::webm(300_000, 9);
    let upload = header(&create(&app, &c, &c.questions[0], None).await, "location");
    assert_eq!(patch(&app, &upload, 0, &bytes[..100_000], None).await.status(), StatusCode::NO_CONTENT);
    let inv = candor::store::invitations::get(&app.store, &c.recruiter.org_id, &c.invitation_id).await.unwrap();

    // A PATCH is streaming when the erasure lands.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(2);
    let body = reqwest::Body::wrap_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|c| (c, rx))
    }));
    let streaming = app
        .client
        .patch(app.url(&upload))
        .header("Tus-Resumable", "1.0.0")
        .header("Content-Type", "application/offset+octet-stream")
        .header("Upload-Offset", "100000")
        .body(body)
        .send();
    let streaming = tokio::spawn(streaming);
    tx.send(Ok(bytes[100_000..150_000].to_vec())).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let res = app.api(Method::DELETE, &format!("/candidates/{}", inv.candidate_id), &c.api_token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    tx.send(Ok(bytes[150_000..200_000].to_vec())).await.unwrap();
    drop(tx);
    let res = streaming.await.unwrap().unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // Every later request about the upload is refused; the page says the link is closed.
    assert_eq!(patch(&app, &upload, 200_000, &bytes[200_000..], None).await.status(), StatusCode::NOT_FOUND);
    let head = app.client.head(app.url(&upload)).header("Tus-Resumable", "1.0.0").send().await.unwrap();
    assert_eq!(head.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get(&format!("{}/interview", c.link)).await.status(), StatusCode::GONE);
    app.run_pending_jobs().await;
    let keys = media_keys(&app).await;
    assert!(keys.iter().all(|k| !k.contains(&c.invitation_id)), "{keys:?}");
    assert!(rows_containing(&app, &take_id(&upload)).await.is_empty());
}

/// The consent is kept with the exact text shown (the organization's own notice in the candidate's language or
/// its default one), its version, time and a hashed client address; a notice changed under an open page is shown
/// again before the consent counts.
async fn consent_is_recorded_with_the_text_shown(db: Db) {
    let mut app = TestApp::spawn(db).await;
    let admin = app.create_org_admin("Acme", "ada@acme.fi").await;
    let token = app.api_token(&admin).await;
    app.login(&admin).await;
    let notice = "Acme Oy processes <b>your</b> data\nunder Art. 6(1)(a) GDPR.";
    let res = app
        .post_form(
            "/settings/privacy",
            &[("notice_en", notice), ("url_en", "https://acme.example/privacy?x=1&y=2"), ("url_sv", "javascript:1")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("Enter a full web address"));
    let res = app
        .post_form("/settings/privacy", &[("notice_en", notice), ("url_en", "https://acme.example/privacy?x=1&y=2")])
        .await;
    assert_eq!(location(&res), "/settings");
    let interview = crate::candidate::new_interview(&app, &token, "Support", "Hi").await;
    // Swedish has no notice of its own: the default language's (English) is shown.
    let (id, link) = crate::candidate::invite(&app, &token, &interview, "sv", "2099-12-31").await;
    app.new_browser();
    let html = app.get_html(&link).await;
    assert_eq!(texts(&html, "#privacy-notice"), vec![notice.replace('\n', " ")]);
    assert!(!html.contains("<b>your</b>"), "escaped");
    let doc = scraper::Html::parse_document(&html);
    let sel = scraper::Selector::parse("#privacy-heading ~ p a").unwrap();
    let hrefs: Vec<&str> = doc.select(&sel).filter_map(|a| a.value().attr("href")).collect();
    assert_eq!(hrefs, vec!["https://acme.example/privacy?x=1&y=2"]);
    let version = html.split("name=\"version\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();

    // The organization changes its notice while the page is open: the consent is asked again.
    let changed = "Acme Oy processes your data.";
    let notices = [candor::store::privacy::Notice { language: "en".into(), text: changed.into(), url: None }];
    candor::store::privacy::set_notices(&app.store, &admin.org_id, &notices).await.unwrap();
    let res = app.post_form(&format!("{link}/start"), &[("consent", "yes"), ("version", &version)]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert_eq!(texts(&html, "#privacy-notice"), vec![changed.to_owned()]);
    let version = html.split("name=\"version\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let res = app.post_form(&format!("{link}/start"), &[("consent", "yes"), ("version", &version)]).await;
    assert_eq!(location(&res), format!("{link}/interview"));

    let inv = candor::store::invitations::get(&app.store, &admin.org_id, &id).await.unwrap();
    let consents = candor::store::privacy::consents_of(&app.store, &admin.org_id, &inv.candidate_id).await.unwrap();
    assert_eq!(consents.len(), 1);
    let k = &consents[0];
    assert_eq!(k.version, version);
    assert_eq!(k.language, "sv");
    assert!(k.text.contains("Dina svar spelas in") && k.text.contains(changed), "{}", k.text);
    assert!(k.text.contains("12 månader"));
    assert_eq!(k.retention_months, 12);
    assert!(k.client.len() >= 32 && !k.client.contains("127.0.0.1"), "a keyed hash, not the address: {}", k.client);
    // On the timeline, with its version.
    app.new_browser();
    app.login(&admin).await;
    let html = app.get_html(&format!("/candidates/{}", inv.candidate_id)).await;
    assert!(html.contains(&format!("privacy notice version {version}")), "{html}");
}

/// Candidates with no activity for the organization's retention period are erased by upkeep (none while it is
/// off), in figures in the audit log.
async fn inactive_candidates_are_erased(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.create_org_admin("Acme", "ada@acme.fi").await;
    app.login(&admin).await;
    let old = app.add_candidate("Vanha", "Väinö", "vaino@example.fi").await;
    let kept = app.add_candidate("Keep", "Me", "keep@example.fi").await;
    app.store.clock.advance(Duration::from_secs(400 * 24 * 3600));
    app.state.worker.run_maintenance().await.unwrap();
    assert!(candor::store::candidates::get(&app.store, &admin.org_id, &old).await.is_ok(), "off by default");
    app.login(&admin).await;

    let org = candor::store::orgs::get(&app.store, &admin.org_id).await.unwrap();
    let settings = |months: &'static str| {
        vec![
            ("name", org.name.clone()),
            ("timezone", org.timezone.clone()),
            ("language", org.language.clone()),
            ("candidate_retention_months", months.to_owned()),
        ]
    };
    let form = |v: &Vec<(&'static str, String)>| v.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>();
    let zero = form(&settings("0"));
    let fields: Vec<(&str, &str)> = zero.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = app.post_form("/settings", &fields).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let twelve = form(&settings("12"));
    let fields: Vec<(&str, &str)> = twelve.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = app.post_form("/settings", &fields).await;
    assert_eq!(location(&res), "/settings");
    // Activity within the period keeps a candidate.
    let res = app
        .post_form(
            &format!("/candidates/{kept}"),
            &[("first_name", "Keep"), ("last_name", "Mine"), ("email", "keep@example.fi")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    app.store.clock.advance(Duration::from_secs(2 * 3600));
    app.state.worker.run_maintenance().await.unwrap();
    assert!(matches!(
        candor::store::candidates::get(&app.store, &admin.org_id, &old).await,
        Err(candor::store::StoreError::NotFound)
    ));
    assert!(candor::store::candidates::get(&app.store, &admin.org_id, &kept).await.is_ok());
    let entries = candor::store::audit::list(
        &app.store,
        &admin.org_id,
        &candor::store::audit::Filter { limit: 1000, ..Default::default() },
    )
    .await
    .unwrap();
    let e = entries.iter().find(|e| e.action == "candidates_expired").expect("an entry");
    assert_eq!(e.detail["candidates"], 1);
    assert!(!format!("{e:?}").contains("Väinö"));
}

both!(
    export_and_erasure,
    erasure_during_an_upload,
    consent_is_recorded_with_the_text_shown,
    inactive_candidates_are_erased
);
