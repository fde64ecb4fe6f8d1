//! Two-factor sign-in with codes made by `pyotp` (PyPI), an implementation nobody here wrote: set up from the
//! secret the page shows, one step of clock skew either way, a code refused the second time, recovery codes good
//! once, the second step throttled, turning it off only with the password and a code, and an organization that
//! requires it for everyone.

use crate::both;
use crate::helpers::{Db, TestApp, TestUser, location, texts};
use reqwest::StatusCode;
use std::time::Duration;

/// The code `pyotp` makes for `secret` at the test clock's `at_ms`.
fn pyotp(secret: &str, at_ms: i64) -> String {
    let out = std::process::Command::new("python3")
        .args(["-c", "import pyotp, sys; print(pyotp.TOTP(sys.argv[1]).at(int(sys.argv[2])))", secret])
        .arg((at_ms / 1000).to_string())
        .output()
        .expect("python3 with pyotp (scripts/test installs it)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Signs in with the password: the second step's page comes next.
async fn password_step(app: &TestApp, user: &TestUser) {
    let res = app.login_with(&user.email, &user.password).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(location(&res).starts_with("/login/code?next="), "{}", location(&res));
}

async fn code_step(app: &TestApp, code: &str) -> reqwest::Response {
    app.post_form("/login/code", &[("code", code), ("next", "/invitations")]).await
}

async fn signed_in(app: &TestApp) -> bool {
    app.get("/invitations").await.status() == StatusCode::OK
}

fn secret_of(html: &str) -> String {
    texts(html, "#totp-secret").pop().expect("the key on the page")
}

async fn audit_actions(app: &TestApp, org_id: &str) -> Vec<String> {
    let filter = candor::store::audit::Filter { limit: 1000, ..Default::default() };
    candor::store::audit::list(&app.store, org_id, &filter).await.unwrap().into_iter().map(|e| e.action).collect()
}

async fn codes_from_pyotp_sign_in(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.create_org_admin("Acme", "ada@acme.fi").await;
    app.login(&admin).await;

    // Setting it up: the QR code and the key; a wrong first code is refused on the field.
    let html = app.get_html("/profile/two-factor").await;
    let secret = secret_of(&html);
    assert_eq!(secret.len(), 32);
    let qr = app.get("/profile/two-factor/qr.svg").await;
    assert_eq!(qr.status(), StatusCode::OK);
    assert_eq!(qr.headers()["content-type"], "image/svg+xml");
    assert!(qr.text().await.unwrap().contains("<svg"));
    assert_eq!(secret_of(&app.get_html("/profile/two-factor").await), secret, "the same key until it is confirmed");
    let res = app.post_form("/profile/two-factor", &[("code", "000000")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("That code is not right"));
    let setup_code = pyotp(&secret, app.store.now_ms());
    let res = app.post_form("/profile/two-factor", &[("code", &setup_code)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let codes: Vec<String> = texts(&res.text().await.unwrap(), "#recovery-codes code");
    assert_eq!(codes.len(), 10);
    assert!(app.get_html("/profile/two-factor").await.contains("Recovery codes left: 10"));
    // Stored hashed: no recovery code and no key in the database as typed.
    let state = candor::store::two_factor::get(&app.store, &admin.user_id).await.unwrap();
    assert_ne!(state.secret.as_deref(), Some(secret.as_str()), "the key is sealed");

    app.logout().await;
    password_step(&app, &admin).await;
    assert!(!signed_in(&app).await, "the password alone is not enough");
    assert!(app.get_html("/login/code").await.contains("Sign-in code"));
    // The code used to set it up is spent.
    assert_eq!(code_step(&app, &setup_code).await.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // One step of skew ahead is fine; that code is then spent, and so is every earlier step.
    app.store.clock.advance(Duration::from_secs(30));
    let now = app.store.now_ms();
    let ahead = pyotp(&secret, now + 30_000);
    assert_eq!(location(&code_step(&app, &ahead).await), "/invitations");
    assert!(signed_in(&app).await);
    app.logout().await;
    password_step(&app, &admin).await;
    assert_eq!(code_step(&app, &ahead).await.status(), StatusCode::UNPROCESSABLE_ENTITY, "replayed");
    assert_eq!(code_step(&app, &pyotp(&secret, now)).await.status(), StatusCode::UNPROCESSABLE_ENTITY, "older");
    // One step behind is fine, two are not. The clock runs on from the real one, so it is moved to a second into a
    // step first: a step ending between the code made here and the server's check would put it two steps behind.
    app.store.clock.advance(Duration::from_secs(90));
    let into_step = app.store.now_ms().rem_euclid(30_000);
    app.store.clock.advance(Duration::from_millis((31_000 - into_step) as u64));
    let now = app.store.now_ms();
    assert_eq!(code_step(&app, &pyotp(&secret, now - 60_000)).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(location(&code_step(&app, &pyotp(&secret, now - 30_000)).await), "/invitations");
    app.logout().await;

    // A recovery code works once (typed loosely), and says how many are left.
    password_step(&app, &admin).await;
    let loose = codes[0].to_lowercase().replace('-', " ");
    let res = code_step(&app, &loose).await;
    assert_eq!(location(&res), "/invitations");
    assert!(app.get_html("/invitations").await.contains("9 are left"));
    app.logout().await;
    password_step(&app, &admin).await;
    assert_eq!(code_step(&app, &codes[0]).await.status(), StatusCode::UNPROCESSABLE_ENTITY, "spent");

    // The second step is throttled like the password: five wrong codes lock it, even for the right one.
    for _ in 0..4 {
        assert_eq!(code_step(&app, "123456").await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    app.store.clock.advance(Duration::from_secs(30));
    let res = code_step(&app, &pyotp(&secret, app.store.now_ms())).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("Too many failed sign-in attempts"));
    assert!(!signed_in(&app).await);
    app.store.clock.advance(Duration::from_secs(16 * 60));
    password_step(&app, &admin).await;
    assert_eq!(location(&code_step(&app, &pyotp(&secret, app.store.now_ms())).await), "/invitations");

    // Turning it off takes the password and a code.
    app.store.clock.advance(Duration::from_secs(30));
    let code = pyotp(&secret, app.store.now_ms());
    let res = app.post_form("/profile/two-factor/disable", &[("password", "wrong"), ("code", &code)]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app.post_form("/profile/two-factor/disable", &[("password", &admin.password), ("code", &code)]).await;
    assert_eq!(location(&res), "/profile/two-factor");
    app.logout().await;
    app.login(&admin).await;
    assert!(signed_in(&app).await, "the password is enough again");

    let actions = audit_actions(&app, &admin.org_id).await;
    for a in ["two_factor_enabled", "two_factor_disabled", "recovery_code_used", "sign_in_code_failed"] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
}

/// An organization that requires it: a user without it sets it up at the next sign-in, before any session, and
/// cannot turn it off.
async fn an_organization_requires_it(db: Db) {
    let mut app = TestApp::spawn(db).await;
    let admin = app.create_org_admin("Acme", "ada@acme.fi").await;
    let rita = app.create_org_user("Acme", "rita@acme.fi", "recruiter").await;
    app.login(&admin).await;
    let org = candor::store::orgs::get(&app.store, &admin.org_id).await.unwrap();
    let res = app
        .post_form(
            "/settings",
            &[
                ("name", &org.name),
                ("timezone", &org.timezone),
                ("language", &org.language),
                ("policies_shown", "1"),
                ("require_two_factor", "1"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/settings");

    app.new_browser();
    password_step(&app, &rita).await;
    assert!(!signed_in(&app).await);
    let html = app.get_html("/login/code").await;
    assert!(html.contains("Set up two-factor sign-in"), "{html}");
    let secret = secret_of(&html);
    let qr = app.get("/login/code/qr.svg").await;
    assert_eq!(qr.status(), StatusCode::OK);
    let res = code_step(&app, &pyotp(&secret, app.store.now_ms())).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(texts(&res.text().await.unwrap(), "#recovery-codes code").len(), 10);
    assert!(signed_in(&app).await);
    let html = app.get_html("/profile/two-factor").await;
    assert!(html.contains("it cannot be turned off"));
    app.store.clock.advance(Duration::from_secs(30));
    let code = pyotp(&secret, app.store.now_ms());
    let res = app.post_form("/profile/two-factor/disable", &[("password", &rita.password), ("code", &code)]).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert!(candor::store::two_factor::get(&app.store, &rita.user_id).await.unwrap().enabled());

    // A sign-in left half-done runs out.
    app.new_browser();
    password_step(&app, &rita).await;
    app.store.clock.advance(Duration::from_secs(11 * 60));
    let res = code_step(&app, &pyotp(&secret, app.store.now_ms())).await;
    assert_eq!(location(&res), "/login");
    assert!(!signed_in(&app).await);
}

both!(codes_from_pyotp_sign_in, an_organization_requires_it);
