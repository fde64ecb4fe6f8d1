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
const { Server, launch } = await import('../tests/helpers.mjs');
const { openEngine, startRecordingIn } = await import('../tests/engines.mjs');
const { longAnswerInvitation, measureSeeks, rewriteAndWait, seekSummary, durations } = await import('./common.mjs');

const SECONDS = Number(process.env.BENCH_SECONDS || 300);
const SEEKS = Number(process.env.BENCH_SEEKS || 5);

const server = await Server.start({ worker: false });
const browser = await launch();
const webkit = await openEngine('webkit');
const seeks = { before: [], after: [] };
let sizes = { before: 0, after: 0 };
try {
  const { inv, link, state, recruiter, answers } = await longAnswerInvitation(server, browser, 'MP4 seek bench', SECONDS);
  await recruiter.close();

  // A real recording through the candidate's page, in WebKit.
  const tab = await webkit.newTab();
  await startRecordingIn(tab, link);
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

  await measureSeeks(browser, state, answers, SECONDS / 2, SEEKS, seeks.before);

  await rewriteAndWait(server, browser, state, answers);
  sizes.after = bytesIn((f) => f.startsWith('seekable-') && !f.endsWith('.part'));
  await measureSeeks(browser, state, answers, SECONDS / 2, SEEKS, seeks.after);
} finally {
  await webkit.close();
  await browser.close();
  server.stop();
}

const date = execSync('date -u "+%Y-%m-%d %H:%M UTC"').toString().trim();
const chromium = execSync('/usr/bin/chromium --version').toString().trim();
const webkitVersion = execSync("dpkg-query -W -f='${Version}' webkit2gtk-driver").toString().trim();
const section = `<!-- mp4-seek:begin -->
## Seeking in MP4 answers (WebKit's recordings)

Command: \`cargo build --release && (cd e2e && xvfb-run -a node bench/mp4-seek.mjs)\` (BENCH_SECONDS=${SECONDS}, BENCH_SEEKS=${SEEKS}). Date: ${date}. Machine: ${execSync('nproc').toString().trim()} cores; recorded in WebKitGTK ${webkitVersion} (MiniBrowser, mock camera, H.264 + AAC), played in ${chromium}, headless; \`candor serve\` (release build, SQLite, local media directory) on loopback.

A ${SECONDS}-second answer (${(sizes.before / 1e6).toFixed(1)} MB as recorded, ${(sizes.after / 1e6).toFixed(1)} MB rewritten), opened on the answers page in a fresh browser context each time; time from setting \`currentTime\` to the middle (${SECONDS / 2} s) to \`seeked\` (120 s timeout).

| | p50 ms | p95 ms | max ms | timed out | duration the player reports (s) |
| --- | --- | --- | --- | --- | --- |
| as recorded (fragmented MP4: moov without samples, then moof + mdat) | ${seekSummary(seeks.before)} | ${durations(seeks.before)} |
| after the rewrite (progressive MP4, moov first) | ${seekSummary(seeks.after)} | ${durations(seeks.after)} |
<!-- mp4-seek:end -->`;
const file = join(ROOT, 'bench', 'RESULTS.md');
const text = readFileSync(file, 'utf8');
const re = /<!-- mp4-seek:begin -->[\s\S]*?<!-- mp4-seek:end -->/;
writeFileSync(file, re.test(text) ? text.replace(re, section) : text.replace('<!-- review:end -->', `<!-- review:end -->\n\n${section}`));
console.log(section);
