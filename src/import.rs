//! CSV import of candidates: `first_name,last_name,email[,phone]` with a header row, UTF-8 with or without a BOM.
//!
//! The file is read on a blocking thread and handed over in batches through a bounded channel, so memory stays
//! bounded whatever the file's size. Good rows are imported; bad rows are reported by line number with the reason;
//! an email already in the organization (or earlier in the file) is reported, not duplicated. A large import ends by
//! refreshing the planner's statistics and tidying the trigram index (`store::candidates::analyze`).

use crate::store::Store;
use crate::store::candidates::{EventActor, NewCandidate, import_batch};
use std::collections::VecDeque;
use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Rows inserted per transaction: large, so the index pages a batch dirties are written once per batch.
pub const BATCH_ROWS: usize = 50_000;
/// Problems kept for the report; the rest are only counted.
pub const REPORT_MAX: usize = 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    pub line: u64,
    pub message: String,
}

#[derive(Debug, Default, Clone)]
pub struct ImportReport {
    pub imported: u64,
    pub duplicate_count: u64,
    pub error_count: u64,
    /// The first `REPORT_MAX` duplicates and errors, in file order.
    pub problems: Vec<RowProblem>,
    /// A problem with the whole file (nothing was imported).
    pub fatal: Option<String>,
}

impl ImportReport {
    fn problem(&mut self, line: u64, message: String) {
        if self.problems.len() < REPORT_MAX {
            self.problems.push(RowProblem { line, message });
        }
    }
}

struct Columns {
    first: usize,
    last: usize,
    email: usize,
    phone: Option<usize>,
}

enum Parsed {
    Batch(Vec<(u64, NewCandidate)>, Vec<RowProblem>),
    Fatal(String),
}

/// Imports every good row of `input` into the organization. `progress` is told how many bytes were read so far.
pub async fn import_csv<R>(
    store: &Store,
    org_id: &str,
    actor: &EventActor,
    input: R,
    progress: Arc<AtomicU64>,
) -> anyhow::Result<ImportReport>
where
    R: Read + Send + 'static,
{
    // One batch waits while one is written and the parser fills the next: parsing a batch takes a tenth of the time
    // writing it does, and each batch held costs about 12 MB.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Parsed>(1);
    let parser = tokio::task::spawn_blocking(move || parse(input, tx, progress));
    let mut report = ImportReport::default();
    while let Some(msg) = rx.recv().await {
        match msg {
            Parsed::Fatal(message) => {
                report.fatal = Some(message);
                break;
            }
            Parsed::Batch(rows, problems) => {
                // Row errors and duplicates are reported in file order.
                let (lines, candidates): (Vec<u64>, Vec<NewCandidate>) = rows.into_iter().unzip();
                let started = std::time::Instant::now();
                let duplicates = match import_batch(store, org_id, actor, &candidates).await {
                    Ok(d) => d,
                    Err(e) => return Err(e.into()),
                };
                report.imported += (candidates.len() - duplicates.len()) as u64;
                // Each batch's time, to see whether a large import slows down as the table grows.
                tracing::debug!(
                    rows = candidates.len(),
                    imported = report.imported,
                    ms = started.elapsed().as_millis() as u64,
                    "import batch written"
                );
                let mut merged: Vec<RowProblem> = problems;
                report.error_count += merged.len() as u64;
                for i in duplicates {
                    report.duplicate_count += 1;
                    merged.push(RowProblem {
                        line: lines[i],
                        message: format!("{} is already a candidate; row skipped", candidates[i].email),
                    });
                }
                merged.sort_by_key(|p| p.line);
                for p in merged {
                    report.problem(p.line, p.message);
                }
            }
        }
    }
    drop(rx);
    parser.await??;
    // Statistics that say the table is small (or none: SQLite never gathers them by itself) let the name search read
    // an organization's rows one by one where it should use the trigram index: over 100 ms for some 3-letter
    // queries over 1M rows (bench/RESULTS.md).
    if report.imported > crate::store::candidates::ANALYZE_AFTER_ROWS {
        crate::store::candidates::analyze(store).await?;
    }
    Ok(report)
}

fn parse<R: Read>(input: R, tx: tokio::sync::mpsc::Sender<Parsed>, progress: Arc<AtomicU64>) -> anyhow::Result<()> {
    let counting = CountingReader { inner: input, count: progress, pos: 0, newlines: VecDeque::new(), lines_before: 0 };
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(counting);
    let mut record = csv::ByteRecord::new();
    let send = |msg: Parsed| tx.blocking_send(msg).is_ok();

    let header = match reader.read_byte_record(&mut record) {
        Ok(true) => record.clone(),
        Ok(false) => {
            send(Parsed::Fatal(
                "The file is empty. Its first line must be the header: first_name,last_name,email".into(),
            ));
            return Ok(());
        }
        Err(e) => {
            send(Parsed::Fatal(format!("This is not a readable CSV file: {e}")));
            return Ok(());
        }
    };
    let columns = match header_columns(&header) {
        Ok(c) => c,
        Err(message) => {
            send(Parsed::Fatal(message));
            return Ok(());
        }
    };
    let mut rows = Vec::with_capacity(BATCH_ROWS);
    let mut problems = Vec::new();
    loop {
        let result = reader.read_byte_record(&mut record);
        // The record's line: the line its terminator is on, less the line breaks inside quoted fields. (The reader's
        // own start position would point at any blank lines it skipped before the record.)
        let end = reader.position().byte();
        let line_of_end = reader.get_mut().line_of(end.saturating_sub(1));
        match result {
            Ok(false) => break,
            Ok(true) => {
                let embedded: usize = record.iter().map(|f| f.iter().filter(|b| **b == b'\n').count()).sum();
                let line = line_of_end.saturating_sub(embedded as u64);
                if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
                    continue;
                }
                match parse_row(&record, &columns) {
                    Ok(c) => rows.push((line, c)),
                    Err(message) => problems.push(RowProblem { line, message }),
                }
            }
            Err(e) => {
                let line = line_of_end;
                problems.push(RowProblem { line, message: format!("cannot read this row: {e}") });
                if !matches!(e.kind(), csv::ErrorKind::Utf8 { .. } | csv::ErrorKind::UnequalLengths { .. }) {
                    break;
                }
            }
        }
        if (rows.len() >= BATCH_ROWS || problems.len() >= REPORT_MAX)
            && !send(Parsed::Batch(std::mem::take(&mut rows), std::mem::take(&mut problems)))
        {
            return Ok(());
        }
    }
    send(Parsed::Batch(rows, problems));
    Ok(())
}

fn header_columns(header: &csv::ByteRecord) -> Result<Columns, String> {
    let names: Vec<String> = header
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let s = String::from_utf8_lossy(f);
            let s = if i == 0 { s.trim_start_matches('\u{feff}').to_owned() } else { s.into_owned() };
            s.trim().to_lowercase()
        })
        .collect();
    let find = |n: &str| names.iter().position(|h| h == n);
    let missing: Vec<&str> = ["first_name", "last_name", "email"].into_iter().filter(|n| find(n).is_none()).collect();
    if !missing.is_empty() {
        return Err(format!(
            "The header row must name the columns first_name, last_name, email (and optionally phone); missing: {}.",
            missing.join(", ")
        ));
    }
    Ok(Columns {
        first: find("first_name").unwrap_or(0),
        last: find("last_name").unwrap_or(0),
        email: find("email").unwrap_or(0),
        phone: find("phone"),
    })
}

fn parse_row(record: &csv::ByteRecord, columns: &Columns) -> Result<NewCandidate, String> {
    let field = |i: usize| -> Result<&str, String> {
        let bytes = record.get(i).unwrap_or(b"");
        std::str::from_utf8(bytes).map_err(|_| "this row is not UTF-8 text; save the file as UTF-8".to_owned())
    };
    let needed = [columns.first, columns.last, columns.email].into_iter().max().unwrap_or(0) + 1;
    if record.len() < needed {
        return Err(format!("expected at least {needed} fields, found {}", record.len()));
    }
    let phone = match columns.phone {
        Some(i) => Some(field(i)?),
        None => None,
    };
    NewCandidate::parse(field(columns.first)?, field(columns.last)?, field(columns.email)?, phone, None)
        .map_err(|errors| errors.0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))
}

/// Counts the bytes read (for progress) and knows the line number of any byte offset not yet passed — blank lines
/// included, which the CSV reader skips without counting. Keeps only the newlines read ahead, so memory stays bounded.
struct CountingReader<R> {
    inner: R,
    count: Arc<AtomicU64>,
    pos: u64,
    newlines: VecDeque<u64>,
    lines_before: u64,
}

impl<R> CountingReader<R> {
    /// The 1-based line of `byte`; offsets must come in increasing order.
    fn line_of(&mut self, byte: u64) -> u64 {
        while self.newlines.front().is_some_and(|&nl| nl < byte) {
            self.newlines.pop_front();
            self.lines_before += 1;
        }
        self.lines_before + 1
    }
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for (i, b) in buf[..n].iter().enumerate() {
            if *b == b'\n' {
                self.newlines.push_back(self.pos + i as u64);
            }
        }
        self.pos += n as u64;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(input: &'static [u8]) -> (Vec<(u64, String)>, Vec<RowProblem>, Option<String>) {
        let (tx, mut rx) = tokio::sync::mpsc::channel(16);
        parse(input, tx, Arc::new(AtomicU64::new(0))).unwrap();
        let mut rows = Vec::new();
        let mut problems = Vec::new();
        let mut fatal = None;
        while let Ok(msg) = rx.try_recv() {
            match msg {
                Parsed::Batch(r, p) => {
                    rows.extend(r.into_iter().map(|(line, c)| (line, c.email.to_string())));
                    problems.extend(p);
                }
                Parsed::Fatal(f) => fatal = Some(f),
            }
        }
        (rows, problems, fatal)
    }

    #[test]
    fn line_numbers_count_blank_lines_crlf_and_quoted_line_breaks() {
        let csv = b"\xEF\xBB\xBFEmail,First_Name,last_name\r\n\
                    a@x.fi,A,One\r\n\
                    \r\n\
                    b@x.fi,\"B\nwith a break\",Two\r\n\
                    bad,C,Three\r\n\
                    \n\n\
                    d@x.fi,D,Four";
        let (rows, problems, fatal) = parse_all(csv);
        assert_eq!(fatal, None);
        assert_eq!(rows, vec![(2, "a@x.fi".to_owned()), (4, "b@x.fi".to_owned()), (9, "d@x.fi".to_owned())]);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, 6);
        assert!(problems[0].message.starts_with("email:"));
    }

    #[test]
    fn a_header_without_the_columns_is_fatal() {
        let (_, _, fatal) = parse_all(b"name,mail\nA,a@x.fi\n");
        assert!(fatal.unwrap().contains("missing: first_name, last_name, email"));
        let (_, _, fatal) = parse_all(b"");
        assert!(fatal.unwrap().contains("empty"));
    }
}
