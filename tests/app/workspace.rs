//! The review workspace: scorecards, decisions, the responses list with averages, the comparison, the CSV export
//! (formula cells neutralized), and who may do what.

use crate::both;
use crate::helpers::{Db, TestApp};
use crate::review::{RECORDED, keep_recording};
use crate::uploads::{Candidate, candidate};
use reqwest::{Method, StatusCode};

/// An invitation of a new candidate named `first last` to `c`'s interview, consented to and answered in full.
async fn answered_by(app: &mut TestApp, c: &Candidate, first: &str, last: &str, email: &str) -> Candidate {
    let body = serde_json::json!({
        "candidate": {"first_name": first, "last_name": last, "email": email},
        "interview_id": c.interview_id, "deadline": "2099-12-31",
    });
    let res = app.api(Method::POST, "/invitations", &c.api_token).json(&body).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let id = res.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    let link = format!("/i/{}", candor::store::invitations::invitation_token(&app.state.usecases.link_key, &id));
    app.new_browser();
    assert_eq!(app.get(&link).await.status(), StatusCode::OK);
    assert!(app.post_form(&format!("{link}/start"), &[("consent", "yes")]).await.status().is_redirection());
    let answered = Candidate { link, invitation_id: id, ..c.clone() };
    keep_recording(app, &answered, 0, RECORDED).await;
    keep_recording(app, &answered, 1, RECORDED).await;
    answered
}

fn criterion_ids(html: &str) -> Vec<String> {
    html.match_indices("name=\"scores.").map(|(i, _)| html[i + 13..].split('"').next().unwrap().to_owned()).fold(
        Vec::new(),
        |mut v, id| {
            if !v.contains(&id) {
                v.push(id);
            }
            v
        },
    )
}

async fn give_scores(app: &TestApp, inv: &Candidate, scores: [(&String, u8); 2]) {
    let fields: Vec<(String, String)> = scores.iter().map(|(c, n)| (format!("scores.{c}"), n.to_string())).collect();
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let res = app.post_form(&format!("/invitations/{}/scores", inv.invitation_id), &fields).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

async fn scorecards_decisions_and_export(db: Db) {
    let mut app = TestApp::spawn(db).await;
    let first = candidate(&mut app).await;
    keep_recording(&app, &first, 0, RECORDED).await;
    keep_recording(&app, &first, 1, RECORDED).await;
    let second = answered_by(&mut app, &first, "=HYPERLINK(\"http://x\")", "Evil", "evil@example.com").await;
    let third = answered_by(&mut app, &first, "Åsa", "Öberg", "asa@example.se").await;
    app.new_browser();
    app.login(&first.recruiter).await;
    let iv = &first.interview_id;

    // The scorecard: criteria added (validated, at most ten), renamed.
    let criteria = format!("/interviews/{iv}/criteria");
    let res = app.post_form(&criteria, &[("name", "  "), ("description", "")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("Enter the criterion&#39;s name"));
    for name in ["Communication", "+Motivation", "Spare"] {
        assert!(
            app.post_form(&criteria, &[("name", name), ("description", "How <b>well</b>")])
                .await
                .status()
                .is_redirection()
        );
    }
    let scorecard = app.get_html(&format!("/interviews/{iv}/scorecard")).await;
    assert!(scorecard.contains("How &#60;b&#62;well&#60;/b&#62;"), "descriptions escaped");
    let page = |inv: &str| format!("/invitations/{inv}/answers");
    let ids = criterion_ids(&app.get_html(&page(&first.invitation_id)).await);
    assert_eq!(ids.len(), 3);
    let (comm, moti, spare) = (&ids[0], &ids[1], &ids[2]);
    // An unscored criterion goes at once.
    assert!(app.post_form(&format!("{criteria}/{spare}/delete"), &[]).await.status().is_redirection());
    for n in 3..=10 {
        assert!(
            app.post_form(&criteria, &[("name", &format!("Extra {n}")), ("description", "")])
                .await
                .status()
                .is_redirection()
        );
    }
    let res = app.post_form(&criteria, &[("name", "Eleventh"), ("description", "")]).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().await.unwrap().contains("at most 10 criteria"));
    let ids = criterion_ids(&app.get_html(&page(&first.invitation_id)).await);
    for extra in &ids[2..] {
        assert!(app.post_form(&format!("{criteria}/{extra}/delete"), &[]).await.status().is_redirection());
    }

    // Scores: 1–5 whole; bad input saves nothing.
    let scores = |inv: &str| format!("/invitations/{inv}/scores");
    for bad in ["0", "6", "2.5", "x"] {
        let res = app
            .post_form(
                &scores(&first.invitation_id),
                &[(&format!("scores.{comm}"), "4"), (&format!("scores.{moti}"), bad)],
            )
            .await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(res.text().await.unwrap().contains("Choose a score from 1 to 5."));
    }
    assert!(candor::store::scorecards::scores_of(&app.store, &first.invitation_id).await.unwrap().is_empty());
    let res = app.post_form(&scores(&first.invitation_id), &[("scores.nope", "3")]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "a criterion of no interview");
    give_scores(&app, &first, [(comm, 4), (moti, 5)]).await;
    give_scores(&app, &second, [(comm, 2), (moti, 1)]).await;
    let ratings = |inv: &Candidate| format!("/invitations/{}/ratings", inv.invitation_id);
    assert!(
        app.post_form(&ratings(&first), &[("subject", "overall"), ("stars", "4.5")]).await.status().is_redirection()
    );
    assert!(
        app.post_form(&ratings(&second), &[("subject", "overall"), ("stars", "1")]).await.status().is_redirection()
    );
    assert!(
        app.post_form(&ratings(&first), &[("subject", &first.questions[1]), ("stars", "3")])
            .await
            .status()
            .is_redirection()
    );

    // A second reviewer of the organization: averages across reviewers.
    let rick = app.create_org_user("Acme", "rick@acme.fi", "recruiter").await;
    app.new_browser();
    app.login(&rick).await;
    give_scores(&app, &first, [(comm, 3), (moti, 4)]).await;
    assert!(
        app.post_form(&ratings(&first), &[("subject", "overall"), ("stars", "3.5")]).await.status().is_redirection()
    );
    let html = app.get_html(&page(&first.invitation_id)).await;
    assert!(html.contains("3.5 (2)") && html.contains("4.5 (2)"), "scorecard averages: {html}");

    // Decisions: validated, recorded with who decided, filterable.
    let decide = |inv: &Candidate| format!("/invitations/{}/decision", inv.invitation_id);
    let res = app.post_form(&decide(&first), &[("decision", "maybe")]).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(res.text().await.unwrap().contains("Choose undecided, advance, hold or reject."));
    assert!(app.post_form(&decide(&first), &[("decision", "advance")]).await.status().is_redirection());
    assert!(app.post_form(&decide(&second), &[("decision", "reject")]).await.status().is_redirection());
    let inv = candor::store::invitations::get(&app.store, &first.recruiter.org_id, &first.invitation_id).await.unwrap();
    assert_eq!(inv.decision, "advance");
    let view = app.get_html(&format!("/candidates/{}", inv.candidate_id)).await;
    assert!(view.contains("Decision on “Short”: Advance"), "{view}");
    assert!(view.contains("Scored “Short”: Communication 3, +Motivation 4"), "{view}");

    // The responses list: averages, decisions, filters, sorts.
    let list = app.get_html(&format!("/interviews/{iv}/responses")).await;
    assert!(list.contains("3 invited, 3 answered"), "{list}");
    assert!(list.contains("★ 4.0 <span class=\"hint\">(2)</span>"), "{list}");
    assert!(list.contains("<td>3.5</td><td>4.5</td>") && list.contains("<td>2.0</td><td>1.0</td>"));
    assert!(list.contains("=HYPERLINK(&#34;http://x&#34;) Evil"), "names escaped");
    let rows = crate::helpers::texts(
        &app.get_html("/invitations?status=any&decision=reject").await,
        "table.invitations tbody tr",
    );
    assert!(
        rows.len() == 1 && rows[0].contains("evil@example.com"),
        "the invitations list filters by decision: {rows:?}"
    );
    assert_eq!(app.get("/invitations?decision=maybe").await.status(), StatusCode::BAD_REQUEST);
    let advanced = app.get_html(&format!("/interviews/{iv}/responses?decision=advance")).await;
    assert!(advanced.contains(&first.invitation_id) && !advanced.contains(&second.invitation_id));
    let by_rating = app.get_html(&format!("/interviews/{iv}/responses?sort=rating")).await;
    let (a, b, c) = (
        by_rating.find(&format!("data-response=\"{}\"", first.invitation_id)).unwrap(),
        by_rating.find(&format!("data-response=\"{}\"", second.invitation_id)).unwrap(),
        by_rating.find(&format!("data-response=\"{}\"", third.invitation_id)).unwrap(),
    );
    assert!(a < b && b < c, "highest rated first, unrated last");
    let res = app.get(&format!("/interviews/{iv}/responses?sort=shoe")).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);

    // Deleting a scored criterion asks first, then keeps its scores out of every average.
    let confirm = app.get_html(&format!("{criteria}/{moti}/delete")).await;
    assert!(confirm.contains("Reviewers gave 3 scores"), "{confirm}");
    assert!(app.post_form(&format!("{criteria}/{moti}/delete"), &[]).await.status().is_redirection());
    let list = app.get_html(&format!("/interviews/{iv}/responses")).await;
    assert!(list.contains("<td>3.5</td>") && !list.contains("<td>4.5</td>"), "{list}");
    assert_eq!(candor::store::scorecards::scores_of(&app.store, &first.invitation_id).await.unwrap().len(), 4, "kept");
    let res = app.post_form(&scores(&first.invitation_id), &[(&format!("scores.{moti}"), "3")]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "a deleted criterion takes no scores");
    assert!(
        app.post_form(&format!("{criteria}/{comm}"), &[("name", "Clarity"), ("description", "")])
            .await
            .status()
            .is_redirection()
    );

    // The CSV: a byte order mark, one row per invitation, formulas neutralized.
    let res = app.get(&format!("/interviews/{iv}/responses.csv")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(res.headers()["content-disposition"].to_str().unwrap().contains("responses-short.csv"));
    let bytes = res.bytes().await.unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let head: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        head,
        [
            "Candidate",
            "Email",
            "Status",
            "Invited on",
            "Answered on",
            "Question 1 rating",
            "Question 2 rating",
            "Clarity (score)",
            "Overall rating",
            "Your overall rating",
            "Decision",
            "Answers page"
        ]
    );
    let rows: Vec<Vec<String>> = reader.records().map(|r| r.unwrap().iter().map(String::from).collect()).collect();
    assert_eq!(rows.len(), 3);
    let evil = rows.iter().find(|r| r[1] == "evil@example.com").unwrap();
    assert_eq!(evil[0], "'=HYPERLINK(\"http://x\") Evil");
    assert_eq!(evil[10], "Reject");
    let good = rows.iter().find(|r| r[1] == "saga@example.se").unwrap();
    assert_eq!(
        (&good[6][..], &good[7][..], &good[8][..], &good[9][..], &good[10][..]),
        ("3.0", "3.5", "4.0", "3.5", "Advance")
    );
    assert!(good[11].ends_with(&format!("/invitations/{}/answers", first.invitation_id)));
    assert!(rows.iter().any(|r| r[0] == "Åsa Öberg"), "letters kept");

    // The comparison: the chosen candidates' answers, question by question.
    let compare = app
        .get_html(&format!("/interviews/{iv}/compare?c={}&c={}&q=2", first.invitation_id, third.invitation_id))
        .await;
    assert_eq!(compare.matches("<video").count(), 4);
    assert!(compare.contains("Åsa Öberg") && !compare.contains("HYPERLINK"));
    assert!(compare.contains("<dt>Clarity</dt><dd>3.5</dd>"), "scorecard averages beside each candidate: {compare}");
    assert!(compare.contains("Overall: ★ 4.0"));
    let res = app.get(&format!("/interviews/{iv}/compare?c=nope")).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // Another organization: 404 for everything.
    let eve = app.create_org_admin("Other", "eve@other.example").await;
    app.new_browser();
    app.login(&eve).await;
    for path in [
        format!("/interviews/{iv}/responses"),
        format!("/interviews/{iv}/responses.csv"),
        format!("/interviews/{iv}/compare"),
        format!("/interviews/{iv}/scorecard"),
        format!("/interviews/{iv}/compare?c={}", first.invitation_id),
    ] {
        assert_eq!(app.get(&path).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(app.post_form(&decide(&first), &[("decision", "hold")]).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.post_form(&scores(&first.invitation_id), &[(&format!("scores.{comm}"), "1")]).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.post_form(&criteria, &[("name", "Mine")]).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.post_form(&format!("{criteria}/{comm}/delete"), &[]).await.status(), StatusCode::NOT_FOUND);
}

/// Previous and next candidate on the answers page follow the interview's answered ones, newest first.
async fn previous_and_next_candidate(db: Db) {
    let mut app = TestApp::spawn(db).await;
    let first = candidate(&mut app).await;
    keep_recording(&app, &first, 0, RECORDED).await;
    keep_recording(&app, &first, 1, RECORDED).await;
    let second = answered_by(&mut app, &first, "Bo", "Ek", "bo@example.se").await;
    let third = answered_by(&mut app, &first, "Cai", "Berg", "cai@example.se").await;
    app.new_browser();
    app.login(&first.recruiter).await;
    let html = app.get_html(&format!("/invitations/{}/answers", second.invitation_id)).await;
    assert!(html.contains("Candidate 2 of 3 answered"), "{html}");
    assert!(html.contains(&format!(r#"href="/invitations/{}/answers" rel="prev""#, third.invitation_id)));
    assert!(html.contains(&format!(r#"href="/invitations/{}/answers" rel="next""#, first.invitation_id)));
    let html = app.get_html(&format!("/invitations/{}/answers", third.invitation_id)).await;
    assert!(html.contains("Candidate 1 of 3 answered") && !html.contains("rel=\"prev\""));
    // Answered invitations are in the default invitations list, with their decision, linked to the responses.
    let list = app.get_html("/invitations").await;
    let rows = crate::helpers::texts(&list, "table.invitations tbody tr");
    assert_eq!(rows.iter().filter(|r| r.contains("Answered") && r.contains("Undecided")).count(), 3, "{rows:?}");
    assert!(list.contains(&format!("href=\"/interviews/{}/responses\"", first.interview_id)));

    // The funnel, for the organization and the interview: SVG charts with the same figures as tables.
    for path in ["/dashboard".to_owned(), format!("/interviews/{}/dashboard", first.interview_id)] {
        let html = app.get_html(&path).await;
        for row in [
            "Invited</th><td>3</td><td>100 %",
            "Opened</th><td>3</td>",
            "Started</th><td>3</td>",
            "Completed</th><td>3</td><td>100 %",
            "Expired</th><td>0</td>",
            "Withdrawn</th><td>0</td>",
        ] {
            assert!(html.contains(row), "{path}: {row}");
        }
        assert_eq!(html.matches("<svg").count(), 2);
        assert_eq!(html.matches("role=\"img\"").count(), 2);
        assert!(html.contains("Completion rate</dt><dd>100 %"));
        let weekly = crate::helpers::texts(&html, "table.weekly-table tbody td");
        assert_eq!(weekly.iter().map(|n| n.parse::<i64>().unwrap()).sum::<i64>(), 3, "completions per week");
    }
    let eve = app.create_org_admin("Other", "eve@other.example").await;
    app.new_browser();
    app.login(&eve).await;
    assert_eq!(app.get(&format!("/interviews/{}/dashboard", first.interview_id)).await.status(), StatusCode::NOT_FOUND);
    assert!(app.get_html("/dashboard").await.contains("Invited</th><td>0</td>"), "only the organization's own");
}

/// A colleague on a share link that allows rating scores the scorecard too, under their name; bad scores save
/// nothing.
async fn colleagues_score_on_a_share_link(db: Db) {
    let mut app = TestApp::spawn(db).await;
    let c = candidate(&mut app).await;
    keep_recording(&app, &c, 0, RECORDED).await;
    app.new_browser();
    app.login(&c.recruiter).await;
    let iv = &c.interview_id;
    let criteria = format!("/interviews/{iv}/criteria");
    assert!(app.post_form(&criteria, &[("name", "Calm"), ("description", "")]).await.status().is_redirection());
    let ids = criterion_ids(&app.get_html(&format!("/invitations/{}/answers", c.invitation_id)).await);
    let shares = format!("/invitations/{}/shares", c.invitation_id);
    assert!(app.post_form(&shares, &[("days", "7"), ("allow_rating", "yes")]).await.status().is_redirection());
    let link = &candor::store::reviews::shares_of(&app.store, &c.invitation_id).await.unwrap()[0];
    let token = candor::store::reviews::share_token(&app.state.usecases.link_key, &link.id);
    app.new_browser();
    let page = app.get_html(&format!("/s/{token}")).await;
    assert!(page.contains("Calm (score 1–5)"), "{page}");
    let field = format!("score_{}", ids[0]);
    let res = app.post_form(&format!("/s/{token}/ratings"), &[("name", "Bea Berg"), (&field, "9")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("Choose a score from 1 to 5."));
    assert!(candor::store::scorecards::scores_of(&app.store, &c.invitation_id).await.unwrap().is_empty());
    let res = app.post_form(&format!("/s/{token}/ratings"), &[("name", "Bea Berg"), (&field, "5")]).await;
    assert!(res.status().is_redirection());
    let scores = candor::store::scorecards::scores_of(&app.store, &c.invitation_id).await.unwrap();
    assert_eq!((scores.len(), scores[0].score, &scores[0].reviewer_name[..]), (1, 5, "Bea Berg (share link)"));
    // A watch-only link scores nothing.
    app.new_browser();
    app.login(&c.recruiter).await;
    assert!(app.post_form(&shares, &[("days", "7")]).await.status().is_redirection());
    let watch = &candor::store::reviews::shares_of(&app.store, &c.invitation_id).await.unwrap()[0];
    let token = candor::store::reviews::share_token(&app.state.usecases.link_key, &watch.id);
    app.new_browser();
    app.get_html(&format!("/s/{token}")).await;
    let res = app.post_form(&format!("/s/{token}/ratings"), &[("name", "Eve"), (&field, "1")]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

both!(scorecards_decisions_and_export, previous_and_next_candidate, colleagues_score_on_a_share_link);

/// Every review action through the JSON API: exact statuses, the field named, nothing of another organization.
async fn reviews_through_the_api(db: Db) {
    let mut app = TestApp::spawn(db).await;
    let c = candidate(&mut app).await;
    keep_recording(&app, &c, 0, RECORDED).await;
    keep_recording(&app, &c, 1, RECORDED).await;
    let t = &c.api_token;
    let (iv, inv) = (&c.interview_id, &c.invitation_id);
    let call = |m: Method, path: String, body: serde_json::Value| {
        let req = app.api(m, &path, t);
        async move {
            let res = if body.is_null() { req.send().await.unwrap() } else { req.json(&body).send().await.unwrap() };
            let status = res.status();
            (status, res.json::<serde_json::Value>().await.unwrap_or_default())
        }
    };
    let (s, crit) = call(Method::POST, format!("/interviews/{iv}/criteria"), serde_json::json!({"name": "Calm"})).await;
    assert_eq!(s, StatusCode::CREATED);
    let cid = crit["id"].as_str().unwrap().to_owned();
    let (s, e) = call(Method::POST, format!("/interviews/{iv}/criteria"), serde_json::json!({"name": " "})).await;
    assert_eq!((s, e["error"]["fields"]["name"].is_string()), (StatusCode::UNPROCESSABLE_ENTITY, true));

    let (s, e) = call(
        Method::POST,
        format!("/invitations/{inv}/ratings"),
        serde_json::json!({"subject": "overall", "stars": 4.3}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["error"]["fields"]["stars"], "Choose a rating from 0.5 to 5, in steps of 0.5.");
    let (s, r) = call(
        Method::POST,
        format!("/invitations/{inv}/ratings"),
        serde_json::json!({"subject": "overall", "stars": 4.5}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!((r["ratings"][0]["stars"].as_f64(), r["ratings"][0]["mine"].as_bool()), (Some(4.5), Some(true)));
    let (s, e) =
        call(Method::PUT, format!("/invitations/{inv}/scores"), serde_json::json!({"scores": {&cid: 7}})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["error"]["fields"][format!("scores.{cid}")], "Choose a score from 1 to 5.");
    let (s, _) =
        call(Method::PUT, format!("/invitations/{inv}/scores"), serde_json::json!({"scores": {"nope": 3}})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, r) =
        call(Method::PUT, format!("/invitations/{inv}/scores"), serde_json::json!({"scores": {&cid: 4}})).await;
    assert_eq!((s, r["scores"][0]["score"].as_i64()), (StatusCode::OK, Some(4)));
    let (s, _) =
        call(Method::PUT, format!("/invitations/{inv}/decision"), serde_json::json!({"decision": "maybe"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, d) =
        call(Method::PUT, format!("/invitations/{inv}/decision"), serde_json::json!({"decision": "hold"})).await;
    assert_eq!((s, d["decision"].as_str(), d["changed"].as_bool()), (StatusCode::OK, Some("hold"), Some(true)));
    let (_, d) =
        call(Method::PUT, format!("/invitations/{inv}/decision"), serde_json::json!({"decision": "hold"})).await;
    assert_eq!(d["changed"].as_bool(), Some(false));
    let (s, r) = call(
        Method::POST,
        format!("/invitations/{inv}/comments"),
        serde_json::json!({"subject": "overall", "body": "Good"}),
    )
    .await;
    assert_eq!((s, r["comments"][0]["body"].as_str()), (StatusCode::CREATED, Some("Good")));

    let (s, page) =
        call(Method::GET, format!("/interviews/{iv}/responses?decision=hold"), serde_json::Value::Null).await;
    assert_eq!(s, StatusCode::OK);
    let item = &page["items"][0];
    assert_eq!((item["id"].as_str(), item["decision"].as_str()), (Some(inv.as_str()), Some("hold")));
    assert_eq!(
        (item["overall"]["average"].as_str(), item["scores"][&cid]["average"].as_str()),
        (Some("4.5"), Some("4.0"))
    );
    let (s, page) =
        call(Method::GET, format!("/interviews/{iv}/responses?decision=reject"), serde_json::Value::Null).await;
    assert_eq!((s, page["items"].as_array().map(Vec::len)), (StatusCode::OK, Some(0)));
    let (s, e) =
        call(Method::GET, format!("/interviews/{iv}/responses?sort=shoe&limit=0"), serde_json::Value::Null).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(e["error"]["fields"]["sort"].is_string() && e["error"]["fields"]["limit"].is_string());
    let res = app.api(Method::GET, &format!("/interviews/{iv}/responses.csv"), t).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.bytes().await.unwrap().starts_with(b"\xEF\xBB\xBFCandidate,Email"));
    let (s, f) = call(Method::GET, format!("/funnel?interview_id={iv}"), serde_json::Value::Null).await;
    assert_eq!((s, f["invited"].as_i64(), f["completed"].as_i64()), (StatusCode::OK, Some(1), Some(1)));

    // Another organization: 404 everywhere, nothing changed.
    let eve = app.create_org_admin("Other", "eve@other.example").await;
    let other = app.api_token(&eve).await;
    for (m, path, body) in [
        (Method::GET, format!("/interviews/{iv}/responses"), serde_json::Value::Null),
        (Method::GET, format!("/interviews/{iv}/responses.csv"), serde_json::Value::Null),
        (Method::GET, format!("/interviews/{iv}/criteria"), serde_json::Value::Null),
        (Method::GET, format!("/funnel?interview_id={iv}"), serde_json::Value::Null),
        (Method::GET, format!("/invitations/{inv}/reviews"), serde_json::Value::Null),
        (Method::POST, format!("/interviews/{iv}/criteria"), serde_json::json!({"name": "x"})),
        (Method::PATCH, format!("/interviews/{iv}/criteria/{cid}"), serde_json::json!({"name": "x"})),
        (Method::DELETE, format!("/interviews/{iv}/criteria/{cid}"), serde_json::Value::Null),
        (Method::POST, format!("/invitations/{inv}/ratings"), serde_json::json!({"subject": "overall", "stars": 1})),
        (Method::PUT, format!("/invitations/{inv}/scores"), serde_json::json!({"scores": {&cid: 1}})),
        (Method::POST, format!("/invitations/{inv}/comments"), serde_json::json!({"subject": "overall", "body": "x"})),
        (Method::PUT, format!("/invitations/{inv}/decision"), serde_json::json!({"decision": "reject"})),
    ] {
        let req = app.api(m.clone(), &path, &other);
        let req = if body.is_null() { req } else { req.json(&body) };
        assert_eq!(req.send().await.unwrap().status(), StatusCode::NOT_FOUND, "{m} {path}");
    }
    let (_, r) = call(Method::GET, format!("/invitations/{inv}/reviews"), serde_json::Value::Null).await;
    assert_eq!((r["decision"].as_str(), r["ratings"].as_array().map(Vec::len)), (Some("hold"), Some(1)));
    let (s, _) = call(Method::DELETE, format!("/interviews/{iv}/criteria/{cid}"), serde_json::Value::Null).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, list) = call(Method::GET, format!("/interviews/{iv}/criteria"), serde_json::Value::Null).await;
    assert!(list[0]["deleted_at"].is_i64(), "a scored criterion is kept, marked deleted");
}

both!(reviews_through_the_api);
