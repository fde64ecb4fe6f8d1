use crate::both;
use crate::helpers::{Db, TestApp, texts};
use reqwest::StatusCode;

async fn upload(app: &TestApp, bytes: Vec<u8>) -> reqwest::Response {
    let csrf = app.csrf().await;
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf)
        .part("file", reqwest::multipart::Part::bytes(bytes).file_name("candidates.csv").mime_str("text/csv").unwrap());
    app.client.post(app.url("/candidates/import")).multipart(form).send().await.unwrap()
}

async fn csv_import_reports_bad_rows_and_duplicates(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.create_org_admin("Acme", "ada@acme.fi").await;
    app.login(&admin).await;
    app.add_candidate("Existing", "Person", "existing@example.com").await;

    let mut csv = b"\xEF\xBB\xBFfirst_name,last_name,email,phone\n".to_vec();
    csv.extend_from_slice("Aino,Järvinen,aino@example.fi,+358 40 1\n".as_bytes());
    csv.extend_from_slice(b"Bad,Email,not-an-email,\n");
    csv.extend_from_slice(b"Again,Existing,EXISTING@example.com,\n");
    csv.extend_from_slice(b"\"Quoted, Name\",Smith,quoted@example.com,\n");
    csv.extend_from_slice(b"Latin1,M\xfcller,latin@example.com,\n");
    csv.extend_from_slice(b"Twice,Inthefile,aino@EXAMPLE.fi,\n");
    csv.extend_from_slice(b"Short,row\n");
    csv.extend_from_slice(b"\n");
    csv.extend_from_slice(b",Nofirst,nofirst@example.com,\n");
    let res = upload(&app, csv).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("<strong>2</strong> candidates imported"), "{html}");
    let rows = texts(&html, "section tbody tr");
    let line = |n: u64| {
        rows.iter()
            .find(|r| r.starts_with(&format!("{n} ")))
            .cloned()
            .unwrap_or_else(|| panic!("no problem on line {n}: {rows:?}"))
    };
    assert!(line(3).contains("email"));
    assert!(line(4).contains("EXISTING@example.com is already a candidate"));
    assert!(line(6).contains("UTF-8"));
    assert!(line(7).contains("already a candidate"), "an email earlier in the same file");
    assert!(line(8).contains("expected at least 3 fields"));
    assert!(line(10).contains("first_name"));
    assert_eq!(rows.len(), 6, "{rows:?}");

    let aino = candor::store::candidates::search(&app.store, &admin.org_id, "jär", 10).await.unwrap();
    assert_eq!(aino.len(), 1);
    assert_eq!(aino[0].phone.as_deref(), Some("+358 40 1"));
    let page = app.get_html(&format!("/candidates/{}", aino[0].id)).await;
    assert!(page.contains("Imported from a CSV file"));
    assert_eq!(
        candor::store::candidates::search(&app.store, &admin.org_id, "Quoted", 10).await.unwrap()[0].first_name,
        "Quoted, Name"
    );
}

async fn csv_import_refuses_unusable_files(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.create_org_admin("Acme", "ada@acme.fi").await;
    app.login(&admin).await;

    let res = upload(&app, b"first_name,surname,mail\nA,B,a@b.fi\n".to_vec()).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("missing: last_name, email"));
    let res = upload(&app, Vec::new()).await;
    assert!(res.text().await.unwrap().contains("Choose a CSV file"));
    // UTF-16 is not UTF-8.
    let utf16: Vec<u8> =
        "first_name,last_name,email\nA,B,a@b.fi\n".encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    let res = upload(&app, [vec![0xFF, 0xFE], utf16].concat()).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Larger than the page limit: 413 with a pointer to the command line.
    let big = vec![b'a'; 21 * 1024 * 1024];
    let res = upload(&app, big).await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(res.text().await.unwrap().contains("candor import candidates"));
    let page =
        candor::store::candidates::list(&app.store, &admin.org_id, candor::store::candidates::Sort::Name, None, 10)
            .await
            .unwrap();
    assert!(page.items.is_empty(), "nothing half-imported");
}

/// A file sorted by name stores each script's names together, the Greek ones last: the name search still finds every
/// part of a name, common or rare, from this organization only.
async fn a_file_sorted_by_name_is_searched_by_any_part(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.create_org_admin("Acme", "ada@acme.fi").await;
    let other = app.create_org_admin("Other", "olga@other.gr").await;
    app.login(&admin).await;
    let token = app.api_token(&admin).await;
    let other_token = app.api_token(&other).await;
    for (first, last, email) in [("Νίκος", "Οικονόμου", "nikos@other.gr"), ("Ξένια", "Ψωμά", "xenia@other.gr")]
    {
        let res = app
            .api(reqwest::Method::POST, "/candidates", &other_token)
            .json(&serde_json::json!({"first_name": first, "last_name": last, "email": email}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
    }

    // 20,000 Latin names, two rare ones among them, then 30 Greek names: the order of a file sorted by last name.
    let mut csv = String::from("first_name,last_name,email\n");
    for i in 0..20_000 {
        let last = if i == 7_000 || i == 13_000 { format!("Aalto{i:05}qzw") } else { format!("Aalto{i:05}") };
        csv.push_str(&format!("Anna,{last},anna{i}@example.fi\n"));
    }
    for i in 0..30 {
        csv.push_str(&format!("Νίκος,Οικονόμου{i:02},nikos{i}@example.gr\n"));
    }
    let res = upload(&app, csv.into_bytes()).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("<strong>20030</strong> candidates imported"));
    // The import itself refreshed the planner's statistics and merged SQLite's trigram segments into one.
    let analyzed = analyzed_rows(&app).await;
    assert!(analyzed >= 20_030.0, "the statistics count {analyzed} rows");
    let segments = trigram_segments(&app).await;
    assert!(matches!(segments, None | Some(1)), "{segments:?}");
    trigrams_match_the_names(&app).await;

    let search = |q: &'static str| app.search_names(&token, q);
    // Inside the Greek last names only (no name starts with it).
    let greek = search("ομο").await;
    assert_eq!(greek.len(), 10, "{greek:?}");
    assert!(greek.iter().all(|n| n.starts_with("Νίκος Οικονόμου") && n != "Νίκος Οικονόμου"), "{greek:?}");
    assert_eq!(search("ονόμου29").await, ["Νίκος Οικονόμου29"]);
    // Held by two names of 20,000.
    let mut rare = search("qzw").await;
    rare.sort();
    assert_eq!(rare, ["Anna Aalto07000qzw", "Anna Aalto13000qzw"]);
    // Held by every Latin name.
    assert_eq!(search("alto1").await.len(), 10);
    // LIKE's own characters are looked for as themselves.
    assert!(search("%_\\").await.is_empty());
    // Another organization's names are never found, and a small organization finds its own among many others'.
    assert!(search("ψωμ").await.is_empty());
    assert_eq!(app.search_names(&other_token, "ομο").await, ["Νίκος Οικονόμου"]);
    assert_eq!(app.search_names(&other_token, "alto1").await, Vec::<String>::new());

    // Imported rows are renamed and erased like any other: their trigrams go with them.
    let page: serde_json::Value =
        app.api(reqwest::Method::GET, "/candidates?q=qzw", &token).send().await.unwrap().json().await.unwrap();
    let ids: Vec<&str> = page["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    let res = app
        .api(reqwest::Method::PATCH, &format!("/candidates/{}", ids[0]), &token)
        .json(&serde_json::json!({"last_name": "Virtanenxyv"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res =
        app.api(reqwest::Method::DELETE, &format!("/candidates/{}?erase=true", ids[1]), &token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    trigrams_match_the_names(&app).await;
    assert_eq!(search("nenxyv").await, ["Anna Virtanenxyv"]);
    assert!(search("qzw").await.is_empty());
}

/// SQLite's trigram table holds exactly the trigrams of the names, imported or not (FTS5's own check of an
/// external-content table against it). PostgreSQL's trigram index is an ordinary index.
async fn trigrams_match_the_names(app: &TestApp) {
    if app.store.backend() == candor::store::Backend::Sqlite {
        let pool = sqlx::AnyPool::connect(&app.database_url).await.unwrap();
        sqlx::query("INSERT INTO candidate_trigrams (candidate_trigrams, rank) VALUES ('integrity-check', 1)")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    }
}

/// Candidates added without a large import (here straight through the store, as a stand-in for many added one by
/// one) get the planner's statistics from the hourly upkeep once the planner's count is far off; not again while it
/// is close.
async fn statistics_follow_a_table_that_grew_without_an_import(db: Db) {
    use candor::store::candidates::{EventActor, NewCandidate, import_batch, refresh_statistics_if_stale};
    let app = TestApp::spawn(db).await;
    let admin = app.create_org_admin("Acme", "ada@acme.fi").await;
    let batch: Vec<NewCandidate> = (0..1500)
        .map(|i| {
            NewCandidate::parse("Anna", &format!("Aalto{i:04}"), &format!("anna{i}@example.fi"), None, None).unwrap()
        })
        .collect();
    let actor = EventActor { label: "test".into() };
    assert!(import_batch(&app.store, &admin.org_id, &actor, &batch).await.unwrap().is_empty());
    let before = analyzed_rows(&app).await;
    assert!(before < 1500.0, "{before}");

    app.state.worker.run_maintenance().await.unwrap();
    let after = analyzed_rows(&app).await;
    assert!(after >= 1500.0, "the statistics count {after} rows");
    assert!(!refresh_statistics_if_stale(&app.store).await.unwrap(), "1,500 rows counted: nothing to refresh");
}

/// How many rows of `candidates` the planner's statistics count (-1 or 0 when it has none).
async fn analyzed_rows(app: &TestApp) -> f64 {
    candor::store::candidates::planned_rows(&app.store).await.unwrap()
}

/// SQLite: how many segments FTS5 keeps the trigram index in (the second number of its structure record, after a
/// 4-byte cookie and the number of levels, each a SQLite varint). None on PostgreSQL.
async fn trigram_segments(app: &TestApp) -> Option<u64> {
    if app.store.backend() != candor::store::Backend::Sqlite {
        return None;
    }
    let pool = sqlx::AnyPool::connect(&app.database_url).await.unwrap();
    let block: Vec<u8> =
        sqlx::query_scalar("SELECT block FROM candidate_trigrams_data WHERE id = 10").fetch_one(&pool).await.unwrap();
    pool.close().await;
    let varint = |at: &mut usize| {
        let mut value = 0u64;
        for i in 0..9 {
            let byte = block[*at];
            *at += 1;
            if i == 8 {
                return (value << 8) | u64::from(byte);
            }
            value = (value << 7) | u64::from(byte & 0x7f);
            if byte < 0x80 {
                break;
            }
        }
        value
    };
    let mut at = 4;
    let _levels = varint(&mut at);
    Some(varint(&mut at))
}

both!(
    csv_import_reports_bad_rows_and_duplicates,
    csv_import_refuses_unusable_files,
    a_file_sorted_by_name_is_searched_by_any_part,
    statistics_follow_a_table_that_grew_without_an_import
);
