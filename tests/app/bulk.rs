//! Bulk invitations: a preview that says what will happen, the send as a job, cancelling, the API with
//! Idempotency-Key, and nothing across organizations.

use crate::both;
use crate::helpers::{Db, TestApp, location, texts};
use reqwest::{Method, StatusCode};

async fn post_bulk(app: &TestApp, fields: &[(&str, &str)], csv: Option<&str>) -> reqwest::Response {
    let mut form = reqwest::multipart::Form::new().text("csrf", app.csrf().await);
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    if let Some(csv) = csv {
        let part = reqwest::multipart::Part::bytes(csv.as_bytes().to_vec())
            .file_name("people.csv")
            .mime_str("text/csv")
            .unwrap();
        form = form.part("file", part);
    }
    app.client.post(app.url("/invitations/bulk")).multipart(form).send().await.unwrap()
}

async fn invitations_of(app: &TestApp, token: &str) -> Vec<serde_json::Value> {
    let page = app.api(Method::GET, "/invitations?status=any&limit=200", token).send().await.unwrap();
    page.json::<serde_json::Value>().await.unwrap()["items"].as_array().unwrap().clone()
}

async fn a_csv_and_chosen_candidates_previewed_then_sent(db: Db) {
    let app = TestApp::spawn(db).await;
    let ada = app.create_org_admin("Acme", "ada@acme.fi").await;
    let token = app.api_token(&ada).await;
    app.login(&ada).await;
    let interview = crate::candidate::new_interview(&app, &token, "Bulk", "").await;
    let anna = app.add_candidate("Anna", "Open", "anna@example.fi").await;
    let bo = app.add_candidate("Bo", "Chosen", "bo@example.fi").await;
    // Anna already has an open invitation to the interview.
    let res = app
        .api(Method::POST, "/invitations", &token)
        .json(&serde_json::json!({"candidate_id": anna, "interview_id": interview, "deadline": "2099-12-31"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let csv = "first_name,last_name,email,language\n\
               Åsa,Öberg,asa@example.se,sv\n\
               Cai,Berg,not-an-address,\n\
               ,Nameless,nameless@example.fi,\n\
               Dan,Dup,dan@example.fi,\n\
               Dan,Again,DAN@example.fi,\n\
               Eve,Lang,eve@example.fi,xx\n\
               Anna,Open,anna@example.fi,\n\
               Fay,Fine,fay@example.fi,fi\n";
    // Bad settings: field by field, nothing stored.
    let res = post_bulk(&app, &[("interview_id", ""), ("deadline", "2001-01-01")], Some(csv)).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("Choose a video interview.") && html.contains("deadline"), "{html}");
    let res =
        post_bulk(&app, &[("interview_id", &interview), ("deadline", "2099-12-31")], Some("name;mail\nx;y\n")).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("The first row must name the columns"));
    // A file over the cap: its own message, nothing stored, and the browser's connection stays usable (it is still
    // sending when the answer is decided).
    let mut big = String::from("first_name,last_name,email\n");
    while big.len() <= 5 * 1024 * 1024 {
        big.push_str("Filler,Person,filler@example.fi\n");
    }
    for _ in 0..3 {
        let res = post_bulk(&app, &[("interview_id", &interview), ("deadline", "2099-12-31")], Some(&big)).await;
        assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert!(res.text().await.unwrap().contains("The file is larger than 5 MB; split it."));
        assert_eq!(app.get("/invitations/bulk").await.status(), StatusCode::OK);
    }

    let before = invitations_of(&app, &token).await.len();
    let res = post_bulk(
        &app,
        &[("c", &bo), ("interview_id", &interview), ("deadline", "2099-12-31"), ("notify_me", "yes")],
        Some(csv),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = location(&res);
    let preview = app.get_html(&page).await;
    let summary = texts(&preview, "p.summary").join(" ");
    assert!(
        summary
            .contains("4 invitations will be sent; 2 people are skipped; 3 rows are invalid: line 3, line 4, line 7"),
        "{summary}"
    );
    assert!(preview.contains("Listed twice.") && preview.contains("Already has an open invitation to this interview."));
    assert_eq!(invitations_of(&app, &token).await.len(), before, "nothing sent before Send");

    assert!(app.post_form(&format!("{page}/send"), &[]).await.status().is_redirection());
    assert_eq!(app.post_form(&format!("{page}/send"), &[]).await.status(), StatusCode::BAD_REQUEST, "sent once");
    app.run_pending_jobs().await;
    let after = invitations_of(&app, &token).await;
    assert_eq!(after.len(), before + 4);
    let lang =
        |email: &str| after.iter().find(|i| i["email"] == email).map(|i| i["language"].as_str().unwrap().to_owned());
    assert_eq!(lang("asa@example.se").as_deref(), Some("sv"));
    assert_eq!(lang("fay@example.fi").as_deref(), Some("fi"));
    assert!(lang("bo@example.fi").is_some() && lang("dan@example.fi").is_some());
    assert!(texts(&app.get_html(&page).await, "p.summary").join(" ").contains("Done: 4 of 4 sent"));
    let mails = app.outbox_files().len();
    assert!(mails >= 5, "the invitation emails went out: {mails}");

    // A preview cancelled: nothing sent; a finished one cannot be cancelled.
    let res = post_bulk(
        &app,
        &[("interview_id", &interview), ("deadline", "2099-12-31")],
        Some("first_name,last_name,email\nGus,New,gus@example.fi\n"),
    )
    .await;
    let other = location(&res);
    assert!(app.post_form(&format!("{other}/cancel"), &[]).await.status().is_redirection());
    assert_eq!(app.post_form(&format!("{other}/send"), &[]).await.status(), StatusCode::BAD_REQUEST);
    app.run_pending_jobs().await;
    assert!(!invitations_of(&app, &token).await.iter().any(|i| i["email"] == "gus@example.fi"));
    assert_eq!(app.post_form(&format!("{page}/cancel"), &[]).await.status(), StatusCode::BAD_REQUEST);

    // Everyone matching a search: the candidates list offers it, the preview counts them.
    for (first, email) in [("Ilse", "ilse@example.fi"), ("Ilona", "ilona@example.fi")] {
        app.add_candidate(first, "Virta", email).await;
    }
    let list = app.get_html("/candidates?q=virta").await;
    assert!(list.contains("Invite all 2 candidates whose name starts with “virta”"), "{list}");
    let form = app.get_html("/invitations/bulk?q=virta").await;
    assert!(form.contains("2 candidates whose names start with “virta”"));
    let res = post_bulk(&app, &[("q", "virta"), ("interview_id", &interview), ("deadline", "2099-12-31")], None).await;
    let all = location(&res);
    assert!(texts(&app.get_html(&all).await, "p.summary").join(" ").contains("2 invitations will be sent"));

    // The form's own key: the same form sent twice makes one send; two forms make two.
    let form = app.get_html("/invitations/bulk").await;
    let key = form.split("name=\"form_key\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let again = app.get_html("/invitations/bulk").await;
    assert!(!again.contains(&key), "each form has its own key");
    let one = [("form_key", key.as_str()), ("interview_id", interview.as_str()), ("deadline", "2099-12-31")];
    let csv1 = "first_name,last_name,email\nHal,One,hal@example.fi\n";
    let first = location(&post_bulk(&app, &one, Some(csv1)).await);
    assert_eq!(location(&post_bulk(&app, &one, Some(csv1)).await), first, "a double submit");
    let other_key = [("form_key", "another"), ("interview_id", interview.as_str()), ("deadline", "2099-12-31")];
    assert_ne!(location(&post_bulk(&app, &other_key, Some(csv1)).await), first);

    // Another organization sees none of it.
    let eve = app.create_org_admin("Other", "eve@other.example").await;
    let mut other_app = app;
    other_app.new_browser();
    other_app.login(&eve).await;
    assert_eq!(other_app.get(&page).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(other_app.post_form(&format!("{page}/cancel"), &[]).await.status(), StatusCode::NOT_FOUND);
}

async fn bulk_through_the_api(db: Db) {
    let app = TestApp::spawn(db).await;
    let ada = app.create_org_admin("Acme", "ada@acme.fi").await;
    let token = app.api_token(&ada).await;
    let interview = crate::candidate::new_interview(&app, &token, "Bulk", "").await;
    let body = serde_json::json!({
        "interview_id": interview, "deadline": "2099-12-31", "language": "de",
        "candidates": [
            {"first_name": "Jörg", "last_name": "Müller", "email": "joerg@example.de"},
            {"first_name": "Bad", "last_name": "Mail", "email": "nope"},
            {"first_name": "Lena", "last_name": "Ost", "email": "lena@example.de"},
        ],
    });
    let send = |key: &str| {
        app.api(Method::POST, "/invitations/bulk", &token).header("Idempotency-Key", key).json(&body).send()
    };
    let res = send("k1").await.unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let first: serde_json::Value = res.json().await.unwrap();
    assert_eq!((first["to_send"].as_i64(), first["invalid"][0]["position"].as_i64()), (Some(2), Some(2)));
    let res = send("k1").await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "the same key gives the first send back");
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["id"], first["id"]);
    app.run_pending_jobs().await;
    let id = first["id"].as_str().unwrap();
    let status: serde_json::Value =
        app.api(Method::GET, &format!("/invitations/bulk/{id}"), &token).send().await.unwrap().json().await.unwrap();
    assert_eq!((status["status"].as_str(), status["sent"].as_i64()), (Some("done"), Some(2)));
    let all = invitations_of(&app, &token).await;
    assert_eq!(all.len(), 2, "no duplicates");
    assert!(all.iter().all(|i| i["language"] == "de"));
    // Bad requests: exact statuses.
    for (body, field) in [
        (serde_json::json!({"interview_id": interview, "deadline": "2099-12-31", "candidates": []}), "candidates"),
        (
            serde_json::json!({"interview_id": interview, "deadline": "soon", "candidates": [{"candidate_id": "x"}]}),
            "deadline",
        ),
    ] {
        let res = app.api(Method::POST, "/invitations/bulk", &token).json(&body).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.json::<serde_json::Value>().await.unwrap()["error"]["fields"][field].is_string(), "{field}");
    }
    let res = app
        .api(Method::POST, "/invitations/bulk", &token)
        .json(&serde_json::json!({"interview_id": "nope", "deadline": "2099-12-31", "candidates": [{"candidate_id": "x"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let eve = app.create_org_admin("Other", "eve@other.example").await;
    let other = app.api_token(&eve).await;
    let res = app.api(Method::GET, &format!("/invitations/bulk/{id}"), &other).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let pool = sqlx::AnyPool::connect(&app.database_url).await.unwrap();
    let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&pool).await.unwrap();
    pool.close().await;
    n
}

/// More rows than one of the job's transactions takes: every batch sends its rows with their candidates, timeline
/// events and emails once; an email already in the base reuses its candidate; the emails of a claim are logged
/// together, each once.
async fn a_send_of_several_batches(db: Db) {
    let app = TestApp::spawn(db).await;
    let ada = app.create_org_admin("Acme", "ada@acme.fi").await;
    let token = app.api_token(&ada).await;
    let interview = crate::candidate::new_interview(&app, &token, "Bulk", "").await;
    app.login(&ada).await;
    let known = app.add_candidate("Åsa", "Öberg", "asa@example.se").await;
    let n = 450;
    let mut people: Vec<serde_json::Value> = (1..n)
        .map(|i| serde_json::json!({"first_name": "Ελένη", "last_name": format!("Nørgaard {i}"), "email": format!("p{i}@example.com")}))
        .collect();
    people.insert(300, serde_json::json!({"first_name": "Asa", "last_name": "Oberg", "email": "ASA@example.se"}));
    let body = serde_json::json!({"interview_id": interview, "deadline": "2099-12-31", "language": "sv", "candidates": people});
    let res = app.api(Method::POST, "/invitations/bulk", &token).json(&body).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let id = res.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    app.run_pending_jobs().await;
    let status: serde_json::Value =
        app.api(Method::GET, &format!("/invitations/bulk/{id}"), &token).send().await.unwrap().json().await.unwrap();
    assert_eq!((status["status"].as_str(), status["sent"].as_i64()), (Some("done"), Some(n)));
    assert_eq!(count(&app, "SELECT COUNT(*) FROM invitations").await, n);
    assert_eq!(count(&app, "SELECT COUNT(DISTINCT candidate_id) FROM invitations").await, n);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM candidates").await, n, "the known email reused its candidate");
    assert_eq!(
        count(&app, &format!("SELECT COUNT(*) FROM invitations WHERE candidate_id = '{known}'")).await,
        1,
        "the known candidate {known} invited"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM candidate_events WHERE kind = 'invited'").await, n);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM candidate_events WHERE kind = 'created'").await, n);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM bulk_rows WHERE outcome = 'sent' AND invitation_id IS NOT NULL").await,
        n
    );
    assert_eq!(count(&app, "SELECT COUNT(*) FROM jobs WHERE kind = 'send_email' AND status = 'done'").await, n);
    assert_eq!(count(&app, "SELECT COUNT(DISTINCT job_id) FROM sent_mail").await, n);
    assert_eq!(app.outbox_files().len() as i64, n);
    // The personal links work: each invitation's token hash is its own.
    assert_eq!(count(&app, "SELECT COUNT(DISTINCT token_hash) FROM invitations").await, n);
}

both!(a_csv_and_chosen_candidates_previewed_then_sent, bulk_through_the_api, a_send_of_several_batches);
