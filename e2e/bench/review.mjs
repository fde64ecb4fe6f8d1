// Benchmarks of reviewing: (1) seeking to the middle of a long answer in Chromium, before and after the take is
// rewritten for seeking; (2) serving many concurrent range requests of that recording, Candor vs nginx serving the
// same file from the same disk (wrk with random 1 MiB ranges).
// Run: cargo build --release && (cd e2e && node bench/review.mjs); BENCH_SECONDS (300), BENCH_SEEKS (5),
// BENCH_RANGE_SECONDS (20), BENCH_CONNECTIONS (32), BENCH_CHUNK (1048576 bytes a range). Needs nginx and wrk (installed with apt when missing).
// Writes its figures into bench/RESULTS.md.
import { readFileSync, writeFileSync, readdirSync, statSync, mkdtempSync } from 'node:fs';
import { execSync, execFileSync, spawn } from 'node:child_process';
import { resolve, join } from 'node:path';
import { tmpdir } from 'node:os';
import net from 'node:net';

const ROOT = resolve(import.meta.dirname, '..', '..');
process.env.CANDOR_BIN ||= join(ROOT, 'target', 'release', 'candor');
const { Server, launch, startRecording } = await import('../tests/helpers.mjs');
const { longAnswerInvitation, measureSeeks, rewriteAndWait, seekSummary, durations } = await import('./common.mjs');

const SECONDS = Number(process.env.BENCH_SECONDS || 300);
const SEEKS = Number(process.env.BENCH_SEEKS || 5);
const RANGE_SECONDS = Number(process.env.BENCH_RANGE_SECONDS || 20);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 32);
const CHUNK = Number(process.env.BENCH_CHUNK || 1048576);

for (const [tool, pkg] of [['wrk', 'wrk'], ['/usr/sbin/nginx', 'nginx-light']]) {
  try {
    execSync(`command -v ${tool}`, { stdio: 'ignore' });
  } catch {
    execSync(`apt-get install -y ${pkg}`, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  }
}

function freePort() {
  return new Promise((ok) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

const server = await Server.start({ worker: false });
const browser = await launch();
let nginx;
const seeks = { before: [], after: [] };
let ranges = [];
let fileBytes = 0;
let durationSeen = 0;
try {
  const { inv, link, state, recruiter, page: sp, answers } = await longAnswerInvitation(server, browser, 'Seek bench', SECONDS);

  // A real recording through the candidate's page.
  const candidate = await browser.newContext();
  const page = await candidate.newPage();
  await startRecording(page, link);
  console.log(`recording ${SECONDS} s…`);
  await page.waitForTimeout(SECONDS * 1000);
  await page.click('#stop');
  await page.waitForSelector('#decide:not([hidden])', { timeout: 10 * 60 * 1000 });
  await page.click('#keep');
  await page.waitForSelector('p.closed');
  await candidate.close();

  await sp.goto(answers);
  const mediaPath = new URL(await sp.locator('video').getAttribute('src'), server.base).pathname;
  await recruiter.close();

  await measureSeeks(browser, state, answers, SECONDS / 2, SEEKS, seeks.before);

  await rewriteAndWait(server, browser, state, answers);
  await measureSeeks(browser, state, answers, SECONDS / 2, SEEKS, seeks.after);
  durationSeen = seeks.after[0]?.duration || 0;

  // Range serving: the rewritten object, through Candor (session, authorization, object store) and by nginx.
  const takeDir = join(server.dir, 'media', 'takes', inv.id);
  const takeId = readdirSync(takeDir)[0];
  const file = readdirSync(join(takeDir, takeId)).find((f) => f.startsWith('seekable-'));
  const rel = `takes/${inv.id}/${takeId}/${file}`;
  fileBytes = statSync(join(server.dir, 'media', rel)).size;
  const ngDir = mkdtempSync(join(tmpdir(), 'candor-nginx-'));
  const ngPort = await freePort();
  // Workers run as this user, so they read the data directory as Candor does.
  const user = execSync('id -un').toString().trim();
  writeFileSync(join(ngDir, 'nginx.conf'), `${process.getuid() === 0 ? `user ${user};\n` : ''}worker_processes auto;
pid ${ngDir}/nginx.pid;
error_log ${ngDir}/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  client_body_temp_path ${ngDir}; proxy_temp_path ${ngDir}; fastcgi_temp_path ${ngDir}; uwsgi_temp_path ${ngDir}; scgi_temp_path ${ngDir};
  types { video/webm webm; }
  server { listen 127.0.0.1:${ngPort}; root ${join(server.dir, 'media')}; }
}
`);
  nginx = spawn('/usr/sbin/nginx', ['-p', ngDir, '-c', join(ngDir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'inherit' });
  await new Promise((r) => setTimeout(r, 500));
  const cookie = state.cookies.filter((c) => c.name === 'candor_session').map((c) => `${c.name}=${c.value}`).join('; ');
  const lua = join(ngDir, 'ranges.lua');
  writeFileSync(lua, `local size = tonumber(os.getenv("RANGE_SIZE"))
local chunk = tonumber(os.getenv("RANGE_CHUNK"))
local cookie = os.getenv("RANGE_COOKIE") or ""
local n = 0
request = function()
  n = n + 1
  local start = math.random(0, size - chunk)
  return wrk.format("GET", nil, { ["Range"] = "bytes=" .. start .. "-" .. (start + chunk - 1), ["Cookie"] = cookie })
end
response = function(status, headers, body)
  if status ~= 206 then error("status " .. status) end
end
`);
  function wrk(url, withCookie) {
    const check = execFileSync('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-H', 'Range: bytes=0-99', '-H', `Cookie: ${withCookie ? cookie : ''}`, url]).toString();
    if (check !== '206') throw new Error(`${url}: ${check}`);
    const out = execFileSync('wrk', ['-t2', `-c${CONNECTIONS}`, `-d${RANGE_SECONDS}s`, '--latency', '-s', lua, url], {
      env: { ...process.env, RANGE_SIZE: String(fileBytes), RANGE_CHUNK: String(CHUNK), RANGE_COOKIE: withCookie ? cookie : '' },
    }).toString();
    console.log(out);
    const rps = Number(out.match(/Requests\/sec:\s+([\d.]+)/)[1]);
    const lat = (p) => out.match(new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`));
    const ms = (m) => (m ? Number(m[1]) * { us: 0.001, ms: 1, s: 1000 }[m[2]] : NaN);
    const errors = Number((out.match(/Non-2xx or 3xx responses: (\d+)/) || [0, 0])[1]) + Number((out.match(/Socket errors: .*?timeout (\d+)/) || [0, 0])[1]);
    return { rps, mbps: (rps * CHUNK) / 1e6, p50: ms(lat(50)), p99: ms(lat(99)), errors };
  }
  const candor = wrk(`${server.base}${mediaPath}`, true);
  const ng = wrk(`http://127.0.0.1:${ngPort}/${rel}`, false);
  ranges = [['Candor (`candor serve`, release, signed-in session)', candor], ['nginx 1.22 (sendfile)', ng]];
} finally {
  if (nginx) nginx.kill('SIGTERM');
  await browser.close();
  server.stop();
}

const date = execSync('date -u "+%Y-%m-%d %H:%M UTC"').toString().trim();
const chromium = execSync('/usr/bin/chromium --version').toString().trim();
const ratio = ranges.length ? (ranges[0][1].mbps / ranges[1][1].mbps).toFixed(2) : '—';
const section = `<!-- review:begin -->
## Reviewing: seeking and range serving

Command: \`cargo build --release && (cd e2e && node bench/review.mjs)\` (BENCH_SECONDS=${SECONDS}, BENCH_SEEKS=${SEEKS}, BENCH_RANGE_SECONDS=${RANGE_SECONDS}, BENCH_CONNECTIONS=${CONNECTIONS}, BENCH_CHUNK=${CHUNK}). Date: ${date}. Machine: ${execSync('nproc').toString().trim()} cores; ${chromium}, headless, fake camera; \`candor serve\` (release build, SQLite, local media directory) on loopback.

Seek: a ${SECONDS}-second answer recorded through the candidate's page (${(fileBytes / 1e6).toFixed(1)} MB once rewritten), opened on the answers page in a fresh browser context each time; time from setting \`currentTime\` to the middle (${SECONDS / 2} s) to \`seeked\` (120 s timeout).

| | p50 ms | p95 ms | max ms | timed out | duration the player reports (s) |
| --- | --- | --- | --- | --- | --- |
| as recorded (MediaRecorder WebM: no duration, no cues) | ${seekSummary(seeks.before)} | ${durations(seeks.before)} |
| after the rewrite (duration, cues before the clusters) | ${seekSummary(seeks.after)} | ${durations(seeks.after)} |

Range serving: \`wrk -t2 -c${CONNECTIONS} -d${RANGE_SECONDS}s\` with random ${CHUNK === 1048576 ? '1 MiB' : `${CHUNK}-byte`} \`Range\` requests of the same ${(fileBytes / 1e6).toFixed(1)} MB file (every response checked to be 206), wrk on the same 2 cores:

| Server | requests/s | MB/s | p50 ms | p99 ms | errors |
| --- | --- | --- | --- | --- | --- |
${ranges.map(([name, r]) => `| ${name} | ${r.rps.toFixed(0)} | ${r.mbps.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.errors} |`).join('\n')}

Candor / nginx: **${ratio}×**.
<!-- review:end -->
`;
const path = resolve(ROOT, 'bench', 'RESULTS.md');
const old = readFileSync(path, 'utf8');
const a = old.indexOf('<!-- review:begin -->');
const z = old.indexOf('<!-- review:end -->');
writeFileSync(path, a >= 0 && z >= 0 ? old.slice(0, a) + section + old.slice(z + '<!-- review:end -->\n'.length) : `${old}\n${section}`);
console.log(`wrote ${path}; duration after: ${durationSeen}`);
