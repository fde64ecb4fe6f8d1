// Benchmark: the candidate's wait after Stop on every engine the suite covers (engines.mjs) — Chromium, Firefox ESR
// and WebKitGTK — for a long answer recorded through the candidate's page while it uploads, unthrottled on loopback
// (Chromium's throttled figure is bench/after-stop.mjs). Measured in the page (`candorRecorder.stopToSavedMs`: from
// Stop to the last byte acknowledged).
// Run: cargo build --release && (cd e2e && xvfb-run -a node bench/after-stop-engines.mjs); BENCH_SECONDS (180),
// BENCH_RUNS (1), BENCH_ENGINES (chromium,firefox,webkit). Needs what ./scripts/test installs for the three engines.
// Writes its figures into bench/RESULTS.md.
import { readFileSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { resolve, join } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');
process.env.CANDOR_BIN ||= join(ROOT, 'target', 'release', 'candor');
const { Server } = await import('../tests/helpers.mjs');
const { openEngine, startRecordingIn } = await import('../tests/engines.mjs');

const SECONDS = Number(process.env.BENCH_SECONDS || 180);
const RUNS = Number(process.env.BENCH_RUNS || 1);
const ENGINES = (process.env.BENCH_ENGINES || 'chromium,firefox,webkit').split(',');

const server = await Server.start();
const interview = await server.api('POST', '/interviews', {
  name: 'Bench', title: 'Bench',
  questions: [{ text: 'Tell us about yourself', max_answer_seconds: Math.max(30, SECONDS + 30), max_takes: 5, think_seconds: null }],
});
const rows = [];
try {
  for (const engine of ENGINES) {
    const browser = await openEngine(engine);
    try {
      for (let run = 0; run < RUNS; run++) {
        const inv = await server.invite(interview.id, `${engine}-${run}@example.com`);
        const tab = await browser.newTab();
        await startRecordingIn(tab, inv.link);
        console.log(`${engine}: recording ${SECONDS} s…`);
        await new Promise((r) => setTimeout(r, SECONDS * 1000));
        const t0 = Date.now();
        await tab.click('#stop');
        await tab.visible('#decide:not([hidden])', 10 * 60 * 1000);
        const driverMs = Date.now() - t0;
        const [ms] = await tab.evaluate(() => window.candorRecorder.stopToSavedMs);
        const dir = join(server.dir, 'media', 'takes', inv.id);
        const bytes = readdirSync(dir).flatMap((t) => readdirSync(join(dir, t)).map((f) => statSync(join(dir, t, f)).size)).reduce((a, b) => a + b, 0);
        console.log(`${engine}: after Stop ${ms} ms in the page, ${driverMs} ms seen by the driver, ${(bytes / 1e6).toFixed(1)} MB`);
        rows.push({ engine, ms, driverMs, bytes });
        await tab.close();
      }
    } finally {
      await browser.close();
    }
  }
} finally {
  server.stop();
}

const version = {
  chromium: () => execSync('/usr/bin/chromium --version').toString().trim(),
  firefox: () => execSync('/usr/bin/firefox-esr --version').toString().trim(),
  webkit: () => `WebKitGTK ${execSync("dpkg-query -W -f='${Version}' webkit2gtk-driver").toString().trim()} (MiniBrowser)`,
};
const date = execSync('date -u "+%Y-%m-%d %H:%M UTC"').toString().trim();
const table = rows
  .map((r) => `| ${version[r.engine]()} | ${(r.bytes / 1e6).toFixed(1)} | ${r.ms} | ${r.driverMs} |`)
  .join('\n');
const section = `<!-- after-stop-engines:begin -->
## Candidate's wait after Stop, on every engine

Command: \`cargo build --release && (cd e2e && xvfb-run -a node bench/after-stop-engines.mjs)\` (BENCH_SECONDS=${SECONDS}, BENCH_RUNS=${RUNS}). Date: ${date}. Machine: ${execSync('nproc').toString().trim()} cores; fake cameras and microphones; \`candor serve\` (release build, SQLite, local media directory) on loopback, **unthrottled** (Chromium on a throttled 2 Mbit/s uplink: the section above).

A ${SECONDS}-second answer recorded while it uploads; the wait from Stop until the last byte is acknowledged:

| Engine | take MB | Stop → uploaded, in the page (ms) | seen by the test driver (ms) |
| --- | --- | --- | --- |
${table}
<!-- after-stop-engines:end -->`;
const file = join(ROOT, 'bench', 'RESULTS.md');
const text = readFileSync(file, 'utf8');
const re = /<!-- after-stop-engines:begin -->[\s\S]*?<!-- after-stop-engines:end -->/;
writeFileSync(file, re.test(text) ? text.replace(re, section) : text.replace('<!-- after-stop:end -->', `<!-- after-stop:end -->\n\n${section}`));
console.log(section);
