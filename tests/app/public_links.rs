//! Public links: set up by a recruiter, registered through by anyone, abuse refused with nothing stored.

use crate::both;
use crate::helpers::{Db, TestApp, texts};
use reqwest::{Method, StatusCode};

async fn count(app: &TestApp, table: &str) -> i64 {
    let pool = sqlx::AnyPool::connect(&app.database_url).await.unwrap();
    let (n,): (i64,) = sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(&pool).await.unwrap();
    pool.close().await;
    n
}

fn public_path(html: &str) -> String {
    let at = html.find("/p/").expect("the public link on the page");
    html[at..].split('"').next().unwrap().to_owned()
}

async fn register(app: &TestApp, link: &str, fields: Vec<(&'static str, String)>) -> (StatusCode, String) {
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = app.post_form(link, &fields).await;
    (res.status(), res.text().await.unwrap())
}

async fn register_through_a_public_link(db: Db) {
    let mut app = TestApp::spawn(db).await;
    let ada = app.create_org_admin("Acme", "ada@acme.fi").await;
    let token = app.api_token(&ada).await;
    let interview = crate::candidate::new_interview(&app, &token, "Kesätyö <2027>", "Tervetuloa!").await;
    app.login(&ada).await;
    let settings = format!("/interviews/{interview}/public-link");
    assert!(!app.get_html(&settings).await.contains("/p/"), "no link until one is set up");

    // Bad settings are refused field by field; nothing is created.
    let res = app
        .post_form(
            &settings,
            &[
                ("enabled", "yes"),
                ("closes_on", "2001-01-01"),
                ("language", "fi"),
                ("access_code", "ab"),
                ("answer_days", "0"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("Use 4 to 64 characters") && html.contains("from 1 to 60"), "{html}");
    assert_eq!(count(&app, "public_links").await, 0);
    // Switched off first: the link says so, in its language.
    let ok = [("closes_on", ""), ("language", "fi"), ("access_code", "KESÄ2027"), ("answer_days", "5")];
    assert!(app.post_form(&settings, &ok).await.status().is_redirection());
    let link = public_path(&app.get_html(&settings).await);
    app.new_browser();
    let res = app.get(&link).await;
    assert_eq!(res.status(), StatusCode::GONE);
    assert!(res.text().await.unwrap().contains("Tämän linkin kautta ei voi enää ilmoittautua"));
    app.new_browser();
    app.login(&ada).await;
    let mut on = ok.to_vec();
    on.push(("enabled", "yes"));
    assert!(app.post_form(&settings, &on).await.status().is_redirection());

    // A visitor: the interview's title (escaped) and the form in Finnish.
    app.new_browser();
    let page = app.get_html(&link).await;
    assert!(
        page.contains("<html lang=\"fi\">") && page.contains("Kesätyö &#60;2027&#62;") && page.contains("Pääsykoodi")
    );
    let person = |email: &str, code: &str| {
        vec![
            ("first_name", "Saga".to_owned()),
            ("last_name", "Lind".to_owned()),
            ("email", email.to_owned()),
            ("access_code", code.to_owned()),
        ]
    };
    // Refused: a wrong code, an overlong name, a bad address; nothing stored.
    let (status, html) = register(&app, &link, person("saga@example.se", "WRONG")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Pääsykoodi ei ole oikein."));
    let mut long = person("saga@example.se", "KESÄ2027");
    long[0].1 = "S".repeat(101);
    let (status, html) = register(&app, &link, long).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Kirjoita etunimesi"));
    let (status, _) = register(&app, &link, person("not an address", "KESÄ2027")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // The honeypot filled in: the same answer, nothing done.
    let mut robot = person("robot@example.com", "KESÄ2027");
    robot.push(("website", "http://spam.example".to_owned()));
    let (status, html) = register(&app, &link, robot).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Tarkista sähköpostisi"));
    for table in ["invitations", "candidates", "public_registrations"] {
        assert_eq!(count(&app, table).await, 0, "{table}: nothing stored for refused requests");
    }

    // Taken: a candidate and an invitation, and the personal link by email.
    let (status, html) = register(&app, &link, person("Saga@Example.se", "KESÄ2027")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Tarkista sähköpostisi") && html.contains("Saga@Example.se"));
    app.run_pending_jobs().await;
    let mails: Vec<String> = app.outbox_files().iter().map(|p| std::fs::read_to_string(p).unwrap()).collect();
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains("/i/"));
    let items = app
        .api(Method::GET, "/invitations?status=any", &token)
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let inv = &items["items"][0];
    assert_eq!((inv["source"].as_str(), inv["language"].as_str()), (Some("public"), Some("fi")));
    // The same person again: the open invitation is sent again, nothing new is made, the page says the same.
    let (status, again) = register(&app, &link, person("saga@example.se", "KESÄ2027")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(again.contains("Tarkista sähköpostisi"));
    assert_eq!(count(&app, "invitations").await, 1);
    app.run_pending_jobs().await;
    assert_eq!(app.outbox_files().len(), 2, "sent again");
    // Someone already in the base: reused as is (their name not changed by what a stranger typed).
    app.new_browser();
    app.login(&ada).await;
    let known = app.add_candidate("Bo", "Ek", "bo@example.se").await;
    app.new_browser();
    app.get(&link).await;
    let mut impostor = person("bo@example.se", "KESÄ2027");
    impostor[0].1 = "Mallory".to_owned();
    let (status, html) = register(&app, &link, impostor).await;
    assert_eq!((status, html.contains("Tarkista sähköpostisi")), (StatusCode::OK, true));
    assert_eq!(count(&app, "candidates").await, 2);
    let bo = candor::store::candidates::get(&app.store, &ada.org_id, &known).await.unwrap();
    assert_eq!(bo.first_name, "Bo");

    // Per-address limit: five an hour; the sixth is refused, with nothing stored.
    for i in 0..2 {
        let (status, _) = register(&app, &link, person(&format!("p{i}@example.se"), "KESÄ2027")).await;
        assert_eq!(status, StatusCode::OK);
    }
    let before = count(&app, "invitations").await;
    let (status, html) = register(&app, &link, person("late@example.se", "KESÄ2027")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(html.contains("liian monta ilmoittautumista"));
    assert_eq!(count(&app, "invitations").await, before);

    // The recruiter sees where they came from.
    app.new_browser();
    app.login(&ada).await;
    let rows = texts(&app.get_html("/invitations").await, "table.invitations tbody tr");
    assert_eq!(rows.iter().filter(|r| r.contains("via public link")).count(), 4, "{rows:?}");
    let saga = &inv["candidate_id"].as_str().unwrap();
    let view = app.get_html(&format!("/candidates/{saga}")).await;
    assert!(view.contains("Registered through the public link of “Support” at Saga@example.se"), "{view}");

    // Past its closing date the link is closed.
    let pool = sqlx::AnyPool::connect(&app.database_url).await.unwrap();
    sqlx::query("UPDATE public_links SET closes_on = '2001-01-01'").execute(&pool).await.unwrap();
    pool.close().await;
    app.new_browser();
    assert_eq!(app.get(&link).await.status(), StatusCode::GONE);
    // Another organization cannot see or change it; an unknown token is a plain 404.
    let eve = app.create_org_admin("Other", "eve@other.example").await;
    app.new_browser();
    app.login(&eve).await;
    assert_eq!(app.get(&settings).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.post_form(&settings, &on).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get("/p/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").await.status(), StatusCode::NOT_FOUND);
}

/// Registrations of one email at the same moment (a double click, two tabs) make one invitation and one email,
/// for a new person and for one already in the base; a later round after the invitation closed makes a new one.
async fn registrations_at_once_make_one_invitation(db: Db) {
    let app = TestApp::spawn(db).await;
    let ada = app.create_org_admin("Acme", "ada@acme.fi").await;
    let token = app.api_token(&ada).await;
    let interview = crate::candidate::new_interview(&app, &token, "Support", "").await;
    app.login(&ada).await;
    let settings = format!("/interviews/{interview}/public-link");
    let on = [("enabled", "yes"), ("closes_on", ""), ("language", "sv"), ("access_code", ""), ("answer_days", "5")];
    assert!(app.post_form(&settings, &on).await.status().is_redirection());
    app.add_candidate("Bo", "Ek", "bo@example.se").await;
    let link = candor::store::public_links::of_interview(&app.store, &ada.org_id, &interview).await.unwrap().unwrap();
    let cx = &app.state.usecases;
    for email in ["new@example.se", "BO@example.se"] {
        let attempts = (0..4).map(|i| {
            let client = format!("client-{email}-{i}");
            let link = link.clone();
            async move {
                let input = candor::usecase::public_links::Registration {
                    first_name: "Saga",
                    last_name: "Lind",
                    email,
                    access_code: "",
                    honeypot: "",
                    client_hash: &client,
                };
                candor::usecase::public_links::register(cx, &link, &input).await.map_err(|e| format!("{e:?}"))
            }
        });
        let results = futures_util::future::join_all(attempts).await;
        assert!(results.iter().all(Result::is_ok), "{results:?}");
        let key = email.to_lowercase();
        let invitations = count_where(
            &app,
            &format!(
                "SELECT COUNT(*) FROM invitations i JOIN candidates c ON c.id = i.candidate_id WHERE c.email_key = '{key}'"
            ),
        )
        .await;
        assert_eq!(invitations, 1, "{email}: one invitation for registrations at once");
        assert_eq!(count_where(&app, &format!("SELECT COUNT(*) FROM candidates WHERE email_key = '{key}'")).await, 1);
    }
    app.run_pending_jobs().await;
    let to = |who: &str| {
        app.outbox_files().iter().filter(|p| std::fs::read_to_string(p).unwrap().to_lowercase().contains(who)).count()
    };
    // Each got their link (a registration that came after the invitation was made sends it again).
    assert!(to("new@example.se") >= 1 && to("bo@example.se") >= 1);
    // The invitation closed (withdrawn by the recruiter): registering again makes a new one.
    let inv = count_where(&app, "SELECT COUNT(*) FROM invitations").await;
    let pool = sqlx::AnyPool::connect(&app.database_url).await.unwrap();
    sqlx::query("UPDATE invitations SET status = 'withdrawn'").execute(&pool).await.unwrap();
    pool.close().await;
    let input = candor::usecase::public_links::Registration {
        first_name: "Saga",
        last_name: "Lind",
        email: "new@example.se",
        access_code: "",
        honeypot: "",
        client_hash: "later",
    };
    assert!(candor::usecase::public_links::register(cx, &link, &input).await.is_ok());
    assert_eq!(count_where(&app, "SELECT COUNT(*) FROM invitations").await, inv + 1);
}

async fn count_where(app: &TestApp, sql: &str) -> i64 {
    let pool = sqlx::AnyPool::connect(&app.database_url).await.unwrap();
    let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&pool).await.unwrap();
    pool.close().await;
    n
}

both!(register_through_a_public_link, registrations_at_once_make_one_invitation);
