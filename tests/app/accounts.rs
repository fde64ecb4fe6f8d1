use crate::both;
use crate::helpers::{Db, SmtpServer, TestApp, find_link, location, texts};
use futures_util::StreamExt;
use reqwest::StatusCode;

async fn setup_link_creates_the_organization_and_its_admin(db: Db) {
    let app = TestApp::spawn(db).await;
    let link = app.setup_link.clone().unwrap();
    let path = link.trim_start_matches(&app.address).to_owned();
    let form = app.get_html(&path).await;
    assert!(form.contains("Europe/Helsinki"));

    // Every field wrong: every message at once, nothing created.
    let res = app
        .post_form(
            &path,
            &[
                ("org_name", " "),
                ("timezone", "Mars/Base"),
                ("language", "xx"),
                ("name", ""),
                ("email", "nope"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert_eq!(texts(&html, ".field-error").len(), 6, "{html}");
    assert!(!candor::store::orgs::any_exists(&app.store).await.unwrap());

    let res = app
        .post_form(
            &path,
            &[
                ("org_name", "Acme Oy"),
                ("timezone", "Europe/Helsinki"),
                ("language", "fi"),
                ("name", "Ada Admin"),
                ("email", "ada@acme.fi"),
                ("password", "a long enough password"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/candidates");
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("candor_session="))
        .unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && !cookie.contains("Secure"), "{cookie}");
    let page = app.get_html("/candidates").await;
    assert!(page.contains("Ada Admin") && page.contains("Acme Oy"));

    // The link is spent.
    assert_eq!(app.get(&path).await.status(), StatusCode::NOT_FOUND);
}

async fn sign_in_sign_out_and_throttling(db: Db) {
    let app = TestApp::spawn(db).await;
    let user = app.create_org_admin("Acme", "ada@acme.fi").await;

    let res = app.login_with(&user.email, "wrong password").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("The email or password is not right."));

    // A form without the CSRF token, or from another site, is refused.
    let res = app
        .client
        .post(app.url("/login"))
        .form(&[("email", user.email.as_str()), ("password", user.password.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let csrf = app.csrf().await;
    let res = app
        .client
        .post(app.url("/login"))
        .header("origin", "https://evil.example")
        .form(&[("csrf", csrf.as_str()), ("email", user.email.as_str()), ("password", user.password.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // next= goes back where the person was going, but never off-site.
    let res = app
        .post_form("/login", &[("email", &user.email), ("password", &user.password), ("next", "/candidates/new")])
        .await;
    assert_eq!(location(&res), "/candidates/new");
    app.logout().await;
    let res = app
        .post_form("/login", &[("email", &user.email), ("password", &user.password), ("next", "//evil.example/")])
        .await;
    assert_eq!(location(&res), "/candidates");
    assert_eq!(app.get("/candidates").await.status(), StatusCode::OK);

    let res = app.logout().await;
    assert_eq!(location(&res), "/login");
    assert_eq!(app.get("/candidates").await.status(), StatusCode::SEE_OTHER);

    // Five failures lock the account, even for the right password, with a clear message.
    for _ in 0..5 {
        app.login_with(&user.email, "wrong password").await;
    }
    let res = app.login_with(&user.email, &user.password).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("Too many failed sign-in attempts. Try again in 15 minutes"));
    // It opens again after the window.
    app.store.clock.advance(std::time::Duration::from_secs(16 * 60));
    app.login(&user).await;
}

async fn password_reset_through_a_real_smtp_server(db: Db) {
    let smtp = SmtpServer::start().await;
    let url = smtp.url();
    let mut app = TestApp::spawn_with(db, |c| c.smtp_url = Some(url)).await;
    let user = app.create_org_admin("Acme", "ada@acme.fi").await;

    // Unknown addresses get the same answer and no email.
    for email in ["nobody@acme.fi", "ADA@acme.fi"] {
        let res = app.post_form("/password/forgot", &[("email", email)]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
    }
    assert_eq!(app.run_pending_jobs().await, 1);
    let mails = smtp.messages();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].rcpt_to, vec!["ada@acme.fi"]);
    assert_eq!(mails[0].subject, "Reset your Candor password");
    assert!(!mails[0].html.is_empty() && !mails[0].text.is_empty());
    let link = find_link(&mails[0].text, "/password/reset/");
    let path = link.trim_start_matches(&app.address).to_owned();

    app.new_browser();
    assert_eq!(app.get(&path).await.status(), StatusCode::OK);
    let res = app.post_form(&path, &[("password", "brand new password"), ("confirm", "different")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app.post_form(&path, &[("password", "brand new password"), ("confirm", "brand new password")]).await;
    assert_eq!(location(&res), "/login");
    // The link works once.
    assert_eq!(app.get(&path).await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.login_with(&user.email, &user.password).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.login_with(&user.email, "brand new password").await.status(), StatusCode::SEE_OTHER);
}

/// Wrong passwords sent at once for one account: no more than five are checked, every one is counted, and the
/// account is locked afterwards.
async fn sign_in_throttling_holds_under_concurrent_attempts(db: Db) {
    let app = TestApp::spawn(db).await;
    let user = app.create_org_admin("Acme", "ada@acme.fi").await;
    let csrf = app.csrf().await;
    let attempts = (0..30).map(|_| {
        app.client
            .post(app.url("/login"))
            .form(&[("csrf", csrf.as_str()), ("email", user.email.as_str()), ("password", "wrong password")])
            .send()
    });
    let bodies: Vec<String> = futures_util::future::join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .map(|r| async move { r.text().await.unwrap() })
        .collect::<futures_util::stream::FuturesOrdered<_>>()
        .collect()
        .await;
    let checked = bodies.iter().filter(|b| b.contains("The email or password is not right.")).count();
    let refused = bodies.iter().filter(|b| b.contains("Too many failed sign-in attempts")).count();
    assert_eq!((checked, refused), (5, 25), "at most five passwords are checked");
    // The account is locked, even for the right password.
    let res = app.login_with(&user.email, &user.password).await;
    assert!(res.text().await.unwrap().contains("Too many failed sign-in attempts"));
}

/// A reset link is spent by a password change or an email change made meanwhile, and a reset lifts the lock of
/// too many failed sign-ins (as the lock message promises).
async fn reset_links_end_with_changes_and_lift_the_lock(db: Db) {
    let smtp = SmtpServer::start().await;
    let url = smtp.url();
    let mut app = TestApp::spawn_with(db, |c| c.smtp_url = Some(url)).await;
    let user = app.create_org_admin("Acme", "ada@acme.fi").await;
    let reset_link = |app: &TestApp| {
        let mails = smtp.messages();
        let link = find_link(&mails.last().unwrap().text, "/password/reset/");
        link.trim_start_matches(&app.address).to_owned()
    };
    async fn request_reset(app: &TestApp, email: &str) {
        let res = app.post_form("/password/forgot", &[("email", email)]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        app.run_pending_jobs().await;
    }

    // A password change ends an earlier reset link.
    request_reset(&app, "ada@acme.fi").await;
    let old_link = reset_link(&app);
    app.login(&user).await;
    let res = app
        .post_form(
            "/profile/password",
            &[("current", &user.password), ("password", "another long password"), ("confirm", "another long password")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    app.new_browser();
    assert_eq!(app.get(&old_link).await.status(), StatusCode::BAD_REQUEST, "spent by the password change");

    // An email change ends it too.
    request_reset(&app, "ada@acme.fi").await;
    let old_link = reset_link(&app);
    let res = app.login_with("ada@acme.fi", "another long password").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = app.post_form("/profile", &[("name", "Ada"), ("email", "ada.new@acme.fi")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    app.new_browser();
    assert_eq!(app.get(&old_link).await.status(), StatusCode::BAD_REQUEST, "spent by the email change");

    // Locked out by failures; a reset lets the owner in at once.
    for _ in 0..5 {
        app.login_with("ada.new@acme.fi", "wrong password").await;
    }
    let res = app.login_with("ada.new@acme.fi", "another long password").await;
    assert!(res.text().await.unwrap().contains("Too many failed sign-in attempts"));
    request_reset(&app, "ada.new@acme.fi").await;
    let link = reset_link(&app);
    let res = app.post_form(&link, &[("password", "third long password"), ("confirm", "third long password")]).await;
    assert_eq!(location(&res), "/login");
    let res = app.login_with("ada.new@acme.fi", "third long password").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "the reset lifted the lock");
}

/// Signing in gives the browser a new CSRF token and ends the session it had before (another user's, say).
async fn signing_in_rotates_the_csrf_token_and_ends_the_earlier_session(db: Db) {
    let app = TestApp::spawn(db).await;
    let ada = app.create_org_admin("Acme", "ada@acme.fi").await;
    let bob = app.create_org_user("Acme", "bob@acme.fi", "recruiter").await;
    let signed_out_token = app.csrf().await;
    app.login(&ada).await;
    let ada_token = app.csrf().await;
    assert_ne!(signed_out_token, ada_token, "a new token at sign-in");
    let session_cookie = |app: &TestApp| {
        use reqwest::cookie::CookieStore;
        let header = app.jar.cookies(&app.address.parse().unwrap()).unwrap();
        header
            .to_str()
            .unwrap()
            .split(';')
            .map(str::trim)
            .find(|kv| kv.starts_with("candor_session="))
            .unwrap()
            .to_owned()
    };
    let ada_session = session_cookie(&app);
    app.login(&bob).await;
    assert_ne!(app.csrf().await, ada_token);
    let fresh = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let res = fresh.get(app.url("/candidates")).header("cookie", &ada_session).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "Ada's session in this browser ended");
    assert_eq!(app.get("/candidates").await.status(), StatusCode::OK, "Bob is signed in");
}

/// A strict Content-Security-Policy on every page; no template runs inline code it would block.
async fn pages_have_a_strict_content_security_policy(db: Db) {
    let app = TestApp::spawn(db).await;
    let user = app.create_org_admin("Acme", "ada@acme.fi").await;
    app.login(&user).await;
    for path in ["/login", "/candidates", "/jobs", "/no/such/page"] {
        let res = app.get(path).await;
        let csp = res.headers().get("content-security-policy").unwrap().to_str().unwrap().to_owned();
        assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
    }
    let inline_handler = |html: &str| {
        html.match_indices(" on").any(|(i, _)| {
            let rest = &html[i + 3..];
            let name: String = rest.chars().take_while(|c| c.is_ascii_lowercase()).collect();
            !name.is_empty() && rest[name.len()..].starts_with('=')
        })
    };
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let mut stack = vec![dir];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if !path.ends_with("emails") {
                    stack.push(path);
                }
                continue;
            }
            let html = std::fs::read_to_string(&path).unwrap();
            assert!(!inline_handler(&html), "an inline event handler in {}", path.display());
            assert!(!html.contains("<script>") && !html.contains(" style="), "inline code in {}", path.display());
        }
    }
}

async fn admins_add_and_deactivate_users(db: Db) {
    let mut app = TestApp::spawn(db).await;
    let admin = app.create_org_admin("Acme", "ada@acme.fi").await;
    app.login(&admin).await;

    let res = app.post_form("/users", &[("name", ""), ("email", "bad"), ("role", "root")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(texts(&res.text().await.unwrap(), ".field-error").len(), 3);
    let res =
        app.post_form("/users", &[("name", "Rita Recruiter"), ("email", "rita@acme.fi"), ("role", "recruiter")]).await;
    assert_eq!(location(&res), "/users");
    let res =
        app.post_form("/users", &[("name", "Rita Again"), ("email", "RITA@acme.fi"), ("role", "recruiter")]).await;
    assert!(res.text().await.unwrap().contains("This email already has a Candor account."));

    // The set-password email lands in the local outbox (no SMTP configured) and on the Outbox page.
    assert_eq!(app.run_pending_jobs().await, 1);
    let files = app.outbox_files();
    assert_eq!(files.len(), 1);
    let mail = crate::helpers::parse_mail(&std::fs::read(&files[0]).unwrap());
    assert_eq!(mail.to, "rita@acme.fi");
    let outbox = app.get_html("/outbox").await;
    assert!(outbox.contains("rita@acme.fi") && outbox.contains("Your Candor account at Acme"));
    let link = find_link(&mail.text, "/password/set/");
    let users = app.get_html("/users").await;
    assert!(users.contains("has not set a password yet"));

    let admin_client = (app.client.clone(), app.jar.clone());
    app.new_browser();
    let path = link.trim_start_matches(&app.address).to_owned();
    app.post_form(&path, &[("password", "rita's own password"), ("confirm", "rita's own password")]).await;
    assert_eq!(app.login_with("rita@acme.fi", "rita's own password").await.status(), StatusCode::SEE_OTHER);
    // A recruiter does not administer.
    for path in ["/users", "/settings", "/outbox", "/jobs"] {
        assert_eq!(app.get(path).await.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let rita_client = (app.client.clone(), app.jar.clone());

    (app.client, app.jar) = admin_client;
    let rita_id = candor::store::users::list(&app.store, &admin.org_id)
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.email == "rita@acme.fi")
        .unwrap()
        .id;
    let res = app.post_form(&format!("/users/{rita_id}/active"), &[("active", "0")]).await;
    assert_eq!(location(&res), "/users");
    // Nobody deactivates themselves.
    assert_eq!(
        app.post_form(&format!("/users/{}/active", admin.user_id), &[("active", "0")]).await.status(),
        StatusCode::BAD_REQUEST
    );

    (app.client, app.jar) = rita_client;
    assert_eq!(app.get("/candidates").await.status(), StatusCode::SEE_OTHER, "a deactivated user's session ends");
    let res = app.login_with("rita@acme.fi", "rita's own password").await;
    assert!(res.text().await.unwrap().contains("deactivated"));
}

async fn profile_and_organization_settings(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.create_org_admin("Acme", "ada@acme.fi").await;
    app.login(&admin).await;

    let res = app.post_form("/profile", &[("name", "Ada Lovelace"), ("email", "not-an-email")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app.post_form("/profile", &[("name", "Ada Lovelace"), ("email", "ada.l@acme.fi")]).await;
    assert_eq!(location(&res), "/profile");
    assert!(app.get_html("/profile").await.contains("ada.l@acme.fi"));

    let res = app
        .post_form(
            "/profile/password",
            &[("current", "wrong"), ("password", "another long password"), ("confirm", "another long password")],
        )
        .await;
    assert!(res.text().await.unwrap().contains("This is not your current password."));
    let res = app
        .post_form(
            "/profile/password",
            &[
                ("current", &admin.password),
                ("password", "another long password"),
                ("confirm", "another long password"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/profile");
    assert_eq!(app.get("/profile").await.status(), StatusCode::OK, "the current session stays");

    let res = app
        .post_form("/settings", &[("name", "Acme Group"), ("timezone", "Atlantis/Capital"), ("language", "sv")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app
        .post_form("/settings", &[("name", "Acme Group"), ("timezone", "America/New_York"), ("language", "sv")])
        .await;
    assert_eq!(location(&res), "/settings");
    let org = candor::store::orgs::get(&app.store, &admin.org_id).await.unwrap();
    assert_eq!(
        (org.name.as_str(), org.timezone.as_str(), org.language.as_str()),
        ("Acme Group", "America/New_York", "sv")
    );

    // The logo: sniffed from the bytes, size-capped, served only to the organization.
    let csrf = app.csrf().await;
    let png: Vec<u8> = [b"\x89PNG\r\n\x1a\n".as_slice(), &[0u8; 64]].concat();
    let upload = |bytes: Vec<u8>, name: &'static str| {
        reqwest::multipart::Form::new()
            .text("csrf", csrf.clone())
            .part("logo", reqwest::multipart::Part::bytes(bytes).file_name(name))
    };
    let res = app
        .client
        .post(app.url("/settings/logo"))
        .multipart(upload(b"<svg onload=alert(1)>".to_vec(), "x.svg"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("PNG, JPEG, GIF or WebP"));
    let res = app
        .client
        .post(app.url("/settings/logo"))
        .multipart(upload(vec![0xFF; 600 * 1024], "big.jpg"))
        .send()
        .await
        .unwrap();
    assert!(res.text().await.unwrap().contains("larger than 512 KB"));
    let res =
        app.client.post(app.url("/settings/logo")).multipart(upload(png.clone(), "logo.png")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let res = app.get("/org/logo").await;
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.bytes().await.unwrap().to_vec(), png);
}

both!(
    setup_link_creates_the_organization_and_its_admin,
    sign_in_sign_out_and_throttling,
    password_reset_through_a_real_smtp_server,
    sign_in_throttling_holds_under_concurrent_attempts,
    reset_links_end_with_changes_and_lift_the_lock,
    signing_in_rotates_the_csrf_token_and_ends_the_earlier_session,
    pages_have_a_strict_content_security_policy,
    admins_add_and_deactivate_users,
    profile_and_organization_settings,
);
