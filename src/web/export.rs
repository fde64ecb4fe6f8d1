//! Files to download, for the pages and the API alike: an interview's responses as a spreadsheet file (CSV, UTF-8
//! with a byte order mark so spreadsheet apps read the letters right; every cell a spreadsheet would run as a formula
//! is neutralized), and a candidate's data as one ZIP streamed as it is written.

use crate::domain::{halves_average, score_average, spreadsheet_safe};
use crate::media::zip::ZipStream;
use crate::store::interviews::Interview;
use crate::store::orgs::Organization;
use crate::store::responses::{self, ResponseFilter};
use crate::store::scorecards;
use crate::store::{StoreError, reviews::OVERALL};
use crate::web::clock::local_time;
use crate::web::state::AppState;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

/// The whole CSV of the interview's responses (every invitation, newest answers first), as `reviewer` sees them.
pub async fn responses_csv(
    state: &AppState,
    org: &Organization,
    interview: &Interview,
    reviewer: &str,
) -> Result<Vec<u8>, StoreError> {
    let criteria = scorecards::criteria_of(&state.store, &interview.id, false).await?;
    let tz = org.tz();
    let mut out = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let mut head =
        vec!["Candidate".to_owned(), "Email".into(), "Status".into(), "Invited on".into(), "Answered on".into()];
    head.extend(interview.questions.iter().enumerate().map(|(i, _)| format!("Question {} rating", i + 1)));
    head.extend(criteria.iter().map(|c| format!("{} (score)", c.name)));
    head.extend(["Overall rating".to_owned(), "Your overall rating".into(), "Decision".into(), "Answers page".into()]);
    write(&mut out, head.iter().map(String::as_str))?;
    let mut filter = ResponseFilter { limit: 500, ..Default::default() };
    loop {
        let page = responses::list(&state.store, &org.id, &interview.id, reviewer, &filter).await?;
        for r in &page.items {
            let rating =
                |subject: &str| r.ratings.get(subject).and_then(|t| halves_average(t.sum, t.n)).unwrap_or_default();
            let mut row = vec![
                r.candidate_name.clone(),
                r.email.clone(),
                crate::domain::InvitationStatus::parse(&r.status).map_or(r.status.clone(), |s| s.label().to_owned()),
                local_time(r.sent_at, &tz),
                r.answered_at.map(|t| local_time(t, &tz)).unwrap_or_default(),
            ];
            row.extend(interview.questions.iter().map(|q| rating(&q.id)));
            row.extend(
                criteria
                    .iter()
                    .map(|c| r.scores.get(&c.id).and_then(|t| score_average(t.sum, t.n)).unwrap_or_default()),
            );
            row.push(rating(OVERALL));
            row.push(
                r.mine
                    .get(OVERALL)
                    .and_then(|h| crate::domain::Stars::from_halves(*h))
                    .map(|s| s.label())
                    .unwrap_or_default(),
            );
            row.push(r.decision.label().to_owned());
            row.push(state.link(&format!("/invitations/{}/answers", r.id)));
            write(&mut out, row.iter().map(String::as_str))?;
        }
        match page.next {
            Some(next) => filter.after = Some(next),
            None => break,
        }
    }
    out.into_inner().map_err(|e| StoreError::Aborted(e.to_string()))
}

fn write<'a>(out: &mut csv::Writer<Vec<u8>>, cells: impl Iterator<Item = &'a str>) -> Result<(), StoreError> {
    out.write_record(cells.map(|c| spreadsheet_safe(c).into_owned())).map_err(|e| StoreError::Aborted(e.to_string()))
}

/// A CSV file to download, named after the interview.
pub fn csv_response(interview: &Interview, body: Vec<u8>) -> axum::response::Response {
    let name: String = interview
        .name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let name = if name.is_empty() { "interview".to_owned() } else { name };
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"responses-{name}.csv\"")),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        body,
    )
        .into_response()
}

/// Bytes of a recording read at a time into the ZIP.
const ZIP_READ: u64 = 1024 * 1024;

/// A candidate's export as one ZIP (`candidate.json`, then each recording), streamed: a task writes it into a
/// channel of four chunks, so at most a few MiB are held whatever the recordings weigh, and a reader that stops
/// reading stops the task. An error half-way breaks the download off rather than ending it as if complete.
pub fn candidate_zip(state: &AppState, export: crate::usecase::privacy::Export, tz: &jiff::tz::TimeZone) -> Response {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let media = state.media.clone();
    let at = state.store.now().to_zoned_datetime(tz.clone()).datetime();
    let file_name: String =
        export.name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
    tokio::spawn(async move {
        if let Err(e) = write_zip(&media, export, at, &tx).await
            && !tx.is_closed()
        {
            tracing::warn!(error = %e, "a candidate export broke off");
            let _ = tx.send(Err(std::io::Error::other(e.to_string()))).await;
        }
    });
    let body = axum::body::Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    }));
    (
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}.zip\"")),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        body,
    )
        .into_response()
}

async fn write_zip(
    media: &crate::media::MediaStore,
    export: crate::usecase::privacy::Export,
    at: jiff::civil::DateTime,
    tx: &tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
) -> anyhow::Result<()> {
    let send = |b: Bytes| async move { tx.send(Ok(b)).await.map_err(|_| anyhow::anyhow!("the reader went away")) };
    let mut zip = ZipStream::new(at);
    send(zip.entry("candidate.json", &export.document)?).await?;
    for r in &export.recordings {
        send(zip.begin(&r.path)?).await?;
        for seg in &r.segments {
            let len = seg.length as u64;
            let mut pos = 0;
            while pos < len {
                let end = (pos + ZIP_READ).min(len);
                let bytes = media.read_range(&seg.object_key, pos, end).await?;
                zip.data(&bytes)?;
                send(bytes).await?;
                pos = end;
            }
        }
        send(zip.end()?).await?;
    }
    send(zip.finish()?).await?;
    Ok(())
}
