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

both!(csv_import_reports_bad_rows_and_duplicates, csv_import_refuses_unusable_files);
