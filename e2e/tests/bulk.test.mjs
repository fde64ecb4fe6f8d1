// Bulk invitations in Chromium: a CSV file with bad rows is previewed (what will be sent, what is skipped, which
// lines are invalid), then sent; the rest go out and the page follows the send until it is done.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverAndBrowser, signIn } from './helpers.mjs';

const env = serverAndBrowser();

test('a CSV with bad rows is previewed, then the rest are sent', async () => {
  const { server, browser } = env;
  const interview = await server.api('POST', '/interviews', {
    name: 'Spring intake', title: 'Spring intake',
    questions: [{ text: 'Why us?', max_answer_seconds: 30, max_takes: 1, think_seconds: null }],
  });
  const csv = 'first_name,last_name,email,language\n'
    + 'Aino,Aalto,aino@example.fi,fi\n'
    + 'Bad,Address,not-an-email,\n'
    + 'Bo,Berg,bo@example.se,sv\n'
    + 'Bo,Again,BO@example.se,\n'
    + 'Cai,Chen,cai@example.com,\n';
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, `${server.base}/invitations/bulk`, /\/invitations\/bulk$/);
  await page.setInputFiles('#file', { name: 'people.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.selectOption('#interview_id', interview.id);
  await page.fill('#deadline', '2099-12-31');
  await page.click('form.card button.primary');
  await page.waitForSelector('p.summary');
  assert.match(await page.textContent('p.summary'),
    /3 invitations will be sent; 1 person is skipped; 1 row is invalid: line 3/);
  assert.match(await page.textContent('table.bulk-rows'), /not-an-email/);
  await page.click('.actions button.primary');
  await page.waitForFunction(() => /Done: 3 of 3 sent/.test(document.querySelector('p.summary').textContent),
    null, { timeout: 30000 });
  const mails = await server.waitForMail((m) => m.to.includes('cai@example.com'), 'the invitation to cai');
  assert.match(mails.text, /\/i\/[A-Za-z0-9_-]+/);
  const all = await server.api('GET', `/invitations?status=any&interview_id=${interview.id}`);
  assert.deepEqual(all.items.map((i) => i.email).sort(), ['aino@example.fi', 'bo@example.se', 'cai@example.com']);
  await context.close();
});
