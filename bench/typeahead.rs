//! Benchmark of the foundation: CSV import of N candidates (wall time, peak RSS), cold start and idle RSS of the
//! server, typeahead latency over HTTP for 1-, 2-, 3- and 5-letter queries, and the same search as an unindexed
//! `LIKE '%q%'` scan — on SQLite and on PostgreSQL. Writes its figures into bench/RESULTS.md.
//!
//! Run: `cargo bench --bench typeahead` (CANDOR_BENCH_ROWS=1000000 by default; PostgreSQL from BENCH_DATABASE_URL,
//! default postgres://postgres@127.0.0.1:5432/postgres).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const FIRST: &[&str] = &[
    "Aino",
    "Eino",
    "Väinö",
    "Kerttu",
    "Onni",
    "Eevi",
    "Lauri",
    "Helmi",
    "Jüri",
    "Siiri",
    "Sven",
    "Åsa",
    "Björn",
    "Märta",
    "Linnéa",
    "Øystein",
    "Ingrid",
    "Søren",
    "Freja",
    "Sigríður",
    "Þórður",
    "Jürgen",
    "Anneliese",
    "Günther",
    "Jérôme",
    "Éloïse",
    "Benoît",
    "Françoise",
    "José",
    "María",
    "Iñaki",
    "Begoña",
    "Γιώργος",
    "Ελένη",
    "Δημήτρης",
    "Αικατερίνη",
    "Łukasz",
    "Zofia",
    "Małgorzata",
    "Wojciech",
    "Çağlar",
    "Şebnem",
    "Gülşen",
    "Priya",
    "Arjun",
    "Aarav",
    "Wei",
    "Xiaoling",
    "Mohammed",
    "Fatima",
    "Aisha",
    "Omar",
    "Oliver",
    "Amelia",
    "Noah",
    "Olivia",
    "Liam",
    "Emma",
    "Chloé",
    "Zoë",
    "Nguyễn",
    "Thảo",
    "Kofi",
    "Amara",
    "Dmitri",
    "Anastasia",
    "Ioana",
    "Mihai",
    "Katalin",
    "Zoltán",
    "Matěj",
    "Tereza",
];
const LAST: &[&str] = &[
    "Järvinen",
    "Virtanen",
    "Mäkinen",
    "Nieminen",
    "Mäkelä",
    "Hämäläinen",
    "Laine",
    "Heikkinen",
    "Koskinen",
    "Järvelä",
    "Öström",
    "Åkesson",
    "Lindqvist",
    "Söderberg",
    "Bäckström",
    "Løvås",
    "Sørensen",
    "Ødegård",
    "Kristjánsdóttir",
    "Müller",
    "Schröder",
    "Weiß",
    "Köhler",
    "Lefèvre",
    "Dubois",
    "Girard",
    "Pérez",
    "Núñez",
    "García",
    "Muñoz",
    "Παπαδόπουλος",
    "Οικονόμου",
    "Γεωργίου",
    "Wiśniewski",
    "Kowalczyk",
    "Wójcik",
    "Yılmaz",
    "Öztürk",
    "Şahin",
    "Patel",
    "Sharma",
    "Iyer",
    "Wang",
    "Zhang",
    "Chen",
    "Al-Sayed",
    "Haddad",
    "Smith",
    "Johnson",
    "O'Brien",
    "MacDonald",
    "Nguyễn",
    "Trần",
    "Mensah",
    "Okafor",
    "Ivanov",
    "Popescu",
    "Nagy",
    "Dvořák",
    "Novák",
    "Horváth",
    "Costa",
    "Gonçalves",
    "Rossi",
    "Esposito",
    "De Luca",
];
const SYLLABLES: &[&str] = &[
    "ka", "la", "ri", "no", "ve", "tu", "ma", "si", "jo", "ne", "ko", "vi", "sa", "ta", "hä", "rö", "lu", "mi", "be",
    "da", "fe", "go", "ja", "ke", "lo", "pe", "ro", "sö", "ty", "vå",
];

/// A tiny deterministic PRNG (xorshift64*), so every run imports the same names.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

/// A surname: a real one, or (two times in three) a real stem with generated syllables, so 1M rows are varied.
fn last_name(rng: &mut Rng) -> String {
    let base = rng.pick(LAST);
    match rng.next() % 3 {
        0 => base.to_owned(),
        1 => format!("{}{}{}", rng.pick(SYLLABLES), rng.pick(SYLLABLES), base.to_lowercase()),
        _ => {
            let mut s = String::from(base);
            for _ in 0..(1 + rng.next() % 2) {
                s.push_str(rng.pick(SYLLABLES));
            }
            s
        }
    }
}

fn generate_csv(path: &Path, rows: usize) -> Vec<(String, String)> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut out = String::with_capacity(rows * 48);
    out.push_str("first_name,last_name,email\n");
    let mut sample = Vec::new();
    for i in 0..rows {
        let first = rng.pick(FIRST).to_owned();
        let last = last_name(&mut rng);
        out.push_str(&format!("{first},\"{}\",c{i}@example.com\n", last.replace('"', "\"\"")));
        if i % 97 == 0 && sample.len() < 5000 {
            sample.push((first, last));
        }
    }
    std::fs::write(path, out).unwrap();
    sample
}

fn candor() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_candor"));
    c.env("CANDOR_LOG", "warn");
    c
}

fn vm_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find(|l| l.starts_with(field))?.split_whitespace().nth(1)?.parse().ok()
}

/// Runs a command to its end, sampling its peak RSS; (wall time, peak RSS in MiB, stderr).
fn run_measured(mut cmd: Command) -> (Duration, f64, String) {
    let started = Instant::now();
    let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let pid = child.id();
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
    let mut peak = 0;
    loop {
        if let Some(kib) = vm_kib(pid, "VmHWM:") {
            peak = peak.max(kib);
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let wall = started.elapsed();
    let status = child.wait().unwrap();
    let err = reader.join().unwrap();
    assert!(status.success(), "command failed: {err}");
    (wall, peak as f64 / 1024.0, err)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

struct Backend {
    name: &'static str,
    database_url: Option<String>,
    data_dir: PathBuf,
}

struct Figures {
    backend: &'static str,
    import_wall: Duration,
    import_peak_mib: f64,
    import_summary: String,
    cold_start: Duration,
    idle_rss_mib: f64,
    latency: Vec<(usize, f64, f64, f64)>,
    scan: Vec<(usize, f64, f64)>,
}

async fn bench_backend(b: &Backend, csv: &Path, sample: &[(String, String)]) -> Figures {
    let _ = std::fs::remove_dir_all(&b.data_dir);
    std::fs::create_dir_all(&b.data_dir).unwrap();
    let with_env = |mut c: Command| {
        c.env("CANDOR_DATA_DIR", &b.data_dir);
        match &b.database_url {
            Some(url) => c.env("DATABASE_URL", url),
            None => c.env_remove("DATABASE_URL"),
        };
        c
    };
    let mut c = with_env(candor());
    c.args([
        "admin",
        "create-user",
        "--org-name",
        "Bench",
        "--email",
        "bench@example.com",
        "--password",
        "bench password 1",
    ]);
    assert!(c.status().unwrap().success());

    eprintln!("[{}] importing {}", b.name, csv.display());
    let mut c = with_env(candor());
    c.args(["import", "candidates", csv.to_str().unwrap(), "--org-name", "Bench"]);
    let (import_wall, import_peak_mib, err) = run_measured(c);
    let import_summary = err.lines().rev().find(|l| l.starts_with("Imported")).unwrap_or("").to_owned();
    eprintln!(
        "[{}] import: {:.1} s, peak RSS {:.0} MiB — {import_summary}",
        b.name,
        import_wall.as_secs_f64(),
        import_peak_mib
    );

    let mut c = with_env(candor());
    let out = c.args(["admin", "create-token", "--email", "bench@example.com"]).output().unwrap();
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut c = with_env(candor());
    c.args(["serve", "--listen", &format!("127.0.0.1:{port}")]).stdout(Stdio::null()).stderr(Stdio::null());
    let started = Instant::now();
    let mut server: Child = c.spawn().unwrap();
    let health = format!("http://127.0.0.1:{port}/healthz");
    let cold_start = loop {
        if let Ok(r) = reqwest::get(&health).await
            && r.status() == 200
        {
            break started.elapsed();
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the server did not start");
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle_rss_mib = vm_kib(server.id(), "VmRSS:").unwrap_or(0) as f64 / 1024.0;

    let client = reqwest::Client::new();
    let mut rng = Rng(42);
    let mut latency = Vec::new();
    for len in [1usize, 2, 3, 5] {
        let queries: Vec<String> = (0..400)
            .map(|i| {
                let (first, last) = &sample[(rng.next() % sample.len() as u64) as usize];
                let name: Vec<char> = if i % 2 == 0 { last.chars().collect() } else { first.chars().collect() };
                // Half prefixes, half from inside the name (when it is long enough).
                let start =
                    if i % 4 == 1 && name.len() > len + 1 { 1 + (rng.next() as usize % (name.len() - len)) } else { 0 };
                name.iter().skip(start).take(len).collect()
            })
            .collect();
        let mut times = Vec::new();
        for (i, q) in queries.iter().enumerate() {
            let url = format!(
                "http://127.0.0.1:{port}/api/v1/candidates?q={}",
                url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
            );
            let t = Instant::now();
            let res = client.get(&url).bearer_auth(&token).send().await.unwrap();
            assert_eq!(res.status(), 200);
            let _ = res.bytes().await.unwrap();
            if i >= 50 {
                times.push(t.elapsed().as_secs_f64() * 1000.0);
            }
        }
        times.sort_by(f64::total_cmp);
        let mean = times.iter().sum::<f64>() / times.len() as f64;
        eprintln!(
            "[{}] {len} letters: p50 {:.2} ms, p99 {:.2} ms",
            b.name,
            percentile(&times, 0.5),
            percentile(&times, 0.99)
        );
        latency.push((len, percentile(&times, 0.5), percentile(&times, 0.99), mean));
    }
    let _ = server.kill();
    let _ = server.wait();

    // The same search through the store: indexed vs an unindexed LIKE scan.
    let url = b
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", b.data_dir.join("candor.db").display()));
    let store = candor::store::Store::connect(&url, 2).await.unwrap();
    let org = candor::store::orgs::find_by_name(&store, &candor::domain::OrgName::parse("o", "Bench").unwrap())
        .await
        .unwrap();
    let mut scan = Vec::new();
    for len in [3usize, 5] {
        let mut indexed = Vec::new();
        let mut scanned = Vec::new();
        for (i, (first, last)) in sample.iter().step_by(97).take(15).enumerate() {
            let name: Vec<char> = if i % 2 == 0 { last.chars().collect() } else { first.chars().collect() };
            let q: String = name.iter().take(len).collect();
            let t = Instant::now();
            candor::store::candidates::search(&store, &org.id, &q, 10).await.unwrap();
            indexed.push(t.elapsed().as_secs_f64() * 1000.0);
            let t = Instant::now();
            candor::store::candidates::search_by_scan(&store, &org.id, &q, 10).await.unwrap();
            scanned.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        indexed.sort_by(f64::total_cmp);
        scanned.sort_by(f64::total_cmp);
        let (i50, s50) = (percentile(&indexed, 0.5), percentile(&scanned, 0.5));
        eprintln!("[{}] {len} letters: indexed {i50:.2} ms, scan {s50:.1} ms, ×{:.0}", b.name, s50 / i50);
        scan.push((len, i50, s50));
    }
    store.close().await;
    Figures { backend: b.name, import_wall, import_peak_mib, import_summary, cold_start, idle_rss_mib, latency, scan }
}

fn write_results(rows: usize, figures: &[Figures]) {
    let machine = format!(
        "{} cores ({}), {} GiB RAM, {}",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|c| c.lines().find(|l| l.starts_with("model name")).map(|l| l
                .split(':')
                .nth(1)
                .unwrap_or("")
                .trim()
                .to_owned()))
            .unwrap_or_default(),
        std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|m| m
                .lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|k| k.parse::<u64>().ok()))
            .map(|k| k / 1024 / 1024)
            .unwrap_or(0),
        std::process::Command::new("psql")
            .args(["--version"])
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default(),
    );
    let date = std::process::Command::new("date")
        .arg("-u")
        .arg("+%Y-%m-%d %H:%M UTC")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let mut s = String::new();
    s.push_str("<!-- typeahead:begin -->\n## Typeahead, CSV import, start-up\n\n");
    s.push_str(&format!(
        "Command: `cargo bench --bench typeahead` (CANDOR_BENCH_ROWS={rows}). Date: {date}. Machine: {machine}.\n"
    ));
    s.push_str("Release build; client and server on the same machine over loopback; PostgreSQL local.\n\n");
    s.push_str("Typeahead: `GET /api/v1/candidates?q=…` (top 10, prefix matches first), 350 queries per length after 50 warm-up, one keep-alive connection, half prefixes and a quarter from inside names.\n\n");
    s.push_str("| Database | letters | p50 ms | p99 ms | mean ms |\n| --- | --- | --- | --- | --- |\n");
    for f in figures {
        for (len, p50, p99, mean) in &f.latency {
            s.push_str(&format!("| {} | {len} | {p50:.2} | {p99:.2} | {mean:.2} |\n", f.backend));
        }
    }
    s.push_str("\nThe same search in the store vs the naive way — an unindexed `LIKE '%q%'` over the folded names with prefix matches ranked first, which must read every row (median of 15 queries):\n\n");
    s.push_str("| Database | letters | indexed ms | scan ms | ratio |\n| --- | --- | --- | --- | --- |\n");
    for f in figures {
        for (len, i, sc) in &f.scan {
            s.push_str(&format!("| {} | {len} | {i:.2} | {sc:.1} | {:.0}× |\n", f.backend, sc / i));
        }
    }
    s.push_str(&format!("\nImport of {rows} CSV rows with `candor import candidates` (one organization), cold start of `candor serve` to the first `/healthz` 200 on the imported database, RSS one second after start:\n\n"));
    s.push_str("| Database | import wall s | import peak RSS MiB | result | cold start ms | idle RSS MiB |\n| --- | --- | --- | --- | --- | --- |\n");
    for f in figures {
        s.push_str(&format!(
            "| {} | {:.1} | {:.0} | {} | {:.0} | {:.1} |\n",
            f.backend,
            f.import_wall.as_secs_f64(),
            f.import_peak_mib,
            f.import_summary,
            f.cold_start.as_secs_f64() * 1000.0,
            f.idle_rss_mib
        ));
    }
    s.push_str("<!-- typeahead:end -->\n");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/RESULTS.md");
    let old = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        "# Benchmark results\n\nEach section is written by the benchmark it names; rerun it to refresh.\n\n".to_owned()
    });
    let new = match (old.find("<!-- typeahead:begin -->"), old.find("<!-- typeahead:end -->")) {
        (Some(a), Some(z)) => format!("{}{}{}", &old[..a], s, &old[z + "<!-- typeahead:end -->\n".len()..]),
        _ => format!("{old}{s}\n"),
    };
    std::fs::write(&path, new).unwrap();
    eprintln!("wrote {}", path.display());
}

fn main() {
    candor::install_tls_provider();
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("benchmark: run it with `cargo bench --bench typeahead`");
        return;
    }
    let rows: usize = std::env::var("CANDOR_BENCH_ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/data");
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join(format!("candidates-{rows}.csv"));
    eprintln!("generating {rows} candidates");
    let sample = generate_csv(&csv, rows);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let figures = rt.block_on(async {
        let admin = std::env::var("BENCH_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&admin).await.expect("PostgreSQL for the benchmark");
        sqlx::query("DROP DATABASE IF EXISTS candor_bench WITH (FORCE)").execute(&mut conn).await.unwrap();
        sqlx::query("CREATE DATABASE candor_bench").execute(&mut conn).await.unwrap();
        let pg_url = format!("{}/candor_bench", admin.rsplit_once('/').unwrap().0);
        let backends = [
            Backend { name: "SQLite", database_url: None, data_dir: dir.join("sqlite-run") },
            Backend { name: "PostgreSQL", database_url: Some(pg_url), data_dir: dir.join("pg-run") },
        ];
        let mut figures = Vec::new();
        for b in &backends {
            figures.push(bench_backend(b, &csv, &sample).await);
        }
        sqlx::query("DROP DATABASE IF EXISTS candor_bench WITH (FORCE)").execute(&mut conn).await.unwrap();
        figures
    });
    write_results(rows, &figures);
}
