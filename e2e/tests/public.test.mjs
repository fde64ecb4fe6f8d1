// A public link in Chromium: the recruiter switches it on, a candidate registers on the public page, gets the
// personal link by email, records and keeps an answer, and the recruiter sees it among the interview's responses,
// marked "via public link".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverAndBrowser, signIn, startRecording } from './helpers.mjs';

const env = serverAndBrowser();

test('register through a public link, answer from the email, reviewed by the recruiter', async () => {
  const { server, browser } = env;
  const interview = await server.api('POST', '/interviews', {
    name: 'Summer job', title: 'Summer job 2027', intro_text: 'Tell us about yourself.',
    questions: [{ text: 'Why this job?', max_answer_seconds: 30, max_takes: 1, think_seconds: null }],
  });
  const recruiter = await browser.newContext();
  const rp = await recruiter.newPage();
  await signIn(rp, `${server.base}/interviews/${interview.id}/public-link`, /\/public-link$/);
  await rp.check('input[name=enabled]');
  await rp.selectOption('#language', 'sv');
  await rp.fill('#answer_days', '10');
  await rp.click('form.card button.primary');
  await rp.waitForSelector('#public-url');
  const url = await rp.inputValue('#public-url');
  assert.match(url, /\/p\/[A-Za-z0-9_-]{43}$/);

  const visitor = await browser.newContext();
  const page = await visitor.newPage();
  await page.goto(url);
  assert.equal(await page.getAttribute('html', 'lang'), 'sv');
  assert.match(await page.textContent('h1'), /Summer job 2027/);
  await page.fill('#first_name', 'Åsa');
  await page.fill('#last_name', 'Öberg');
  await page.fill('#email', 'asa@example.se');
  await page.click('form.register button.primary');
  await page.waitForSelector('p.sent');
  assert.match(await page.textContent('p.sent'), /asa@example\.se/);
  const mail = await server.waitForMail((m) => m.to.includes('asa@example.se'), 'the personal link by email');
  const link = mail.text.match(/https?:\/\/\S+\/i\/[A-Za-z0-9_-]+/)[0];
  await startRecording(page, link);
  await page.waitForTimeout(2000);
  await page.click('#stop');
  await page.waitForSelector('#decide:not([hidden])', { timeout: 60000 });
  await page.click('#keep');
  await page.waitForSelector('p.closed');
  await visitor.close();

  await rp.goto(`${server.base}/interviews/${interview.id}/responses`);
  const row = rp.locator('table.responses tbody tr').first();
  assert.match(await row.textContent(), /Åsa Öberg[\s\S]*via public link[\s\S]*Answered/);
  await row.locator('a[href$="/answers"]').click();
  await rp.waitForURL(/\/answers$/);
  const playable = await rp.evaluate(async () => {
    const v = document.querySelector('video');
    if (v.readyState < 1) await new Promise((r) => v.addEventListener('loadedmetadata', r, { once: true }));
    return v.duration > 1;
  });
  assert.ok(playable, 'the recruiter can play the answer');
  await recruiter.close();
});
