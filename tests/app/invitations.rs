use crate::both;
use crate::helpers::{Db, SmtpServer, TestApp, TestUser, find_link, location, texts};
use reqwest::StatusCode;
use std::collections::HashSet;

/// A date `days` from today in Europe/Helsinki (the test organizations' zone), as the date picker sends it.
fn in_days(app: &TestApp, days: i64) -> String {
    let tz = jiff::tz::TimeZone::get("Europe/Helsinki").unwrap();
    let now = jiff::Timestamp::from_millisecond(app.store.now_ms()).unwrap();
    let today = candor::domain::today_in(&tz, now);
    today.checked_add(jiff::Span::new().days(days)).unwrap().to_string()
}

async fn demo_interview_id(app: &TestApp, user: &TestUser) -> String {
    candor::store::interviews::list(&app.store, &user.org_id)
        .await
        .unwrap()
        .into_iter()
        .find(|i| i.name == "Getting to know you")
        .unwrap()
        .id
}

fn form_key(html: &str) -> String {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse("input[name=form_key]").unwrap();
    doc.select(&sel).next().unwrap().value().attr("value").unwrap().to_owned()
}

/// The help page's story: invite an internal candidate found by typing part of the name, in Finnish, with BCC
/// myself and Notify me; back on the list with a Pending row; one email to the candidate with the user in BCC.
async fn invite_an_internal_candidate(db: Db) {
    let smtp = SmtpServer::start().await;
    let url = smtp.url();
    let app = TestApp::spawn_with(db, |c| c.smtp_url = Some(url)).await;
    let user = app.create_org_admin("Acme", "ada@acme.fi").await;
    app.login(&user).await;
    app.add_candidate("Aino", "Järvinen", "aino@example.fi").await;
    app.add_candidate("Jarmo", "Virtanen", "jarmo@example.fi").await;

    let list = app.get_html("/invitations").await;
    assert!(list.contains("to internal candidate") && list.contains("to external candidate"));
    let form = app.get_html("/invitations/new?to=internal").await;
    assert!(form.contains("BCC myself (ada@acme.fi)"));
    assert!(form.contains("inclusive"), "the deadline hint says the date is inclusive");
    assert!(form.contains("does not change the language of the interview"));
    let key = form_key(&form);

    // Typing "jär" offers Aino; picking her fills the email.
    let fragment = app.get("/candidates/suggest?q=j%C3%A4r").await.text().await.unwrap();
    let doc = scraper::Html::parse_fragment(&fragment);
    let li = doc.select(&scraper::Selector::parse("li[role=option]").unwrap()).next().unwrap();
    assert_eq!(li.value().attr("data-name"), Some("Aino Järvinen"));
    let candidate_id = li.value().attr("data-id").unwrap().to_owned();
    let email = li.value().attr("data-email").unwrap().to_owned();

    let interview = demo_interview_id(&app, &user).await;
    let deadline = in_days(&app, 7);
    let fields = [
        ("to", "internal"),
        ("candidate_id", candidate_id.as_str()),
        ("full_name", "Aino Järvinen"),
        ("email", email.as_str()),
        ("language", "fi"),
        ("interview_id", interview.as_str()),
        ("deadline", deadline.as_str()),
        ("bcc_me", "1"),
        ("notify_me", "1"),
        ("form_key", key.as_str()),
    ];
    let res = app.post_form("/invitations", &fields).await;
    assert_eq!(location(&res), "/invitations");
    assert!(app.get_html("/invitations").await.contains("The invitation to Aino Järvinen is sent to aino@example.fi."));
    // A double submit of the same form creates nothing more.
    let res = app.post_form("/invitations", &fields).await;
    assert_eq!(location(&res), "/invitations");

    let list = app.get_html("/invitations").await;
    let rows = texts(&list, "table.invitations tbody tr");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(
        rows[0].contains("Aino Järvinen") && rows[0].contains("Pending") && rows[0].contains(&deadline),
        "{rows:?}"
    );
    assert!(list.contains("This invitation was already sent."));

    assert_eq!(app.run_pending_jobs().await, 1);
    let mails = smtp.messages();
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail.subject, "Kutsu videohaastatteluun: Acme");
    assert_eq!(mail.to, "aino@example.fi");
    let mut rcpt = mail.rcpt_to.clone();
    rcpt.sort();
    assert_eq!(rcpt, vec!["ada@acme.fi", "aino@example.fi"], "the user gets a blind copy");
    assert!(mail.bcc_header.is_none());
    assert_eq!(mail.reply_to, "ada@acme.fi");
    let (y, m, d) = {
        let p: Vec<&str> = deadline.split('-').collect();
        (p[0].to_owned(), p[1].trim_start_matches('0').to_owned(), p[2].trim_start_matches('0').to_owned())
    };
    assert!(mail.text.contains(&format!("Vastaa viimeistään {d}.{m}.{y}")), "{}", mail.text);
    assert!(
        mail.text.contains("Hei Aino")
            && mail.text.contains("Getting to know you")
            && mail.text.contains("5 kysymykseen")
    );
    assert!(mail.html.contains("Aloita videohaastattelu"));

    // The personal link: 256 random-looking bits, and it leads to this invitation.
    let link = find_link(&mail.text, "/i/");
    let token = link.rsplit('/').next().unwrap();
    assert!(token.len() >= 43);
    let (org, inv) = candor::store::invitations::by_token(&app.store, token).await.unwrap().expect("the link is valid");
    assert_eq!((org.as_str(), inv.status.as_str(), inv.language.as_str()), (user.org_id.as_str(), "pending", "fi"));
    assert!(inv.bcc_me && inv.notify_me);
    // The link opens the candidate's page, in Finnish, for someone with no account.
    let (candidate_browser, _) = crate::helpers::browser();
    let opened = candidate_browser.get(&link).send().await.unwrap();
    assert_eq!(opened.status(), StatusCode::OK);
    let opened = opened.text().await.unwrap();
    assert!(opened.contains("Getting to know you") && opened.contains("Aloita nyt"), "{opened}");

    // The candidate's timeline shows the invitation at once.
    let view = app.get_html(&format!("/candidates/{candidate_id}")).await;
    assert!(
        texts(&view, "ol.timeline li").iter().any(|t| t.contains("Invited to “Getting to know you”")
            && t.contains(&deadline)
            && t.contains("ada@acme.fi"))
    );

    // Resend: same link, a new email; the Copy candidate link page shows the same link.
    let res = app.post_form(&format!("/invitations/{}/resend", inv.id), &[]).await;
    assert_eq!(location(&res), "/invitations");
    app.run_pending_jobs().await;
    let again = smtp.messages().pop().unwrap();
    assert_eq!(find_link(&again.text, "/i/"), link);
    assert!(app.get_html(&format!("/invitations/{}/link", inv.id)).await.contains(&link));

    // Disable: no longer in the default list; shown with the Disabled filter; cannot be resent.
    app.post_form(&format!("/invitations/{}/disable", inv.id), &[]).await;
    assert!(texts(&app.get_html("/invitations").await, "table.invitations tbody tr").is_empty());
    let disabled = app.get_html("/invitations?status=disabled").await;
    assert!(texts(&disabled, "tbody tr").iter().any(|r| r.contains("Disabled")));
    assert_eq!(app.post_form(&format!("/invitations/{}/resend", inv.id), &[]).await.status(), StatusCode::BAD_REQUEST);

    assert!(app.get_html(&format!("/invitations/{}/delete", inv.id)).await.contains("stops working"));
    app.post_form(&format!("/invitations/{}/delete", inv.id), &[]).await;
    assert!(texts(&app.get_html("/invitations?status=any").await, "table.invitations tbody tr").is_empty());
    assert!(candor::store::invitations::by_token(&app.store, token).await.unwrap().is_none());
}

async fn invite_an_external_candidate_and_from_the_candidate_view(db: Db) {
    let smtp = SmtpServer::start().await;
    let url = smtp.url();
    let app = TestApp::spawn_with(db, |c| c.smtp_url = Some(url)).await;
    let user = app.create_org_admin("Acme", "ada@acme.fi").await;
    app.login(&user).await;
    let interview = demo_interview_id(&app, &user).await;
    let deadline = in_days(&app, 0);

    let form = app.get_html("/invitations/new?to=external").await;
    assert!(form.contains("First name") && form.contains("Last name"));
    let external = |key: &'static str, email: &'static str| {
        vec![
            ("to", "external"),
            ("first_name", "Sven"),
            ("last_name", "Öström"),
            ("email", email),
            ("language", "sv"),
            ("interview_id", interview.as_str()),
            ("deadline", deadline.as_str()),
            ("form_key", key),
        ]
    };
    let res = app.post_form("/invitations", &external("k1", "sven@example.se")).await;
    assert_eq!(location(&res), "/invitations");
    let found = candor::store::candidates::search(&app.store, &user.org_id, "ostr", 10).await.unwrap();
    assert_eq!(found.len(), 1, "the candidate record was created");
    let timeline = app.get_html(&format!("/candidates/{}", found[0].id)).await;
    let events = texts(&timeline, "ol.timeline li");
    assert!(events[0].contains("Invited to") && events[1].contains("Candidate created"), "{events:?}");

    // The same email again: the existing candidate is reused, and the user is told.
    let res = app.post_form("/invitations", &external("k2", "SVEN@example.se")).await;
    let list = app.get(&location(&res)).await.text().await.unwrap();
    assert!(list.contains("already belonged to one of your candidates"));
    assert_eq!(candor::store::candidates::search(&app.store, &user.org_id, "ostr", 10).await.unwrap().len(), 1);

    // From the candidate view: the form opens with the candidate chosen and the email prefilled.
    let id = app.add_candidate("Éloïse", "Dubois", "eloise@example.fr").await;
    let view = app.get_html(&format!("/candidates/{id}")).await;
    assert!(view.contains(&format!("/invitations/new?to=internal&amp;candidate_id={id}")));
    let form = app.get_html(&format!("/invitations/new?to=internal&candidate_id={id}")).await;
    assert!(form.contains("value=\"eloise@example.fr\"") && form.contains("value=\"Éloïse Dubois\""));
    let key = form_key(&form);
    let res = app
        .post_form(
            "/invitations",
            &[
                ("to", "internal"),
                ("candidate_id", &id),
                ("full_name", "Éloïse Dubois"),
                ("email", "eloise.d@example.fr"),
                ("language", "fr"),
                ("interview_id", &interview),
                ("deadline", &deadline),
                ("form_key", &key),
            ],
        )
        .await;
    assert_eq!(location(&res), "/invitations");
    let events = texts(&app.get_html(&format!("/candidates/{id}")).await, "ol.timeline li");
    assert!(events[0].contains("eloise.d@example.fr"), "the edited email is the one used: {events:?}");

    assert_eq!(app.run_pending_jobs().await, 3);
    let subjects: Vec<String> = smtp.messages().into_iter().map(|m| m.subject).collect();
    assert!(subjects.contains(&"Inbjudan till videointervju från Acme".to_owned()));
    assert!(subjects.contains(&"Invitation à un entretien vidéo de la part de Acme".to_owned()));
    let fr = smtp.messages().into_iter().find(|m| m.rcpt_to.contains(&"eloise.d@example.fr".to_owned())).unwrap();
    assert!(fr.rcpt_to.len() == 1, "no BCC unless asked");
}

async fn invitation_form_refuses_bad_input(db: Db) {
    let app = TestApp::spawn(db).await;
    let user = app.create_org_admin("Acme", "ada@acme.fi").await;
    let other = app.create_org_admin("Other", "o@other.fi").await;
    app.login(&user).await;
    let interview = demo_interview_id(&app, &user).await;
    let foreign_interview = demo_interview_id(&app, &other).await;
    let id = app.add_candidate("<script>x</script>", "Evil", "evil@example.com").await;
    let tomorrow = in_days(&app, 1);
    let yesterday = in_days(&app, -1);
    let post = |fields: Vec<(&'static str, String)>| {
        let app = &app;
        async move {
            let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.post_form("/invitations", &pairs).await
        }
    };
    let base = |deadline: &str, interview: &str, candidate: &str| {
        vec![
            ("to", "internal".to_owned()),
            ("candidate_id", candidate.to_owned()),
            ("full_name", "x".to_owned()),
            ("email", "evil@example.com".to_owned()),
            ("language", "fi".to_owned()),
            ("interview_id", interview.to_owned()),
            ("deadline", deadline.to_owned()),
        ]
    };
    for (deadline, message) in [
        (yesterday.as_str(), "cannot be in the past"),
        ("2027-02-30", "date that exists"),
        ("next week", "date that exists"),
    ] {
        let res = post(base(deadline, &interview, &id)).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.text().await.unwrap().contains(message), "{deadline}");
    }
    let mut bad = base(&tomorrow, "", "");
    bad[3].1 = "not-an-email".into();
    bad[4].1 = "xx".into();
    let res = post(bad).await;
    let html = res.text().await.unwrap();
    for field in ["full_name", "email", "language", "interview_id"] {
        assert_eq!(texts(&html, &format!("#e-{field}")).len(), 1, "{field}");
    }
    // Unknown or foreign ids: 404, nothing created.
    assert_eq!(post(base(&tomorrow, &foreign_interview, &id)).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(post(base(&tomorrow, "no-such-interview", &id)).await.status(), StatusCode::NOT_FOUND);
    let foreign_candidate = {
        let c = candor::store::candidates::NewCandidate::parse("Other", "Person", "op@other.fi", None, None).unwrap();
        let actor = candor::store::candidates::EventActor { label: "test".into() };
        candor::store::candidates::create(&app.store, &other.org_id, &actor, &c).await.unwrap().id
    };
    assert_eq!(post(base(&tomorrow, &interview, &foreign_candidate)).await.status(), StatusCode::NOT_FOUND);
    assert!(texts(&app.get_html("/invitations?status=any").await, "table.invitations tbody tr").is_empty());

    // Names are escaped in the list and in the email.
    let res = post(base(&tomorrow, &interview, &id)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let list = app.get_html("/invitations").await;
    assert!(!list.contains("<script>x</script>") && list.contains("&#60;script&#62;x&#60;/script&#62;"));
    app.run_pending_jobs().await;
    let mail = crate::helpers::parse_mail(&std::fs::read(&app.outbox_files()[0]).unwrap());
    assert!(!mail.html.contains("<script>") && mail.html.contains("&#60;script&#62;"));
}

both!(
    invite_an_internal_candidate,
    invite_an_external_candidate_and_from_the_candidate_view,
    invitation_form_refuses_bad_input
);

/// Expiry happens after the last instant of the deadline date in the organization's time zone.
async fn invitations_expire_after_the_deadline_date(db: Db) {
    let app = TestApp::spawn(db).await;
    let user = app.create_org_admin("Acme", "ada@acme.fi").await;
    app.login(&user).await;
    let id = app.add_candidate("Aino", "Järvinen", "aino@example.fi").await;
    let interview = demo_interview_id(&app, &user).await;
    let today = in_days(&app, 0);
    let res = app
        .post_form(
            "/invitations",
            &[
                ("to", "internal"),
                ("candidate_id", &id),
                ("full_name", "Aino"),
                ("email", "aino@example.fi"),
                ("language", "fi"),
                ("interview_id", &interview),
                ("deadline", &today),
                ("form_key", "x1"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let inv = candor::store::invitations::list(
        &app.store,
        &user.org_id,
        &candor::store::invitations::ListFilter {
            answered_since: None,
            decision: None,
            statuses: vec![],
            candidate_query: None,
            candidate_id: None,
            interview_id: None,
            sort: candor::store::invitations::Sort::RecentlyCreated,
            after: None,
            limit: 10,
        },
    )
    .await
    .unwrap()
    .items
    .remove(0);
    // Move the clock to one second before midnight in Helsinki: still open.
    let close = inv.closes_at;
    let now = app.store.now_ms();
    app.store.clock.advance(std::time::Duration::from_millis((close - now - 1000) as u64));
    app.state.worker.run_maintenance().await.unwrap();
    assert_eq!(candor::store::invitations::get(&app.store, &user.org_id, &inv.id).await.unwrap().status, "pending");
    app.store.clock.advance(std::time::Duration::from_millis(1000));
    app.state.worker.run_maintenance().await.unwrap();
    assert_eq!(candor::store::invitations::get(&app.store, &user.org_id, &inv.id).await.unwrap().status, "expired");
    let expired = app.get_html("/invitations?status=expired").await;
    assert!(texts(&expired, "tbody tr").iter().any(|r| r.contains("Expired")));
    let events = texts(&app.get_html(&format!("/candidates/{id}")).await, "ol.timeline li");
    assert!(events[0].contains("Invitation expired"), "{events:?}");
}

both!(invitations_expire_after_the_deadline_date);

async fn invitations_api(db: Db) {
    let app = TestApp::spawn(db).await;
    let user = app.create_org_admin("Acme", "ada@acme.fi").await;
    let other = app.create_org_admin("Other", "o@other.fi").await;
    let token = app.api_token(&user).await;
    let other_token = app.api_token(&other).await;
    let interview = demo_interview_id(&app, &user).await;
    let deadline = in_days(&app, 3);
    let candidate: serde_json::Value = app
        .api(reqwest::Method::POST, "/candidates", &token)
        .json(&serde_json::json!({"first_name": "Aino", "last_name": "Järvinen", "email": "aino@example.fi"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let body = serde_json::json!({"candidate_id": candidate["id"], "language": "fi", "interview_id": interview, "deadline": deadline, "bcc_me": true, "notify_me": true});
    let send = |key: &'static str| {
        app.api(reqwest::Method::POST, "/invitations", &token).header("Idempotency-Key", key).json(&body).send()
    };
    let first = send("retry-1").await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: serde_json::Value = first.json().await.unwrap();
    assert_eq!(first["status"], "pending");
    assert_eq!(first["email"], "aino@example.fi", "the candidate's email by default");
    let again: serde_json::Value = send("retry-1").await.unwrap().json().await.unwrap();
    assert_eq!(again["id"], first["id"], "a retried request gives back the same invitation");
    assert_eq!(app.run_pending_jobs().await, 1, "and sends one email");

    let external = serde_json::json!({"candidate": {"first_name": "Sven", "last_name": "Öström", "email": "sven@example.se"}, "language": "sv", "interview_id": interview, "deadline": deadline});
    let res = app.api(reqwest::Method::POST, "/invitations", &token).json(&external).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);

    let bad = serde_json::json!({"candidate": {"first_name": "", "last_name": "X", "email": "nope"}, "email": "also-bad", "language": "xx", "interview_id": interview, "deadline": "2020-01-01"});
    let res = app.api(reqwest::Method::POST, "/invitations", &token).json(&bad).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let fields = res.json::<serde_json::Value>().await.unwrap()["error"]["fields"].clone();
    for f in ["candidate.first_name", "candidate.email", "email", "language", "deadline"] {
        assert!(fields[f].is_string(), "{f}: {fields}");
    }
    let foreign = serde_json::json!({"candidate_id": candidate["id"], "interview_id": interview, "deadline": deadline});
    let res = app.api(reqwest::Method::POST, "/invitations", &other_token).json(&foreign).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "another organization's candidate");
    let mut unknown_interview = body.clone();
    unknown_interview["interview_id"] = "nope".into();
    let res = app.api(reqwest::Method::POST, "/invitations", &token).json(&unknown_interview).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    let id = first["id"].as_str().unwrap();
    let list: serde_json::Value = app
        .api(reqwest::Method::GET, &format!("/invitations?candidate_id={}", candidate["id"].as_str().unwrap()), &token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.api(reqwest::Method::POST, &format!("/invitations/{id}/resend"), &token).send().await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        app.api(reqwest::Method::POST, &format!("/invitations/{id}/disable"), &other_token)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    let res = app.api(reqwest::Method::POST, &format!("/invitations/{id}/disable"), &token).send().await.unwrap();
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["status"], "disabled");
    assert_eq!(
        app.api(reqwest::Method::POST, &format!("/invitations/{id}/disable"), &token).send().await.unwrap().status(),
        StatusCode::CONFLICT
    );
    assert_eq!(
        app.api(reqwest::Method::POST, &format!("/invitations/{id}/resend"), &token).send().await.unwrap().status(),
        StatusCode::CONFLICT
    );
    let open: serde_json::Value =
        app.api(reqwest::Method::GET, "/invitations", &token).send().await.unwrap().json().await.unwrap();
    assert_eq!(open["items"].as_array().unwrap().len(), 1, "the default filter shows pending and in progress");
    assert_eq!(
        app.api(reqwest::Method::GET, "/invitations?status=bogus", &token).send().await.unwrap().status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.api(reqwest::Method::GET, &format!("/invitations/{id}"), &other_token).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.api(reqwest::Method::DELETE, &format!("/invitations/{id}"), &token).send().await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.api(reqwest::Method::GET, &format!("/invitations/{id}"), &token).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
}

both!(invitations_api);

/// Invitations sent while another transaction holds the database wait together and are written in one transaction;
/// each gets its own answer (a foreign candidate or interview fails alone), and an invitation whose key repeats one
/// of the same group fails alone too, without losing the others.
async fn invitations_sent_at_once_are_written_together(db: Db) {
    use sqlx::Connection;
    let app = TestApp::spawn(db).await;
    let user = app.create_org_admin("Acme", "ada@acme.fi").await;
    let other = app.create_org_admin("Other", "o@other.fi").await;
    let (token, other_token) = (app.api_token(&user).await, app.api_token(&other).await);
    let (interview, other_interview) = (demo_interview_id(&app, &user).await, demo_interview_id(&app, &other).await);
    let deadline = in_days(&app, 3);
    app.login(&user).await;
    let aino = app.add_candidate("Aino", "Järvinen", "aino@example.fi").await;
    let external = |first: &str, email: &str, interview: &str| {
        serde_json::json!({"candidate": {"first_name": first, "last_name": "Öström", "email": email},
            "interview_id": interview, "deadline": deadline})
    };
    let chosen = |candidate: &str, interview: &str| serde_json::json!({"candidate_id": candidate, "interview_id": interview, "deadline": deadline});
    // Holds the write lock until released: what is sent meanwhile waits.
    let hold = || async {
        let mut conn = sqlx::AnyConnection::connect(&app.database_url).await.unwrap();
        match db {
            Db::Sqlite => sqlx::raw_sql("BEGIN IMMEDIATE").execute(&mut conn).await.unwrap(),
            Db::Postgres => sqlx::raw_sql("BEGIN; LOCK TABLE invitations IN SHARE ROW EXCLUSIVE MODE")
                .execute(&mut conn)
                .await
                .unwrap(),
        };
        conn
    };
    let send = |token: &str, body: serde_json::Value, key: Option<&str>| {
        let mut req = app.api(reqwest::Method::POST, "/invitations", token).json(&body);
        if let Some(key) = key {
            req = req.header("Idempotency-Key", key);
        }
        async move {
            let res = req.send().await.unwrap();
            (res.status(), res.json::<serde_json::Value>().await.unwrap())
        }
    };
    // Waits until the invitations waiting for their transaction, and whether one is being written, are `state`.
    // A token's first use records it (a write, which the held lock would hold up before the request queues).
    for t in [&token, &other_token] {
        assert_eq!(app.api(reqwest::Method::GET, "/invitations", t).send().await.unwrap().status(), StatusCode::OK);
    }
    let store = &app.store;
    let queue_is = move |state: (usize, bool)| async move {
        for _ in 0..500 {
            if store.invitations_waiting() == state {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("the invitations waiting never were {state:?}: {:?}", store.invitations_waiting());
    };
    // All at once: the first one's transaction waits for the lock, the rest queue behind it.
    // `queued`: how many of `sends` reach the queue (a foreign candidate is refused before, by the API).
    let tokens = (&token, &other_token);
    let at_once = |sends: Vec<(&'static str, serde_json::Value, Option<&'static str>)>, queued: usize| {
        let first = send(&token, external("Lead", &format!("lead{}@example.se", sends.len()), &interview), None);
        async move {
            let mut lock = hold().await;
            let first = tokio::spawn(first);
            queue_is((0, true)).await;
            let rest = futures_util::future::join_all(sends.into_iter().map(|(who, body, key)| {
                let token = if who == "acme" { tokens.0.clone() } else { tokens.1.clone() };
                let req = send(&token, body, key);
                tokio::spawn(req)
            }));
            let rest = tokio::spawn(rest);
            queue_is((queued, true)).await;
            sqlx::raw_sql("ROLLBACK").execute(&mut lock).await.unwrap();
            let first = first.await.unwrap();
            assert_eq!(first.0, StatusCode::CREATED, "{first:?}");
            rest.await.unwrap().into_iter().map(|r| r.unwrap()).collect::<Vec<_>>()
        }
    };
    let answers = at_once(
        vec![
            ("acme", external("Bea", "bea@example.se", &interview), None),
            ("acme", external("Beatrice", "BEA@example.se", &interview), None),
            ("acme", chosen(&aino, &interview), Some("once")),
            ("other", chosen(&aino, &other_interview), None),
            ("acme", chosen(&aino, "nope"), None),
            ("other", external("Olle", "olle@example.se", &other_interview), None),
        ],
        5,
    )
    .await;
    let statuses: Vec<StatusCode> = answers.iter().map(|(s, _)| *s).collect();
    use StatusCode as S;
    assert_eq!(statuses, [S::CREATED, S::CREATED, S::CREATED, S::NOT_FOUND, S::NOT_FOUND, S::CREATED], "{answers:?}");
    assert_eq!(answers[0].1["candidate_id"], answers[1].1["candidate_id"], "one candidate for one email");
    // Which of the two queued first is not fixed: the name of that one stays, for both.
    assert_eq!(answers[0].1["candidate_name"], answers[1].1["candidate_name"], "one name for one candidate");
    let name = answers[0].1["candidate_name"].as_str().unwrap();
    assert!(["Bea Öström", "Beatrice Öström"].contains(&name), "{name}");
    assert_eq!(answers[2].1["candidate_id"], aino.as_str());
    let made_at: HashSet<&serde_json::Value> = answers[..3].iter().map(|(_, a)| &a["created_at"]).collect();
    assert_eq!(made_at.len(), 1, "the waiting ones were written together: {answers:?}");
    assert_eq!(answers[5].1["interview_id"], other_interview.as_str(), "each organization's own");
    // Each answer is the invitation as it was written: what reading it back gives.
    for (i, (_, answer)) in answers.iter().enumerate().filter(|(_, (s, _))| *s == S::CREATED) {
        let t = if i == 3 || i == 5 { &other_token } else { &token };
        let path = format!("/invitations/{}", answer["id"].as_str().unwrap());
        let read: serde_json::Value =
            app.api(reqwest::Method::GET, &path, t).send().await.unwrap().json().await.unwrap();
        assert_eq!(answer, &read, "the answer to the send and the invitation read back");
    }

    // A key repeated inside one group: that one fails, alone; the other two are written.
    let answers = at_once(
        vec![
            ("acme", chosen(&aino, &interview), Some("twice")),
            ("acme", chosen(&aino, &interview), Some("twice")),
            ("acme", external("Cai", "cai@example.se", &interview), None),
        ],
        3,
    )
    .await;
    let mut statuses: Vec<StatusCode> = answers.iter().map(|(s, _)| *s).collect();
    statuses[..2].sort();
    assert_eq!(statuses, [S::CREATED, S::CONFLICT, S::CREATED], "{answers:?}");
    let again = send(&token, chosen(&aino, &interview), Some("twice")).await;
    let first = answers.iter().find(|(s, _)| *s == S::CREATED).unwrap();
    assert_eq!(again.1["id"], first.1["id"], "the key's retry gives the one that was written");

    // Every invitation written has its email, and nothing else was: Acme's 2 leads + 3 + 2, Other's 1.
    assert_eq!(app.run_pending_jobs().await, 8);
    let list: serde_json::Value =
        app.api(reqwest::Method::GET, "/invitations?status=any", &token).send().await.unwrap().json().await.unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 7, "{list}");
    let list: serde_json::Value = app
        .api(reqwest::Method::GET, "/invitations?status=any", &other_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
}

both!(invitations_sent_at_once_are_written_together);

/// Edit: email, language, Notify me; a deadline moved later re-opens an Expired invitation and emails the new date.
async fn edit_an_invitation_and_move_its_deadline(db: Db) {
    let smtp = SmtpServer::start().await;
    let url = smtp.url();
    let app = TestApp::spawn_with(db, |c| c.smtp_url = Some(url)).await;
    let user = app.create_org_admin("Acme", "ada@acme.fi").await;
    app.login(&user).await;
    let token = app.api_token(&user).await;
    let id = app.add_candidate("Sven", "Öström", "sven@example.se").await;
    let interview = demo_interview_id(&app, &user).await;
    let today = in_days(&app, 0);
    let created: serde_json::Value = app
        .api(reqwest::Method::POST, "/invitations", &token)
        .json(&serde_json::json!({"candidate_id": id, "language": "en", "interview_id": interview, "deadline": today}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let inv = created["id"].as_str().unwrap().to_owned();
    app.run_pending_jobs().await;
    let link = find_link(&smtp.messages()[0].text, "/i/");

    // Past the deadline: Expired.
    app.store.clock.advance(std::time::Duration::from_secs(2 * 24 * 3600));
    app.state.worker.run_maintenance().await.unwrap();
    assert_eq!(candor::store::invitations::get(&app.store, &user.org_id, &inv).await.unwrap().status, "expired");

    let edit = app.get_html(&format!("/invitations/{inv}/edit")).await;
    assert!(edit.contains("sven@example.se"));
    let past = in_days(&app, -1);
    let res = app
        .post_form(
            &format!("/invitations/{inv}/edit"),
            &[("email", "sven@example.se"), ("language", "sv"), ("deadline", &past)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let later = in_days(&app, 5);
    let res = app
        .post_form(
            &format!("/invitations/{inv}/edit"),
            &[("email", "sven.o@example.se"), ("language", "sv"), ("deadline", &later), ("notify_me", "1")],
        )
        .await;
    assert_eq!(location(&res), "/invitations");
    let now = candor::store::invitations::get(&app.store, &user.org_id, &inv).await.unwrap();
    assert_eq!(
        (now.status.as_str(), now.email.as_str(), now.language.as_str(), now.deadline.as_str(), now.notify_me),
        ("pending", "sven.o@example.se", "sv", later.as_str(), true)
    );
    assert_eq!(app.run_pending_jobs().await, 1);
    let mail = smtp.messages().pop().unwrap();
    assert_eq!(mail.rcpt_to, vec!["sven.o@example.se"]);
    assert_eq!(mail.subject, "Ny sista dag för din videointervju från Acme");
    assert_eq!(find_link(&mail.text, "/i/"), link, "the same personal link");
    let events = texts(&app.get_html(&format!("/candidates/{id}")).await, "ol.timeline li");
    assert!(events[0].contains("Invitation edited: email, language, deadline, notify me (open again)"), "{events:?}");

    // The API edits too; an earlier (but valid) deadline sends no email; a disabled invitation cannot be edited.
    let res = app
        .api(reqwest::Method::PATCH, &format!("/invitations/{inv}"), &token)
        .json(&serde_json::json!({"deadline": in_days(&app, 1), "language": "de"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["language"], "de");
    assert_eq!(app.run_pending_jobs().await, 0);
    let res = app
        .api(reqwest::Method::PATCH, &format!("/invitations/{inv}"), &token)
        .json(&serde_json::json!({"deadline": "2020-01-01"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    app.api(reqwest::Method::POST, &format!("/invitations/{inv}/disable"), &token).send().await.unwrap();
    let res = app
        .api(reqwest::Method::PATCH, &format!("/invitations/{inv}"), &token)
        .json(&serde_json::json!({"notify_me": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
}

both!(edit_an_invitation_and_move_its_deadline);

/// The list: default filter, any status, search by candidate name, the three sorts, and keyset pages.
async fn invitations_list_filters_sorts_and_pages(db: Db) {
    let app = TestApp::spawn(db).await;
    let user = app.create_org_admin("Acme", "ada@acme.fi").await;
    app.login(&user).await;
    let token = app.api_token(&user).await;
    let interview = demo_interview_id(&app, &user).await;
    let mut ids = Vec::new();
    for i in 0..60 {
        let body = serde_json::json!({
            "candidate": {"first_name": format!("Person{i:02}"), "last_name": if i % 2 == 0 { "Järvinen" } else { "Smith" }, "email": format!("p{i}@example.com")},
            "interview_id": interview, "deadline": in_days(&app, 1 + (i % 7))
        });
        let res: serde_json::Value = app
            .api(reqwest::Method::POST, "/invitations", &token)
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        ids.push(res["id"].as_str().unwrap().to_owned());
    }
    for id in &ids[..5] {
        app.api(reqwest::Method::POST, &format!("/invitations/{id}/disable"), &token).send().await.unwrap();
    }
    // Pages of the HTML list, newest first, without gaps or repeats.
    let mut seen = Vec::new();
    let mut path = "/invitations".to_owned();
    loop {
        let html = app.get_html(&path).await;
        seen.extend(texts(&html, "table.invitations tbody tr td:nth-child(1) .hint"));
        let doc = scraper::Html::parse_document(&html);
        match doc.select(&scraper::Selector::parse("a[rel=next]").unwrap()).next() {
            Some(a) => path = a.value().attr("href").unwrap().to_owned(),
            None => break,
        }
    }
    assert_eq!(seen.len(), 55, "disabled ones are not in the default view");
    assert_eq!(seen[0], "p59@example.com");
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 55);
    let any = app.get_html("/invitations?status=any").await;
    assert_eq!(texts(&any, "table.invitations tbody tr").len(), 50);
    let found = texts(&app.get_html("/invitations?status=any&q=j%C3%A4rv").await, "table.invitations tbody tr");
    assert_eq!(found.len(), 30);
    assert!(found.iter().all(|r| r.contains("Järvinen")));
    // Closer deadline first.
    let deadlines: Vec<String> =
        texts(&app.get_html("/invitations?sort=deadline").await, "table.invitations tbody tr td:nth-child(6)");
    let mut sorted = deadlines.clone();
    sorted.sort();
    assert_eq!(deadlines, sorted);
    assert_eq!(app.get("/invitations?sort=sideways").await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.get("/invitations?after=garbage").await.status(), StatusCode::BAD_REQUEST);
    // The API pages the same way.
    assert_eq!(app.api_items("/invitations?status=any&limit=25", &token).await.len(), 60);
}

both!(invitations_list_filters_sorts_and_pages);

/// Another organization's user gets 404 on every invitation page with this organization's ids, and changes nothing.
async fn another_organization_cannot_touch_invitations(db: Db) {
    let mut app = TestApp::spawn(db).await;
    let a = app.create_org_admin("Org A", "a@a.example").await;
    let b = app.create_org_admin("Org B", "b@b.example").await;
    let token = app.api_token(&a).await;
    let interview = demo_interview_id(&app, &a).await;
    let created: serde_json::Value = app
        .api(reqwest::Method::POST, "/invitations", &token)
        .json(&serde_json::json!({"candidate": {"first_name": "Secret", "last_name": "Person", "email": "s@a.example"}, "interview_id": interview, "deadline": in_days(&app, 2)}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    app.new_browser();
    app.login(&b).await;
    for path in
        [format!("/invitations/{id}/edit"), format!("/invitations/{id}/delete"), format!("/invitations/{id}/link")]
    {
        assert_eq!(app.get(&path).await.status(), StatusCode::NOT_FOUND, "GET {path}");
    }
    for path in
        [format!("/invitations/{id}/resend"), format!("/invitations/{id}/disable"), format!("/invitations/{id}/delete")]
    {
        assert_eq!(app.post_form(&path, &[]).await.status(), StatusCode::NOT_FOUND, "POST {path}");
    }
    let edit = [("email", "x@b.example"), ("language", "en"), ("deadline", "2099-01-01")];
    assert_eq!(app.post_form(&format!("/invitations/{id}/edit"), &edit).await.status(), StatusCode::NOT_FOUND);
    assert!(!app.get_html("/invitations?status=any").await.contains("Secret"));
    let still = candor::store::invitations::get(&app.store, &a.org_id, &id).await.unwrap();
    assert_eq!((still.status.as_str(), still.email.as_str()), ("pending", "s@a.example"));
    assert_eq!(app.run_pending_jobs().await, 1, "only A's own invitation email, no resend");
}

both!(another_organization_cannot_touch_invitations);
