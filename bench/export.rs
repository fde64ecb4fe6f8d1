//! Benchmark of a candidate's export: one candidate with 20 kept answers of 20 MB each (≈ 400 MB of media, uploaded
//! through tus like a browser's), exported through `GET /api/v1/candidates/{id}/export` as fast as the client reads;
//! the server's resident memory (VmRSS) is sampled every 10 ms and compared with what it was just before. The archive
//! is then checked with Python's `zipfile` (CRC of every entry). SQLite, media on the local directory. Writes
//! bench/RESULTS.md.
//!
//! Run: `cargo bench --bench export`. BENCH_ANSWERS (default 20), BENCH_ANSWER_MB (default 20), BENCH_RUNS (default 3).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "harness.rs"]
mod harness;

use std::process::Command;
use std::time::{Duration, Instant};

const KEY: &str = "bench export key, thirty-two characters or more";

/// A figure of /proc/<pid>/status, in KiB (`VmRSS:` now, `VmHWM:` the peak since the last reset).
fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Resets the process's peak RSS to its current RSS (Linux: `5` into /proc/<pid>/clear_refs); `false` if refused.
fn reset_peak(pid: u32) -> bool {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok()
}

#[tokio::main]
async fn main() {
    candor::install_tls_provider();
    let answers: usize = harness::env_or("BENCH_ANSWERS", 20);
    let answer_mb: usize = harness::env_or("BENCH_ANSWER_MB", 20);
    let runs: usize = harness::env_or("BENCH_RUNS", 3);
    let dir = std::env::temp_dir().join("candor-bench-export");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let env = |c: &mut Command| {
        c.env("CANDOR_DATA_DIR", &dir).env("CANDOR_WORKER", "false").env("CANDOR_SECRET_KEY", KEY);
        c.env_remove("DATABASE_URL");
    };
    let token = harness::create_org(&env);
    let server = harness::start(&env).await;
    let base = server.base.clone();
    let pid = server.process.0.id();
    let api = reqwest::Client::new();
    let auth = format!("Bearer {token}");

    let questions: Vec<serde_json::Value> = (0..answers)
        .map(|i| serde_json::json!({"text": format!("Question {}", i + 1), "max_answer_seconds": 180, "max_takes": 1}))
        .collect();
    let interview: serde_json::Value = api
        .post(format!("{base}/api/v1/interviews"))
        .header("authorization", &auth)
        .json(&serde_json::json!({"name": "Export", "title": "Export", "questions": questions}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let invitation: serde_json::Value = api
        .post(format!("{base}/api/v1/invitations"))
        .header("authorization", &auth)
        .json(&serde_json::json!({
            "candidate": {"first_name": "Saga", "last_name": "Lind", "email": "saga@example.se"},
            "email": "saga@example.se", "language": "en", "interview_id": interview["id"], "deadline": "2099-12-31",
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let inv_id = invitation["id"].as_str().unwrap();
    let candidate_id = invitation["candidate_id"].as_str().unwrap().to_owned();
    let link = format!("{base}/i/{}", candor::store::invitations::invitation_token(KEY.as_bytes(), inv_id));

    // The candidate: consent, then each answer uploaded in 8 MiB PATCHes and kept.
    let browser = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let landing = browser.get(&link).send().await.unwrap().text().await.unwrap();
    let csrf = landing.split("name=\"csrf\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let res = browser.post(format!("{link}/start")).form(&[("csrf", csrf.as_str()), ("consent", "yes")]).send().await;
    assert!(res.unwrap().status().is_success());
    let interview_id = interview["id"].as_str().unwrap();
    let full: serde_json::Value = api
        .get(format!("{base}/api/v1/interviews/{interview_id}"))
        .header("authorization", &auth)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let len = answer_mb * 1_000_000;
    let started = Instant::now();
    for (i, q) in full["questions"].as_array().unwrap().iter().enumerate() {
        let qid = q["id"].as_str().unwrap();
        use base64::Engine;
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let created = browser
            .post(format!("{link}/uploads"))
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Length", len.to_string())
            .header("Upload-Metadata", format!("question {},filetype {}", b64(qid), b64("video/webm")))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 201, "{}", created.text().await.unwrap());
        let upload = created.headers()["location"].to_str().unwrap().to_owned();
        let upload = if upload.starts_with("http") { upload } else { format!("{base}{upload}") };
        let bytes = harness::media_bytes(len, i as u64);
        for (n, piece) in bytes.chunks(8 << 20).enumerate() {
            let res = browser
                .patch(&upload)
                .header("Tus-Resumable", "1.0.0")
                .header("Content-Type", "application/offset+octet-stream")
                .header("Upload-Offset", (n * (8 << 20)).to_string())
                .body(piece.to_vec())
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 204);
        }
        let take = upload.rsplit('/').next().unwrap();
        let res = browser
            .post(format!("{link}/answers/{qid}"))
            .json(&serde_json::json!({"take_id": take, "csrf": csrf}))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "{}", res.text().await.unwrap());
    }
    eprintln!("uploaded {answers} × {answer_mb} MB in {:.1} s", started.elapsed().as_secs_f64());
    tokio::time::sleep(Duration::from_secs(2)).await;

    let mut lines = Vec::new();
    for run in 0..runs {
        let exact = reset_peak(pid);
        let before = status_kib(pid, "VmRSS:");
        // Where the kernel keeps no resettable peak, sample the RSS every 10 ms instead.
        let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(before));
        let sampling = {
            let peak = peak.clone();
            tokio::spawn(async move {
                loop {
                    peak.fetch_max(status_kib(pid, "VmRSS:"), std::sync::atomic::Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            })
        };
        let started = Instant::now();
        let mut res = api
            .get(format!("{base}/api/v1/candidates/{candidate_id}/export"))
            .header("authorization", &auth)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let path = dir.join("export.zip");
        let mut file = std::fs::File::create(&path).unwrap();
        let mut total = 0usize;
        while let Some(chunk) = res.chunk().await.unwrap() {
            use std::io::Write;
            total += chunk.len();
            file.write_all(&chunk).unwrap();
        }
        drop(file);
        let seconds = started.elapsed().as_secs_f64();
        sampling.abort();
        let sampled = peak.load(std::sync::atomic::Ordering::Relaxed);
        let peak = if exact { status_kib(pid, "VmHWM:").max(sampled) } else { sampled };
        let check = Command::new("python3")
            .args(["-c", "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(len(z.infolist()))"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stderr));
        let entries: usize = String::from_utf8_lossy(&check.stdout).trim().parse().unwrap();
        assert_eq!(entries, answers + 1);
        let line = format!(
            "| {} | {:.0} MB | {entries} | {seconds:.1} s | {:.0} MB/s | {:.1} MiB | {:.1} MiB | **{:.1} MiB** |",
            run + 1,
            total as f64 / 1e6,
            total as f64 / 1e6 / seconds,
            before as f64 / 1024.0,
            peak as f64 / 1024.0,
            (peak.saturating_sub(before)) as f64 / 1024.0
        );
        eprintln!("{line}");
        lines.push(line);
    }
    let body = format!(
        "## Candidate export (`cargo bench --bench export`)\n\n\
         Date: {}. Machine: {} cores, loopback. One candidate with {answers} kept answers of {answer_mb} MB (uploaded \
         through tus), SQLite, media on the local directory; the archive read as fast as the client takes it and \
         checked by Python's `zipfile` (every entry's CRC). RSS: the server's VmRSS just before, and its peak during the \
         download (VmHWM after resetting it through /proc/<pid>/clear_refs; sampled every 10 ms where that is \
         refused). Goal: growth ≤ 30 MB.\n\n\
         | Run | Archive | Entries | Time | Rate | RSS before | RSS peak | Growth |\n\
         | --- | --- | --- | --- | --- | --- | --- | --- |\n{}\n\n",
        harness::date(),
        harness::cores(),
        lines.join("\n")
    );
    harness::write_section("export", &body);
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
