// What the browser tests share: a Candor server of their own (the debug binary, SQLite, local mail outbox, its own
// worker), an organization with an API token, and Debian's Chromium with a fake camera and microphone.
import { before, after } from 'node:test';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import net from 'node:net';
import { chromium } from 'playwright-core';

const ROOT = resolve(import.meta.dirname, '..', '..');
const BIN = process.env.CANDOR_BIN || join(ROOT, 'target', 'debug', 'candor');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

export function freePort() {
  return new Promise((ok, fail) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
    s.on('error', fail);
  });
}

async function waitFor(check, what, ms = 20000) {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export class Server {
  /// `worker: false` leaves background jobs queued (until a restart with the worker on).
  /// A server on a fresh data folder; `env`: more settings for it (e.g. `CANDOR_DISK_RESERVE`).
  static async start({ worker = true, env = {} } = {}) {
    const s = new Server();
    s.dir = mkdtempSync(join(tmpdir(), 'candor-e2e-'));
    s.port = await freePort();
    s.base = `http://127.0.0.1:${s.port}`;
    s.env = { ...process.env, CANDOR_DATA_DIR: s.dir, CANDOR_LOG: process.env.CANDOR_E2E_LOG || 'warn', DATABASE_URL: '', ...env };
    delete s.env.DATABASE_URL;
    delete s.env.CANDOR_SMTP_URL;
    s.cli(['admin', 'create-user', '--org-name', 'Acme', '--timezone', 'Europe/Helsinki', '--email', 'ada@acme.example',
      '--password', 'a long password 1']);
    s.token = s.cli(['admin', 'create-token', '--email', 'ada@acme.example']).trim();
    await s.spawn(worker);
    return s;
  }

  async spawn(worker) {
    this.proc = spawn(BIN, ['serve', '--listen', `127.0.0.1:${this.port}`], {
      env: { ...this.env, CANDOR_WORKER: String(worker) },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    await waitFor(async () => {
      try {
        return (await fetch(`${this.base}/healthz`)).ok;
      } catch {
        return false;
      }
    }, 'the server');
  }

  /// Stops the server and starts it again on the same data, address and port.
  async restart({ worker = true } = {}) {
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGTERM');
    await exited;
    await this.spawn(worker);
  }

  cli(args) {
    return execFileSync(BIN, args, { env: this.env, encoding: 'utf8' });
  }

  async api(method, path, body) {
    const res = await fetch(`${this.base}/api/v1${path}`, {
      method,
      headers: { Authorization: `Bearer ${this.token}`, 'Content-Type': 'application/json' },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }

  /// The outbox's messages (the server's local mail transport), oldest first, decoded.
  mails() {
    const dir = join(this.dir, 'outbox');
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((f) => f.endsWith('.eml'))
      .sort()
      .map((f) => decodeMail(readFileSync(join(dir, f), 'utf8')));
  }

  /// The interview the candidate tests share: a question with 3 s to think and two takes, then one with no time
  /// limit to think and one take; returns its id.
  async supportInterview(name) {
    const interview = await this.api('POST', '/interviews', {
      name,
      title: 'Support engineer',
      intro_text: 'Welcome!',
      outro_text: 'Thanks — we will be in touch within a week.',
      questions: [
        { text: 'Why support?', max_answer_seconds: 30, max_takes: 2, think_seconds: 3 },
        { text: 'A hard day?', max_answer_seconds: 30, max_takes: 1, think_seconds: null },
      ],
    });
    return interview.id;
  }

  /// Invites `email` to interview `interviewId` (deadline far ahead, Notify me on) through the API, and reads the
  /// personal link from the invitation email it sent.
  async invite(interviewId, email, language = 'en') {
    const inv = await this.api('POST', '/invitations', {
      candidate: { first_name: 'Aino', last_name: 'Järvinen', email },
      email,
      language,
      interview_id: interviewId,
      deadline: '2099-12-31',
      notify_me: true,
    });
    const mail = await this.waitForMail((m) => m.to.includes(email), `the invitation email to ${email}`);
    return { id: inv.id, link: mail.text.match(/https?:\/\/\S+\/i\/[A-Za-z0-9_-]+/)[0] };
  }

  async waitForMail(predicate, what) {
    return waitFor(() => this.mails().find(predicate), what);
  }

  /// The bytes the server stored for a take: its segments, in offset order.
  takeBytes(invitationId, takeId) {
    const dir = join(this.dir, 'media', 'takes', invitationId, takeId);
    return Buffer.concat(readdirSync(dir).sort().map((f) => readFileSync(join(dir, f))));
  }

  /// The rewritten (seekable) objects of an invitation's kept takes, as `take/seekable-….ext` names.
  rewrittenTakes(invitationId) {
    const dir = join(this.dir, 'media', 'takes', invitationId);
    if (!existsSync(dir)) return [];
    return readdirSync(dir).flatMap((take) =>
      readdirSync(join(dir, take)).filter((f) => f.startsWith('seekable-')).map((f) => `${take}/${f}`));
  }

  stop() {
    if (this.proc) this.proc.kill('SIGTERM');
  }
}

/// Headers and the text part of a message, with quoted-printable soft breaks and escapes undone.
function decodeMail(raw) {
  const [head] = raw.split(/\r?\n\r?\n/);
  const subject = (head.match(/^Subject: (.*)$/m) || [])[1] || '';
  const to = (head.match(/^To: (.*)$/m) || [])[1] || '';
  const text = raw
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
  return { raw, subject, to, text };
}

export function sha256(buf) {
  return createHash('sha256').update(buf).digest('hex');
}

/// Chromium with a fake camera and microphone (`camera: false`: none, and permission refused); `microphoneFile`: a
/// WAV file the fake microphone plays instead of its tone. No autoplay exemption: audio starts only from a user
/// gesture, as in a real browser.
export async function launch({ camera = true, microphoneFile = null } = {}) {
  const args = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-quic'];
  if (camera) args.push('--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream');
  if (microphoneFile) args.push(`--use-file-for-fake-audio-capture=${microphoneFile}`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args });
}

/// Signs in as the organization's admin on the sign-in page `url` leads to, and waits to be back on `back`.
export async function signIn(page, url, back) {
  await page.goto(url);
  await page.fill('input[name=email]', 'ada@acme.example');
  await page.fill('input[name=password]', 'a long password 1');
  await page.click('form button.primary');
  await page.waitForURL(back);
}

/// From the personal link to the first question, ready to record: consent, devices, no practice.
export async function openFirstQuestion(page, link) {
  await page.goto(link);
  await page.check('input[name=consent]');
  await page.click('form button.primary');
  await page.click('#allow');
  await page.click('#device-ok');
  await page.click('#to-questions');
}

/// From the personal link to recording the first question: consent, devices, no practice, Record.
export async function startRecording(page, link) {
  await openFirstQuestion(page, link);
  await page.click('#record');
  await page.waitForSelector('#stop:not([hidden])');
}

/// A server and a Chromium for a test file: started before its tests, stopped after them. The returned object holds
/// them as `server` and `browser` once started.
export function serverAndBrowser() {
  const env = { server: null, browser: null };
  before(async () => {
    env.server = await Server.start();
    env.browser = await launch();
  });
  after(async () => {
    if (env.browser) await env.browser.close();
    if (env.server) env.server.stop();
  });
  return env;
}

export { waitFor };
