//! A candidate's data on request: everything held about them gathered for an export (admins), or erased (with one
//! audit entry in figures only), and the erasure of candidates with no activity for the organization's retention
//! period. Consent records are written where the candidate consents (`answering`).

use super::{Context, UseCaseError};
use crate::store::audit::{self, NewEntry};
use crate::store::candidates::{self, Candidate, EventActor};
use crate::store::privacy::{self, Erased};
use crate::store::sessions::Actor;
use crate::store::takes::Segment;
use crate::store::{answering, interviews, invitations, reviews, scorecards, takes};

/// A recording in an export: where it goes in the archive and the stored pieces it is made of, in order.
pub struct Recording {
    pub path: String,
    pub segments: Vec<Segment>,
    pub bytes: i64,
}

/// What an export holds: a JSON document and the recordings.
pub struct Export {
    /// `candidate-<first>-<last>` (safe as a file name), without an extension.
    pub name: String,
    pub document: Vec<u8>,
    pub recordings: Vec<Recording>,
}

/// What erasing a candidate would take away, for the confirmation.
#[derive(Debug, Clone, Default)]
pub struct Holdings {
    pub invitations: usize,
    pub recordings: usize,
    pub emails: usize,
    pub events: usize,
}

fn admins_only(actor: &Actor) -> Result<(), UseCaseError> {
    if actor.user.is_admin() {
        Ok(())
    } else {
        Err(UseCaseError::Refused("Only administrators of your organization can do this.".into()))
    }
}

fn time(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map(|t| t.to_string()).unwrap_or_default()
}

fn opt_time(ms: Option<i64>) -> Option<String> {
    ms.map(time)
}

/// What erasing `id` would take away.
pub async fn holdings(cx: &Context, actor: &Actor, id: &str) -> Result<(Candidate, Holdings), UseCaseError> {
    let org = &actor.org.id;
    let c = candidates::get(&cx.store, org, id).await?;
    let invs = invitations::of_candidate(&cx.store, org, id).await?;
    let mut ids: Vec<String> = invs.iter().map(|i| i.id.clone()).collect();
    ids.push(c.id.clone());
    let mut recordings = 0;
    for inv in &invs {
        recordings +=
            answering::answers_of(&cx.store, org, &inv.id).await?.iter().filter(|a| a.kept_take_id.is_some()).count();
    }
    let emails = privacy::mail_about(&cx.store, org, &c.email, &ids).await?.len();
    let events = candidates::timeline(&cx.store, org, id).await?.len();
    Ok((c, Holdings { invitations: invs.len(), recordings, emails, events }))
}

/// Erases a candidate and everything held about them (see `store::privacy::erase`); one audit entry remains, in
/// figures only.
pub async fn erase(cx: &Context, actor: &Actor, id: &str) -> Result<Erased, UseCaseError> {
    let erased = privacy::erase(&cx.store, &actor.org.id, id).await?;
    let entry = NewEntry {
        org_id: &actor.org.id,
        user_id: Some(&actor.user.id),
        actor: &actor.user.name,
        action: audit::CANDIDATE_ERASED,
        target: "A candidate",
        detail: serde_json::json!({
            "invitations": erased.invitations, "recordings": erased.recordings, "emails": erased.emails,
        }),
        client: "",
    };
    audit::record(&cx.store, &entry).await?;
    Ok(erased)
}

/// Erases, in every organization that set a candidate retention, the candidates with no activity for that many
/// months (counted in the organization's time zone); one audit entry per organization and pass. Returns how many.
pub async fn erase_inactive(cx: &Context) -> Result<usize, UseCaseError> {
    let mut total = 0;
    for (org_id, months) in privacy::candidate_retention(&cx.store).await? {
        let org = crate::store::orgs::get(&cx.store, &org_id).await?;
        let now = cx.store.now().to_zoned_datetime(org.tz());
        let Ok(cutoff) = now.checked_sub(jiff::Span::new().months(months)) else { continue };
        let cutoff = cutoff.timestamp().as_millisecond();
        let mut erased = Erased::default();
        let mut n = 0;
        loop {
            let ids = privacy::inactive_candidates(&cx.store, &org_id, cutoff, 100).await?;
            if ids.is_empty() {
                break;
            }
            for id in &ids {
                match privacy::erase(&cx.store, &org_id, id).await {
                    Ok(e) => {
                        n += 1;
                        erased.invitations += e.invitations;
                        erased.recordings += e.recordings;
                        erased.emails += e.emails;
                    }
                    Err(crate::store::StoreError::NotFound) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
        if n > 0 {
            let target = format!("{n} candidates with no activity for {months} months");
            let entry = NewEntry {
                org_id: &org_id,
                user_id: None,
                actor: "Candor (candidate retention)",
                action: audit::CANDIDATES_EXPIRED,
                target: &target,
                detail: serde_json::json!({
                    "candidates": n, "months": months, "invitations": erased.invitations,
                    "recordings": erased.recordings, "emails": erased.emails,
                }),
                client: "",
            };
            audit::record(&cx.store, &entry).await?;
        }
        total += n;
    }
    Ok(total)
}

/// Everything held about a candidate, for an admin: the JSON document and the recordings to stream with it. The
/// export is noted on the candidate's timeline and in the audit log (without naming the candidate there).
pub async fn export(cx: &Context, actor: &Actor, id: &str) -> Result<Export, UseCaseError> {
    admins_only(actor)?;
    let org = &actor.org.id;
    let c = candidates::get(&cx.store, org, id).await?;
    let invs = invitations::of_candidate(&cx.store, org, id).await?;
    let mut ids: Vec<String> = vec![c.id.clone()];
    let mut recordings = Vec::new();
    let mut inv_docs = Vec::new();
    for (n, inv) in invs.iter().rev().enumerate() {
        ids.push(inv.id.clone());
        let interview = interviews::get(&cx.store, org, &inv.interview_id).await?;
        let answers = answering::answers_of(&cx.store, org, &inv.id).await?;
        let (ratings, comments) = reviews::of_invitation(&cx.store, &inv.id).await?;
        let scores = scorecards::scores_of(&cx.store, &inv.id).await?;
        let criteria = scorecards::criteria_of(&cx.store, &inv.interview_id, true).await?;
        let shares = reviews::shares_of(&cx.store, &inv.id).await?;
        let folder = format!(
            "recordings/{:02} {}",
            n + 1,
            crate::media::zip::path_part(&format!("{} {}", interview.name, inv.deadline), 60)
        );
        let question_label = |qid: &str| {
            interview
                .questions
                .iter()
                .find(|q| q.id == qid)
                .map_or_else(|| "the interview".to_owned(), |q| format!("question {}", q.rank + 1))
        };
        let mut answer_docs = Vec::new();
        for a in &answers {
            let q = interview.questions.iter().find(|q| q.id == a.question_id);
            let mut recording = None;
            if let Some(take_id) = &a.kept_take_id {
                match takes::kept_media(&cx.store, org, &inv.id, take_id).await {
                    Ok((take, segments)) if !segments.is_empty() => {
                        let ext = take.container.as_deref().unwrap_or("webm");
                        let rank = q.map_or(0, |q| q.rank + 1);
                        let text = q.map_or(String::new(), |q| q.text.clone());
                        let path =
                            format!("{folder}/Question {rank:02} - {}.{ext}", crate::media::zip::path_part(&text, 50));
                        recording = Some(path.clone());
                        let bytes = segments.iter().map(|s| s.length).sum();
                        recordings.push(Recording { path, segments, bytes });
                    }
                    Ok(_) | Err(crate::store::StoreError::NotFound) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            answer_docs.push(serde_json::json!({
                "question": q.map(|q| q.rank + 1),
                "takes_used": a.takes_used,
                "kept_take": a.kept_take_number,
                "interrupted": a.interrupted,
                "notes": a.notes,
                "kept_at": opt_time(a.kept_at),
                "recording": recording,
            }));
        }
        inv_docs.push(serde_json::json!({
            "id": inv.id,
            "email": inv.email,
            "language": inv.language,
            "deadline": inv.deadline,
            "status": inv.status,
            "source": inv.source,
            "sent_at": time(inv.sent_at),
            "answered_at": opt_time(inv.answered_at),
            "decision": inv.decision,
            "recordings_deleted_at": opt_time(inv.media_deleted_at),
            "interview": {
                "name": interview.name,
                "title": interview.title,
                "questions": interview.questions.iter().map(|q| serde_json::json!({
                    "number": q.rank + 1, "text": q.text, "instructions": q.instructions,
                    "max_answer_seconds": q.max_answer_seconds, "max_takes": q.max_takes,
                    "think_seconds": q.think_seconds,
                })).collect::<Vec<_>>(),
            },
            "answers": answer_docs,
            "ratings": ratings.iter().map(|r| serde_json::json!({
                "about": question_label(&r.subject), "by": r.reviewer_name, "stars": r.stars.label(),
                "at": time(r.updated_at),
            })).collect::<Vec<_>>(),
            "comments": comments.iter().map(|r| serde_json::json!({
                "about": question_label(&r.subject), "by": r.reviewer_name, "text": r.body,
                "at": time(r.created_at),
            })).collect::<Vec<_>>(),
            "scores": scores.iter().map(|s| serde_json::json!({
                "criterion": criteria.iter().find(|c| c.id == s.criterion_id).map(|c| c.name.clone()),
                "by": s.reviewer_name, "score": s.score,
            })).collect::<Vec<_>>(),
            "share_links": shares.iter().map(|s| serde_json::json!({
                "made_by": s.created_by_name, "made_at": time(s.created_at), "expires_at": time(s.expires_at),
                "revoked_at": opt_time(s.revoked_at),
            })).collect::<Vec<_>>(),
        }));
    }
    let consents = privacy::consents_of(&cx.store, org, id).await?;
    let timeline = candidates::timeline(&cx.store, org, id).await?;
    let mail = privacy::mail_about(&cx.store, org, &c.email, &ids).await?;
    let document = serde_json::json!({
        "exported_at": time(cx.store.now_ms()),
        "exported_by": actor.user.name,
        "organization": actor.org.name,
        "candidate": {
            "id": c.id, "first_name": c.first_name, "last_name": c.last_name, "email": c.email,
            "phone": c.phone, "notes": c.notes, "created_at": time(c.created_at), "updated_at": time(c.updated_at),
        },
        "invitations": inv_docs,
        "consents": consents.iter().map(|k| serde_json::json!({
            "invitation_id": k.invitation_id, "language": k.language, "text": k.text, "version": k.version,
            "privacy_link": k.privacy_url, "retention_months": k.retention_months, "client": k.client,
            "at": time(k.created_at),
        })).collect::<Vec<_>>(),
        "timeline": timeline.iter().map(|e| serde_json::json!({
            "event": e.kind, "by": e.actor, "detail": e.detail, "at": time(e.created_at),
        })).collect::<Vec<_>>(),
        "emails": mail.iter().map(|m| serde_json::json!({
            "to": m.to, "subject": m.subject, "text": m.text, "sent_at": time(m.sent_at),
        })).collect::<Vec<_>>(),
    });
    let document = serde_json::to_vec_pretty(&document).map_err(anyhow::Error::from)?;
    privacy::note_export(&cx.store, org, id, &EventActor::of(actor), recordings.len()).await?;
    let entry = NewEntry {
        org_id: org,
        user_id: Some(&actor.user.id),
        actor: &actor.user.name,
        action: audit::CANDIDATE_EXPORTED,
        target: "A candidate's data",
        detail: serde_json::json!({ "invitations": invs.len(), "recordings": recordings.len() }),
        client: "",
    };
    audit::record(&cx.store, &entry).await?;
    let name = format!(
        "candidate-{}",
        crate::media::zip::path_part(&format!("{}-{}", c.first_name, c.last_name), 60).replace(' ', "-")
    );
    Ok(Export { name, document, recordings })
}
