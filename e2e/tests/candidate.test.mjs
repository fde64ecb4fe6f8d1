// The candidate's special cases in Chromium with a fake camera: pause and continue, a take cut short, denied devices, a
// silent microphone, a server short of storage, links disabled or wrong. The whole flow on every engine is
// flow.test.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server, launch, openFirstQuestion, sha256, signIn, waitFor } from './helpers.mjs';

let server;
let browser;
let interviewId;

before(async () => {
  server = await Server.start();
  browser = await launch();
  interviewId = await server.supportInterview('E2E');
});

after(async () => {
  if (browser) await browser.close();
  if (server) server.stop();
});

function invite(email, language = 'en', on = server, interview = interviewId) {
  return on.invite(interview, email, language);
}

async function consentAndCheckDevices(page, link) {
  await page.goto(link);
  await page.check('input[name=consent]');
  await page.click('form button.primary');
  await page.waitForURL(/\/interview$/);
  await page.click('#allow');
  await page.waitForSelector('#device-ok:not([hidden])');
  assert.equal(await page.locator('#preview').evaluate((v) => v.srcObject !== null), true, 'the camera preview shows');
  // The level meter moves with the fake microphone's tone (its audio started in the click, as browsers require).
  await page.waitForFunction(() => document.getElementById('level').value > 0, null, { timeout: 5000 });
  assert.equal(await page.locator('#mic-silent').isHidden(), true, 'no silence warning while the microphone sounds');
  await page.click('#device-ok');
}

/// A new invitation opened in a fresh browser context, consented to and with the devices checked.
async function openInvitation(email) {
  const { id, link } = await invite(email);
  const context = await browser.newContext();
  const page = await context.newPage();
  await consentAndCheckDevices(page, link);
  return { id, link, context, page };
}

/// Starts recording the question on screen and waits until the server has stored a first slice of the take.
async function recordUntilASliceIsStored(page) {
  const sliceStored = page.waitForResponse((r) => r.request().method() === 'PATCH' && r.status() === 204);
  await page.click('#record');
  await page.waitForSelector('#stop:not([hidden])');
  await sliceStored;
}

async function recordFor(page, ms) {
  await page.waitForSelector('#stop:not([hidden])');
  await page.waitForTimeout(ms);
  await page.click('#stop');
  await page.waitForSelector('#decide:not([hidden])', { timeout: 60000 });
}

test('pause and continue at the first unanswered question', async () => {
  let { id, link, context, page } = await openInvitation('pause@example.fi');
  await page.click('#to-questions');
  await page.click('#record');
  await recordFor(page, 1500);
  await page.click('#keep');
  await waitFor(async () => (await page.textContent('#question-heading')) === 'Question 2 of 2', 'question 2');
  await context.close();

  context = await browser.newContext();
  page = await context.newPage();
  await page.goto(link);
  assert.equal(await page.textContent('form button.primary'), 'Continue');
  await page.click('form button.primary');
  await page.click('#allow');
  await page.click('#device-ok');
  await page.waitForSelector('#question:not([hidden])');
  assert.equal(await page.textContent('#question-heading'), 'Question 2 of 2', 'no practice again; on where it stopped');
  // The last (and only) take of question 2 is cut short: the page closes while recording.
  await recordUntilASliceIsStored(page);
  await page.waitForTimeout(1500);
  await context.close();

  // Back again: what arrived is the answer, so the interview is complete instead of stuck on a used-up question.
  context = await browser.newContext();
  page = await context.newPage();
  await page.goto(link);
  await page.click('form button.primary');
  await page.waitForSelector('.outro');
  assert.match(await page.textContent('.outro'), /within a week/);
  await context.close();
  const rp = await browser.newPage();
  await signIn(rp, `${server.base}/invitations/${id}/answers`, /\/answers$/);
  assert.equal(await rp.locator('.player').count(), 2);
  assert.match(await rp.textContent('main'), /recording interrupted/);
  await rp.close();
});

test('denied camera permission shows the guidance', async () => {
  const { link } = await invite('denied@example.fi', 'de');
  const denying = await launch({ camera: false });
  try {
    const context = await denying.newContext();
    const page = await context.newPage();
    await page.goto(link);
    await page.check('input[name=consent]');
    await page.click('form button.primary');
    await page.click('#allow');
    await page.waitForSelector('#problem:not([hidden])');
    const problem = await page.textContent('#problem');
    assert.ok(
      /verweigert/.test(problem) || /Keine Kamera/.test(problem),
      `the guidance is in German and says what to do: ${problem}`,
    );
  } finally {
    await denying.close();
  }
});

test('a microphone that gives only silence: the device check says so, in the candidate language', async () => {
  const { link } = await invite('silent@example.fi', 'fi');
  // Five seconds of silence, 16-bit mono 48 kHz.
  const samples = 48000 * 5;
  const wav = Buffer.alloc(44 + samples * 2);
  wav.write('RIFF', 0); wav.writeUInt32LE(36 + samples * 2, 4); wav.write('WAVE', 8); wav.write('fmt ', 12);
  wav.writeUInt32LE(16, 16); wav.writeUInt16LE(1, 20); wav.writeUInt16LE(1, 22); wav.writeUInt32LE(48000, 24);
  wav.writeUInt32LE(96000, 28); wav.writeUInt16LE(2, 32); wav.writeUInt16LE(16, 34); wav.write('data', 36);
  wav.writeUInt32LE(samples * 2, 40);
  const dir = mkdtempSync(join(tmpdir(), 'candor-silence-'));
  const file = join(dir, 'silence.wav');
  writeFileSync(file, wav);
  const silent = await launch({ microphoneFile: file });
  try {
    const page = await (await silent.newContext()).newPage();
    await page.goto(link);
    await page.check('input[name=consent]');
    await page.click('form button.primary');
    await page.click('#allow');
    await page.waitForSelector('#mic-silent:not([hidden])', { timeout: 10000 });
    assert.match(await page.textContent('#mic-silent'), /Emme kuule mikrofonistasi mitään/);
  } finally {
    await silent.close();
  }
});

test('a server short of storage: the take does not start and the candidate is told to come back', async () => {
  const full = await Server.start({ env: { CANDOR_DISK_RESERVE: String(2 ** 60) } });
  try {
    const interviews = await full.api('GET', '/interviews');
    const { link } = await invite('full@example.fi', 'en', full, interviews.items[0].id);
    const page = await (await browser.newContext()).newPage();
    await openFirstQuestion(page, link);
    await page.click('#record');
    await page.waitForSelector('#problem:not([hidden])', { timeout: 15000 });
    assert.match(await page.textContent('#problem'), /cannot store new recordings right now/);
    assert.equal(await page.locator('#stop').isHidden(), true, 'recording stopped');
  } finally {
    full.stop();
  }
});

test('a link disabled while the candidate records: the page says so instead of recording on', async () => {
  const { id, context, page } = await openInvitation('cut@example.fi');
  await page.click('#to-questions');
  await recordUntilASliceIsStored(page);
  await server.api('POST', `/invitations/${id}/disable`);
  // The next PATCH is refused (404); the page reloads to the server's answer.
  await page.waitForSelector('p.closed', { timeout: 15000 });
  assert.match(await page.textContent('p.closed'), /no longer active/);
  await context.close();
});

test('wrong and disabled links say so (expiry: the integration tests move the clock)', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const res = await page.goto(`${server.base}/i/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`);
  assert.equal(res.status(), 404);
  const { id, link } = await invite('disabled@example.fi', 'fi');
  await server.api('POST', `/invitations/${id}/disable`);
  const disabled = await page.goto(link);
  assert.equal(disabled.status(), 410);
  assert.match(await page.textContent('p.closed'), /ei ole enää käytössä/);
  await context.close();
});

test('the tense moments: seeing oneself, a countdown before every recording, clean status lines, a take to scrub', async () => {
  const tense = await server.api('POST', '/interviews', {
    name: 'Tense',
    title: 'Tense moments',
    questions: [
      { text: 'First?', max_answer_seconds: 30, max_takes: 1, think_seconds: null },
      { text: 'Second, at once?', max_answer_seconds: 30, max_takes: 1, think_seconds: 0 },
    ],
  });
  const { link } = await invite('tense@example.fi', 'en', server, tense.id);
  // A phone: touch, 390×844.
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
  const page = await context.newPage();
  await page.goto(link);
  // The consent box is a target a finger can hit, and the page is one column.
  const box = await page.locator('input[name=consent]').boundingBox();
  assert.ok(box.width >= 24 && box.height >= 24, `consent box ${box.width}×${box.height}`);
  const dt = await page.locator('dl.facts dt').first().boundingBox();
  const dd = await page.locator('dl.facts dd').first().boundingBox();
  assert.ok(dd.y > dt.y && Math.abs(dd.x - dt.x) < 2, 'the deadline sits under its label');
  await page.check('input[name=consent]');
  await page.click('form button.primary');
  // No tinted bar where nothing is said.
  const bar = await page.locator('#status').evaluate((e) => getComputedStyle(e).backgroundColor);
  assert.equal(bar, 'rgba(0, 0, 0, 0)', 'the empty status line is not a tinted bar');
  await page.click('#allow');
  await page.click('#device-ok');

  // Practice: the candidate sees themself while it records, the first time and again.
  for (const start of ['#practice-record', '#practice-again']) {
    await page.click(start);
    await page.waitForSelector('#practice-stop:not([hidden])');
    await page.waitForTimeout(700);
    const live = await page.locator('#practice-video').evaluate((v) => ({ playing: !v.paused, stream: !!v.srcObject }));
    assert.deepEqual(live, { playing: true, stream: true }, `the preview plays while recording (${start})`);
    await page.click('#practice-stop');
    await page.waitForSelector('#practice-again:not([hidden])');
  }
  await page.click('#to-questions');

  // Question 1: the take is uploaded (not yet the answer), scrubbable, and "Record again" would discard it.
  await page.click('#record');
  await page.waitForSelector('#stop:not([hidden])');
  await page.waitForTimeout(1500);
  await page.click('#stop');
  await page.waitForSelector('#decide:not([hidden])');
  assert.equal(await page.textContent('#status'), 'Your take is uploaded. This was your last take.');
  assert.match(await page.textContent('#retake'), /this take is discarded/);
  await page.waitForFunction(() => Number.isFinite(document.getElementById('playback').duration), null, { timeout: 5000 });
  await page.click('#keep');

  // Question 2 has no time to think: still a visible countdown first, and it starts clean.
  await page.waitForFunction(() => document.getElementById('question-heading').textContent === 'Question 2 of 2');
  assert.equal(await page.textContent('#status'), '', 'nothing left over from question 1');
  assert.match(await page.textContent('#timer'), /Recording starts in [1-3] s/);
  await page.waitForTimeout(1200);
  assert.equal(await page.locator('#stop').isHidden(), true, 'not recording yet');
  await page.waitForSelector('#stop:not([hidden])', { timeout: 5000 });
  await context.close();
});

test('a browser that cannot record answers with a video file from the camera app', async () => {
  const single = await server.api('POST', '/interviews', {
    name: 'File', title: 'Answer by file',
    questions: [{ text: 'Why us?', max_answer_seconds: 60, max_takes: 2, think_seconds: null }],
  });
  const { id, link } = await invite('file@example.fi', 'fi', server, single.id);
  const context = await browser.newContext();
  // A browser without MediaRecorder (old iOS, some in-app browsers).
  await context.addInitScript(() => {
    delete window.MediaRecorder;
  });
  const page = await context.newPage();
  await page.goto(link);
  await page.check('input[name=consent]');
  await page.click('form button.primary');
  await page.waitForSelector('#problem:not([hidden])');
  assert.match(await page.textContent('#problem'), /Tällä selaimella ei voi tallentaa videota/);
  await page.click('#use-file');
  await page.waitForSelector('#file-answer:not([hidden])');
  assert.equal(await page.locator('#file-input').getAttribute('capture'), 'user');

  // A file that is not a video: refused, said in the candidate's language, and the take is not used up.
  await page.setInputFiles('#file-input', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello '.repeat(1000)) });
  await page.waitForSelector('#problem:not([hidden])');
  assert.match(await page.textContent('#problem'), /Tätä tiedostoa ei voi käyttää videona/);
  assert.equal(await page.textContent('#take-label'), 'Yritys 1/2');

  // A video longer than the question allows (over its size cap): refused up front, said so, nothing used up.
  const tooBig = join(mkdtempSync(join(tmpdir(), 'candor-long-')), 'long.mp4');
  writeFileSync(tooBig, '');
  truncateSync(tooBig, 200 * 1024 * 1024); // over 60 s × 2 MB/s + 8 MiB
  await page.setInputFiles('#file-input', tooBig);
  await page.waitForFunction(() => /pidempi kuin/.test(document.getElementById('problem').textContent));
  assert.equal(await page.textContent('#take-label'), 'Yritys 1/2');

  // A real recording: uploaded with progress, played back, kept.
  const video = readFileSync(join(import.meta.dirname, '..', '..', 'tests', 'fixtures', 'take.webm'));
  await page.setInputFiles('#file-input', { name: 'answer.webm', mimeType: 'video/webm', buffer: video });
  await page.waitForSelector('#decide:not([hidden])', { timeout: 30000 });
  assert.equal(await page.locator('#file-progress').isHidden(), true, 'the progress bar is done');
  const takeUrl = await page.evaluate(() => window.candorRecorder.lastTakeUrl);
  assert.equal(sha256(server.takeBytes(id, takeUrl.split('/').pop())), sha256(video), 'stored as chosen');
  await page.click('#keep');
  await page.waitForSelector('p.closed');
  assert.match(await page.textContent('p.closed'), /Olet vastannut tähän videohaastatteluun/);
  await context.close();
});
