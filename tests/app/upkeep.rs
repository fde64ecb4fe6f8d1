//! The upkeep's time-driven work with a controllable clock, across time zones: reminders before the deadline,
//! expiry at the end of the deadline date, and deleting recordings after the retention period.

use crate::both;
use crate::candidate::invite;
use crate::helpers::{Db, SmtpServer, TestApp, TestUser};
use crate::review::{RECORDED, keep_recording};
use crate::uploads::{candidate, stored};
use reqwest::StatusCode;
use std::time::Duration;

/// Sets the signed-in admin's organization settings through the form.
async fn settings(
    app: &TestApp,
    org: &str,
    tz: &str,
    reminder_days: &str,
    retention_months: &str,
) -> reqwest::Response {
    app.post_form(
        "/settings",
        &[
            ("name", org),
            ("timezone", tz),
            ("language", "en"),
            ("reminder_days", reminder_days),
            ("retention_months", retention_months),
        ],
    )
    .await
}

fn today(app: &TestApp, tz: &str) -> jiff::civil::Date {
    jiff::Timestamp::from_millisecond(app.store.now_ms())
        .unwrap()
        .to_zoned_datetime(jiff::tz::TimeZone::get(tz).unwrap())
        .date()
}

/// Moves the test clock to `at` (Unix ms; only forward).
fn move_to(app: &TestApp, at: i64) {
    let now = app.store.now_ms();
    assert!(at >= now, "the clock only moves forward");
    app.store.clock.advance(Duration::from_millis((at - now) as u64));
}

async fn interview_of(app: &TestApp, token: &str) -> String {
    let body = serde_json::json!({
        "name": "Short", "title": "Short",
        "questions": [{"text": "One", "max_answer_seconds": 60, "max_takes": 2, "think_seconds": null}]
    });
    let res = app.api(reqwest::Method::POST, "/interviews", token).json(&body).send().await.unwrap();
    res.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_owned()
}

async fn status_of(app: &TestApp, user: &TestUser, id: &str) -> String {
    candor::store::invitations::get(&app.store, &user.org_id, id).await.unwrap().status
}

async fn reminders_and_expiry_across_time_zones(db: Db) {
    for (tz, language, subject) in [
        ("America/Los_Angeles", "en", "Reminder: your video interview from Acme"),
        ("Pacific/Auckland", "de", "Erinnerung: Ihr Videointerview von Acme"),
        ("Europe/Helsinki", "fi", "Muistutus: videohaastattelusi, Acme"),
    ] {
        reminders_and_expiry_in(db, tz, language, subject).await;
    }
}

async fn reminders_and_expiry_in(db: Db, tz: &str, language: &str, subject: &str) {
    let smtp = SmtpServer::start().await;
    let url = smtp.url();
    let app = TestApp::spawn_with(db, |c| c.smtp_url = Some(url)).await;
    let ada = app.create_org_admin("Acme", "ada@acme.fi").await;
    app.login(&ada).await;
    assert!(settings(&app, "Acme", tz, "2", "12").await.status().is_redirection());
    let token = app.api_token(&ada).await;
    let interview = interview_of(&app, &token).await;
    let zone = jiff::tz::TimeZone::get(tz).unwrap();
    let deadline = today(&app, tz).checked_add(jiff::Span::new().days(5)).unwrap();
    let (id, link) = invite(&app, &token, &interview, language, &deadline.to_string()).await;
    // Sent after its reminder would have been due: no reminder.
    let late = today(&app, tz).checked_add(jiff::Span::new().days(1)).unwrap();
    let (late_id, _) = invite(&app, &token, &interview, language, &late.to_string()).await;
    app.run_pending_jobs().await;
    let sent = smtp.messages().len();

    // The late one expires at the end of its date there, and is never reminded.
    let closes = |d: jiff::civil::Date| {
        d.checked_add(jiff::Span::new().days(1))
            .unwrap()
            .to_zoned_datetime(zone.clone())
            .unwrap()
            .timestamp()
            .as_millisecond()
    };
    move_to(&app, closes(late) - 1000);
    app.state.worker.run_maintenance().await.unwrap();
    assert_eq!(status_of(&app, &ada, &late_id).await, "pending", "open until the last second of its date");
    move_to(&app, closes(late));
    app.state.worker.run_maintenance().await.unwrap();
    assert_eq!(status_of(&app, &ada, &late_id).await, "expired");
    // Due at 09:00 two days before the deadline date, in the organization's zone.
    let due = deadline.checked_sub(jiff::Span::new().days(2)).unwrap().at(9, 0, 0, 0);
    let due = due.to_zoned_datetime(zone.clone()).unwrap().timestamp().as_millisecond();
    move_to(&app, due - 60_000);
    app.state.worker.run_maintenance().await.unwrap();
    app.run_pending_jobs().await;
    assert_eq!(smtp.messages().len(), sent, "not before it is due");
    move_to(&app, due + 1);
    app.state.worker.run_maintenance().await.unwrap();
    app.state.worker.run_maintenance().await.unwrap();
    app.run_pending_jobs().await;
    let reminders: Vec<_> = smtp.messages().into_iter().skip(sent).collect();
    assert_eq!(
        reminders.len(),
        1,
        "one reminder, once: {:?}",
        reminders.iter().map(|m| &m.subject).collect::<Vec<_>>()
    );
    assert_eq!(reminders[0].subject, subject);
    assert_eq!(reminders[0].rcpt_to, vec!["saga@example.se".to_owned()]);
    assert!(reminders[0].text.contains(&link), "the same personal link");
    let inv = candor::store::invitations::get(&app.store, &ada.org_id, &id).await.unwrap();
    let view = app.get_html(&format!("/candidates/{}", inv.candidate_id)).await;
    assert!(view.contains(&format!("Reminded of “Short” (deadline {deadline})")), "{view}");

    // The other expires at the end of its own date.
    move_to(&app, closes(deadline) - 1000);
    app.state.worker.run_maintenance().await.unwrap();
    assert_eq!(status_of(&app, &ada, &id).await, "pending");
    move_to(&app, closes(deadline));
    app.state.worker.run_maintenance().await.unwrap();
    assert_eq!(status_of(&app, &ada, &id).await, "expired");
    app.run_pending_jobs().await;
    assert_eq!(smtp.messages().len(), sent + 1, "nothing else was sent");
}

async fn no_reminders_when_turned_off_or_answered(db: Db) {
    let mut app = TestApp::spawn(db).await;
    let c = candidate(&mut app).await;
    keep_recording(&app, &c, 0, RECORDED).await;
    app.new_browser();
    app.login(&c.recruiter).await;
    let res = settings(&app, "Acme", "Europe/Helsinki", "15", "0").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = res.text().await.unwrap();
    assert!(body.contains("Enter a number of days from 0 (no reminder) to 14."));
    assert!(body.contains("Enter a number of months from 1 to 120."));
    assert!(settings(&app, "Acme", "Europe/Helsinki", "0", "12").await.status().is_redirection());
    let deadline = today(&app, "Europe/Helsinki").checked_add(jiff::Span::new().days(4)).unwrap();
    let (id, _) = invite(&app, &c.api_token, &c.interview_id, "en", &deadline.to_string()).await;
    move_to(&app, app.store.now_ms() + 3 * 24 * 3600 * 1000);
    app.state.worker.run_maintenance().await.unwrap();
    assert!(candor::store::upkeep::due_reminders(&app.store).await.unwrap().is_empty());
    let view = app.get_html(&format!("/invitations/{id}/answers")).await;
    assert!(!view.contains("Reminded of"), "no reminder with 0 days");
    // With 2 days, the open one is due; the one answered (in progress here) with a later deadline is not.
    assert!(settings(&app, "Acme", "Europe/Helsinki", "2", "12").await.status().is_redirection());
    let due: Vec<String> =
        candor::store::upkeep::due_reminders(&app.store).await.unwrap().into_iter().map(|t| t.invitation_id).collect();
    assert_eq!(due, vec![id.clone()]);
}

async fn recordings_are_deleted_after_the_retention_period(db: Db) {
    let mut app = TestApp::spawn(db).await;
    let c = candidate(&mut app).await;
    let take = keep_recording(&app, &c, 0, RECORDED).await;
    keep_recording(&app, &c, 1, RECORDED).await;
    app.run_pending_jobs().await;
    let keys: Vec<String> =
        candor::store::takes::segments(&app.store, &take).await.unwrap().into_iter().map(|s| s.object_key).collect();
    assert!(!stored(&app, &take).await.is_empty());
    app.new_browser();
    app.login(&c.recruiter).await;
    assert!(settings(&app, "Acme", "Europe/Helsinki", "2", "1").await.status().is_redirection());
    let page = format!("/invitations/{}/answers", c.invitation_id);
    let ratings = format!("/invitations/{}/ratings", c.invitation_id);
    assert!(app.post_form(&ratings, &[("subject", "overall"), ("stars", "4")]).await.status().is_redirection());

    // The deadline is 2099-12-31 in Helsinki: one month after its end, and not a minute before.
    let zone = jiff::tz::TimeZone::get("Europe/Helsinki").unwrap();
    let end = jiff::civil::date(2100, 1, 1).to_zoned_datetime(zone).unwrap();
    let due = end.checked_add(jiff::Span::new().months(1)).unwrap().timestamp().as_millisecond();
    move_to(&app, due - 60_000);
    app.state.worker.run_maintenance().await.unwrap();
    assert!(!stored(&app, &take).await.is_empty(), "kept until the period is over");
    move_to(&app, due);
    app.state.worker.run_maintenance().await.unwrap();
    app.state.worker.run_maintenance().await.unwrap();
    app.run_pending_jobs().await;
    assert!(candor::store::takes::segments(&app.store, &take).await.unwrap().is_empty(), "rows deleted");
    for key in &keys {
        assert!(app.state.media.read_range(key, 0, 1).await.is_err(), "bytes deleted: {key}");
    }
    // Sessions last less than a month of test clock: sign in again.
    app.new_browser();
    app.login(&c.recruiter).await;
    let html = app.get_html(&page).await;
    assert!(html.contains("The recordings were deleted on"), "{html}");
    assert!(html.contains("Answered; the recording was deleted after the retention period."));
    assert!(html.contains("★ 4"), "ratings stay");
    let media = format!("/invitations/{}/takes/{take}/media", c.invitation_id);
    assert_eq!(app.get(&media).await.status(), StatusCode::NOT_FOUND);
    let inv = candor::store::invitations::get(&app.store, &c.recruiter.org_id, &c.invitation_id).await.unwrap();
    let events = candor::store::candidates::timeline(&app.store, &c.recruiter.org_id, &inv.candidate_id).await.unwrap();
    assert_eq!(events.iter().filter(|e| e.kind == "media_deleted").count(), 1, "recorded once");
}

both!(
    reminders_and_expiry_across_time_zones,
    no_reminders_when_turned_off_or_answered,
    recordings_are_deleted_after_the_retention_period
);
