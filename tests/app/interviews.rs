use crate::both;
use crate::helpers::{Db, TestApp, location, texts};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn question_fields(i: usize, text: &str, seconds: &str, takes: &str, think: &str) -> Vec<(String, String)> {
    vec![
        (format!("q-{i}-text"), text.to_owned()),
        (format!("q-{i}-instructions"), String::new()),
        (format!("q-{i}-seconds"), seconds.to_owned()),
        (format!("q-{i}-takes"), takes.to_owned()),
        (format!("q-{i}-think"), think.to_owned()),
    ]
}

async fn post(app: &TestApp, path: &str, fields: Vec<(String, String)>) -> reqwest::Response {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    app.post_form(path, &pairs).await
}

async fn manage_video_interviews(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.create_org_admin("Acme", "ada@acme.fi").await;
    app.login(&admin).await;

    // Every new organization has the demo interview.
    let list = app.get_html("/interviews").await;
    assert!(texts(&list, "tbody tr").iter().any(|r| r.contains("Getting to know you") && r.contains(" 5 ")), "{list}");

    // Rearranging questions re-renders the form without saving.
    let mut fields = vec![
        ("name".to_owned(), "Developer <b>screen</b>".to_owned()),
        ("title".to_owned(), "Developer interview".to_owned()),
    ];
    fields.extend(question_fields(0, "First?", "60", "1", ""));
    fields.extend(question_fields(1, "Second?", "120", "3", "30"));
    let mut moved = fields.clone();
    moved.push(("action".into(), "up-1".into()));
    let res = post(&app, "/interviews", moved).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    let order: Vec<String> = texts(&html, "ol.questions textarea[name$=\"-text\"]");
    assert_eq!(order, vec!["Second?", "First?"]);
    assert_eq!(interviews(&app, &admin).await.len(), 1, "nothing saved while rearranging");

    // Rules, with messages on the right question.
    let mut bad = vec![("name".to_owned(), "X".to_owned()), ("title".to_owned(), String::new())];
    bad.extend(question_fields(0, "", "20", "9", "5000"));
    bad.push(("show_questions_upfront".into(), "1".into()));
    bad.extend(question_fields(1, "Fine?", "60", "1", "30"));
    bad.push(("action".into(), "save".into()));
    let res = post(&app, "/interviews", bad).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    let q0 = texts(&html, "li.question:nth-child(1) .field-error").join(" | ");
    assert!(
        q0.contains("Write the question") && q0.contains("30 seconds to 10 minutes") && q0.contains("from 1 to 5"),
        "{q0}"
    );
    let q1 = texts(&html, "li.question:nth-child(2) .field-error").join(" | ");
    assert!(q1.contains("upfront"), "a time to think is refused when questions are shown upfront: {q1}");
    assert!(texts(&html, "#e-title").len() == 1);

    fields.push(("action".into(), "save".into()));
    let res = post(&app, "/interviews", fields).await;
    assert_eq!(location(&res), "/interviews");
    let list = app.get_html("/interviews").await;
    assert!(list.contains("Developer &#60;b&#62;screen&#60;/b&#62;") && !list.contains("<b>screen"));
    let id = interviews(&app, &admin).await.into_iter().find(|i| i.name.starts_with("Developer")).unwrap().id;

    let edit = app.get_html(&format!("/interviews/{id}/edit")).await;
    assert_eq!(texts(&edit, "ol.questions textarea[name$=\"-text\"]"), vec!["First?", "Second?"]);
    let mut changed =
        vec![("name".to_owned(), "Developer".to_owned()), ("title".to_owned(), "Developer interview".to_owned())];
    changed.extend(question_fields(0, "Only one now?", "600", "5", "0"));
    changed.push(("q-0-notes".into(), "1".into()));
    changed.push(("action".into(), "save".into()));
    let res = post(&app, &format!("/interviews/{id}"), changed).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let saved = candor::store::interviews::get(&app.store, &admin.org_id, &id).await.unwrap();
    assert_eq!(saved.questions.len(), 1);
    let q = &saved.questions[0];
    assert_eq!((q.max_answer_seconds, q.max_takes, q.think_seconds, q.notes_allowed), (600, 5, Some(0), true));

    // Clone asks for a name.
    assert!(app.get_html(&format!("/interviews/{id}/clone")).await.contains("Copy of Developer"));
    let res = app.post_form(&format!("/interviews/{id}/clone"), &[("name", " ")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app.post_form(&format!("/interviews/{id}/clone"), &[("name", "Senior developer")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let copy = interviews(&app, &admin).await.into_iter().find(|i| i.name == "Senior developer").unwrap();
    assert_eq!(copy.questions, 1);

    assert!(app.get_html(&format!("/interviews/{id}/delete")).await.contains("deleted for good"));
    let res = app.post_form(&format!("/interviews/{id}/delete"), &[]).await;
    assert_eq!(location(&res), "/interviews");
    assert_eq!(app.get(&format!("/interviews/{id}/edit")).await.status(), StatusCode::NOT_FOUND);

    // Another organization cannot see or touch them.
    let other = app.create_org_admin("Other", "o@other.fi").await;
    let mut app = app;
    app.new_browser();
    app.login(&other).await;
    for path in [
        format!("/interviews/{}/edit", copy.id),
        format!("/interviews/{}/clone", copy.id),
        format!("/interviews/{}/delete", copy.id),
    ] {
        assert_eq!(app.get(&path).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(app.post_form(&format!("/interviews/{}/delete", copy.id), &[]).await.status(), StatusCode::NOT_FOUND);
    assert!(!app.get_html("/interviews").await.contains("Senior developer"));
}

async fn interviews(
    app: &TestApp,
    user: &crate::helpers::TestUser,
) -> Vec<candor::store::interviews::InterviewSummary> {
    candor::store::interviews::list(&app.store, &user.org_id).await.unwrap()
}

async fn interviews_api(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.create_org_admin("Acme", "ada@acme.fi").await;
    let token = app.api_token(&admin).await;
    let body = json!({
        "name": "Sales", "title": "Sales role", "intro_text": "Hi",
        "questions": [
            {"text": "Pitch us something", "max_answer_seconds": 120, "max_takes": 2, "think_seconds": 30},
            {"text": "Anything else?", "max_answer_seconds": 60, "max_takes": 1, "think_seconds": null, "notes_allowed": true}
        ]
    });
    let res = app.api(Method::POST, "/interviews", &token).json(&body).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let created: Value = res.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["questions"][1]["think_seconds"], Value::Null);
    assert_eq!(created["questions"][1]["notes_allowed"], true);

    let res = app
        .api(Method::POST, "/interviews", &token)
        .json(&json!({"name": "Empty", "title": "T", "questions": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let bad = json!({"name": "N", "title": "T", "questions": [{"text": "Q", "max_answer_seconds": 5, "max_takes": 6, "think_seconds": 30}]});
    let res = app.api(Method::POST, "/interviews", &token).json(&bad).send().await.unwrap();
    let errors: Value = res.json().await.unwrap();
    assert!(errors["error"]["fields"]["questions[0].max_answer_seconds"].is_string(), "{errors}");
    assert!(errors["error"]["fields"]["questions[0].max_takes"].is_string());

    let res = app
        .api(Method::PATCH, &format!("/interviews/{id}"), &token)
        .json(&json!({"title": "Sales role 2026", "show_questions_upfront": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "upfront with a time to think is refused");
    let res = app
        .api(Method::PATCH, &format!("/interviews/{id}"), &token)
        .json(&json!({"title": "Sales role 2026", "questions": [{"text": "Just one", "max_answer_seconds": 30, "max_takes": 1, "think_seconds": null}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let got: Value =
        app.api(Method::GET, &format!("/interviews/{id}"), &token).send().await.unwrap().json().await.unwrap();
    assert_eq!(got["title"], "Sales role 2026");
    assert_eq!(got["intro_text"], "Hi");
    assert_eq!(got["questions"].as_array().unwrap().len(), 1);
    let list: Value = app.api(Method::GET, "/interviews", &token).send().await.unwrap().json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 2, "the demo and this one");

    let other = app.create_org_admin("Other", "o@other.fi").await;
    let other_token = app.api_token(&other).await;
    for method in [Method::GET, Method::DELETE] {
        assert_eq!(
            app.api(method, &format!("/interviews/{id}"), &other_token).send().await.unwrap().status(),
            StatusCode::NOT_FOUND
        );
    }
    assert_eq!(
        app.api(Method::DELETE, &format!("/interviews/{id}"), &token).send().await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.api(Method::GET, &format!("/interviews/{id}"), &token).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let doc: Value = reqwest::get(app.url("/api/v1/openapi.json")).await.unwrap().json().await.unwrap();
    assert!(doc["paths"]["/api/v1/interviews/{id}"]["patch"].is_object());
}

both!(manage_video_interviews, interviews_api);
