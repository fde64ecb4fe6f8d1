//! The worker: claim a due job (with a lease) → run its handler → mark it done, or record the error and retry with
//! exponential backoff until it is dead. Any number of workers, on any number of nodes, may run at once.

pub mod webhook;

use crate::mail::{self, Mailer, OutgoingEmail};
use crate::media::MediaStore;
use crate::store::jobs::{Job, Lane};
use crate::store::{self, Store};
use futures_util::StreamExt;
use std::time::Duration;
use tokio::sync::watch;
use tracing::Instrument;

/// How long a claimed job is ours before another worker may take it over: a crashed node's jobs resume within
/// about a minute. The lease is renewed every [`LEASE_RENEW_EVERY`] while the job runs, so a long job (a rewrite)
/// is never taken over while it is still running.
pub const LEASE_MS: i64 = 60 * 1000;
/// How often the leases of running jobs are renewed.
pub const LEASE_RENEW_EVERY: Duration = Duration::from_secs(15);
/// How often a worker expires invitations whose deadline has passed.
pub const MAINTENANCE_INTERVAL: Duration = Duration::from_secs(60);
/// How often the media storage is swept for what interrupted writes left.
pub const MEDIA_SWEEP_INTERVAL: Duration = Duration::from_secs(6 * 3600);
/// How many due jobs one claim loop takes at a time.
pub const CLAIM_BATCH: usize = 8;
/// How many due emails one email loop takes at a time: they are delivered over the node's SMTP connections and
/// logged in one transaction.
pub const MAIL_CLAIM_BATCH: usize = 32;
/// How long a claim loop waits after a short batch before claiming again.
pub const GATHER_PAUSE: Duration = Duration::from_millis(50);
/// How often an idle worker looks for due jobs.
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);

#[derive(Clone)]
pub struct Worker {
    store: Store,
    mailer: Mailer,
    mail_from: String,
    media: MediaStore,
    /// One rewrite at a time per node: a rewrite holds the whole take in memory.
    remux_gate: std::sync::Arc<tokio::sync::Semaphore>,
    /// What emails need to build candidates' personal links: the link key and the public address.
    links: crate::usecase::Context,
    /// When inactive candidates were last looked for (store clock, Unix ms): at most once an hour.
    retention_checked_at: std::sync::Arc<std::sync::atomic::AtomicI64>,
}

/// What a job's handler did.
enum Ran {
    Done,
    /// An email delivered, to be logged with its job marked done.
    Sent(Box<OutgoingEmail>, mail::Delivered),
}

/// The delay before attempt `attempts + 1`: 5 s, 10 s, 20 s … capped at one hour.
pub fn backoff_ms(attempts: i64) -> i64 {
    let exp = attempts.clamp(1, 20) - 1;
    (5_000i64.saturating_mul(1i64 << exp)).min(3_600_000)
}

impl Worker {
    pub fn new(mailer: Mailer, mail_from: String, media: MediaStore, links: crate::usecase::Context) -> Self {
        let store = links.store.clone();
        let remux_gate = std::sync::Arc::new(tokio::sync::Semaphore::new(1));
        let retention_checked_at = std::sync::Arc::new(std::sync::atomic::AtomicI64::new(i64::MIN));
        Self { store, mailer, mail_from, media, remux_gate, links, retention_checked_at }
    }

    /// Claims and runs one due job; `false` when none was due.
    pub async fn run_one(&self) -> anyhow::Result<bool> {
        Ok(self.run_batch(1).await? > 0)
    }

    /// Claims up to `max` due jobs in one statement and runs them concurrently; returns how many ran. Batches keep
    /// the claims (a write each) from becoming the bottleneck when many emails are queued at once.
    pub async fn run_batch(&self, max: usize) -> anyhow::Result<usize> {
        self.run_lane_batch(max, Lane::All).await
    }

    /// Claims up to `max` due jobs of one lane and runs them concurrently, renewing their leases while they run.
    /// The emails of a batch delivered are logged and marked done together, in one transaction.
    async fn run_lane_batch(&self, max: usize, lane: Lane) -> anyhow::Result<usize> {
        let jobs = store::jobs::claim_many(&self.store, LEASE_MS, max, lane).await?;
        let n = jobs.len();
        if n == 0 {
            return Ok(0);
        }
        let ids: Vec<String> = jobs.iter().map(|j| j.id.clone()).collect();
        let run = futures_util::future::join_all(jobs.into_iter().map(|job| self.attempt(job)));
        tokio::pin!(run);
        let results = loop {
            tokio::select! {
                results = &mut run => break results,
                _ = tokio::time::sleep(LEASE_RENEW_EVERY) => {
                    if let Err(e) = store::jobs::renew_leases(&self.store, &ids, LEASE_MS).await {
                        tracing::warn!(error = %e, "cannot renew job leases");
                    }
                }
            }
        };
        let sent: Vec<store::mail_log::Delivered> = results
            .iter()
            .filter_map(|(job, _, result)| match result {
                Ok(Ran::Sent(email, delivered)) => Some(store::mail_log::Delivered {
                    mail: store::mail_log::NewSentMail {
                        org_id: job.org_id.as_deref(),
                        job_id: Some(&job.id),
                        to: email.to.join(", "),
                        cc: email.cc.join(", "),
                        bcc: email.bcc.join(", "),
                        subject: &email.subject,
                        html: &email.html,
                        text: &email.text,
                        transport: delivered.transport,
                        eml_path: delivered.eml_path.clone(),
                    },
                    job_id: &job.id,
                    invitation_id: job.invitation_id.as_deref(),
                }),
                _ => None,
            })
            .collect();
        for orphan in store::mail_log::record_and_complete(&self.store, &sent).await? {
            self.mailer.remove_outbox_file(&orphan).await?;
        }
        for (job, span, result) in results {
            let outcome = match result {
                Ok(ran) => {
                    if matches!(ran, Ran::Done) {
                        store::jobs::complete(&self.store, &job.id).await?;
                    }
                    span.in_scope(|| tracing::info!("job done"));
                    "done"
                }
                Err(e) => {
                    let message = format!("{e:#}");
                    store::jobs::fail(&self.store, &job, &message, backoff_ms(job.attempts)).await?;
                    span.in_scope(|| tracing::warn!(error = %message, "job failed"));
                    if job.attempts >= job.max_attempts { "dead" } else { "retry" }
                }
            };
            metrics::counter!("candor_jobs_total", "kind" => job.kind.clone(), "outcome" => outcome).increment(1);
        }
        Ok(n)
    }

    /// Runs a claimed job's handler in its span.
    async fn attempt(&self, job: Job) -> (Job, tracing::Span, anyhow::Result<Ran>) {
        let span = tracing::info_span!("job", job_id = %job.id, kind = %job.kind, org_id = job.org_id.as_deref().unwrap_or(""), attempt = job.attempts);
        let result = if job.attempts > job.max_attempts {
            Err(anyhow::anyhow!("gave up after {} attempts (lease expired)", job.max_attempts))
        } else {
            self.handle(&job).instrument(span.clone()).await
        };
        (job, span, result)
    }

    /// Periodic upkeep: reminders before deadlines, expiry of invitations whose deadline has passed and of uploads
    /// left unfinished too long, deletion of recordings past the retention period; hourly, the erasure of inactive
    /// candidates and the planner's statistics of candidates when they are far off. Safe on any number of nodes at
    /// once.
    pub async fn run_maintenance(&self) -> anyhow::Result<()> {
        let reminded = self.send_reminders().await?;
        if reminded > 0 {
            tracing::info!(reminded, "reminders queued");
        }
        let expired = store::invitations::expire_due(&self.store).await?;
        if expired > 0 {
            tracing::info!(expired, "invitations expired");
            metrics::counter!("candor_invitations_expired_total").increment(expired as u64);
        }
        let uploads = store::takes::discard_expired(&self.store).await?;
        if uploads > 0 {
            tracing::info!(uploads, "unfinished uploads expired");
        }
        let media = store::upkeep::delete_expired_media(&self.store).await?;
        if media > 0 {
            tracing::info!(invitations = media, "recordings deleted after the retention period");
        }
        let now = self.store.now_ms();
        let last = self.retention_checked_at.load(std::sync::atomic::Ordering::Relaxed);
        if now.saturating_sub(last) >= 3_600_000 {
            self.retention_checked_at.store(now, std::sync::atomic::Ordering::Relaxed);
            let erased = crate::usecase::privacy::erase_inactive(&self.links).await?;
            if erased > 0 {
                tracing::info!(candidates = erased, "inactive candidates erased after the retention period");
            }
            if store::candidates::refresh_statistics_if_stale(&self.store).await? {
                tracing::info!("the planner's statistics of candidates refreshed");
            }
        }
        Ok(())
    }

    /// Removes what crashed writes left in the media storage: temporary files on the local directory idle for 15
    /// minutes, and stored pieces no take refers to (written, then the process died before recording them) older
    /// than an hour. Returns (temporary files, pieces) removed.
    pub async fn sweep_media(&self) -> anyhow::Result<(usize, usize)> {
        let media = self.media.clone();
        let partial =
            tokio::task::spawn_blocking(move || media.remove_abandoned_partial_files(Duration::from_secs(15 * 60)))
                .await?;
        let cutoff = self.store.now_ms() - 3_600_000;
        let awaiting_deletion = store::takes::keys_awaiting_deletion(&self.store).await?;
        let mut listed = self.media.list_takes();
        let mut removed = 0;
        let mut batch: Vec<String> = Vec::new();
        loop {
            let next = listed.next().await.transpose()?;
            let done = next.is_none();
            if let Some((key, at)) = next {
                if at < cutoff && !awaiting_deletion.contains(&key) {
                    batch.push(key);
                }
                if batch.len() < 1000 {
                    continue;
                }
            }
            // A batch at a time: the listing of a large bucket is never held whole.
            let in_use = store::takes::segment_keys_among(&self.store, &batch).await?;
            for key in batch.drain(..).filter(|k| !in_use.contains(k)) {
                self.media.delete(&key).await?;
                removed += 1;
            }
            if done {
                break;
            }
        }
        if partial + removed > 0 {
            tracing::info!(partial, unreferenced = removed, "media left by interrupted writes removed");
        }
        Ok((partial, removed))
    }

    /// Queues the reminder email of every open invitation whose reminder is due; returns how many.
    async fn send_reminders(&self) -> anyhow::Result<usize> {
        let mut n = 0;
        for t in store::upkeep::due_reminders(&self.store).await? {
            let language = crate::domain::Language::parse("language", &t.language)
                .map_err(|e| anyhow::anyhow!("invitation {}: {}", t.invitation_id, e.message))?;
            let token = store::invitations::invitation_token(&self.links.link_key, &t.invitation_id);
            let link = self.links.link(&format!("/i/{token}"));
            let email = mail::templates::reminder(&mail::templates::InvitationEmail {
                to: &t.email,
                bcc: None,
                reply_to: &t.reply_to,
                language,
                org: &t.org_name,
                candidate_first_name: &t.candidate_first_name,
                interview_title: &t.interview_title,
                deadline: t.deadline.parse()?,
                timezone: &t.timezone,
                question_count: t.question_count,
                minutes: t.typical_minutes,
                link: &link,
            })?;
            if store::upkeep::record_reminder(&self.store, &t, &email.job(Some(&t.org_id))).await? {
                n += 1;
            }
        }
        Ok(n)
    }

    /// Runs due jobs until none is left; returns how many ran.
    pub async fn run_pending(&self) -> anyhow::Result<usize> {
        let mut n = 0;
        while self.run_one().await? {
            n += 1;
        }
        Ok(n)
    }

    /// Runs a job's handler. An email is only delivered here: its batch logs it and marks it done.
    async fn handle(&self, job: &Job) -> anyhow::Result<Ran> {
        match job.kind.as_str() {
            mail::SEND_EMAIL => {
                let email: OutgoingEmail = serde_json::from_str(&job.payload)?;
                let delivered = self.mailer.send(&self.mail_from, &email, &job.id).await?;
                Ok(Ran::Sent(Box::new(email), delivered))
            }
            store::takes::DELETE_MEDIA => {
                #[derive(serde::Deserialize)]
                struct Payload {
                    keys: Vec<String>,
                }
                let payload: Payload = serde_json::from_str(&job.payload)?;
                for key in &payload.keys {
                    self.media.delete(key).await?;
                }
                Ok(Ran::Done)
            }
            store::privacy::DELETE_OUTBOX_FILES => {
                #[derive(serde::Deserialize)]
                struct Payload {
                    paths: Vec<String>,
                }
                let payload: Payload = serde_json::from_str(&job.payload)?;
                for path in &payload.paths {
                    self.mailer.remove_outbox_file(path).await?;
                }
                Ok(Ran::Done)
            }
            store::takes::REMUX => {
                #[derive(serde::Deserialize)]
                struct Payload {
                    take_id: String,
                }
                let payload: Payload = serde_json::from_str(&job.payload)?;
                self.remux(&payload.take_id).await?;
                Ok(Ran::Done)
            }
            store::bulk::BULK_SEND => {
                #[derive(serde::Deserialize)]
                struct Payload {
                    bulk_id: String,
                }
                let payload: Payload = serde_json::from_str(&job.payload)?;
                let org_id = job.org_id.as_deref().unwrap_or("");
                crate::usecase::bulk::run(&self.links, org_id, &payload.bulk_id).await?;
                Ok(Ran::Done)
            }
            store::webhooks::DELIVER_WEBHOOK => {
                #[derive(serde::Deserialize)]
                struct Payload {
                    delivery_id: String,
                }
                let payload: Payload = serde_json::from_str(&job.payload)?;
                self.deliver_webhook(&payload.delivery_id, job.attempts >= job.max_attempts).await?;
                Ok(Ran::Done)
            }
            other => anyhow::bail!("unknown job kind {other:?}"),
        }
    }

    /// Delivers one webhook event to its endpoint and records the attempt; a failure is an error, so the job is
    /// tried again later (`last`: no attempt follows). An endpoint that failed for a day is switched off and the
    /// organization's admins are told by email.
    async fn deliver_webhook(&self, delivery_id: &str, last: bool) -> anyhow::Result<()> {
        let Some(d) = store::webhooks::delivery(&self.store, delivery_id).await? else {
            return Ok(());
        };
        let endpoint = match store::webhooks::endpoint(&self.store, &d.org_id, &d.endpoint_id).await {
            Ok(e) => e,
            Err(store::StoreError::NotFound) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        if !endpoint.enabled {
            let attempt = store::webhooks::Attempt {
                response_code: None,
                duration_ms: 0,
                error: Some("the endpoint is switched off"),
                last: true,
            };
            store::webhooks::record_attempt(&self.store, &d, &attempt).await?;
            return Ok(());
        }
        let mut body: serde_json::Value = serde_json::from_str(&d.payload)?;
        if d.event == "invitation.completed"
            && let Some(id) = body["data"]["invitation"]["id"].as_str().map(str::to_owned)
        {
            body["data"]["answers_url"] = self.links.link(&format!("/invitations/{id}/answers")).into();
        }
        let body = body.to_string();
        let outcome =
            webhook::post(self.links.webhooks, &endpoint.url, &endpoint.secret, &format!("msg_{}", d.id), &body).await;
        let attempt = store::webhooks::Attempt {
            response_code: outcome.status.map(i64::from),
            duration_ms: outcome.duration_ms,
            error: outcome.error.as_deref(),
            last,
        };
        let switched_off = store::webhooks::record_attempt(&self.store, &d, &attempt).await?;
        if switched_off {
            self.tell_admins_endpoint_off(&endpoint).await?;
        }
        match outcome.error {
            None => Ok(()),
            Some(e) => anyhow::bail!("webhook to {} not delivered: {e}", endpoint.url),
        }
    }

    async fn tell_admins_endpoint_off(&self, endpoint: &store::webhooks::Endpoint) -> anyhow::Result<()> {
        let admins: Vec<String> = store::users::list(&self.store, &endpoint.org_id)
            .await?
            .into_iter()
            .filter(|u| u.active && u.role == "admin")
            .map(|u| u.email)
            .collect();
        if admins.is_empty() {
            return Ok(());
        }
        let page = self.links.link(&format!("/webhooks/{}", endpoint.id));
        let text = format!(
            "Every delivery to the webhook endpoint {} failed for a day, so Candor switched it off.\n\n\
             Its delivery log says why: {page}\n\nOnce the endpoint works again, switch it back on there.\n",
            endpoint.url
        );
        let html = format!(
            "<p>Every delivery to the webhook endpoint <code>{}</code> failed for a day, so Candor switched it off.</p>\
             <p>Its delivery log says why: <a href=\"{page}\">{page}</a></p><p>Once the endpoint works again, switch it back on there.</p>",
            webhook::escape_html(&endpoint.url)
        );
        let email = crate::mail::OutgoingEmail {
            to: admins,
            cc: Vec::new(),
            bcc: Vec::new(),
            reply_to: None,
            subject: "A webhook endpoint was switched off".to_owned(),
            html,
            text,
        };
        store::webhooks::queue_notice(&self.store, &email.job(Some(&endpoint.org_id))).await?;
        Ok(())
    }

    /// Rewrites a kept take so it can be seeked at once: WebM gets its duration and cues (`media::webm`), a
    /// fragmented MP4 becomes a progressive one with its index first (`media::mp4`). A take that is gone or already
    /// rewritten is left as it is. A file the rewrite cannot read (or an MP4 that needs none) is recorded as done
    /// without a duration: it still plays as recorded, and a retry would fail the same way.
    async fn remux(&self, take_id: &str) -> anyhow::Result<()> {
        let _permit = self.remux_gate.acquire().await?;
        let Some((take, segments)) = store::takes::awaiting_remux(&self.store, take_id).await? else {
            return Ok(());
        };
        let Some(container) = take.container.as_deref().and_then(crate::media::Container::parse) else {
            store::takes::record_remux(&self.store, take_id, None, None).await?;
            return Ok(());
        };
        let parts: Vec<(&str, u64)> = segments.iter().map(|s| (s.object_key.as_str(), s.length as u64)).collect();
        let bytes = self.media.read_concatenated(&parts).await?;
        let started = std::time::Instant::now();
        let result = tokio::task::spawn_blocking(move || match container {
            crate::media::Container::WebM => crate::media::webm::remux(&bytes).map_err(anyhow::Error::from),
            crate::media::Container::Mp4 => crate::media::mp4::remux(&bytes).map_err(anyhow::Error::from),
        })
        .await?;
        let remuxed = match result {
            Ok(r) => r,
            Err(e) => {
                if matches!(e.downcast_ref(), Some(crate::media::mp4::Mp4Error::NotFragmented)) {
                    // A progressive MP4 (a camera app's file) already has its index.
                    tracing::debug!(take_id, "take needs no rewrite");
                } else {
                    tracing::warn!(error = %e, take_id, "take cannot be rewritten; it stays as recorded");
                }
                store::takes::record_remux(&self.store, take_id, None, None).await?;
                return Ok(());
            }
        };
        let key =
            format!("takes/{}/{}/seekable-{}.{}", take.invitation_id, take.id, store::new_id(), container.as_str());
        let len = remuxed.bytes.len() as i64;
        self.media.put(&key, bytes::Bytes::from(remuxed.bytes)).await?;
        let recorded =
            store::takes::record_remux(&self.store, take_id, Some((&key, len)), Some(remuxed.duration_ms as i64))
                .await?;
        if !recorded {
            self.media.delete(&key).await?;
        }
        tracing::info!(
            take_id,
            bytes = len,
            duration_ms = remuxed.duration_ms,
            cues = remuxed.cues,
            ms = started.elapsed().as_millis() as u64,
            "take rewritten for seeking"
        );
        Ok(())
    }

    /// Runs until `shutdown` turns true; a job in progress is finished first. Several may run at once (each claims
    /// its own jobs of its lane).
    pub async fn run(self, mut shutdown: watch::Receiver<bool>, lane: Lane) {
        loop {
            if *shutdown.borrow() {
                break;
            }
            let batch = if lane == Lane::Mail { MAIL_CLAIM_BATCH } else { CLAIM_BATCH };
            let pause = match self.run_lane_batch(batch, lane).await {
                Ok(0) => POLL_INTERVAL,
                // A short batch: jobs trickle in. A moment's wait lets the next claim take several at once, instead
                // of two writes (claim, completion) per job competing with the requests that create them.
                Ok(ran) if ran < batch / 2 => GATHER_PAUSE,
                Ok(_) => Duration::ZERO,
                Err(e) => {
                    tracing::error!(error = %format!("{e:#}"), "worker cannot reach the job table");
                    POLL_INTERVAL
                }
            };
            if !pause.is_zero() {
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
        tracing::info!("worker stopped");
    }

    /// Upkeep every minute (reminders, expiry, abandoned uploads, retention) and an hourly purge of old jobs, in a
    /// task of its own so that no job, however slow, holds it up.
    pub async fn run_upkeep(self, mut shutdown: watch::Receiver<bool>) {
        let mut last_purge = std::time::Instant::now();
        let mut last_sweep: Option<std::time::Instant> = None;
        loop {
            if *shutdown.borrow() {
                break;
            }
            if let Err(e) = self.run_maintenance().await {
                tracing::warn!(error = %format!("{e:#}"), "maintenance failed");
            }
            // At start, then every six hours.
            if last_sweep.is_none_or(|t| t.elapsed() > MEDIA_SWEEP_INTERVAL) {
                last_sweep = Some(std::time::Instant::now());
                if let Err(e) = self.sweep_media().await {
                    tracing::warn!(error = %format!("{e:#}"), "cannot sweep the media storage");
                }
            }
            if last_purge.elapsed() > Duration::from_secs(3600) {
                last_purge = std::time::Instant::now();
                if let Err(e) = store::jobs::purge_done(&self.store, 7 * 24 * 3600 * 1000).await {
                    tracing::warn!(error = %e, "cannot purge finished jobs");
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(MAINTENANCE_INTERVAL) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}

/// The lanes of `concurrency` claim loops: emails in every other one, the rest in the others, so neither kind can
/// take every loop; a single loop takes everything.
pub fn lanes(concurrency: usize) -> Vec<Lane> {
    match concurrency {
        0 | 1 => vec![Lane::All],
        n => (0..n).map(|i| if i % 2 == 0 { Lane::Other } else { Lane::Mail }).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::{Lane, backoff_ms, lanes};

    #[test]
    fn emails_and_other_jobs_have_loops_of_their_own() {
        assert_eq!(lanes(1), vec![Lane::All]);
        assert_eq!(lanes(2), vec![Lane::Other, Lane::Mail]);
        assert_eq!(lanes(4), vec![Lane::Other, Lane::Mail, Lane::Other, Lane::Mail]);
    }

    #[test]
    fn emails_are_retried_for_a_day() {
        let waited: i64 = (1..crate::mail::MAIL_MAX_ATTEMPTS).map(backoff_ms).sum();
        assert!(waited >= 24 * 3600 * 1000, "{waited}");
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff_ms(1), 5_000);
        assert_eq!(backoff_ms(2), 10_000);
        assert_eq!(backoff_ms(3), 20_000);
        assert_eq!(backoff_ms(30), 3_600_000);
    }
}
