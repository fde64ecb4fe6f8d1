//! The funnel an organization (or one interview) can see: invited → opened → started → completed, plus expired and
//! withdrawn, the completion rate, the median time to complete and completions per week — drawn as server-side SVG,
//! each chart followed by the same figures as a table for screen readers and print.

use super::layout::{Layout, Page, render};
use crate::store::interviews::{self, Interview};
use crate::store::responses::Funnel;
use crate::web::error::{PageError, PageResult};
use askama::Template;
use axum::extract::Path;
use jiff::ToSpan;

/// How many weeks the weekly chart shows.
const WEEKS: i64 = 12;

pub(crate) struct Bar {
    pub label: &'static str,
    pub count: i64,
    /// Of the invited, in whole per cent.
    pub percent: i64,
    /// Width in the chart's units (0–600).
    pub width: i64,
    pub y: i64,
    pub class: &'static str,
}

pub(crate) struct Week {
    /// `2026-11-30`: the Monday it starts on.
    pub start: String,
    /// `30 Nov`.
    pub short: String,
    pub count: i64,
    pub x: i64,
    pub height: i64,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    layout: Layout,
    interview: Option<Interview>,
    funnel: Funnel,
    bars: Vec<Bar>,
    rate: String,
    median: String,
    weeks: Vec<Week>,
    week_max: i64,
}

/// `GET /dashboard`.
pub async fn organization(ctx: Page) -> PageResult {
    dashboard(ctx, None).await
}

/// `GET /interviews/{id}/dashboard`.
pub async fn interview(ctx: Page, Path(id): Path<String>) -> PageResult {
    dashboard(ctx, Some(id)).await
}

async fn dashboard(ctx: Page, interview_id: Option<String>) -> PageResult {
    let org = &ctx.user.actor.org;
    let interview = match &interview_id {
        Some(id) => Some(interviews::get(&ctx.state.store, &org.id, id).await?),
        None => None,
    };
    let tz = org.tz();
    let now = jiff::Timestamp::from_millisecond(ctx.state.store.now_ms())
        .map_err(|e| PageError::Internal(e.into()))?
        .to_zoned_datetime(tz.clone());
    let monday = now
        .date()
        .checked_sub((now.date().weekday().to_monday_zero_offset() as i64).days())
        .map_err(|e| PageError::Internal(e.into()))?;
    let first = monday.checked_sub(((WEEKS - 1) * 7).days()).map_err(|e| PageError::Internal(e.into()))?;
    // Each week's first instant in the organization's zone (13 boundaries for 12 weeks; DST moves them, not the days).
    let mut boundaries = Vec::with_capacity(WEEKS as usize + 1);
    for w in 0..=WEEKS {
        let day = first.checked_add((w * 7).days()).map_err(|e| PageError::Internal(e.into()))?;
        let at = day.to_zoned_datetime(tz.clone()).map_err(|e| PageError::Internal(e.into()))?;
        boundaries.push(at.timestamp().as_millisecond());
    }
    let funnel = ctx.state.funnels.funnel(&ctx.state.store, &org.id, interview_id.as_deref(), &boundaries).await?;

    let of_invited = |n: i64| if funnel.invited > 0 { (n * 100 + funnel.invited / 2) / funnel.invited } else { 0 };
    let width = |n: i64| if funnel.invited > 0 { n * 600 / funnel.invited } else { 0 };
    let bars = [
        ("Invited", funnel.invited, "stage"),
        ("Opened", funnel.opened, "stage"),
        ("Started", funnel.started, "stage"),
        ("Completed", funnel.completed, "done"),
        ("Expired", funnel.expired, "lost"),
        ("Withdrawn", funnel.withdrawn, "lost"),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, (label, count, class))| Bar {
        label,
        count,
        percent: of_invited(count),
        width: width(count),
        y: i as i64 * 40,
        class,
    })
    .collect();

    let mut weeks: Vec<Week> = (0..WEEKS)
        .filter_map(|w| {
            let start = first.checked_add((w * 7).days()).ok()?;
            Some(Week {
                start: start.to_string(),
                short: start.strftime("%-d %b").to_string(),
                count: funnel.completed_per_period.get(w as usize).copied().unwrap_or(0),
                x: w * 50,
                height: 0,
            })
        })
        .collect();
    let week_max = weeks.iter().map(|w| w.count).max().unwrap_or(0).max(1);
    for w in &mut weeks {
        w.height = w.count * 160 / week_max;
    }
    let title = match &interview {
        Some(i) => format!("Funnel: {}", i.name),
        None => "Dashboard".to_owned(),
    };
    let page = DashboardPage {
        layout: ctx.layout(title, if interview.is_some() { "interviews" } else { "dashboard" }),
        interview,
        rate: if funnel.invited > 0 { format!("{} %", of_invited(funnel.completed)) } else { "—".into() },
        median: funnel.median_to_complete_ms.map(duration_words).unwrap_or_else(|| "—".into()),
        funnel,
        bars,
        weeks,
        week_max,
    };
    render(&page, &page.layout)
}

/// A duration as people say it: `3 d 4 h`, `5 h 10 min`, `12 min`.
fn duration_words(ms: i64) -> String {
    let minutes = ms.max(0) / 60_000;
    let (d, h, m) = (minutes / (24 * 60), minutes / 60 % 24, minutes % 60);
    match (d, h) {
        (0, 0) => format!("{m} min"),
        (0, _) => format!("{h} h {m} min"),
        _ => format!("{d} d {h} h"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations_in_words() {
        assert_eq!(super::duration_words(5 * 60_000), "5 min");
        assert_eq!(super::duration_words((2 * 60 + 3) * 60_000), "2 h 3 min");
        assert_eq!(super::duration_words((50 * 60 + 3) * 60_000), "2 d 2 h");
    }
}
