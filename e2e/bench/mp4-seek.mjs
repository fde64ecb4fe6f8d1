// Benchmark: seeking in a long MP4 answer, as WebKit (Safari's engine) records it — fragmented — and after the
// background rewrite into a progressive MP4 with its index first. The answer is recorded through the candidate's page
// in WebKitGTK (fake camera, under Xvfb), then played on the answers page in Chromium: time from setting
// `currentTime` to the middle to `seeked`, each seek in a fresh browser context.
// Run: cargo build --release && (cd e2e && xvfb-run -a node bench/mp4-seek.mjs); BENCH_SECONDS (300), BENCH_SEEKS (5).
// Needs what ./scripts/test installs for WebKit (webkit2gtk-driver, GStreamer, the autovideoflip shim on
// GStreamer < 1.24 through GST_PLUGIN_PATH). Writes its figures into bench/RESULTS.md.
import { readFileSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { resolve, join } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');
process.env.CANDOR_BIN ||= join(ROOT, 'target', 'release', 'candor');
const { Server, launch, signIn, waitFor } = await import('../tests/helpers.mjs');
const { openEngine } = await import('../tests/engines.mjs');

const SECONDS = Number(process.env.BENCH_SECONDS || 300);
const SEEKS = Number(process.env.BENCH_SEEKS || 5);

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.round((sorted.length - 1) * p))];
}

const server = await Server.start({ worker: false });
const browser = await launch();
const webkit = await openEngine('webkit');
const seeks = { before: [], after: [] };
let sizes = { before: 0, after: 0 };
try {
  const interview = await server.api('POST', '/interviews', {
    name: 'MP4 seek bench', title: 'MP4 seek bench',
    questions: [{ text: 'Tell us about a project', max_answer_seconds: Math.min(600, SECONDS + 30), max_takes: 1, think_seconds: null }],
  });
  const inv = await server.api('POST', '/invitations', {
    candidate: { first_name: 'Long', last_name: 'Answer', email: 'long@example.com' }, email: 'long@example.com',
    language: 'en', interview_id: interview.id, deadline: '2099-12-31',
  });
  // No worker yet (so the take stays as recorded): the personal link comes from the recruiter's Copy-link page.
  const answers = `${server.base}/invitations/${inv.id}/answers`;
  const recruiter = await browser.newContext();
  const sp = await recruiter.newPage();
  await signIn(sp, `${server.base}/invitations/${inv.id}/link`, /\/link$/);
  const link = await sp.inputValue('#f-link');
  const state = await recruiter.storageState();
  await recruiter.close();

  // A real recording through the candidate's page, in WebKit.
  const tab = await webkit.newTab();
  await tab.goto(link);
  await tab.check('input[name=consent]');
  await tab.submit('form button.primary');
  await tab.click('#allow');
  await tab.click('#device-ok');
  await tab.click('#to-questions');
  await tab.click('#record');
  await tab.visible('#stop:not([hidden])');
  console.log(`recording ${SECONDS} s in WebKit…`);
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  await tab.click('#stop');
  await tab.visible('#decide:not([hidden])', 10 * 60 * 1000);
  await tab.click('#keep');
  await tab.visible('p.closed', 60000);
  await tab.close();
  const takeDir = join(server.dir, 'media', 'takes', inv.id);
  const takeId = readdirSync(takeDir)[0];
  const bytesIn = (pred) => readdirSync(join(takeDir, takeId)).filter(pred).reduce((n, f) => n + statSync(join(takeDir, takeId, f)).size, 0);
  sizes.before = bytesIn((f) => !f.endsWith('.part'));

  // Each seek in a fresh context (nothing cached): load the page, wait for metadata, seek to the middle.
  async function measureSeeks(into) {
    for (let i = 0; i < SEEKS; i++) {
      const context = await browser.newContext({ storageState: state });
      const p = await context.newPage();
      await p.goto(answers);
      const r = await p.evaluate(async (target) => {
        const v = document.querySelector('video');
        v.muted = true;
        if (v.readyState < 1) await new Promise((ok) => v.addEventListener('loadedmetadata', ok, { once: true }));
        const t0 = performance.now();
        const seeked = new Promise((ok) => v.addEventListener('seeked', () => ok(true), { once: true }));
        v.currentTime = target;
        const done = await Promise.race([seeked, new Promise((ok) => setTimeout(() => ok(false), 120000))]);
        return { ms: performance.now() - t0, done, at: v.currentTime, duration: v.duration };
      }, SECONDS / 2);
      console.log(`seek: ${JSON.stringify(r)}`);
      into.push(r);
      await context.close();
    }
  }
  await measureSeeks(seeks.before);

  // The worker rewrites the take once it runs.
  await server.restart({ worker: true });
  // Rewritten once the answers page gives the take's duration (the new object is recorded only once complete).
  const check = await browser.newContext({ storageState: state });
  const cp = await check.newPage();
  await waitFor(async () => {
    await cp.goto(answers);
    return /\d+:\d\d · answered/.test(await cp.textContent('.player figcaption'));
  }, 'the rewritten take', 120000);
  await check.close();
  sizes.after = bytesIn((f) => f.startsWith('seekable-') && !f.endsWith('.part'));
  await measureSeeks(seeks.after);
} finally {
  await webkit.close();
  await browser.close();
  server.stop();
}

const summary = (rows) => {
  const ms = rows.filter((r) => r.done).map((r) => r.ms).sort((a, b) => a - b);
  const failed = rows.length - ms.length;
  return ms.length
    ? `${Math.round(percentile(ms, 0.5))} | ${Math.round(percentile(ms, 0.95))} | ${Math.round(ms.at(-1))} | ${failed}`
    : `— | — | — | ${failed}`;
};
const dur = (rows) => rows.map((r) => (Number.isFinite(r.duration) ? r.duration.toFixed(1) : String(r.duration))).filter((v, i, a) => a.indexOf(v) === i).join(', ');
const date = execSync('date -u "+%Y-%m-%d %H:%M UTC"').toString().trim();
const chromium = execSync('/usr/bin/chromium --version').toString().trim();
const webkitVersion = execSync("dpkg-query -W -f='${Version}' webkit2gtk-driver").toString().trim();
const section = `<!-- mp4-seek:begin -->
## Seeking in MP4 answers (WebKit's recordings)

Command: \`cargo build --release && (cd e2e && xvfb-run -a node bench/mp4-seek.mjs)\` (BENCH_SECONDS=${SECONDS}, BENCH_SEEKS=${SEEKS}). Date: ${date}. Machine: ${execSync('nproc').toString().trim()} cores; recorded in WebKitGTK ${webkitVersion} (MiniBrowser, mock camera, H.264 + AAC), played in ${chromium}, headless; \`candor serve\` (release build, SQLite, local media directory) on loopback.

A ${SECONDS}-second answer (${(sizes.before / 1e6).toFixed(1)} MB as recorded, ${(sizes.after / 1e6).toFixed(1)} MB rewritten), opened on the answers page in a fresh browser context each time; time from setting \`currentTime\` to the middle (${SECONDS / 2} s) to \`seeked\` (120 s timeout).

| | p50 ms | p95 ms | max ms | timed out | duration the player reports (s) |
| --- | --- | --- | --- | --- | --- |
| as recorded (fragmented MP4: moov without samples, then moof + mdat) | ${summary(seeks.before)} | ${dur(seeks.before)} |
| after the rewrite (progressive MP4, moov first) | ${summary(seeks.after)} | ${dur(seeks.after)} |
<!-- mp4-seek:end -->`;
const file = join(ROOT, 'bench', 'RESULTS.md');
const text = readFileSync(file, 'utf8');
const re = /<!-- mp4-seek:begin -->[\s\S]*?<!-- mp4-seek:end -->/;
writeFileSync(file, re.test(text) ? text.replace(re, section) : text.replace('<!-- review:end -->', `<!-- review:end -->\n\n${section}`));
console.log(section);
