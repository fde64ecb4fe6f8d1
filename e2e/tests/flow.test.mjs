// The candidate's whole flow on every engine the suite covers (engines.mjs): the link in the real invitation email,
// the landing page in the invitation's language, consent, the device check, a practice, think time, a retake through
// a network cut (where the driver can take the page offline), Keep, the finished page and the Notify-me email; then
// the recruiter follows that link, and the answer plays and seeks in the same engine.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Server, sha256, waitFor } from './helpers.mjs';
import { CAN, ENGINES, openEngine } from './engines.mjs';

let server;
let interviewId;

before(async () => {
  server = await Server.start();
  interviewId = await server.supportInterview('Flow');
});

after(() => {
  if (server) server.stop();
});

/// Records on the question on screen for `ms`, stops, and waits for the take to be uploaded.
async function recordFor(tab, ms) {
  await tab.visible('#stop:not([hidden])');
  await new Promise((r) => setTimeout(r, ms));
  await tab.click('#stop');
  await tab.visible('#decide:not([hidden])', 60000);
}

function takeSha(tab) {
  return tab.evaluate(async () => {
    const buf = await window.candorRecorder.lastTake.arrayBuffer();
    const digest = await crypto.subtle.digest('SHA-256', buf);
    return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
  });
}

for (const engine of ENGINES) {
  test(`${engine}: from the email to Answered, then the recruiter plays and seeks the answer`, async () => {
    const browser = await openEngine(engine);
    try {
      const { id, link } = await server.invite(interviewId, `flow-${engine}@example.fi`, 'fi');
      const tab = await browser.newTab();

      // Landing in the invitation's language, consent.
      await tab.goto(link);
      assert.match(await tab.text('main'), /Support engineer/);
      assert.equal(await tab.evaluate(() => document.documentElement.lang), 'fi');
      await tab.check('input[name=consent]');
      await tab.submit('form button.primary');
      await tab.waitForUrl(/\/interview$/);

      // Device check: the preview shows the camera, the meter moves with the microphone.
      await tab.click('#allow');
      await tab.visible('#device-ok:not([hidden])');
      assert.equal(await tab.evaluate(() => document.getElementById('preview').srcObject !== null), true);
      await tab.until(() => document.getElementById('level').value > 0, null, 10000);
      await tab.click('#device-ok');

      // Practice: recorded and played back here, never uploaded.
      await tab.visible('#practice:not([hidden])');
      await tab.click('#practice-record');
      await new Promise((r) => setTimeout(r, 1500));
      await tab.click('#practice-stop');
      await tab.visible('#practice-again:not([hidden])');
      assert.match(await tab.evaluate(() => document.getElementById('practice-video').getAttribute('src')), /^blob:/);
      await tab.click('#to-questions');

      // Question 1: the think time counts down, then recording starts.
      await tab.visible('#question:not([hidden])');
      assert.equal(await tab.text('#question-heading'), 'Kysymys 1/2');
      assert.match(await tab.text('#timer'), /Tallennus alkaa \d s kuluttua/);
      assert.equal(await tab.text('#take-label'), 'Yritys 1/2');
      await recordFor(tab, 2000);
      assert.equal(await tab.isVisible('#retake'), true);

      // A retake, started before the think time is over; the network drops in the middle of it and comes back.
      await tab.click('#retake');
      assert.equal(await tab.text('#take-label'), 'Yritys 2/2');
      await tab.click('#record');
      await tab.visible('#stop:not([hidden])');
      await new Promise((r) => setTimeout(r, 1500));
      if (CAN[engine].goOffline) {
        await tab.setOffline(true);
        await new Promise((r) => setTimeout(r, 2500));
        await tab.setOffline(false);
      }
      await new Promise((r) => setTimeout(r, 1000));
      await tab.click('#stop');
      await tab.visible('#decide:not([hidden])', 60000);
      assert.equal(await tab.isVisible('#retake'), false, 'no takes left');
      if (CAN[engine].goOffline) {
        assert.ok((await tab.evaluate(() => window.candorRecorder.retries)) > 0, 'the upload retried through the cut');
      }
      const takeUrl = await tab.evaluate(() => window.candorRecorder.lastTakeUrl);
      const recorded = await takeSha(tab);
      const stored = sha256(server.takeBytes(id, takeUrl.split('/').pop()));
      assert.equal(stored, recorded, 'the stored take is byte-identical to what the browser recorded');
      await tab.click('#keep');

      // Question 2: no think limit; record when ready, keep.
      await waitFor(async () => (await tab.text('#question-heading')) === 'Kysymys 2/2', 'question 2');
      assert.match(await tab.text('#timer'), /Ota aikaa/);
      await tab.click('#record');
      await recordFor(tab, 1500);
      const waits = await tab.evaluate(() => window.candorRecorder.stopToSavedMs);
      assert.equal(waits.length, 3, 'three takes were uploaded');
      console.log(`${engine}: after-Stop waits (ms): ${JSON.stringify(waits)}`);
      await tab.click('#keep');

      // Answered: the finished page and the Notify-me email.
      await tab.visible('.outro');
      assert.match(await tab.text('p.closed'), /Olet vastannut tähän videohaastatteluun/);
      assert.match(await tab.text('.outro'), /within a week/);
      assert.equal((await server.api('GET', `/invitations/${id}`)).status, 'answered');
      const notify = await server.waitForMail(
        (m) => m.subject.includes('completed') && m.text.includes(`/invitations/${id}/answers`),
        'the Notify-me email',
      );
      const answersLink = notify.text.match(/https?:\/\/\S+\/invitations\/[a-z0-9]+\/answers/)[0];
      // Both kept takes are rewritten for seeking in the background, in the container they were recorded in.
      const rewritten = await waitFor(() => {
        const found = server.rewrittenTakes(id);
        return found.length === 2 ? found : null;
      }, 'the kept takes rewritten for seeking');
      const container = engine === 'webkit' ? 'mp4' : 'webm';
      assert.ok(rewritten.every((f) => f.endsWith(`.${container}`)), `${container} rewrites: ${rewritten}`);
      await tab.close();

      // The recruiter follows the link and signs in; the first answer plays, and seeks once rewritten. WebKit's
      // recordings are reviewed in Chromium (recruiters review on desktops; MiniBrowser's player is not the point).
      const reviewer = engine === 'webkit' ? await openEngine('chromium') : browser;
      const rp = await reviewer.newTab();
      await rp.goto(answersLink);
      await rp.fill('input[name=email]', 'ada@acme.example');
      await rp.fill('input[name=password]', 'a long password 1');
      await rp.submit('form button.primary');
      await rp.waitForUrl(/\/answers$/);
      assert.equal(await rp.evaluate(() => document.querySelectorAll('video').length), 2);
      const played = await rp.evaluate(async () => {
        const v = document.querySelector('video');
        v.muted = true;
        const started = v.play().then(() => 'playing', (e) => `refused: ${e}`);
        const state = await Promise.race([started, new Promise((r) => setTimeout(() => r('no answer'), 10000))]);
        await new Promise((r) => setTimeout(r, 1200));
        v.pause();
        return { state, at: v.currentTime, ready: v.readyState, error: v.error && v.error.code, src: v.currentSrc };
      });
      assert.ok(played.at > 0.3, `the first answer plays (${JSON.stringify(played)})`);
      // The kept take is rewritten in the background; the rewritten file knows its duration and seeks at once.
      const seek = await waitFor(async () => {
        await rp.goto(answersLink);
        return rp.evaluate(async () => {
          const v = document.querySelector('video');
          const within = (p) => Promise.race([p, new Promise((r) => setTimeout(() => r('late'), 5000))]);
          if (v.readyState < 1) await within(new Promise((r) => v.addEventListener('loadedmetadata', r, { once: true })));
          if (!Number.isFinite(v.duration)) {
            console.log(`no duration yet: ${v.duration}, ready ${v.readyState}`);
            return null;
          }
          const target = v.duration / 2;
          const seeked = new Promise((r) => v.addEventListener('seeked', r, { once: true }));
          const t0 = performance.now();
          v.currentTime = target;
          const how = await within(seeked);
          return { duration: v.duration, target, at: v.currentTime, how, ms: Math.round(performance.now() - t0) };
        });
      }, 'a seekable answer', 30000);
      assert.ok(seek.duration > 1, `the answer has its duration (${seek.duration} s)`);
      assert.ok(Math.abs(seek.at - seek.target) < 1, `the seek lands (${JSON.stringify(seek)})`);
      await rp.close();
      if (reviewer !== browser) await reviewer.close();
    } finally {
      await browser.close();
    }
  });
}

test('webkit in a phone-sized window (390×844 asked), by touch: a one-column landing page, finger-sized targets, an answer', async () => {
  const single = await server.api('POST', '/interviews', {
    name: 'Phone', title: 'On the phone',
    questions: [{ text: 'Why us?', max_answer_seconds: 30, max_takes: 1, think_seconds: null }],
  });
  const { id, link } = await server.invite(single.id, 'phone@example.fi');
  const browser = await openEngine('webkit');
  try {
    const tab = await browser.newTab({ width: 390, height: 844 });
    await tab.goto(link);
    const layout = await tab.evaluate(() => {
      const box = document.querySelector('input[name=consent]').getBoundingClientRect();
      const dt = document.querySelector('dl.facts dt').getBoundingClientRect();
      const dd = document.querySelector('dl.facts dd').getBoundingClientRect();
      return { width: innerWidth, box: [box.width, box.height], oneColumn: dd.top > dt.top && Math.abs(dd.left - dt.left) < 2 };
    });
    // MiniBrowser's window does not shrink below about 450 px: as narrow as it goes, inside the phone layout.
    assert.ok(layout.width <= 480, `a phone-wide viewport (${layout.width} px)`);
    assert.ok(layout.box[0] >= 24 && layout.box[1] >= 24, `consent box ${layout.box}`);
    assert.equal(layout.oneColumn, true, 'the deadline sits under its label');
    await tab.tap('input[name=consent]');
    assert.equal(await tab.evaluate(() => document.querySelector('input[name=consent]').checked), true, 'tapped');
    await tab.submit('form button.primary');
    await tab.tap('#allow');
    await tab.visible('#device-ok:not([hidden])');
    await tab.tap('#device-ok');
    await tab.tap('#to-questions');
    await tab.tap('#record');
    await tab.visible('#stop:not([hidden])');
    await new Promise((r) => setTimeout(r, 2000));
    await tab.tap('#stop');
    await tab.visible('#decide:not([hidden])', 60000);
    await tab.tap('#keep');
    await tab.visible('p.closed');
    assert.match(await tab.text('p.closed'), /You have answered this video interview/);
    assert.equal((await server.api('GET', `/invitations/${id}`)).status, 'answered');
    await tab.close();
  } finally {
    await browser.close();
  }
});
