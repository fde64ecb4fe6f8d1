//! Bulk invitations: a list of people (a CSV file of first_name, last_name, email and an optional language; chosen
//! candidates; or the API's list) checked into a preview that says what will happen — how many invitations, who is
//! skipped because an open invitation to the interview exists, which rows are invalid and why — then sent by a job,
//! which a cancel stops between batches (invitations not yet created are not created; those sent stay sent). Each row's
//! invitation carries an idempotency key of the bulk send and the row, so a job run twice never invites twice.

use super::invitations::{EmailTo, invitation_job};
use super::{Context, UseCaseError};
use crate::domain::{Deadline, EmailAddress, FieldErrors, Language, today_in};
use crate::store::bulk::{self, Bulk, NewRow, RowSend};
use crate::store::candidates::NewCandidate;
use crate::store::invitations::{Invitee, NewInvitation};
use crate::store::sessions::Actor;
use crate::store::{StoreError, interviews, orgs, users};
use std::collections::HashSet;

/// Most people in one bulk send.
pub const BULK_MAX: usize = 20_000;

/// One person to invite, as given.
#[derive(Debug, Clone)]
pub enum Person {
    Candidate(String),
    External { first_name: String, last_name: String, email: String, language: Option<String> },
}

/// The people of a CSV file with a header row (first_name, last_name, email, and optionally language, in any order),
/// each with its line number; `Err` says what is wrong with the file as a whole.
pub fn people_from_csv(bytes: &[u8]) -> Result<Vec<(i64, Person)>, String> {
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
        .map_err(|_| "The file is not UTF-8 text. Save it as CSV UTF-8 and try again.".to_owned())?;
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| format!("The file is not CSV: {e}"))?.clone();
    let col = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (Some(first), Some(last), Some(email)) = (col("first_name"), col("last_name"), col("email")) else {
        return Err(
            "The first row must name the columns: first_name, last_name, email (and optionally language).".into()
        );
    };
    let language = col("language");
    let mut people = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| format!("The file is not CSV: {e}"))?;
        let line = record.position().map_or(0, |p| p.line() as i64);
        if record.iter().all(str::is_empty) {
            continue;
        }
        let get = |i: usize| record.get(i).unwrap_or("").to_owned();
        people.push((
            line,
            Person::External {
                first_name: get(first),
                last_name: get(last),
                email: get(email),
                language: language.map(get).filter(|l| !l.is_empty()),
            },
        ));
        if people.len() > BULK_MAX {
            return Err(format!("A bulk send takes at most {BULK_MAX} people; split the file."));
        }
    }
    if people.is_empty() {
        return Err("The file has no rows under its header.".into());
    }
    Ok(people)
}

/// What the form or the API chose for every invitation.
pub struct Settings<'a> {
    pub interview_id: &'a str,
    /// Empty: each row's own language (or the organization's).
    pub language: &'a str,
    pub deadline: &'a str,
    pub notify_me: bool,
    pub idempotency_key: Option<&'a str>,
}

/// Checks the people and stores the preview; gives its id (and whether the idempotency key had made it before).
pub async fn preview(
    cx: &Context,
    actor: &Actor,
    settings: &Settings<'_>,
    people: &[(i64, Person)],
) -> Result<(String, bool), UseCaseError> {
    let mut errors = FieldErrors::new();
    let tz = actor.org.tz();
    let deadline = errors.check(Deadline::parse("deadline", settings.deadline, today_in(&tz, cx.store.now())));
    let language = if settings.language.trim().is_empty() {
        Some(None)
    } else {
        errors.check(Language::parse("language", settings.language)).map(Some)
    };
    if settings.interview_id.trim().is_empty() {
        errors.push("interview_id", "Choose a video interview.");
    }
    if people.is_empty() {
        errors.push("candidates", "Choose at least one candidate, or upload a CSV file.");
    } else if people.len() > BULK_MAX {
        errors.push("candidates", format!("A bulk send takes at most {BULK_MAX} people."));
    }
    let (Some(deadline), Some(language), true) = (deadline, language, errors.is_empty()) else {
        return Err(UseCaseError::Invalid(errors));
    };
    let interview = interviews::get(&cx.store, &actor.org.id, settings.interview_id).await?;
    let open = bulk::open_to(&cx.store, &actor.org.id, &interview.id).await?;
    let open_ids: HashSet<&str> = open.iter().map(|(id, _)| id.as_str()).collect();
    let open_keys: HashSet<&str> = open.iter().map(|(_, key)| key.as_str()).collect();
    let chosen: Vec<String> = people
        .iter()
        .filter_map(|(_, p)| match p {
            Person::Candidate(id) => Some(id.clone()),
            Person::External { .. } => None,
        })
        .collect();
    let known = bulk::candidates_by_id(&cx.store, &actor.org.id, &chosen).await?;
    let mut seen: HashSet<String> = HashSet::new();
    let mut rows = Vec::with_capacity(people.len());
    for (line, person) in people {
        let mut row = NewRow { line: *line, outcome: "pending", ..Default::default() };
        match person {
            Person::Candidate(id) => {
                row.candidate_id = Some(id.clone());
                match known.iter().find(|(k, _, _)| k == id) {
                    None => {
                        row.outcome = "invalid";
                        row.message = Some("No such candidate in your organization.".into());
                    }
                    Some((_, key, email)) => {
                        row.email = Some(email.clone());
                        if open_ids.contains(id.as_str()) {
                            row.outcome = "skipped";
                            row.message = Some("Already has an open invitation to this interview.".into());
                        } else if !seen.insert(key.clone()) {
                            row.outcome = "skipped";
                            row.message = Some("Listed twice.".into());
                        }
                    }
                }
            }
            Person::External { first_name, last_name, email, language: row_language } => {
                row.first_name = Some(first_name.chars().take(200).collect());
                row.last_name = Some(last_name.chars().take(200).collect());
                row.email = Some(email.chars().take(300).collect());
                row.language = row_language.clone();
                let parsed = NewCandidate::parse(first_name, last_name, email, None, None);
                let lang_ok = row_language.as_deref().is_none_or(|l| Language::parse("language", l).is_ok());
                match parsed {
                    Err(e) => {
                        row.outcome = "invalid";
                        row.message = Some(
                            e.0.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join(" "),
                        );
                    }
                    Ok(_) if !lang_ok => {
                        row.outcome = "invalid";
                        row.message = Some("language: use en, fi, sv, el, de, fr or es.".into());
                    }
                    Ok(c) => {
                        let key = c.email.key();
                        if open_keys.contains(key.as_str()) {
                            row.outcome = "skipped";
                            row.message = Some("Already has an open invitation to this interview.".into());
                        } else if !seen.insert(key) {
                            row.outcome = "skipped";
                            row.message = Some("Listed twice.".into());
                        }
                    }
                }
            }
        }
        rows.push(row);
    }
    let made = bulk::create(
        &cx.store,
        &actor.org.id,
        &actor.user.id,
        &interview.id,
        language.map(Language::code),
        &deadline.iso(),
        settings.notify_me,
        settings.idempotency_key,
        &rows,
    )
    .await;
    match made {
        Err(StoreError::Conflict("bulk_idempotency")) => {
            Err(UseCaseError::Refused("This bulk send was already made; open it from its page.".into()))
        }
        other => Ok(other?),
    }
}

/// Starts sending a previewed bulk send.
pub async fn start(cx: &Context, actor: &Actor, id: &str) -> Result<(), UseCaseError> {
    match bulk::start(&cx.store, &actor.org.id, id).await {
        Err(StoreError::Conflict(_)) => {
            Err(UseCaseError::Refused("This bulk send was already sent or cancelled.".into()))
        }
        other => Ok(other?),
    }
}

/// Cancels a preview or a send under way.
pub async fn cancel(cx: &Context, actor: &Actor, id: &str) -> Result<(), UseCaseError> {
    match bulk::cancel(&cx.store, &actor.org.id, id).await {
        Err(StoreError::Conflict(_)) => Err(UseCaseError::Refused("This bulk send is already finished.".into())),
        other => Ok(other?),
    }
}

pub async fn get(cx: &Context, actor: &Actor, id: &str) -> Result<Bulk, UseCaseError> {
    Ok(bulk::get(&cx.store, &actor.org.id, id).await?)
}

/// Rows sent in one transaction by the job.
const BATCH: i64 = 200;

/// The job: sends the pending rows, a batch at a time (each in one transaction with its rows' outcomes), until none
/// is left or the send is cancelled.
pub async fn run(cx: &Context, org_id: &str, id: &str) -> Result<(), UseCaseError> {
    let b = bulk::get(&cx.store, org_id, id).await?;
    let org = orgs::get(&cx.store, org_id).await?;
    let user = users::get(&cx.store, org_id, &b.created_by).await?;
    let actor = Actor { user, org };
    let tz = actor.org.tz();
    let deadline = Deadline::from_stored(&b.deadline)
        .ok_or_else(|| UseCaseError::Internal(anyhow::anyhow!("bad stored deadline")))?;
    let org_language = Language::parse("language", &actor.org.language).unwrap_or(Language::En);
    let closes_at = deadline.closes_at(&tz).as_millisecond();
    loop {
        let rows = bulk::next_rows(&cx.store, id, BATCH).await?;
        if rows.is_empty() {
            break;
        }
        let batch: Vec<(i64, RowSend)> = rows
            .into_iter()
            .map(|row| {
                let language = b
                    .language
                    .as_deref()
                    .or(row.language.as_deref())
                    .and_then(|l| Language::parse("language", l).ok())
                    .unwrap_or(org_language);
                let (invitee, email) = match (&row.candidate_id, &row.email) {
                    (Some(cid), Some(email)) => {
                        (Invitee::Existing(cid.clone()), EmailAddress::parse("email", email).ok())
                    }
                    _ => match NewCandidate::parse(
                        row.first_name.as_deref().unwrap_or(""),
                        row.last_name.as_deref().unwrap_or(""),
                        row.email.as_deref().unwrap_or(""),
                        None,
                        None,
                    ) {
                        Ok(c) => {
                            let email = Some(c.email.clone());
                            (Invitee::New(c), email)
                        }
                        Err(_) => return (row.line, RowSend::Invalid("Not a valid row.")),
                    },
                };
                let Some(email) = email else {
                    return (row.line, RowSend::Invalid("No valid email address."));
                };
                let new = NewInvitation {
                    invitee,
                    email,
                    language,
                    interview_id: b.interview_id.clone(),
                    deadline,
                    closes_at,
                    bcc_me: false,
                    notify_me: b.notify_me,
                    idempotency_key: Some(format!("bulk:{id}:{}", row.line)),
                    via_public_link: false,
                };
                (row.line, RowSend::Invite(new))
            })
            .collect();
        let sent = bulk::send_rows(&cx.store, &actor, id, &b.interview_id, &batch, &cx.link_key, |new, ctx| {
            let to = EmailTo { to: new.email.as_str(), language: new.language, bcc_me: false, deadline: new.deadline };
            invitation_job(cx, &actor, &to, ctx, false).map_err(|e| e.to_string())
        })
        .await?;
        if !sent {
            break;
        }
    }
    bulk::finish(&cx.store, id).await?;
    Ok(())
}
