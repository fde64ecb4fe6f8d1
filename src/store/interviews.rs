//! Video interviews and their ordered questions.

use super::{Store, StoreError, StoreResult, int, new_id, opt_int, opt_text, text};
use crate::domain::{InterviewSpec, QuestionSpec};
use sqlx::any::AnyRow;

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Question {
    pub id: String,
    pub rank: i64,
    pub text: String,
    pub instructions: Option<String>,
    pub max_answer_seconds: i64,
    pub max_takes: i64,
    /// `null`: no limit.
    pub think_seconds: Option<i64>,
    pub notes_allowed: bool,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Interview {
    pub id: String,
    pub name: String,
    pub title: String,
    pub intro_text: Option<String>,
    pub outro_text: Option<String>,
    pub show_questions_upfront: bool,
    pub audio_only: bool,
    pub questions: Vec<Question>,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds.
    pub updated_at: i64,
}

impl Interview {
    /// The longest the recording can take: the sum over questions of takes × answer time, in seconds.
    pub fn max_recording_seconds(&self) -> i64 {
        self.questions.iter().map(|q| q.max_takes * q.max_answer_seconds).sum()
    }

    /// About how long answering takes once: one take per question plus thinking time, in minutes.
    pub fn typical_minutes(&self) -> i64 {
        let secs: i64 = self.questions.iter().map(|q| q.max_answer_seconds + q.think_seconds.unwrap_or(30)).sum();
        (secs + 59) / 60
    }
}

#[derive(Debug, Clone)]
pub struct InterviewSummary {
    pub id: String,
    pub name: String,
    pub title: String,
    pub questions: i64,
    pub updated_at: i64,
}

fn question_from_row(row: &AnyRow) -> StoreResult<Question> {
    Ok(Question {
        id: text(row, "id")?,
        rank: int(row, "rank")?,
        text: text(row, "text")?,
        instructions: opt_text(row, "instructions")?,
        max_answer_seconds: int(row, "max_answer_seconds")?,
        max_takes: int(row, "max_takes")?,
        think_seconds: opt_int(row, "think_seconds")?,
        notes_allowed: int(row, "notes_allowed")? != 0,
    })
}

async fn insert_questions(
    conn: &mut sqlx::AnyConnection,
    interview_id: &str,
    questions: &[QuestionSpec],
) -> StoreResult<()> {
    for (rank, q) in questions.iter().enumerate() {
        sqlx::query(
            "INSERT INTO questions (id, interview_id, rank, text, instructions, max_answer_seconds, max_takes, \
             think_seconds, notes_allowed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(new_id())
        .bind(interview_id)
        .bind(rank as i64)
        .bind(&q.text)
        .bind(q.instructions.clone())
        .bind(i64::from(q.max_answer_seconds))
        .bind(i64::from(q.max_takes))
        .bind(q.think_seconds.map(i64::from))
        .bind(i64::from(q.notes_allowed))
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Inserts an interview with its questions on an open transaction (organization setup uses it for the demo).
pub(crate) async fn insert(
    conn: &mut sqlx::AnyConnection,
    store: &Store,
    org_id: &str,
    spec: &InterviewSpec,
) -> StoreResult<String> {
    let id = new_id();
    let now = store.now_ms();
    sqlx::query(
        "INSERT INTO interviews (id, org_id, name, title, intro_text, outro_text, show_questions_upfront, audio_only, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(&id)
    .bind(org_id)
    .bind(&spec.name)
    .bind(&spec.title)
    .bind(spec.intro.clone())
    .bind(spec.outro.clone())
    .bind(i64::from(spec.show_questions_upfront))
    .bind(i64::from(spec.audio_only))
    .bind(now)
    .execute(&mut *conn)
    .await?;
    insert_questions(conn, &id, &spec.questions).await?;
    Ok(id)
}

pub async fn create(store: &Store, org_id: &str, spec: &InterviewSpec) -> StoreResult<Interview> {
    let mut tx = store.begin().await?;
    let id = insert(&mut tx, store, org_id, spec).await?;
    tx.commit().await?;
    get(store, org_id, &id).await
}

/// Replaces an interview's fields and questions.
pub async fn update(store: &Store, org_id: &str, id: &str, spec: &InterviewSpec) -> StoreResult<Interview> {
    let mut tx = store.begin().await?;
    let done = sqlx::query(
        "UPDATE interviews SET name = $1, title = $2, intro_text = $3, outro_text = $4, show_questions_upfront = $5, \
         audio_only = $6, updated_at = $7 WHERE org_id = $8 AND id = $9",
    )
    .bind(&spec.name)
    .bind(&spec.title)
    .bind(spec.intro.clone())
    .bind(spec.outro.clone())
    .bind(i64::from(spec.show_questions_upfront))
    .bind(i64::from(spec.audio_only))
    .bind(store.now_ms())
    .bind(org_id)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    let answered = sqlx::query(
        "SELECT COUNT(*) AS n FROM answers a JOIN questions q ON q.id = a.question_id WHERE q.interview_id = $1",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    if int(&answered, "n")? > 0 {
        // Candidates have answered these questions: their texts and limits stay as they were answered.
        let current = get_on(&mut tx, org_id, id).await?;
        let same = current.questions.len() == spec.questions.len()
            && current.questions.iter().zip(&spec.questions).all(|(q, s)| {
                q.text == s.text
                    && q.instructions == s.instructions
                    && q.max_answer_seconds == i64::from(s.max_answer_seconds)
                    && q.max_takes == i64::from(s.max_takes)
                    && q.think_seconds == s.think_seconds.map(i64::from)
                    && q.notes_allowed == s.notes_allowed
            });
        if !same {
            return Err(StoreError::Conflict("interview_has_answers"));
        }
    } else {
        sqlx::query("DELETE FROM questions WHERE interview_id = $1").bind(id).execute(&mut *tx).await?;
        insert_questions(&mut tx, id, &spec.questions).await?;
    }
    tx.commit().await?;
    get(store, org_id, id).await
}

pub async fn get(store: &Store, org_id: &str, id: &str) -> StoreResult<Interview> {
    let mut conn = store.read().acquire().await?;
    get_on(&mut conn, org_id, id).await
}

async fn get_on(conn: &mut sqlx::AnyConnection, org_id: &str, id: &str) -> StoreResult<Interview> {
    let row = sqlx::query(
        "SELECT id, name, title, intro_text, outro_text, show_questions_upfront, audio_only, created_at, updated_at \
         FROM interviews WHERE org_id = $1 AND id = $2",
    )
    .bind(org_id)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    let questions = sqlx::query(
        "SELECT id, rank, text, instructions, max_answer_seconds, max_takes, think_seconds, notes_allowed \
         FROM questions WHERE interview_id = $1 ORDER BY rank",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(question_from_row)
    .collect::<StoreResult<Vec<_>>>()?;
    Ok(Interview {
        id: text(&row, "id")?,
        name: text(&row, "name")?,
        title: text(&row, "title")?,
        intro_text: opt_text(&row, "intro_text")?,
        outro_text: opt_text(&row, "outro_text")?,
        show_questions_upfront: int(&row, "show_questions_upfront")? != 0,
        audio_only: int(&row, "audio_only")? != 0,
        questions,
        created_at: int(&row, "created_at")?,
        updated_at: int(&row, "updated_at")?,
    })
}

/// The organization's interviews by name, each with its number of questions.
pub async fn list(store: &Store, org_id: &str) -> StoreResult<Vec<InterviewSummary>> {
    let rows = sqlx::query(
        "SELECT i.id, i.name, i.title, i.updated_at, (SELECT COUNT(*) FROM questions q WHERE q.interview_id = i.id) AS n \
         FROM interviews i WHERE i.org_id = $1 ORDER BY i.name, i.id",
    )
    .bind(org_id)
    .fetch_all(store.read())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(InterviewSummary {
                id: text(r, "id")?,
                name: text(r, "name")?,
                title: text(r, "title")?,
                questions: int(r, "n")?,
                updated_at: int(r, "updated_at")?,
            })
        })
        .collect()
}

/// A copy of an interview under a new name.
pub async fn clone(store: &Store, org_id: &str, id: &str, new_name: &str) -> StoreResult<Interview> {
    let original = get(store, org_id, id).await?;
    let spec = InterviewSpec {
        name: new_name.to_owned(),
        title: original.title,
        intro: original.intro_text,
        outro: original.outro_text,
        show_questions_upfront: original.show_questions_upfront,
        audio_only: original.audio_only,
        questions: original
            .questions
            .into_iter()
            .map(|q| QuestionSpec {
                text: q.text,
                instructions: q.instructions,
                max_answer_seconds: q.max_answer_seconds as u32,
                max_takes: q.max_takes as u32,
                think_seconds: q.think_seconds.map(|t| t as u32),
                notes_allowed: q.notes_allowed,
            })
            .collect(),
    };
    create(store, org_id, &spec).await
}

/// What deleting an interview would take with it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub invitations: i64,
    /// Answers begun or kept by candidates.
    pub answers: i64,
}

pub async fn usage(store: &Store, org_id: &str, id: &str) -> StoreResult<Usage> {
    let row = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM invitations WHERE org_id = $1 AND interview_id = $2) AS invitations, \
         (SELECT COUNT(*) FROM answers a JOIN invitations i ON i.id = a.invitation_id \
          WHERE i.org_id = $1 AND i.interview_id = $2) AS answers",
    )
    .bind(org_id)
    .bind(id)
    .fetch_one(store.read())
    .await?;
    Ok(Usage { invitations: int(&row, "invitations")?, answers: int(&row, "answers")? })
}

/// Deletes an interview with its questions and invitations. An interview that has answers is
/// `Conflict("interview_has_answers")` unless `delete_answers` (an admin who confirmed a second time); then its
/// answers and takes go too, and a job deletes their stored media.
pub async fn delete(store: &Store, org_id: &str, id: &str, delete_answers: bool) -> StoreResult<()> {
    let mut tx = store.begin().await?;
    let found = sqlx::query("SELECT id FROM interviews WHERE org_id = $1 AND id = $2")
        .bind(org_id)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    if found.is_none() {
        return Err(StoreError::NotFound);
    }
    let answered = sqlx::query(
        "SELECT COUNT(*) AS n FROM answers a JOIN invitations i ON i.id = a.invitation_id \
         WHERE i.org_id = $1 AND i.interview_id = $2",
    )
    .bind(org_id)
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    if int(&answered, "n")? > 0 && !delete_answers {
        return Err(StoreError::Conflict("interview_has_answers"));
    }
    super::takes::enqueue_media_deletion_of(&mut tx, store, "i.org_id = $1 AND i.interview_id = $2", org_id, id)
        .await?;
    // Answers, takes and segments go with their invitations (ON DELETE CASCADE).
    sqlx::query("DELETE FROM invitations WHERE org_id = $1 AND interview_id = $2")
        .bind(org_id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM questions WHERE interview_id = $1").bind(id).execute(&mut *tx).await?;
    sqlx::query("DELETE FROM interviews WHERE org_id = $1 AND id = $2").bind(org_id).bind(id).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}
