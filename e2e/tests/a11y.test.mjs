// Accessibility of every recruiter page, checked by axe-core (Deque's engine, from npm) in Chromium: no serious or
// critical violation on any page, with data on it (an answered interview with a scorecard, a share link, candidates,
// the typeahead open, an error re-render), plus the pages a colleague and a signed-out recruiter see.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { serverAndBrowser, signIn, startRecording } from './helpers.mjs';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

const env = serverAndBrowser();

/// axe-core's serious and critical violations on the page as it is now, one line each.
async function violations(page) {
  await page.addScriptTag({ path: AXE });
  const found = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  });
  return found;
}

test('no serious or critical accessibility violation on any recruiter page', async () => {
  const { server, browser } = env;
  const interview = await server.api('POST', '/interviews', {
    name: 'Support <b>', title: 'Support', intro_text: 'Welcome', outro_text: 'Thanks',
    questions: [{ text: 'Why support?', max_answer_seconds: 30, max_takes: 1, think_seconds: null }],
  });
  const criterion = await server.api('POST', `/interviews/${interview.id}/criteria`, { name: 'Communication', description: 'Clear and calm' });
  const inv = await server.api('POST', '/invitations', {
    candidate: { first_name: 'Saga', last_name: 'Lind', email: 'saga@example.se' },
    email: 'saga@example.se', language: 'en', interview_id: interview.id, deadline: '2099-12-31', notify_me: true,
  });
  const open = await server.api('POST', '/invitations', {
    candidate: { first_name: 'Anna', last_name: 'Berg', email: 'anna@example.se' },
    email: 'anna@example.se', language: 'fi', interview_id: interview.id, deadline: '2099-12-31',
  });
  const mail = await server.waitForMail((m) => m.to.includes('saga@example.se'), 'the invitation email');
  const candidate = await browser.newContext();
  const cp = await candidate.newPage();
  await startRecording(cp, mail.text.match(/https?:\/\/\S+\/i\/[A-Za-z0-9_-]+/)[0]);
  await cp.waitForTimeout(2000);
  await cp.click('#stop');
  await cp.waitForSelector('#decide:not([hidden])', { timeout: 60000 });
  await cp.click('#keep');
  await cp.waitForSelector('p.closed');
  await candidate.close();
  await server.api('POST', `/invitations/${inv.id}/ratings`, { subject: 'overall', stars: 4 });
  await server.api('PUT', `/invitations/${inv.id}/scores`, { scores: { [criterion.id]: 4 } });
  const outbox = server.mails();
  assert.ok(outbox.length > 0);

  const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  // Signed out.
  const problems = [];
  for (const path of ['/login', '/password/forgot']) {
    await page.goto(`${server.base}${path}`);
    problems.push(...(await violations(page)).map((v) => `${path}: ${v}`));
  }
  await signIn(page, `${server.base}/invitations`, /\/invitations$/);
  // A share link, for the colleague's page.
  await page.goto(`${server.base}/invitations/${inv.id}/answers`);
  await page.click('#share button.primary');
  await page.waitForSelector('.share-url');
  const share = await page.locator('.share-url').first().inputValue();
  const candidateId = inv.candidate_id;
  const paths = [
    '/dashboard', '/invitations', '/invitations?status=any', '/invitations/new?to=internal', '/invitations/new?to=external',
    `/invitations/${open.id}/edit`, `/invitations/${open.id}/link`, `/invitations/${open.id}/delete`,
    `/invitations/${inv.id}/answers`, '/candidates', '/candidates?q=saga', '/candidates/new', `/candidates/${candidateId}`,
    `/candidates/${candidateId}/edit`, `/candidates/${candidateId}/delete`, '/candidates/import', '/interviews',
    '/interviews/new', `/interviews/${interview.id}/edit`, `/interviews/${interview.id}/clone`,
    `/interviews/${interview.id}/delete`, `/interviews/${interview.id}/responses`, `/interviews/${interview.id}/compare`,
    `/interviews/${interview.id}/scorecard`, `/interviews/${interview.id}/dashboard`, '/profile', '/profile/two-factor', '/settings', '/users',
    '/users/new', '/outbox', '/jobs', '/webhooks', `/interviews/${interview.id}/public-link`, '/invitations/bulk',
  ];
  for (const path of paths) {
    const res = await page.goto(`${server.base}${path}`);
    assert.equal(res.status(), 200, path);
    problems.push(...(await violations(page)).map((v) => `${path}: ${v}`));
  }
  // The invitations list fits a 1280 px screen: no sideways scrolling, each date on one line.
  for (const path of ['/invitations', '/invitations?status=any', `/interviews/${interview.id}/responses`]) {
    await page.goto(`${server.base}${path}`);
    const fit = await page.evaluate(() => {
      const dates = [...document.querySelectorAll('td.date')].filter((td) => td.textContent.trim());
      // Lines a cell's text takes: one box per line.
      const lines = dates.map((td) => {
        const range = document.createRange();
        range.selectNodeContents(td);
        return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
      });
      return { page: document.documentElement.scrollWidth, view: window.innerWidth, most: Math.max(0, ...lines), dates: dates.length };
    });
    assert.ok(fit.page <= fit.view, `${path}: ${fit.page} px wide in a ${fit.view} px window`);
    assert.ok(fit.dates > 0 && fit.most === 1, `${path}: dates on one line: ${JSON.stringify(fit)}`);
  }
  // A message in the outbox, a form sent back with its errors, the typeahead open.
  await page.goto(`${server.base}/outbox`);
  await page.click('table a[href^="/outbox/"]');
  problems.push(...(await violations(page)).map((v) => `outbox message: ${v}`));
  await page.goto(`${server.base}/candidates/new`);
  await page.click('form button.primary');
  await page.waitForSelector('.field-error');
  problems.push(...(await violations(page)).map((v) => `candidate form with errors: ${v}`));
  await page.goto(`${server.base}/invitations/new?to=internal`);
  await page.fill('.typeahead input[type=text], .typeahead input[type=search]', 'sa');
  await page.waitForSelector('ul.suggestions li');
  problems.push(...(await violations(page)).map((v) => `invitation form, typeahead open: ${v}`));
  // A webhook endpoint's page, and a public link's registration page.
  await page.goto(`${server.base}/webhooks`);
  await page.fill('#url', 'https://hooks.example.com/candor');
  await page.click('form button.primary');
  await page.waitForURL(/\/webhooks\/[a-z0-9]+$/);
  problems.push(...(await violations(page)).map((v) => `webhook endpoint: ${v}`));
  await page.goto(`${server.base}/interviews/${interview.id}/public-link`);
  await page.check('input[name=enabled]');
  await page.click('form.card button.primary');
  await page.waitForSelector('#public-url');
  const publicUrl = await page.inputValue('#public-url');
  // The colleague's page.
  const colleague = await browser.newContext({ bypassCSP: true });
  const sp = await colleague.newPage();
  await sp.goto(share);
  problems.push(...(await violations(sp)).map((v) => `share link: ${v}`));
  await sp.goto(publicUrl);
  problems.push(...(await violations(sp)).map((v) => `public link: ${v}`));
  await sp.click('form.register button.primary');
  await sp.waitForSelector('.field-error');
  problems.push(...(await violations(sp)).map((v) => `public link with errors: ${v}`));
  await colleague.close();
  // The checker itself: an image without a text alternative and a nameless button on a page are found.
  await page.goto(`${server.base}/dashboard`);
  await page.evaluate(() => {
    document.querySelector('main').insertAdjacentHTML('beforeend', '<img src="/favicon.ico"><button></button>');
  });
  const planted = await violations(page);
  assert.ok(planted.some((v) => v.includes('image-alt')) && planted.some((v) => v.includes('button-name')), planted.join('\n'));
  await context.close();
  assert.deepEqual(problems, [], problems.join('\n'));
});
