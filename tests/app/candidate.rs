//! The candidate's side behind the personal link: the landing page in the invitation's language, the consent, and
//! the clear pages of links that no longer take answers.

use crate::both;
use crate::helpers::{Db, TestApp, TestUser, location, texts};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::Duration;

/// An invitation made through the API, and its personal link's path.
pub async fn invite(
    app: &TestApp,
    token: &str,
    interview_id: &str,
    language: &str,
    deadline: &str,
) -> (String, String) {
    let body = json!({
        "candidate": {"first_name": "Saga", "last_name": "Lind", "email": "saga@example.se"},
        "email": "saga@example.se", "language": language, "interview_id": interview_id, "deadline": deadline,
        "notify_me": true,
    });
    let res = app.api(Method::POST, "/invitations", token).json(&body).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let id = res.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let link = candor::store::invitations::invitation_token(&app.state.usecases.link_key, &id);
    (id, format!("/i/{link}"))
}

pub async fn new_interview(app: &TestApp, token: &str, title: &str, intro: &str) -> String {
    let body = json!({
        "name": "Support", "title": title, "intro_text": intro,
        "questions": [
            {"text": "Why <b>us</b>?", "max_answer_seconds": 150, "max_takes": 3, "think_seconds": 30},
            {"text": "A hard day?", "max_answer_seconds": 60, "max_takes": 1, "think_seconds": null},
        ]
    });
    let res = app.api(Method::POST, "/interviews", token).json(&body).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
}

async fn setup(app: &TestApp) -> (TestUser, String) {
    let user = app.create_org_admin("Acme", "ada@acme.fi").await;
    let token = app.api_token(&user).await;
    (user, token)
}

fn in_days(app: &TestApp, days: i64) -> String {
    let today = jiff::Timestamp::from_millisecond(app.store.now_ms())
        .unwrap()
        .to_zoned_datetime(jiff::tz::TimeZone::get("Europe/Helsinki").unwrap())
        .date();
    today.checked_add(jiff::Span::new().days(days)).unwrap().to_string()
}

async fn the_link_shows_the_interview_in_the_candidates_language(db: Db) {
    let mut app = TestApp::spawn(db).await;
    let (user, token) = setup(&app).await;
    let interview = new_interview(&app, &token, "Support <script>alert(1)</script>", "Hello & <i>welcome</i>").await;
    let deadline = in_days(&app, 3);
    let (id, link) = invite(&app, &token, &interview, "sv", &deadline).await;

    // The candidate has no session: a fresh browser.
    app.new_browser();
    let res = app.get(&link).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let page = res.text().await.unwrap();
    assert!(page.contains(r#"<html lang="sv">"#));
    assert!(page.contains("Acme bjuder in dig att svara på den här videointervjun."));
    assert!(
        page.contains("Support &#60;script&#62;alert(1)&#60;/script&#62;") || page.contains("Support &lt;script&gt;")
    );
    assert!(!page.contains("<script>alert(1)</script>") && !page.contains("<i>welcome</i>"));
    let date: jiff::civil::Date = deadline.parse().unwrap();
    assert!(
        page.contains(&candor::i18n::long_date(candor::domain::Language::Sv, date)),
        "the deadline, written the Swedish way"
    );
    assert!(page.contains("tidszon Helsinki, UTC+") && !page.contains("Europe/Helsinki"));
    assert!(page.contains("Frågor: 2"));
    assert!(
        page.contains("Svarstid högst 2 min 30 s") && page.contains("Försök: 3") && page.contains("Betänketid: 30 s")
    );
    assert!(page.contains("Betänketid: ingen gräns"));
    assert!(page.contains("Du ser varje fråga när du kommer till den."), "questions are not shown upfront");
    assert!(!page.contains("Why"), "the question texts wait until the candidate reaches them");
    assert!(page.contains("Din integritet") && page.contains("högst 12 månader"));
    assert!(page.contains("Börja nu"));
    for english in ["Start now", "Answer by", "Your privacy", "Questions"] {
        assert!(!page.contains(english), "English left on the page: {english}");
    }

    // Opening twice records one "opened" event.
    app.get(&link).await;
    let events = candor::store::candidates::timeline(&app.store, &user.org_id, &candidate_of(&app, &user, &id).await)
        .await
        .unwrap();
    assert_eq!(events.iter().filter(|e| e.kind == "opened").count(), 1, "{events:?}");

    // Start without ticking the consent box: the page again, with the reason, and nothing recorded.
    let res = app.post_form(&format!("{link}/start"), &[]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("Kryssa i rutan för att godkänna innan du börjar."));
    let res = app.post_form(&format!("{link}/start"), &[("consent", "yes")]).await;
    assert_eq!(location(&res), format!("{link}/interview"));
    let events = candor::store::candidates::timeline(&app.store, &user.org_id, &candidate_of(&app, &user, &id).await)
        .await
        .unwrap();
    assert_eq!(events.iter().filter(|e| e.kind == "consented").count(), 1);
    // Coming back, the candidate continues without consenting again.
    assert!(app.get_html(&link).await.contains("Fortsätt"));
}

async fn candidate_of(app: &TestApp, user: &TestUser, invitation_id: &str) -> String {
    candor::store::invitations::get(&app.store, &user.org_id, invitation_id).await.unwrap().candidate_id
}

async fn links_that_take_no_answers_say_so(db: Db) {
    let mut app = TestApp::spawn(db).await;
    let (user, token) = setup(&app).await;
    let interview = new_interview(&app, &token, "Support", "").await;
    let unknown = "/i/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let (disabled_id, disabled) = invite(&app, &token, &interview, "fi", &in_days(&app, 3)).await;
    let (_, expiring) = invite(&app, &token, &interview, "de", &in_days(&app, 0)).await;
    app.login(&user).await;
    app.post_form(&format!("/invitations/{disabled_id}/disable"), &[]).await;

    app.new_browser();
    // An unknown token: a plain 404 that reveals nothing of the organization.
    for path in
        [unknown.to_owned(), "/i/not-a-token".to_owned(), "/i/%3Cscript%3E".to_owned(), format!("{unknown}/logo")]
    {
        let res = app.get(&path).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
        let body = res.text().await.unwrap();
        assert!(!body.contains("Acme") && !body.contains("Support"), "{path}");
    }

    let res = app.get(&disabled).await;
    assert_eq!(res.status(), StatusCode::GONE);
    let page = res.text().await.unwrap();
    assert!(page.contains("Tämä videohaastattelun linkki ei ole enää käytössä.") && page.contains(r#"lang="fi""#));
    let res = app.post_form(&format!("{disabled}/start"), &[("consent", "yes")]).await;
    assert_eq!(res.status(), StatusCode::GONE);

    // Open until the last instant of the deadline date in the organization's time zone, then expired — even before
    // the upkeep job has marked it.
    assert_eq!(app.get(&expiring).await.status(), StatusCode::OK);
    let tz = jiff::tz::TimeZone::get("Europe/Helsinki").unwrap();
    let closes = candor::domain::Deadline::from_stored(&in_days(&app, 0)).unwrap().closes_at(&tz);
    let wait = closes.as_millisecond() - app.store.now_ms();
    // The store's clock runs on in real time, so one second of margin.
    app.store.clock.advance(Duration::from_millis((wait - 1000) as u64));
    assert_eq!(app.get(&expiring).await.status(), StatusCode::OK, "the last second of the date still counts");
    app.store.clock.advance(Duration::from_millis(1000));
    let res = app.get(&expiring).await;
    assert_eq!(res.status(), StatusCode::GONE);
    assert!(
        res.text().await.unwrap().contains("Die Frist für die Beantwortung dieses Videointerviews ist abgelaufen.")
    );
    let res = app.post_form(&format!("{expiring}/start"), &[("consent", "yes")]).await;
    assert_eq!(res.status(), StatusCode::GONE);
    assert_eq!(texts(&app.get(&expiring).await.text().await.unwrap(), "p.closed").len(), 1);
}

both!(the_link_shows_the_interview_in_the_candidates_language, links_that_take_no_answers_say_so);

/// What the candidate's pages say of their own situation: where a returning candidate stands, how long recordings
/// are kept by this organization's setting, the deadline's zone as people say it, whom to ask once finished, and the
/// site's icon.
async fn the_candidate_pages_say_what_applies_to_them(db: Db) {
    use crate::uploads::{candidate, keep, upload_complete_take};
    let mut app = TestApp::spawn(db).await;
    let c = candidate(&mut app).await;

    // The organization keeps recordings for 6 months: the privacy notice says 6, not a built-in 12.
    app.new_browser();
    app.login(&c.recruiter).await;
    let res = app
        .post_form(
            "/settings",
            &[
                ("name", "Acme"),
                ("timezone", "Europe/Helsinki"),
                ("language", "en"),
                ("reminder_days", "2"),
                ("retention_months", "6"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    app.new_browser();
    let landing = app.get_html(&c.link).await;
    assert!(landing.contains("kept for at most 6 months"), "{landing}");
    assert!(!landing.contains("12 months"));
    // The deadline's zone as the candidate says it: the place and its offset, not the database's name.
    assert!(landing.contains("(time zone: Helsinki, UTC+"), "{landing}");
    assert!(!landing.contains("Europe/Helsinki"));

    // A returning candidate sees how far they are.
    let (q1, q2) = (&c.questions[0], &c.questions[1]);
    assert!(landing.contains("0 of 2 questions answered."), "{landing}");
    let first = upload_complete_take(&app, &c, q1, 1).await;
    assert_eq!(keep(&app, &c, q1, &first, None).await.status(), StatusCode::OK);
    let landing = app.get_html(&c.link).await;
    assert_eq!(texts(&landing, "#progress"), ["1 of 2 questions answered."]);

    // Finished: whom to ask, with their address.
    let second = upload_complete_take(&app, &c, q2, 2).await;
    assert_eq!(keep(&app, &c, q2, &second, None).await.status(), StatusCode::OK);
    let finished = app.get_html(&c.link).await;
    assert_eq!(texts(&finished, "#contact"), ["If you have questions, please contact User ada at Acme: ada@acme.fi"]);
    assert!(finished.contains(r#"<a href="mailto:ada@acme.fi">ada@acme.fi</a>"#));

    // The icon every page names.
    assert!(finished.contains(r#"<link rel="icon" href="/favicon.ico""#));
    let icon = app.get("/favicon.ico").await;
    assert_eq!(icon.status(), StatusCode::OK);
    assert_eq!(icon.headers()["content-type"], "image/x-icon");
    assert!(icon.bytes().await.unwrap().starts_with(&[0, 0, 1, 0]), "an ICO file");
}

both!(the_candidate_pages_say_what_applies_to_them);
