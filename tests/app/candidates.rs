use crate::both;
use crate::helpers::{Db, TestApp, location, texts};
use reqwest::StatusCode;

async fn create_view_edit_delete_with_timeline(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.create_org_admin("Acme", "ada@acme.fi").await;
    app.login(&admin).await;

    // Bad input: every field's message, nothing written.
    let long = "x".repeat(101);
    let res = app
        .post_form("/candidates", &[("first_name", ""), ("last_name", &long), ("email", "a@b"), ("phone", "call me")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert_eq!(texts(&html, ".field-error").len(), 4, "{html}");
    assert!(html.contains("value=\"call me\""), "the form keeps what was typed");
    assert_eq!(
        candor::store::candidates::list(&app.store, &admin.org_id, candor::store::candidates::Sort::Name, None, 10)
            .await
            .unwrap()
            .items
            .len(),
        0
    );

    // Names are escaped wherever they show.
    let xss = "<script>alert(1)</script>";
    let id = app.add_candidate(xss, "Järvinen", "aino@example.fi").await;
    let page = app.get_html(&format!("/candidates/{id}")).await;
    assert!(!page.contains(xss) && page.contains("&#60;script&#62;"), "escaped on the candidate view");
    assert!(
        texts(&page, "ol.timeline li").iter().any(|t| t.contains("Candidate created") && t.contains("ada@acme.fi"))
    );
    let list = app.get_html("/candidates").await;
    assert!(!list.contains(xss));

    // A second candidate with the same email (any case) is refused with a field message.
    let res = app
        .post_form("/candidates", &[("first_name", "Other"), ("last_name", "Person"), ("email", "AINO@example.fi")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("Another candidate of your organization has this email."));

    let edit = app.get_html(&format!("/candidates/{id}/edit")).await;
    assert!(edit.contains("aino@example.fi"));
    let res = app
        .post_form(
            &format!("/candidates/{id}"),
            &[
                ("first_name", "Aino"),
                ("last_name", "Järvinen"),
                ("email", "aino@example.fi"),
                ("phone", "+358 40 123 4567"),
                ("notes", "Met at a fair"),
            ],
        )
        .await;
    assert_eq!(location(&res), format!("/candidates/{id}"));
    let page = app.get_html(&format!("/candidates/{id}")).await;
    assert!(page.contains("+358 40 123 4567") && page.contains("Met at a fair"));
    let timeline = texts(&page, "ol.timeline li");
    assert_eq!(timeline.len(), 2);
    assert!(timeline[0].contains("Edited: first name, phone, notes"), "{timeline:?}");

    assert!(app.get_html(&format!("/candidates/{id}/delete")).await.contains("cannot be undone"));
    let res = app.post_form(&format!("/candidates/{id}/delete"), &[]).await;
    assert_eq!(location(&res), "/candidates");
    assert_eq!(app.get(&format!("/candidates/{id}")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get("/candidates/not-an-id").await.status(), StatusCode::NOT_FOUND);
}

async fn list_pages_and_sorts(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.create_org_admin("Acme", "ada@acme.fi").await;
    app.login(&admin).await;
    let token = app.api_token(&admin).await;
    for i in 0..120 {
        let res = app
            .api(reqwest::Method::POST, "/candidates", &token)
            .json(&serde_json::json!({"first_name": format!("First{i:03}"), "last_name": format!("Last{:03}", (i * 7) % 120), "email": format!("c{i}@example.com")}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    // The pages of the HTML list follow each other without gaps or repeats.
    let mut seen = Vec::new();
    let mut path = "/candidates?sort=name".to_owned();
    loop {
        let html = app.get_html(&path).await;
        seen.extend(texts(&html, "tbody td:nth-child(2) a"));
        let doc = scraper::Html::parse_document(&html);
        let next = doc
            .select(&scraper::Selector::parse("a[rel=next]").unwrap())
            .next()
            .map(|a| a.value().attr("href").unwrap().to_owned());
        match next {
            Some(n) => path = n,
            None => break,
        }
    }
    assert_eq!(seen.len(), 120);
    let mut sorted = seen.clone();
    sorted.sort_by_key(|n| n.split(' ').nth(1).unwrap().to_owned());
    assert_eq!(seen, sorted);

    // Newest first through the API, in pages of 50.
    let ids: Vec<String> = app
        .api_items("/candidates?sort=-created&limit=50", &token)
        .await
        .iter()
        .map(|c| c["email"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 120);
    assert_eq!(ids[0], "c119@example.com");
    assert_eq!(ids[119], "c0@example.com");

    // Namesakes: twenty candidates share five names, and pages of seven cut through each group. Both directions
    // give every candidate once, equal names in the order of their ids.
    let mut namesakes = Vec::new();
    for i in 0..20 {
        let body = serde_json::json!({"first_name": "Same", "last_name": format!("Namesake{}", i % 5), "email": format!("same{i}@example.com")});
        let res = app.api(reqwest::Method::POST, "/candidates", &token).json(&body).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let c: serde_json::Value = res.json().await.unwrap();
        namesakes.push((format!("namesake{}", i % 5), c["id"].as_str().unwrap().to_owned()));
    }
    namesakes.sort();
    for sort in ["name", "-name"] {
        let got: Vec<(String, String)> = app
            .api_items(&format!("/candidates?sort={sort}&limit=7"), &token)
            .await
            .iter()
            .filter(|c| c["first_name"] == "Same")
            .map(|c| (c["last_name"].as_str().unwrap().to_lowercase(), c["id"].as_str().unwrap().to_owned()))
            .collect();
        let mut want = namesakes.clone();
        if sort == "-name" {
            want.reverse();
        }
        assert_eq!(got, want, "sort={sort}");
    }
    assert_eq!(app.get("/candidates?after=garbage").await.status(), StatusCode::BAD_REQUEST);
}

async fn typeahead_by_part_of_a_name(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.create_org_admin("Acme", "ada@acme.fi").await;
    app.login(&admin).await;
    let token = app.api_token(&admin).await;
    for (first, last, email) in [
        ("Aino", "Järvinen", "aino@example.fi"),
        ("Sven", "Öström", "sven@example.se"),
        ("Jarvis", "Cocker", "jarvis@example.com"),
        ("Ville", "Vine", "ville@example.fi"),
        ("Ελένη", "Παπαδοπούλου", "eleni@example.gr"),
        ("<b>Bold</b>", "Injection", "x@example.com"),
    ] {
        app.add_candidate(first, last, email).await;
    }
    let names = |q: &'static str| app.search_names(&token, q);
    assert_eq!(
        names("jarv").await,
        vec!["Jarvis Cocker", "Aino Järvinen"],
        "prefix of first and last names, by last name"
    );
    assert_eq!(names("JÄR").await, vec!["Jarvis Cocker", "Aino Järvinen"]);
    assert_eq!(names("ostr").await, vec!["Sven Öström"]);
    assert_eq!(names("vine").await, vec!["Ville Vine", "Aino Järvinen"], "prefix match first, then inside a name");
    assert_eq!(names("ελεν").await, vec!["Ελένη Παπαδοπούλου"]);
    assert_eq!(names("aino jär").await, vec!["Aino Järvinen"], "first and last name together");
    assert!(names("zzz").await.is_empty());
    assert!(names("%").await.is_empty());

    // At most ten, prefix matches first.
    for i in 0..15 {
        app.add_candidate(&format!("Anna{i:02}"), "Virtanen", &format!("anna{i}@example.fi")).await;
    }
    let many = names("anna").await;
    assert_eq!(many.len(), 10);
    assert!(many.iter().all(|n| n.starts_with("Anna")));

    // The HTML fragment for the invitation form's Full name field.
    let fragment = app.get("/candidates/suggest?q=j%C3%A4r").await.text().await.unwrap();
    assert!(fragment.contains("data-email=\"aino@example.fi\"") && fragment.contains("Järvinen"));
    let fragment = app.get("/candidates/suggest?q=inj").await.text().await.unwrap();
    assert!(fragment.contains("&#60;b&#62;Bold&#60;/b&#62;") && !fragment.contains("<b>Bold"));
    let fragment = app.get("/candidates/suggest?q=%3Cimg%20src%3Dx%3E").await.text().await.unwrap();
    assert!(!fragment.contains("<img"), "the query is escaped in the no-match message");
    // More matches than shown: said, and not said when all are shown.
    let fragment = app.get_html("/candidates/suggest?q=anna").await;
    assert_eq!(fragment.matches("role=\"option\"").count(), 10);
    assert!(fragment.contains("More candidates match than the 10 shown"), "{fragment}");
    assert!(!app.get_html("/candidates/suggest?q=aino").await.contains("More candidates match"));
}

both!(create_view_edit_delete_with_timeline, list_pages_and_sorts, typeahead_by_part_of_a_name);

/// What a screen reader announces for the recruiter's controls: the typeahead's list box has a name, a button's
/// accessible name contains the label it shows (so "Move up" can be spoken to it), and no table header is empty.
async fn recruiter_controls_have_names(db: Db) {
    let app = TestApp::spawn(db).await;
    let user = app.create_org_admin("Acme", "ada@acme.fi").await;
    let token = app.api_token(&user).await;
    app.login(&user).await;
    app.add_candidate("Anna", "Berg", "anna@example.fi").await;

    let fragment = app.get_html("/candidates/suggest?q=an").await;
    let doc = scraper::Html::parse_fragment(&fragment);
    let listbox = scraper::Selector::parse("[role=listbox]").unwrap();
    let names: Vec<_> = doc.select(&listbox).map(|e| e.value().attr("aria-label").unwrap_or("").to_owned()).collect();
    assert_eq!(names, ["Candidates matching “an”"]);

    let interview = crate::candidate::new_interview(&app, &token, "Support", "").await;
    let form = app.get_html(&format!("/interviews/{interview}/edit")).await;
    let doc = scraper::Html::parse_document(&form);
    let labelled = scraper::Selector::parse("button[aria-label]").unwrap();
    let buttons: Vec<_> = doc.select(&labelled).collect();
    assert!(buttons.len() >= 3, "move and remove buttons");
    for b in buttons {
        let (shown, name) = (b.text().collect::<String>(), b.value().attr("aria-label").unwrap().to_owned());
        assert!(name.to_lowercase().contains(&shown.trim().to_lowercase()), "“{name}” does not contain “{shown}”");
    }

    for page in ["/jobs", "/candidates", "/invitations?status=any", "/interviews", "/users"] {
        let html = app.get_html(page).await;
        let doc = scraper::Html::parse_document(&html);
        let th = scraper::Selector::parse("th").unwrap();
        for h in doc.select(&th) {
            assert!(!h.text().collect::<String>().trim().is_empty(), "an empty table header on {page}");
        }
    }
}

both!(recruiter_controls_have_names);
