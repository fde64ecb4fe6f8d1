// What the browser benchmarks share: an invitation for one long answer, percentiles, and seeking to the middle of an
// answer on the answers page.
import { signIn, waitFor } from '../tests/helpers.mjs';

export function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.round((sorted.length - 1) * p))];
}

/// Seeks `count` times to `target` seconds in the first answer on `answers`, each in a fresh context of `browser`
/// signed in as `state` (nothing cached): load the page, wait for metadata, seek; pushes `{ ms, done, at, duration }`.
export async function measureSeeks(browser, state, answers, target, count, into) {
  for (let i = 0; i < count; i++) {
    const context = await browser.newContext({ storageState: state });
    const p = await context.newPage();
    await p.goto(answers);
    const r = await p.evaluate(async (to) => {
      const v = document.querySelector('video');
      v.muted = true;
      if (v.readyState < 1) await new Promise((ok) => v.addEventListener('loadedmetadata', ok, { once: true }));
      const t0 = performance.now();
      const seeked = new Promise((ok) => v.addEventListener('seeked', () => ok(true), { once: true }));
      v.currentTime = to;
      const done = await Promise.race([seeked, new Promise((ok) => setTimeout(() => ok(false), 120000))]);
      return { ms: performance.now() - t0, done, at: v.currentTime, duration: v.duration };
    }, target);
    console.log(`seek: ${JSON.stringify(r)}`);
    into.push(r);
    await context.close();
  }
}

/// `p50 | p95 | max | timed out` of seeks, for a results table.
export function seekSummary(rows) {
  const ms = rows.filter((r) => r.done).map((r) => r.ms).sort((a, b) => a - b);
  const failed = rows.length - ms.length;
  return ms.length
    ? `${Math.round(percentile(ms, 0.5))} | ${Math.round(percentile(ms, 0.95))} | ${Math.round(ms.at(-1))} | ${failed}`
    : `— | — | — | ${failed}`;
}

/// The durations the player reported, once each.
export function durations(rows) {
  return rows
    .map((r) => (Number.isFinite(r.duration) ? r.duration.toFixed(1) : String(r.duration)))
    .filter((v, i, a) => a.indexOf(v) === i)
    .join(', ');
}

/// An interview with one question long enough for `seconds`, an invitation to it, and the recruiter signed in on
/// its Copy-link page in a context of `browser` (open: the caller closes `recruiter`). With no worker running the
/// take stays as recorded, so the personal link comes from that page rather than the email.
export async function longAnswerInvitation(server, browser, name, seconds) {
  const interview = await server.api('POST', '/interviews', {
    name, title: name,
    questions: [{ text: 'Tell us about a project', max_answer_seconds: Math.min(600, seconds + 30), max_takes: 1, think_seconds: null }],
  });
  const inv = await server.api('POST', '/invitations', {
    candidate: { first_name: 'Long', last_name: 'Answer', email: 'long@example.com' }, email: 'long@example.com',
    language: 'en', interview_id: interview.id, deadline: '2099-12-31',
  });
  const recruiter = await browser.newContext();
  const page = await recruiter.newPage();
  await signIn(page, `${server.base}/invitations/${inv.id}/link`, /\/link$/);
  const link = await page.inputValue('#f-link');
  const state = await recruiter.storageState();
  return { inv, link, state, recruiter, page, answers: `${server.base}/invitations/${inv.id}/answers` };
}

/// Starts the worker (`server` ran without one) and waits until the take is rewritten: the answers page then gives
/// its duration (the new object is recorded only once complete).
export async function rewriteAndWait(server, browser, state, answers) {
  await server.restart({ worker: true });
  const check = await browser.newContext({ storageState: state });
  const page = await check.newPage();
  await waitFor(async () => {
    await page.goto(answers);
    return /\d+:\d\d · answered/.test(await page.textContent('.player figcaption'));
  }, 'the rewritten take', 120000);
  await check.close();
}
