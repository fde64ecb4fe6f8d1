// Benchmark: the candidate's wait after Stop. A long answer is recorded in Chromium (fake camera) with the uplink
// throttled to 2 Mbit/s; the take uploads while it is recorded, so after Stop only the last slice is left. Beside it:
// the time to upload the same recording after the fact, as products that upload at the end make candidates wait.
// Run: cargo build --release && (cd e2e && node bench/after-stop.mjs); BENCH_RUNS (5), BENCH_SECONDS (180), BENCH_UPLINK_BITS (2000000).
// Writes its figures into bench/RESULTS.md.
import { readFileSync, writeFileSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');
process.env.CANDOR_BIN ||= join(ROOT, 'target', 'release', 'candor');
const { Server, launch, startRecording } = await import('../tests/helpers.mjs');
const { percentile } = await import('./common.mjs');

const RUNS = Number(process.env.BENCH_RUNS || 5);
const SECONDS = Number(process.env.BENCH_SECONDS || 180);
const UPLINK = Number(process.env.BENCH_UPLINK_BITS || 2000000);

const server = await Server.start();
const browser = await launch();
const interview = await server.api('POST', '/interviews', {
  name: 'Bench', title: 'Bench',
  questions: [{ text: 'Tell us about yourself', max_answer_seconds: Math.max(30, SECONDS + 30), max_takes: 5, think_seconds: null }],
});
const results = [];
try {
  for (let run = 0; run < RUNS; run++) {
    const email = `run${run}@example.com`;
    const inv = await server.api('POST', '/invitations', {
      candidate: { first_name: 'Run', last_name: String(run), email }, email, language: 'en',
      interview_id: interview.id, deadline: '2099-12-31',
    });
    const mail = await server.waitForMail((m) => m.to.includes(email), 'the invitation');
    const link = mail.text.match(/https?:\/\/\S+\/i\/[A-Za-z0-9_-]+/)[0];
    const context = await browser.newContext();
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false, latency: 30, downloadThroughput: -1, uploadThroughput: UPLINK / 8,
    });
    await startRecording(page, link);
    await page.waitForTimeout(SECONDS * 1000);
    const stopped = Date.now();
    await page.click('#stop');
    await page.waitForSelector('#decide:not([hidden])', { timeout: 30 * 60 * 1000 });
    const afterStop = Date.now() - stopped;
    const measured = await page.evaluate(() => window.candorRecorder.stopToSavedMs.at(-1));
    // The same recording uploaded after the fact, under the same uplink.
    const after = await page.evaluate(async ({ uploads, question }) => {
      const blob = window.candorRecorder.lastTake;
      const t0 = performance.now();
      const created = await fetch(uploads, {
        method: 'POST',
        headers: { 'Tus-Resumable': '1.0.0', 'Upload-Length': String(blob.size), 'Upload-Metadata': `question ${btoa(question)}` },
      });
      const res = await fetch(created.headers.get('Location'), {
        method: 'PATCH',
        headers: { 'Tus-Resumable': '1.0.0', 'Content-Type': 'application/offset+octet-stream', 'Upload-Offset': '0' },
        body: blob,
      });
      if (res.status !== 204) throw new Error(`upload after: ${res.status}`);
      return { ms: performance.now() - t0, bytes: blob.size };
    }, { uploads: `${server.base}${new URL(link).pathname}/uploads`, question: interview.questions[0].id });
    results.push({ afterStop, measured, uploadAfter: after.ms, bytes: after.bytes });
    console.log(`run ${run + 1}: after Stop ${afterStop} ms (page: ${measured} ms); upload after recording ${Math.round(after.ms)} ms for ${(after.bytes / 1e6).toFixed(1)} MB`);
    await context.close();
  }
} finally {
  await browser.close();
  server.stop();
}

const waits = results.map((r) => r.measured).sort((a, b) => a - b);
const harness = results.map((r) => r.afterStop).sort((a, b) => a - b);
const afters = results.map((r) => r.uploadAfter).sort((a, b) => a - b);
const mb = results.reduce((s, r) => s + r.bytes, 0) / results.length / 1e6;
const date = execSync('date -u "+%Y-%m-%d %H:%M UTC"').toString().trim();
const chromium = execSync('/usr/bin/chromium --version').toString().trim();
const section = `<!-- after-stop:begin -->
## Candidate's wait after Stop

Command: \`cargo build --release && (cd e2e && node bench/after-stop.mjs)\` (BENCH_RUNS=${RUNS}, BENCH_SECONDS=${SECONDS}, BENCH_UPLINK_BITS=${UPLINK}). Date: ${date}. Machine: ${execSync('nproc').toString().trim()} cores; ${chromium}, headless, fake camera; \`candor serve\` (release build, SQLite, local media directory) on loopback; the browser's uplink throttled with Chromium's network emulation.

A ${SECONDS}-second answer (${mb.toFixed(1)} MB on average) recorded while it uploads:

| | p50 ms | p95 ms | max ms |
| --- | --- | --- | --- |
| Stop → answer saved (uploaded while recording), measured in the page | ${percentile(waits, 0.5)} | ${percentile(waits, 0.95)} | ${waits.at(-1)} |
| the same, seen by the test driver (adds its click and polling) | ${percentile(harness, 0.5)} | ${percentile(harness, 0.95)} | ${harness.at(-1)} |
| the same file uploaded after recording | ${Math.round(percentile(afters, 0.5))} | ${Math.round(percentile(afters, 0.95))} | ${Math.round(afters.at(-1))} |
<!-- after-stop:end -->
`;
const path = join(ROOT, 'bench', 'RESULTS.md');
const old = readFileSync(path, 'utf8');
const a = old.indexOf('<!-- after-stop:begin -->');
const z = old.indexOf('<!-- after-stop:end -->');
writeFileSync(path, a >= 0 && z >= 0 ? old.slice(0, a) + section + old.slice(z + '<!-- after-stop:end -->\n'.length) : `${old}\n${section}`);
console.log(`wrote ${path}`);
