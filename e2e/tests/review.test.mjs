// Reviewing in Chromium: the recruiter opens the Notify-me link from the real email, seeks to the middle of an answer
// that was rewritten for seeking, rates it and creates a share link; a fresh browser context opens the share link
// and watches.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Server, launch, signIn, startRecording, waitFor } from './helpers.mjs';

let server;
let browser;

before(async () => {
  server = await Server.start();
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
  if (server) server.stop();
});

/// Seeks the page's first video to its middle; what the player reports.
async function seekToMiddle(page) {
  return page.evaluate(async () => {
    const v = document.querySelector('video');
    v.muted = true;
    if (v.readyState < 1) await new Promise((r) => v.addEventListener('loadedmetadata', r, { once: true }));
    const duration = v.duration;
    const target = duration / 2;
    const seeked = new Promise((r) => v.addEventListener('seeked', r, { once: true }));
    const started = performance.now();
    v.currentTime = target;
    await seeked;
    const seekMs = performance.now() - started;
    const at = v.currentTime;
    await v.play();
    await new Promise((r) => setTimeout(r, 1000));
    return { duration, target, at, seekMs, after: v.currentTime, seekableEnd: v.seekable.length ? v.seekable.end(0) : 0 };
  });
}

test('seek, rate and share a completed interview', async () => {
  const interview = await server.api('POST', '/interviews', {
    name: 'Seek',
    title: 'Seek',
    questions: [{ text: 'Tell us about a project', max_answer_seconds: 60, max_takes: 1, think_seconds: null }],
  });
  const inv = await server.api('POST', '/invitations', {
    candidate: { first_name: 'Saga', last_name: 'Lind', email: 'saga@example.se' },
    email: 'saga@example.se',
    language: 'sv',
    interview_id: interview.id,
    deadline: '2099-12-31',
    notify_me: true,
  });
  const invitation = await server.waitForMail((m) => m.to.includes('saga@example.se'), 'the invitation email');
  const link = invitation.text.match(/https?:\/\/\S+\/i\/[A-Za-z0-9_-]+/)[0];

  // The candidate records an eight-second answer and keeps it.
  const candidate = await browser.newContext();
  const page = await candidate.newPage();
  await startRecording(page, link);
  await page.waitForTimeout(8000);
  await page.click('#stop');
  await page.waitForSelector('#decide:not([hidden])', { timeout: 60000 });
  await page.click('#keep');
  await page.waitForSelector('p.closed');
  await candidate.close();

  // The recruiter follows the Notify-me link and signs in.
  const notify = await server.waitForMail((m) => m.to.includes('ada@acme.example'), 'the Notify-me email');
  const answersLink = notify.text.match(/https?:\/\/\S+\/invitations\/[a-z0-9]+\/answers/)[0];
  assert.ok(answersLink.endsWith(`/invitations/${inv.id}/answers`));
  const recruiter = await browser.newContext();
  const rp = await recruiter.newPage();
  await signIn(rp, answersLink, /\/answers$/);
  // The worker rewrites the take for seeking in the background; the page then shows its duration.
  await waitFor(async () => {
    await rp.reload();
    return /0:0[789]/.test(await rp.textContent('.player figcaption'));
  }, 'the rewritten take', 30000);

  const seek = await seekToMiddle(rp);
  console.log(`recruiter seek: ${JSON.stringify(seek)}`);
  assert.ok(Number.isFinite(seek.duration) && seek.duration > 7 && seek.duration < 10, `a duration: ${seek.duration}`);
  assert.ok(seek.seekableEnd > 7, 'the whole answer is seekable');
  assert.ok(Math.abs(seek.at - seek.target) < 0.5, `at the middle: ${seek.at} vs ${seek.target}`);
  assert.ok(seek.after > seek.at + 0.5, `playback continues after the seek: ${seek.at} → ${seek.after}`);

  // Speed buttons and keys.
  await rp.click('button[data-rate="1.5"]');
  assert.equal(await rp.evaluate(() => document.querySelector('video').playbackRate), 1.5);
  await rp.keyboard.press('>');
  assert.equal(await rp.evaluate(() => document.querySelector('video').playbackRate), 2);

  // Rate the answer 4.5 by clicking the ninth half star, while the answer plays: saved without a page load, so the
  // video keeps playing.
  const question = await rp.locator('.answer .review input[name=subject]').first().inputValue();
  await rp.evaluate(() => { window.samePage = true; const v = document.querySelector('video'); v.muted = true; return v.play(); });
  await rp.click(`label[for="stars-${question}-9"]`);
  await rp.waitForFunction((q) => /★ 4\.5/.test(document.querySelector(`#review-${q} .rating-summary`).textContent), question);
  assert.equal(await rp.evaluate(() => window.samePage), true, 'no page load');
  assert.equal(await rp.evaluate(() => document.querySelector('video').paused), false, 'the answer still plays');
  await rp.waitForFunction(() => /Rated 4\.5/.test(document.querySelector('#saved-status').textContent));

  // A share link, opened by a colleague in a fresh browser context.
  await rp.click('#share button.primary');
  await rp.waitForSelector('.share-url');
  const shareUrl = await rp.locator('.share-url').first().inputValue();
  assert.match(shareUrl, /\/s\/[A-Za-z0-9_-]{43}$/);
  await recruiter.close();

  const colleague = await browser.newContext();
  const cp = await colleague.newPage();
  const res = await cp.goto(shareUrl);
  assert.equal(res.status(), 200);
  assert.match(await cp.textContent('h1'), /Saga Lind/);
  const watched = await seekToMiddle(cp);
  console.log(`colleague seek: ${JSON.stringify(watched)}`);
  assert.ok(watched.after > watched.at + 0.5, 'the colleague watches');
  await cp.fill('#name', 'Bea Berg');
  await cp.selectOption('#stars_overall', '4');
  await cp.click('#rate-form button.primary');
  await cp.waitForURL(/rated=1/);
  await colleague.close();

  // The recruiter sees the colleague's rating and the openings on the timeline.
  const again = await browser.newContext();
  const ap = await again.newPage();
  await signIn(ap, answersLink, /\/answers$/);
  assert.match(await ap.textContent('#review-overall'), /Bea Berg \(share link\) 4/);
  assert.match(await ap.textContent('.timeline'), /Opened the share link/);
  await again.close();
});
