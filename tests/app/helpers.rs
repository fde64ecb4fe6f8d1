//! The test harness: a fresh database per test (a SQLite file, or a new PostgreSQL database dropped afterwards),
//! the application on port 0, a browser-like HTTP client, and a real SMTP server (aiosmtpd) when mail is tested.

use candor::Config;
use candor::store::{self, Store};
use reqwest::StatusCode;
use reqwest::cookie::CookieStore;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Runs a test body once on SQLite and once on PostgreSQL: `both!(name);` for `async fn name(db: Db)`.
#[macro_export]
macro_rules! both {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::helpers::Db::Sqlite).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::helpers::Db::Postgres).await
                }
            }
        )*
    };
}

pub fn postgres_admin_url() -> String {
    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A database for one test.
pub struct TestDb {
    pub url: String,
    pg_name: Option<String>,
}

impl TestDb {
    pub async fn create(db: Db, dir: &Path) -> TestDb {
        match db {
            Db::Sqlite => {
                TestDb { url: format!("sqlite://{}?mode=rwc", dir.join("candor.db").display()), pg_name: None }
            }
            Db::Postgres => {
                use sqlx::Connection;
                let admin = postgres_admin_url();
                let mut conn = sqlx::PgConnection::connect(&admin)
                    .await
                    .unwrap_or_else(|e| panic!("PostgreSQL is required for the tests ({admin}): {e}"));
                let name = format!("candor_test_{}", uuid::Uuid::new_v4().simple());
                sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.unwrap();
                let base = admin.rsplit_once('/').map(|(b, _)| b.to_owned()).unwrap();
                TestDb { url: format!("{base}/{name}"), pg_name: Some(name) }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(name) = self.pg_name.take() {
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                rt.block_on(async move {
                    use sqlx::Connection;
                    if let Ok(mut conn) = sqlx::PgConnection::connect(&postgres_admin_url()).await {
                        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .execute(&mut conn)
                            .await;
                    }
                });
            })
            .join();
        }
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A real SMTP server (Python's aiosmtpd) on loopback, writing what it receives to a Maildir.
pub struct SmtpServer {
    pub port: u16,
    maildir: PathBuf,
    child: Option<std::process::Child>,
    _dir: tempfile::TempDir,
}

/// One message as the SMTP server received it.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    /// Envelope recipients (To, Cc and Bcc).
    pub rcpt_to: Vec<String>,
    pub to: String,
    pub subject: String,
    #[allow(dead_code)]
    pub reply_to: String,
    pub bcc_header: Option<String>,
    pub message_id: String,
    pub html: String,
    pub text: String,
}

impl SmtpServer {
    pub async fn start() -> SmtpServer {
        Self::start_on(free_port()).await
    }

    pub async fn start_on(port: u16) -> SmtpServer {
        let dir = tempfile::tempdir().unwrap();
        let maildir = dir.path().join("maildir");
        let mut server = SmtpServer { port, maildir, child: None, _dir: dir };
        server.restart().await;
        server
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}?tls=none", self.port)
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub async fn restart(&mut self) {
        self.stop();
        let child = std::process::Command::new("python3")
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{}", self.port),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(&self.maildir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("python3 with aiosmtpd is required for the mail tests (pip install aiosmtpd)");
        self.child = Some(child);
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the SMTP server did not start");
    }

    /// Every message received so far, oldest first.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        let mut files: Vec<PathBuf> = match std::fs::read_dir(self.maildir.join("new")) {
            Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
            Err(_) => return Vec::new(),
        };
        files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
        files.iter().map(|p| parse_mail(&std::fs::read(p).unwrap())).collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

pub fn parse_mail(raw: &[u8]) -> ReceivedMail {
    let parsed = mailparse::parse_mail(raw).unwrap();
    let header =
        |name: &str| parsed.headers.iter().find(|h| h.get_key().eq_ignore_ascii_case(name)).map(|h| h.get_value());
    let mut html = String::new();
    let mut text = String::new();
    for part in parsed.subparts.iter().chain(std::iter::once(&parsed)) {
        match part.ctype.mimetype.as_str() {
            "text/html" => html = part.get_body().unwrap(),
            "text/plain" => text = part.get_body().unwrap(),
            _ => {}
        }
    }
    ReceivedMail {
        rcpt_to: header("X-RcptTo")
            .unwrap_or_default()
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
        to: header("To").unwrap_or_default(),
        subject: header("Subject").unwrap_or_default(),
        reply_to: header("Reply-To").unwrap_or_default(),
        bcc_header: header("Bcc"),
        message_id: header("Message-ID").unwrap_or_default(),
        html,
        text,
    }
}

/// The first `http…` link in a text that contains `needle`.
pub fn find_link(text: &str, needle: &str) -> String {
    text.split_whitespace()
        .find(|w| w.starts_with("http") && w.contains(needle))
        .unwrap_or_else(|| panic!("no link with {needle:?} in:\n{text}"))
        .trim_end_matches(['.', ',', ')', '>'])
        .to_owned()
}

pub struct TestApp {
    pub address: String,
    pub state: candor::web::AppState,
    pub store: Store,
    pub client: reqwest::Client,
    pub jar: Arc<reqwest::cookie::Jar>,
    pub setup_link: Option<String>,
    pub data_dir: PathBuf,
    pub database_url: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    _dir: tempfile::TempDir,
    _db: TestDb,
}

#[derive(Debug, Clone)]
pub struct TestUser {
    pub email: String,
    pub password: String,
    pub org_id: String,
    pub user_id: String,
}

pub fn browser() -> (reqwest::Client, Arc<reqwest::cookie::Jar>) {
    let jar = Arc::new(reqwest::cookie::Jar::default());
    candor::install_tls_provider();
    let client = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    (client, jar)
}

impl TestApp {
    pub async fn spawn(db: Db) -> TestApp {
        Self::spawn_with(db, |_| {}).await
    }

    pub async fn spawn_with(db: Db, configure: impl FnOnce(&mut Config)) -> TestApp {
        // CANDOR_TEST_LOG=debug shows the server's logs while a test runs.
        if let Ok(filter) = std::env::var("CANDOR_TEST_LOG") {
            let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
        }
        let dir = tempfile::tempdir().unwrap();
        let test_db = TestDb::create(db, dir.path()).await;
        let mut config = Config::embedded(dir.path().join("data"));
        config.listen = "127.0.0.1:0".parse().unwrap();
        config.database_url = Some(test_db.url.clone());
        config.run_worker = false;
        config.max_db_connections = 5;
        configure(&mut config);
        let app = candor::Application::build(config).await.expect("the application starts");
        let port = app.port();
        let state = app.state().clone();
        let setup_link = app.setup_link().map(str::to_owned);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            app.run_until_stopped(async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        let (client, jar) = browser();
        TestApp {
            address: format!("http://127.0.0.1:{port}"),
            store: state.store.clone(),
            data_dir: state.config.data_dir.clone(),
            database_url: test_db.url.clone(),
            state,
            client,
            jar,
            setup_link,
            shutdown: Some(tx),
            server: Some(server),
            _dir: dir,
            _db: test_db,
        }
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap();
        }
    }

    /// Stops the server gracefully, then starts it again on the same port, database and data folder — as an
    /// operator's restart or a redeploy does.
    pub async fn restart(&mut self) {
        self.stop().await;
        let mut config = self.state.config.clone();
        config.listen = self.address.trim_start_matches("http://").parse().unwrap();
        let app = candor::Application::build(config).await.expect("the application starts again");
        self.state = app.state().clone();
        self.store = self.state.store.clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        self.server = Some(tokio::spawn(async move {
            app.run_until_stopped(async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        }));
        self.shutdown = Some(tx);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn get_html(&self, path: &str) -> String {
        let res = self.get(path).await;
        assert_eq!(res.status(), StatusCode::OK, "GET {path}");
        res.text().await.unwrap()
    }

    /// This browser's CSRF token (a page is fetched first when it has none yet).
    pub async fn csrf(&self) -> String {
        if let Some(t) = csrf_from_jar(&self.jar, &self.address) {
            return t;
        }
        self.get("/login").await;
        csrf_from_jar(&self.jar, &self.address).expect("a CSRF cookie")
    }

    /// Submits a form as a browser does: with the CSRF token.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let csrf = self.csrf().await;
        let mut all: Vec<(&str, &str)> = vec![("csrf", &csrf)];
        all.extend_from_slice(fields);
        self.client.post(self.url(path)).form(&all).send().await.unwrap()
    }

    /// Creates an organization and its admin directly in the store, as `candor admin create-user` does.
    pub async fn create_org_admin(&self, org: &str, email: &str) -> TestUser {
        self.create_org_user(org, email, "admin").await
    }

    pub async fn create_org_user(&self, org: &str, email: &str, role: &str) -> TestUser {
        use candor::domain::*;
        use candor::store::users::NewUser;
        let password = "correct horse battery".to_owned();
        let hash = candor::usecase::accounts::hash_password(password.clone()).await.unwrap();
        let user = NewUser {
            email: EmailAddress::parse("email", email).unwrap(),
            name: PersonName::parse("name", &format!("User {}", email.split('@').next().unwrap())).unwrap(),
            role: Role::parse("role", role).unwrap(),
            password_hash: Some(hash),
        };
        let org_name = OrgName::parse("org", org).unwrap();
        let (org, user) = match store::orgs::find_by_name(&self.store, &org_name).await {
            Ok(o) => {
                let u = store::users::create(&self.store, &o.id, &user).await.unwrap();
                (o, u)
            }
            Err(_) => {
                let new_org = store::orgs::NewOrganization {
                    name: org_name,
                    timezone: TimeZoneName::parse("tz", "Europe/Helsinki").unwrap(),
                    language: Language::Fi,
                };
                store::orgs::create_with_first_user(&self.store, &new_org, &user).await.unwrap()
            }
        };
        TestUser { email: email.to_owned(), password, org_id: org.id, user_id: user.id }
    }

    pub async fn login(&self, user: &TestUser) {
        let res = self.login_with(&user.email, &user.password).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "sign-in of {}", user.email);
    }

    pub async fn login_with(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_form("/login", &[("email", email), ("password", password)]).await
    }

    pub async fn logout(&self) -> reqwest::Response {
        self.post_form("/logout", &[]).await
    }

    /// A fresh browser for the same server (no cookies).
    pub fn new_browser(&mut self) {
        let (client, jar) = browser();
        self.client = client;
        self.jar = jar;
    }

    pub async fn api_token(&self, user: &TestUser) -> String {
        let (token, hash) = store::sessions::new_secret().unwrap();
        store::sessions::create_api_token(&self.store, &user.user_id, &hash, "Tests").await.unwrap();
        token
    }

    pub fn api(&self, method: reqwest::Method, path: &str, token: &str) -> reqwest::RequestBuilder {
        candor::install_tls_provider();
        reqwest::Client::new().request(method, self.url(&format!("/api/v1{path}"))).bearer_auth(token)
    }

    /// Every item of an API list (`path` with its query), following `next_cursor` from page to page.
    pub async fn api_items(&self, path: &str, token: &str) -> Vec<serde_json::Value> {
        let (mut items, mut cursor) = (Vec::new(), None::<String>);
        loop {
            let url = match &cursor {
                Some(c) => format!("{path}&cursor={c}"),
                None => path.to_owned(),
            };
            let page: serde_json::Value =
                self.api(reqwest::Method::GET, &url, token).send().await.unwrap().json().await.unwrap();
            items.extend(page["items"].as_array().unwrap().iter().cloned());
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => return items,
            }
        }
    }

    /// The name search of the API (`GET /api/v1/candidates?q=`) as `token` sees it: "first last" of each suggestion,
    /// in its order.
    pub async fn search_names(&self, token: &str, q: &str) -> Vec<String> {
        let url = format!("/candidates?q={}", url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>());
        let page: serde_json::Value =
            self.api(reqwest::Method::GET, &url, token).send().await.unwrap().json().await.unwrap();
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| format!("{} {}", c["first_name"].as_str().unwrap(), c["last_name"].as_str().unwrap()))
            .collect()
    }

    /// Runs every due background job now; returns how many ran.
    pub async fn run_pending_jobs(&self) -> usize {
        self.state.worker.run_pending().await.unwrap()
    }

    /// Creates a candidate through the form, returning its id.
    pub async fn add_candidate(&self, first: &str, last: &str, email: &str) -> String {
        let res = self.post_form("/candidates", &[("first_name", first), ("last_name", last), ("email", email)]).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "add candidate {first} {last}");
        location(&res).trim_start_matches("/candidates/").to_owned()
    }

    /// The `.eml` files in the local outbox.
    pub fn outbox_files(&self) -> Vec<PathBuf> {
        match std::fs::read_dir(self.data_dir.join("outbox")) {
            Ok(rd) => rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "eml"))
                .collect(),
            Err(_) => Vec::new(),
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

fn csrf_from_jar(jar: &reqwest::cookie::Jar, address: &str) -> Option<String> {
    let url: reqwest::Url = address.parse().unwrap();
    let header = jar.cookies(&url)?;
    header
        .to_str()
        .ok()?
        .split(';')
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == "candor_csrf")
        .map(|(_, v)| v.to_owned())
}

/// A metric's value in Prometheus text (`name value`, without labels), when it is there.
pub fn gauge(metrics: &str, name: &str) -> Option<f64> {
    metrics.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

pub fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .unwrap_or_else(|| panic!("no Location on {}", res.status()))
        .to_str()
        .unwrap()
        .to_owned()
}

/// The text of the elements matching a CSS selector.
pub fn texts(html: &str, selector: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(selector).unwrap();
    doc.select(&sel)
        .map(|e| e.text().collect::<Vec<_>>().join(" ").split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// A real S3 protocol server in this process (s3s-fs over a temporary folder), with one bucket `candor`.
pub struct S3Server {
    pub port: u16,
    _dir: tempfile::TempDir,
    task: tokio::task::JoinHandle<()>,
}

impl S3Server {
    pub const ACCESS_KEY: &'static str = "candor-test";
    pub const SECRET_KEY: &'static str = "candor-test-secret";

    pub async fn start() -> S3Server {
        use s3s::auth::SimpleAuth;
        use s3s::service::S3ServiceBuilder;
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("candor")).unwrap();
        let fs = s3s_fs::FileSystem::new(dir.path()).unwrap();
        let mut builder = S3ServiceBuilder::new(fs);
        builder.set_auth(SimpleAuth::from_single(Self::ACCESS_KEY, Self::SECRET_KEY));
        let service = builder.build();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            let http = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
            loop {
                let Ok((socket, _)) = listener.accept().await else { continue };
                let conn = http.serve_connection(hyper_util::rt::TokioIo::new(socket), service.clone()).into_owned();
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
        });
        S3Server { port, _dir: dir, task }
    }

    /// Deletes the bucket and everything in it (a bucket removed under a running server).
    pub fn remove_bucket(&self) {
        std::fs::remove_dir_all(self._dir.path().join("candor")).unwrap();
    }

    /// `CANDOR_MEDIA_URL` for this server: the bucket `candor`, under the prefix `media`.
    pub fn media_url(&self) -> String {
        format!(
            "s3://candor/media?endpoint=http://127.0.0.1:{}&region=us-east-1&access_key_id={}&secret_access_key={}",
            self.port,
            Self::ACCESS_KEY,
            Self::SECRET_KEY
        )
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A TCP proxy in front of a real server (PostgreSQL) that can be cut — every connection dropped, and the port
/// closed so new ones are refused, as when the server is stopped — and restored.
pub struct TcpProxy {
    pub port: u16,
    target: (String, u16),
    generation: Arc<std::sync::atomic::AtomicU64>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl TcpProxy {
    pub async fn start(target: (String, u16)) -> TcpProxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut proxy =
            TcpProxy { port, target, generation: Arc::new(std::sync::atomic::AtomicU64::new(0)), task: None };
        proxy.serve(listener);
        proxy
    }

    fn serve(&mut self, listener: tokio::net::TcpListener) {
        use std::sync::atomic::Ordering;
        let (target, generation) = (self.target.clone(), self.generation.clone());
        self.task = Some(tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let (target, generation) = (target.clone(), generation.clone());
                let born = generation.load(Ordering::SeqCst);
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect((target.0.as_str(), target.1)).await else {
                        return;
                    };
                    let watch = async {
                        while generation.load(Ordering::SeqCst) == born {
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = watch => {}
                    }
                });
            }
        }));
    }

    pub async fn cut(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
        self.generation.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    pub async fn restore(&mut self) {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port)).await.unwrap();
        self.serve(listener);
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// A server that accepts connections and then never answers (a mail server that stalls).
pub struct SilentServer {
    pub port: u16,
    accepted: Arc<std::sync::atomic::AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl SilentServer {
    pub async fn start() -> SilentServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = accepted.clone();
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                held.push(socket);
            }
        });
        SilentServer { port, accepted, task }
    }

    /// Connections taken so far (each one is held open, silent, until the server is dropped).
    pub fn accepted(&self) -> usize {
        self.accepted.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Drop for SilentServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
