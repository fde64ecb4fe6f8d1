//! An interview's responses as a spreadsheet file (CSV, UTF-8 with a byte order mark so spreadsheet apps read the
//! letters right), for the page and the API alike. Every cell a spreadsheet would run as a formula is neutralized.

use crate::domain::{halves_average, score_average, spreadsheet_safe};
use crate::store::interviews::Interview;
use crate::store::orgs::Organization;
use crate::store::responses::{self, ResponseFilter};
use crate::store::scorecards;
use crate::store::{StoreError, reviews::OVERALL};
use crate::web::clock::local_time;
use crate::web::state::AppState;
use axum::http::header;
use axum::response::IntoResponse;

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
