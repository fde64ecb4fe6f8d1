use crate::both;
use crate::helpers::{Db, TestApp};
use reqwest::{Method, StatusCode};

fn candor(app: &TestApp, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_candor"))
        .args(args)
        .env("DATABASE_URL", &app.database_url)
        .env("CANDOR_DATA_DIR", &app.data_dir)
        .env("CANDOR_LOG", "warn")
        .output()
        .unwrap()
}

async fn admin_commands_and_import(db: Db) {
    let app = TestApp::spawn(db).await;
    let out = candor(
        &app,
        &[
            "admin",
            "create-user",
            "--org-name",
            "Acme",
            "--timezone",
            "Europe/Helsinki",
            "--email",
            "ada@acme.fi",
            "--password",
            "a long password",
        ],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = candor(
        &app,
        &[
            "admin",
            "create-user",
            "--org-name",
            "acme",
            "--email",
            "rita@acme.fi",
            "--password",
            "a long password",
            "--role",
            "recruiter",
        ],
    );
    assert!(out.status.success(), "an existing organization is found case-insensitively");
    let out = candor(
        &app,
        &["admin", "create-user", "--org-name", "Acme", "--email", "bad", "--password", "a long password"],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--email"));
    let out = candor(
        &app,
        &[
            "admin",
            "create-user",
            "--org-name",
            "Other",
            "--timezone",
            "Nowhere/Land",
            "--email",
            "x@other.fi",
            "--password",
            "a long password",
        ],
    );
    assert!(!out.status.success());

    let out = candor(&app, &["admin", "create-token", "--email", "ada@acme.fi"]);
    assert!(out.status.success());
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert_eq!(token.len(), 43, "only the token is printed");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("people.csv");
    let mut csv = String::from("first_name,last_name,email\n");
    for i in 0..2500 {
        csv.push_str(&format!("Person{i},Järvinen{i},p{i}@example.fi\n"));
    }
    csv.push_str("Bad,Row,not-an-email\n");
    std::fs::write(&file, csv).unwrap();
    let out = candor(&app, &["import", "candidates", file.to_str().unwrap(), "--org-name", "Acme"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("line 2502") && stderr.contains("Imported 2500 candidates"), "{stderr}");
    if db == Db::Postgres {
        // Every name search that uses the trigram index reads its pending list: the import leaves it merged, and
        // the list stays small (at PostgreSQL's 4 MB default, 5 ms a search on 1M candidates).
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&app.database_url).await.unwrap();
        sqlx::query("CREATE EXTENSION IF NOT EXISTS pgstattuple").execute(&mut conn).await.unwrap();
        let (pending,): (i64,) =
            sqlx::query_as("SELECT pending_pages::bigint FROM pgstatginindex('candidates_trigrams'::regclass)")
                .fetch_one(&mut conn)
                .await
                .unwrap();
        assert_eq!(pending, 0);
        let (options,): (Vec<String>,) =
            sqlx::query_as("SELECT reloptions FROM pg_class WHERE relname = 'candidates_trigrams'")
                .fetch_one(&mut conn)
                .await
                .unwrap();
        assert_eq!(options, ["gin_pending_list_limit=128"]);
    }
    // Run again: every row is now a duplicate, nothing is added.
    let out = candor(&app, &["import", "candidates", file.to_str().unwrap(), "--org-name", "Acme"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("Imported 0 candidates; 2500 duplicates skipped"));
    let out = candor(&app, &["import", "candidates", file.to_str().unwrap(), "--org-name", "Nobody"]);
    assert!(!out.status.success());

    let page: serde_json::Value =
        app.api(Method::GET, "/candidates?q=jarvinen249", &token).send().await.unwrap().json().await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 10);
    let res = app.api(Method::GET, "/candidates?limit=200", &token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

both!(admin_commands_and_import);

/// Logs written to a file or pipe carry no colour codes; `CANDOR_LOG_FORMAT=json` gives one JSON object per line.
#[test]
fn logs_are_plain_or_json_when_not_on_a_terminal() {
    let run = |format: Option<&str>| {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_candor"));
        cmd.arg("migrate").env("CANDOR_DATA_DIR", dir.path()).env("CANDOR_LOG", "info").env_remove("DATABASE_URL");
        // Every option parses (a list of proxies too).
        cmd.env("CANDOR_TRUSTED_PROXIES", "10.0.0.0/8, ::1");
        if let Some(f) = format {
            cmd.env("CANDOR_LOG_FORMAT", f);
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stderr).unwrap()
    };
    let text = run(None);
    assert!(text.contains("applied migration"), "{text}");
    assert!(!text.contains('\u{1b}'), "no ANSI codes: {text:?}");
    let json = run(Some("json"));
    let lines: Vec<&str> = json.lines().filter(|l| l.starts_with('{')).collect();
    assert!(!lines.is_empty(), "{json}");
    for line in lines {
        let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(v["level"].is_string() && v["timestamp"].is_string(), "{line}");
    }
}
