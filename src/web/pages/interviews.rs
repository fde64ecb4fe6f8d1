//! Manage video interviews: list, create, edit (questions added, removed and reordered without JavaScript), clone,
//! delete.

use super::layout::{Layout, Page, local_time, render, render_invalid};
use crate::domain::{
    ANSWER_SECONDS_MAX, ANSWER_SECONDS_MIN, FieldErrors, InterviewInput, QuestionInput, RECORDING_CAP_SECONDS,
    TAKES_MAX,
};
use crate::store::interviews::{self, Interview};
use crate::usecase::{self, UseCaseError};
use crate::web::error::PageResult;
use askama::Template;
use axum::Form;
use axum::body::Bytes;
use axum::extract::Path;

struct Row {
    id: String,
    name: String,
    title: String,
    questions: i64,
    updated: String,
}

#[derive(Template)]
#[template(path = "interviews/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<Row>,
}

pub async fn list(ctx: Page) -> PageResult {
    let tz = &ctx.user.actor.org.tz();
    let rows = interviews::list(&ctx.state.store, ctx.org_id())
        .await?
        .into_iter()
        .map(|i| Row {
            updated: local_time(i.updated_at, tz),
            id: i.id,
            name: i.name,
            title: i.title,
            questions: i.questions,
        })
        .collect();
    let page = ListPage { layout: ctx.layout("Manage video interviews", "interviews"), rows };
    render(&page, &page.layout)
}

/// One question row of the form, as typed, with its messages.
#[derive(Clone, Default)]
pub struct QuestionForm {
    text: String,
    instructions: String,
    seconds: String,
    takes: String,
    think: String,
    notes: bool,
}

struct QuestionRow {
    q: QuestionForm,
    index: usize,
    number: usize,
    last: bool,
    errors: Vec<String>,
    seconds_options: Vec<(String, String)>,
    think_options: Vec<(String, String)>,
}

#[derive(Clone, Default)]
pub struct InterviewForm {
    csrf: String,
    name: String,
    title: String,
    intro: String,
    outro: String,
    upfront: bool,
    audio_only: bool,
    questions: Vec<QuestionForm>,
    action: String,
}

fn duration_label(s: u32) -> String {
    match (s / 60, s % 60) {
        (0, s) => format!("{s} seconds"),
        (m, 0) => format!("{m} min"),
        (m, s) => format!("{m} min {s} s"),
    }
}

impl InterviewForm {
    fn parse(body: &[u8]) -> Self {
        let mut f = InterviewForm::default();
        let mut questions: Vec<QuestionForm> = Vec::new();
        for (k, v) in url::form_urlencoded::parse(body) {
            let v = v.into_owned();
            match k.as_ref() {
                "csrf" => f.csrf = v,
                "name" => f.name = v,
                "title" => f.title = v,
                "intro_text" => f.intro = v,
                "outro_text" => f.outro = v,
                "show_questions_upfront" => f.upfront = true,
                "audio_only" => f.audio_only = true,
                "action" => f.action = v,
                key => {
                    let Some(rest) = key.strip_prefix("q-") else { continue };
                    let Some((index, field)) = rest.split_once('-') else { continue };
                    let Ok(i) = index.parse::<usize>() else { continue };
                    if i >= 50 {
                        continue;
                    }
                    if questions.len() <= i {
                        questions.resize(i + 1, QuestionForm::default());
                    }
                    let q = &mut questions[i];
                    match field {
                        "text" => q.text = v,
                        "instructions" => q.instructions = v,
                        "seconds" => q.seconds = v,
                        "takes" => q.takes = v,
                        "think" => q.think = v,
                        "notes" => q.notes = true,
                        _ => {}
                    }
                }
            }
        }
        f.questions = questions;
        f
    }

    fn from_interview(i: &Interview) -> Self {
        InterviewForm {
            csrf: String::new(),
            name: i.name.clone(),
            title: i.title.clone(),
            intro: i.intro_text.clone().unwrap_or_default(),
            outro: i.outro_text.clone().unwrap_or_default(),
            upfront: i.show_questions_upfront,
            audio_only: i.audio_only,
            questions: i
                .questions
                .iter()
                .map(|q| QuestionForm {
                    text: q.text.clone(),
                    instructions: q.instructions.clone().unwrap_or_default(),
                    seconds: q.max_answer_seconds.to_string(),
                    takes: q.max_takes.to_string(),
                    think: q.think_seconds.map(|t| t.to_string()).unwrap_or_default(),
                    notes: q.notes_allowed,
                })
                .collect(),
            action: String::new(),
        }
    }

    fn blank_question() -> QuestionForm {
        QuestionForm { seconds: "120".into(), takes: "3".into(), think: "30".into(), ..Default::default() }
    }

    /// Applies an add/remove/move button; `true` when the form was only rearranged (show it again).
    fn rearrange(&mut self) -> bool {
        let action = self.action.clone();
        let index = |prefix: &str| action.strip_prefix(prefix).and_then(|i| i.parse::<usize>().ok());
        let n = self.questions.len();
        if action == "add" {
            self.questions.push(Self::blank_question());
        } else if let Some(i) = index("remove-").filter(|i| *i < n) {
            self.questions.remove(i);
        } else if let Some(i) = index("up-").filter(|i| *i > 0 && *i < n) {
            self.questions.swap(i, i - 1);
        } else if let Some(i) = index("down-").filter(|i| i + 1 < n) {
            self.questions.swap(i, i + 1);
        } else {
            return false;
        }
        true
    }

    fn input(&self) -> InterviewInput {
        let number = |s: &str| s.trim().parse::<i64>().ok();
        InterviewInput {
            name: self.name.clone(),
            title: self.title.clone(),
            intro: self.intro.clone(),
            outro: self.outro.clone(),
            show_questions_upfront: self.upfront,
            audio_only: self.audio_only,
            questions: self
                .questions
                .iter()
                .map(|q| QuestionInput {
                    text: q.text.clone(),
                    instructions: q.instructions.clone(),
                    max_answer_seconds: number(&q.seconds),
                    max_takes: number(&q.takes),
                    // An unreadable number must not pass as "no limit".
                    think_seconds: if q.think.trim().is_empty() { None } else { Some(number(&q.think).unwrap_or(-1)) },
                    notes_allowed: q.notes,
                })
                .collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "interviews/form.html")]
struct FormPage {
    layout: Layout,
    action: String,
    form: InterviewForm,
    rows: Vec<QuestionRow>,
    errors: FieldErrors,
    editing: bool,
    takes_options: Vec<u32>,
    cap_minutes: u32,
}

fn form_page(layout: Layout, action: String, form: InterviewForm, errors: FieldErrors, editing: bool) -> FormPage {
    let mut seconds: Vec<u32> = vec![30, 45, 60, 90, 120, 180, 240, 300, 360, 420, 480, 540, 600];
    let mut think: Vec<u32> = vec![0, 10, 15, 30, 45, 60, 90, 120, 180, 300, 600];
    let n = form.questions.len();
    let rows = form
        .questions
        .iter()
        .enumerate()
        .map(|(index, q)| {
            let mut seconds_here = seconds.clone();
            if let Ok(s) = q.seconds.parse::<u32>()
                && !seconds_here.contains(&s)
                && (ANSWER_SECONDS_MIN..=ANSWER_SECONDS_MAX).contains(&s)
            {
                seconds_here.push(s);
                seconds_here.sort_unstable();
            }
            let mut think_here = think.clone();
            if let Ok(t) = q.think.parse::<u32>()
                && !think_here.contains(&t)
            {
                think_here.push(t);
                think_here.sort_unstable();
            }
            let prefix = format!("questions[{index}].");
            QuestionRow {
                q: q.clone(),
                index,
                number: index + 1,
                last: index + 1 == n,
                errors: errors.0.iter().filter(|e| e.field.starts_with(&prefix)).map(|e| e.message.clone()).collect(),
                seconds_options: seconds_here.iter().map(|s| (s.to_string(), duration_label(*s))).collect(),
                think_options: std::iter::once((String::new(), "No limit — starts when ready".to_owned()))
                    .chain(think_here.iter().map(|t| {
                        let label =
                            if *t == 0 { "None — recording starts at once".to_owned() } else { duration_label(*t) };
                        (t.to_string(), label)
                    }))
                    .collect(),
            }
        })
        .collect();
    seconds.clear();
    think.clear();
    FormPage {
        layout,
        action,
        form,
        rows,
        errors,
        editing,
        takes_options: (1..=TAKES_MAX).collect(),
        cap_minutes: RECORDING_CAP_SECONDS / 60,
    }
}

pub async fn new_form(ctx: Page) -> PageResult {
    let form = InterviewForm { questions: vec![InterviewForm::blank_question()], ..Default::default() };
    let layout = ctx.layout("New video interview", "interviews");
    let page = form_page(layout, "/interviews".into(), form, FieldErrors::new(), false);
    render(&page, &page.layout)
}

pub async fn create(ctx: Page, body: Bytes) -> PageResult {
    let mut form = InterviewForm::parse(&body);
    ctx.verify(&form.csrf)?;
    let layout = ctx.layout("New video interview", "interviews");
    if form.rearrange() {
        let page = form_page(layout, "/interviews".into(), form, FieldErrors::new(), false);
        return render(&page, &page.layout);
    }
    match form.input().parse() {
        Ok(spec) => {
            let created = usecase::interviews::create(&ctx.state.usecases, &ctx.user.actor, &spec).await?;
            Ok(ctx.redirect("/interviews", &format!("The video interview “{}” is saved.", created.name)))
        }
        Err(errors) => {
            let page = form_page(layout, "/interviews".into(), form, errors, false);
            render_invalid(&page, &page.layout)
        }
    }
}

pub async fn edit_form(ctx: Page, Path(id): Path<String>) -> PageResult {
    let interview = interviews::get(&ctx.state.store, ctx.org_id(), &id).await?;
    let layout = ctx.layout(format!("Edit {}", interview.name), "interviews");
    let page = form_page(
        layout,
        format!("/interviews/{id}"),
        InterviewForm::from_interview(&interview),
        FieldErrors::new(),
        true,
    );
    render(&page, &page.layout)
}

pub async fn update(ctx: Page, Path(id): Path<String>, body: Bytes) -> PageResult {
    let mut form = InterviewForm::parse(&body);
    ctx.verify(&form.csrf)?;
    interviews::get(&ctx.state.store, ctx.org_id(), &id).await?;
    let layout = ctx.layout("Edit video interview", "interviews");
    if form.rearrange() {
        let page = form_page(layout, format!("/interviews/{id}"), form, FieldErrors::new(), true);
        return render(&page, &page.layout);
    }
    match form.input().parse() {
        Ok(spec) => match usecase::interviews::update(&ctx.state.usecases, &ctx.user.actor, &id, &spec).await {
            Ok(saved) => Ok(ctx.redirect("/interviews", &format!("The video interview “{}” is saved.", saved.name))),
            Err(UseCaseError::Conflict("interview_has_answers")) => {
                let mut errors = FieldErrors::new();
                errors.push("questions", crate::domain::ANSWERED_QUESTIONS_FIXED);
                let page = form_page(layout, format!("/interviews/{id}"), form, errors, true);
                render_invalid(&page, &page.layout)
            }
            Err(e) => Err(e.into()),
        },
        Err(errors) => {
            let page = form_page(layout, format!("/interviews/{id}"), form, errors, true);
            render_invalid(&page, &page.layout)
        }
    }
}

#[derive(Template)]
#[template(path = "interviews/clone.html")]
struct ClonePage {
    layout: Layout,
    interview: Interview,
    name: String,
    error: Option<String>,
}

pub async fn clone_form(ctx: Page, Path(id): Path<String>) -> PageResult {
    let interview = interviews::get(&ctx.state.store, ctx.org_id(), &id).await?;
    let name = format!("Copy of {}", interview.name).chars().take(crate::domain::INTERVIEW_NAME_MAX).collect();
    let page = ClonePage { layout: ctx.layout("Clone video interview", "interviews"), interview, name, error: None };
    render(&page, &page.layout)
}

#[derive(serde::Deserialize)]
pub struct CloneForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
}

pub async fn clone(ctx: Page, Path(id): Path<String>, Form(form): Form<CloneForm>) -> PageResult {
    ctx.verify(&form.csrf)?;
    let interview = interviews::get(&ctx.state.store, ctx.org_id(), &id).await?;
    let name = match crate::domain::interview_name("name", &form.name) {
        Ok(name) => name,
        Err(e) => {
            let page = ClonePage {
                layout: ctx.layout("Clone video interview", "interviews"),
                interview,
                name: form.name.clone(),
                error: Some(e.message),
            };
            return render_invalid(&page, &page.layout);
        }
    };
    let copy = usecase::interviews::copy(&ctx.state.usecases, &ctx.user.actor, &id, &name).await?;
    Ok(ctx.redirect(
        &format!("/interviews/{}/edit", copy.id),
        &format!("“{}” is a copy of “{}”.", copy.name, interview.name),
    ))
}

#[derive(Template)]
#[template(path = "interviews/delete.html")]
struct DeletePage {
    layout: Layout,
    interview: Interview,
    usage: interviews::Usage,
    is_admin: bool,
    error: Option<&'static str>,
}

async fn delete_page(ctx: &Page, id: &str, error: Option<&'static str>) -> PageResult {
    let org_id = ctx.org_id();
    let interview = interviews::get(&ctx.state.store, org_id, id).await?;
    let usage = interviews::usage(&ctx.state.store, org_id, id).await?;
    let page = DeletePage {
        layout: ctx.layout("Delete video interview", "interviews"),
        interview,
        usage,
        is_admin: ctx.user.actor.user.is_admin(),
        error,
    };
    if error.is_some() { render_invalid(&page, &page.layout) } else { render(&page, &page.layout) }
}

pub async fn delete_confirm(ctx: Page, Path(id): Path<String>) -> PageResult {
    delete_page(&ctx, &id, None).await
}

#[derive(serde::Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    csrf: String,
    /// An admin's second confirmation, for an interview that has answers.
    #[serde(default)]
    delete_answers: Option<String>,
}

/// Deletes an interview and its invitations. Once candidates have answered it, only an admin may, after ticking a
/// second confirmation; the answers' media is then deleted by a job.
pub async fn delete(ctx: Page, Path(id): Path<String>, Form(form): Form<DeleteForm>) -> PageResult {
    ctx.verify(&form.csrf)?;
    let org_id = ctx.org_id();
    let interview = interviews::get(&ctx.state.store, org_id, &id).await?;
    match usecase::interviews::delete(&ctx.state.usecases, &ctx.user.actor, &id, form.delete_answers.is_some()).await {
        Ok(_) => Ok(ctx.redirect("/interviews", &format!("“{}” is deleted.", interview.name))),
        Err(UseCaseError::Conflict("interview_has_answers")) => {
            let message = if ctx.user.actor.user.is_admin() {
                "Candidates have answered this interview. Tick the box to confirm that their answers are deleted too."
            } else {
                "Candidates have answered this interview, so it cannot be deleted. Ask an admin if it must go."
            };
            delete_page(&ctx, &id, Some(message)).await
        }
        Err(e) => Err(e.into()),
    }
}
