//! An interview's responses: every invitation to it with status, ratings, scorecard averages and decision (sorted,
//! filtered, keyset pages); the comparison view (candidates as rows, questions as columns, each cell plays that answer
//! in place); the CSV export; and the scorecard's criteria.

use super::layout::{CsrfOnly, Layout, Page, local_time, render, render_invalid};
use super::playback::clock_time;
use crate::domain::{Decision, FieldErrors, InvitationStatus, Stars, halves_average, score_average};
use crate::media::Container;
use crate::store::interviews::{self, Interview};
use crate::store::responses::{self, ResponseFilter, ResponseSort};
use crate::store::reviews::{OVERALL, Reviewer};
use crate::store::scorecards::{self, Criterion};
use crate::store::{answering, invitations};
use crate::usecase::reviews::{encode_cursor, response_filter};
use crate::usecase::{self, UseCaseError};
use crate::web::error::{PageError, PageResult};
use askama::Template;
use axum::extract::{Form, Path, Query};

struct Row {
    id: String,
    candidate: String,
    email: String,
    status: &'static str,
    status_key: String,
    answered: String,
    answered_at: bool,
    average: Option<String>,
    ratings: i64,
    mine: Option<String>,
    scores: Vec<String>,
    decision: Decision,
    via_public_link: bool,
}

#[derive(Template)]
#[template(path = "interviews/responses.html")]
struct ResponsesPage {
    layout: Layout,
    interview: Interview,
    invited: i64,
    answered: i64,
    rows: Vec<Row>,
    criteria: Vec<Criterion>,
    status: String,
    decision: String,
    sort: String,
    statuses: Vec<(&'static str, &'static str)>,
    decisions: Vec<(&'static str, &'static str)>,
    sorts: Vec<(&'static str, &'static str)>,
    next: Option<String>,
}

#[derive(serde::Deserialize, Default)]
pub struct ResponsesQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    after: String,
}

/// `GET /interviews/{id}/responses`.
pub async fn list(ctx: Page, Path(id): Path<String>, Query(q): Query<ResponsesQuery>) -> PageResult {
    let org = &ctx.user.actor.org;
    let interview = interviews::get(&ctx.state.store, &org.id, &id).await?;
    let filter = response_filter(&q.status, &q.decision, &q.sort, &q.after, 50)
        .map_err(|e| PageError::BadRequest(e.0.into_iter().map(|e| e.message).collect::<Vec<_>>().join(" ")))?;
    let me = Reviewer::of(&ctx.user.actor).key();
    let page = responses::list(&ctx.state.store, &org.id, &id, &me, &filter).await?;
    let criteria = scorecards::criteria_of(&ctx.state.store, &id, false).await?;
    let (invited, answered) = responses::counts(&ctx.state.store, &org.id, &id).await?;
    let tz = org.tz();
    let rows = page
        .items
        .into_iter()
        .map(|r| {
            let overall = r.ratings.get(OVERALL).copied().unwrap_or_default();
            Row {
                status: InvitationStatus::parse(&r.status).map_or("?", InvitationStatus::label),
                status_key: r.status.clone(),
                answered: r.answered_at.map(|t| local_time(t, &tz)).unwrap_or_default(),
                answered_at: r.answered_at.is_some(),
                average: halves_average(overall.sum, overall.n),
                ratings: overall.n,
                mine: r.mine.get(OVERALL).and_then(|h| Stars::from_halves(*h)).map(Stars::label),
                scores: criteria
                    .iter()
                    .map(|c| r.scores.get(&c.id).and_then(|t| score_average(t.sum, t.n)).unwrap_or_else(|| "—".into()))
                    .collect(),
                decision: r.decision,
                via_public_link: r.via_public_link,
                id: r.id,
                candidate: r.candidate_name,
                email: r.email,
            }
        })
        .collect();
    let mut statuses = vec![("any", "Any status"), ("answered", "Answered"), ("open", "Open (not answered yet)")];
    statuses.extend(
        InvitationStatus::ALL
            .into_iter()
            .filter(|s| !matches!(s, InvitationStatus::Answered))
            .map(|s| (s.as_str(), s.label())),
    );
    let mut decisions = vec![("any", "Any decision")];
    decisions.extend(Decision::ALL.into_iter().map(|d| (d.as_str(), d.label())));
    let page = ResponsesPage {
        layout: ctx.layout(format!("Responses: {}", interview.name), "interviews"),
        interview,
        invited,
        answered,
        rows,
        criteria,
        status: if q.status.is_empty() { "any".into() } else { q.status },
        decision: if q.decision.is_empty() { "any".into() } else { q.decision },
        sort: filter.sort.as_str().into(),
        statuses,
        decisions,
        sorts: ResponseSort::ALL.into_iter().map(|s| (s.as_str(), s.label())).collect(),
        next: page.next.map(|(k, id)| encode_cursor(&k, &id)),
    };
    render(&page, &page.layout)
}

/// `GET /interviews/{id}/responses.csv`.
pub async fn export(ctx: Page, Path(id): Path<String>) -> PageResult {
    let org = &ctx.user.actor.org;
    let interview = interviews::get(&ctx.state.store, &org.id, &id).await?;
    let me = Reviewer::of(&ctx.user.actor).key();
    let body = crate::web::export::responses_csv(&ctx.state, org, &interview, &me).await?;
    Ok(crate::web::export::csv_response(&interview, body))
}

struct Cell {
    url: Option<String>,
    mime: &'static str,
    duration: Option<String>,
    average: Option<String>,
}

struct CompareRow {
    id: String,
    candidate: String,
    decision: Decision,
    /// The overall rating's average.
    overall: Option<String>,
    /// Each live criterion's name and average score.
    scores: Vec<(String, String)>,
    cells: Vec<Cell>,
}

#[derive(Template)]
#[template(path = "interviews/compare.html")]
struct ComparePage {
    layout: Layout,
    interview: Interview,
    rows: Vec<CompareRow>,
    /// The question shown first (1-based), from `?q=`.
    focus: usize,
}

/// At most this many candidates side by side.
const COMPARE_MAX: usize = 10;

/// `GET /interviews/{id}/compare?c=…&c=…&q=2`: the chosen candidates (or the five most recent answers) side by side.
pub async fn compare(ctx: Page, Path(id): Path<String>, Query(q): Query<Vec<(String, String)>>) -> PageResult {
    let org = &ctx.user.actor.org;
    let interview = interviews::get(&ctx.state.store, &org.id, &id).await?;
    let me = Reviewer::of(&ctx.user.actor).key();
    let mut chosen: Vec<String> = Vec::new();
    for (_, v) in q.iter().filter(|(k, _)| k == "c") {
        if !chosen.contains(v) {
            chosen.push(v.clone());
        }
    }
    if chosen.len() > COMPARE_MAX {
        return Err(PageError::BadRequest(format!("Compare at most {COMPARE_MAX} candidates at a time.")));
    }
    let items = if chosen.is_empty() {
        let filter = ResponseFilter { statuses: vec![InvitationStatus::Answered], limit: 5, ..Default::default() };
        responses::list(&ctx.state.store, &org.id, &id, &me, &filter).await?.items
    } else {
        let rows = responses::rows_of(&ctx.state.store, &org.id, &chosen, &me).await?;
        // An id of another organization (or none) is not there: the page is not either.
        if rows.len() != chosen.len() {
            return Err(PageError::NotFound);
        }
        rows
    };
    let focus = q
        .iter()
        .find(|(k, _)| k == "q")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .filter(|n| (1..=interview.questions.len()).contains(n))
        .unwrap_or(1);
    let criteria = scorecards::criteria_of(&ctx.state.store, &id, false).await?;
    let mut rows = Vec::with_capacity(items.len());
    for r in items {
        let inv = invitations::get(&ctx.state.store, &org.id, &r.id).await?;
        if inv.interview_id != interview.id {
            return Err(PageError::NotFound);
        }
        let answers = answering::answers_of(&ctx.state.store, &org.id, &r.id).await?;
        let cells = interview
            .questions
            .iter()
            .map(|question| {
                let a = answers.iter().find(|a| a.question_id == question.id);
                let kept = a.filter(|a| a.kept_take_number.is_some()).and_then(|a| a.kept_take_id.clone());
                let t = r.ratings.get(&question.id).copied().unwrap_or_default();
                Cell {
                    url: kept.map(|t| format!("/invitations/{}/takes/{t}/media", r.id)),
                    mime: Container::mime_of(a.and_then(|a| a.container.as_deref())),
                    duration: a.and_then(|a| a.duration_ms).map(clock_time),
                    average: halves_average(t.sum, t.n),
                }
            })
            .collect();
        let overall = r.ratings.get(OVERALL).copied().unwrap_or_default();
        let scores = criteria
            .iter()
            .map(|c| {
                let avg = r.scores.get(&c.id).and_then(|t| score_average(t.sum, t.n));
                (c.name.clone(), avg.unwrap_or_else(|| "—".into()))
            })
            .collect();
        rows.push(CompareRow {
            id: r.id,
            candidate: r.candidate_name,
            decision: r.decision,
            overall: halves_average(overall.sum, overall.n),
            scores,
            cells,
        });
    }
    let page = ComparePage {
        layout: ctx.layout(format!("Compare: {}", interview.name), "interviews"),
        interview,
        rows,
        focus,
    };
    render(&page, &page.layout)
}

#[derive(Template)]
#[template(path = "interviews/scorecard.html")]
struct ScorecardPage {
    layout: Layout,
    interview: Interview,
    criteria: Vec<Criterion>,
    max: usize,
    errors: FieldErrors,
    /// The criterion the errors are about (`new` for the add form).
    error_of: String,
    name: String,
    description: String,
}

impl ScorecardPage {
    fn error(&self, of: &str, field: &str) -> Option<&str> {
        (self.error_of == of).then(|| self.errors.get(field)).flatten()
    }
}

async fn scorecard_page(ctx: &Page, id: &str) -> Result<ScorecardPage, PageError> {
    let interview = interviews::get(&ctx.state.store, ctx.org_id(), id).await?;
    let criteria = scorecards::criteria_of(&ctx.state.store, id, true).await?;
    Ok(ScorecardPage {
        layout: ctx.layout(format!("Scorecard: {}", interview.name), "interviews"),
        interview,
        criteria,
        max: crate::domain::CRITERIA_MAX,
        errors: FieldErrors::new(),
        error_of: String::new(),
        name: String::new(),
        description: String::new(),
    })
}

/// `GET /interviews/{id}/scorecard`.
pub async fn scorecard(ctx: Page, Path(id): Path<String>) -> PageResult {
    let page = scorecard_page(&ctx, &id).await?;
    render(&page, &page.layout)
}

#[derive(serde::Deserialize)]
pub struct CriterionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    description: String,
}

/// The result of a criterion form: back to the scorecard, or the form again with its messages.
async fn after_criterion(
    ctx: &Page,
    id: &str,
    of: &str,
    form: &CriterionForm,
    done: Result<String, UseCaseError>,
) -> PageResult {
    match done {
        Ok(message) => Ok(ctx.redirect(&format!("/interviews/{id}/scorecard"), &message)),
        Err(UseCaseError::Invalid(errors)) => {
            let mut page = scorecard_page(ctx, id).await?;
            page.errors = errors;
            page.error_of = of.to_owned();
            page.name = form.name.clone();
            page.description = form.description.clone();
            render_invalid(&page, &page.layout)
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /interviews/{id}/criteria`.
pub async fn add_criterion(ctx: Page, Path(id): Path<String>, Form(form): Form<CriterionForm>) -> PageResult {
    ctx.verify(&form.csrf)?;
    let done =
        usecase::interviews::add_criterion(&ctx.state.usecases, &ctx.user.actor, &id, &form.name, &form.description)
            .await
            .map(|_| "Criterion added.".to_owned());
    after_criterion(&ctx, &id, "new", &form, done).await
}

/// `POST /interviews/{id}/criteria/{criterion}`.
pub async fn rename_criterion(
    ctx: Page,
    Path((id, criterion)): Path<(String, String)>,
    Form(form): Form<CriterionForm>,
) -> PageResult {
    ctx.verify(&form.csrf)?;
    let done = usecase::interviews::rename_criterion(
        &ctx.state.usecases,
        &ctx.user.actor,
        &id,
        &criterion,
        &form.name,
        &form.description,
    )
    .await
    .map(|()| "Criterion saved.".to_owned());
    after_criterion(&ctx, &id, &criterion, &form, done).await
}

#[derive(Template)]
#[template(path = "interviews/criterion_delete.html")]
struct DeleteCriterionPage {
    layout: Layout,
    interview: Interview,
    criterion: Criterion,
}

/// `GET /interviews/{id}/criteria/{criterion}/delete`: what deleting a scored criterion means, to confirm.
pub async fn delete_criterion_confirm(ctx: Page, Path((id, criterion)): Path<(String, String)>) -> PageResult {
    let interview = interviews::get(&ctx.state.store, ctx.org_id(), &id).await?;
    let criterion = scorecards::criteria_of(&ctx.state.store, &id, false)
        .await?
        .into_iter()
        .find(|c| c.id == criterion)
        .ok_or(PageError::NotFound)?;
    let page = DeleteCriterionPage { layout: ctx.layout("Delete a criterion", "interviews"), interview, criterion };
    render(&page, &page.layout)
}

/// `POST /interviews/{id}/criteria/{criterion}/delete`.
pub async fn delete_criterion(
    ctx: Page,
    Path((id, criterion)): Path<(String, String)>,
    Form(form): Form<CsrfOnly>,
) -> PageResult {
    ctx.verify(&form.csrf)?;
    let kept_out = usecase::interviews::delete_criterion(&ctx.state.usecases, &ctx.user.actor, &id, &criterion).await?;
    let message = if kept_out > 0 {
        format!("Criterion deleted; its {kept_out} scores are no longer in any average.")
    } else {
        "Criterion deleted.".to_owned()
    };
    Ok(ctx.redirect(&format!("/interviews/{id}/scorecard"), &message))
}
