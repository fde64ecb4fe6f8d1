// The review workspace in Chromium: a recruiter reviews three candidates of one interview with the keyboard only —
// next / previous candidate, play, rate, score, decide — without a single full page load after the first; the
// comparison view plays question 2 of each candidate, one player at a time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverAndBrowser, signIn, startRecording, waitFor } from './helpers.mjs';

const env = serverAndBrowser();

/// A candidate answers both questions of the interview (two seconds each) in their own browser context.
async function answerBoth(link) {
  const context = await env.browser.newContext();
  const page = await context.newPage();
  await startRecording(page, link);
  for (let q = 0; q < 2; q++) {
    if (q > 0) {
      await page.click('#record');
      await page.waitForSelector('#stop:not([hidden])');
    }
    await page.waitForTimeout(2000);
    await page.click('#stop');
    await page.waitForSelector('#decide:not([hidden])', { timeout: 60000 });
    await page.click('#keep');
    if (q === 0) {
      await waitFor(async () => /2/.test(await page.textContent('#question-heading')), 'question 2');
      await page.waitForSelector('#record:not([hidden])', { timeout: 60000 });
    }
  }
  await page.waitForSelector('p.closed', { timeout: 60000 });
  await context.close();
}

test('review three candidates with the keyboard only, then compare question 2', async () => {
  const { server, browser } = env;
  const interview = await server.api('POST', '/interviews', {
    name: 'Keys',
    title: 'Keys',
    questions: [
      { text: 'First question', max_answer_seconds: 30, max_takes: 1, think_seconds: null },
      { text: 'Second question', max_answer_seconds: 30, max_takes: 1, think_seconds: null },
    ],
  });
  const people = [['Aino', 'Aalto'], ['Bo', 'Berg'], ['Cai', 'Carlsson']];
  const ids = [];
  for (const [first, last] of people) {
    const email = `${first.toLowerCase()}@example.se`;
    const inv = await server.api('POST', '/invitations', {
      candidate: { first_name: first, last_name: last, email }, email, language: 'en',
      interview_id: interview.id, deadline: '2099-12-31',
    });
    const mail = await server.waitForMail((m) => m.to.includes(email), `the invitation to ${email}`);
    await answerBoth(mail.text.match(/https?:\/\/\S+\/i\/[A-Za-z0-9_-]+/)[0]);
    ids.push(inv.id);
  }
  // Criteria of the scorecard, through the API.
  const comm = await server.api('POST', `/interviews/${interview.id}/criteria`, { name: 'Communication' });

  const context = await browser.newContext();
  const page = await context.newPage();
  let loads = 0;
  page.on('load', () => { loads += 1; });
  // The newest answer first: Cai.
  await signIn(page, `${server.base}/invitations/${ids[2]}/answers`, /\/answers$/);
  loads = 0;
  await page.evaluate(() => { window.firstLoad = true; });
  const decisions = ['advance', 'hold', 'reject'];
  for (let i = 0; i < 3; i++) {
    const expected = people[2 - i].join(' ');
    await page.waitForFunction((name) => document.querySelector('h1').textContent.includes(name), expected);
    // Play the first answer (k), then rate it 4 stars: r puts focus on the stars, 4 chooses.
    await page.keyboard.press('k');
    await waitFor(() => page.evaluate(() => !document.querySelector('[data-answer] video').paused), 'playing');
    await page.keyboard.press('r');
    await page.keyboard.press('4');
    await page.waitForFunction(() => /yours 4|4 of 5/.test(document.querySelector('[data-answer] .stars legend').textContent));
    assert.equal(await page.evaluate(() => document.querySelector('[data-answer] video').paused), false, 'still playing');
    // Score the one criterion 3 (s, then the digit), then decide with d and the arrow keys.
    await page.keyboard.press('Escape');
    await page.keyboard.press('s');
    await page.keyboard.press(String(3 + (i % 2)));
    await page.waitForFunction(() => /\((1)\)/.test(document.querySelector('#scorecard td.nowrap').textContent));
    await page.keyboard.press('d');
    for (let k = 0; k <= i; k++) await page.keyboard.press('ArrowRight');
    await page.waitForFunction((d) => document.querySelector('#decision-now').classList.contains(`decision-${d}`), decisions[i]);
    // On to the next candidate (Shift+N), focus back on the page first.
    await page.evaluate(() => document.activeElement.blur());
    if (i < 2) {
      await page.keyboard.press('Shift+N');
    }
  }
  assert.equal(loads, 0, 'no full page load after the first');
  assert.equal(await page.evaluate(() => window.firstLoad), true, 'the same document throughout');
  // Previous candidate with Shift+P, and the address follows.
  await page.keyboard.press('Shift+P');
  await page.waitForFunction(() => document.querySelector('h1').textContent.includes('Bo Berg'));
  assert.ok(page.url().endsWith(`/invitations/${ids[1]}/answers`));

  // What was saved, read back through the API.
  for (let i = 0; i < 3; i++) {
    const review = await server.api('GET', `/invitations/${ids[2 - i]}/reviews`);
    assert.equal(review.decision, decisions[i]);
    assert.equal(review.scores.find((s) => s.criterion_id === comm.id).score, 3 + (i % 2));
    assert.ok(review.ratings.some((r) => r.stars === 4), JSON.stringify(review.ratings));
  }

  // The comparison: question 2 of each candidate, one player at a time.
  await page.goto(`${server.base}/interviews/${interview.id}/compare?q=2`);
  const cells = page.locator('td[data-question="2"] video');
  assert.equal(await cells.count(), 3);
  for (let i = 0; i < 3; i++) {
    await cells.nth(i).evaluate((v) => { v.muted = true; return v.play(); });
    await waitFor(() => cells.nth(i).evaluate((v) => v.currentTime > 0.2), `question 2 of candidate ${i + 1} plays`);
    const playing = await page.evaluate(() => [...document.querySelectorAll('video')].filter((v) => !v.paused).length);
    assert.equal(playing, 1, 'one player at a time');
  }
  await context.close();
});
