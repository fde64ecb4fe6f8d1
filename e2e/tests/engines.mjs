// One small driver over three browser engines, so that the candidate's flow is one test run on each: Chromium through
// Playwright (Debian's /usr/bin/chromium), Firefox ESR through Puppeteer over WebDriver BiDi (Debian's firefox-esr),
// and WebKit — the engine of Safari — as WebKitGTK's MiniBrowser through its W3C WebDriver server (Debian's
// webkit2gtk-driver; it needs a display: the test script runs the browser tests under xvfb-run). Every engine gets
// fake camera and microphone devices and no permission prompt. A `Tab` offers what the flow needs, with the same
// meaning on every engine; selectors are CSS.
import { spawn } from 'node:child_process';
import { chromium } from 'playwright-core';
import puppeteer from 'puppeteer-core';
import { CHROMIUM, freePort, waitFor as waitUntil } from './helpers.mjs';

export const FIREFOX = process.env.FIREFOX || '/usr/bin/firefox-esr';
export const MINIBROWSER = process.env.MINIBROWSER || '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

/// The engines every run of the suite covers.
export const ENGINES = ['chromium', 'firefox', 'webkit'];

/// What an engine's driver can do beyond the common ground.
export const CAN = {
  chromium: { goOffline: true },
  firefox: { goOffline: true },
  // WebDriver classic has no way to take a page offline.
  webkit: { goOffline: false },
};

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic', '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream'];

/// A browser of `engine` with fake devices; `newTab()` opens a page in a fresh profile context (no cookies shared).
export async function openEngine(engine) {
  if (engine === 'chromium') {
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    return {
      engine,
      async newTab() {
        const context = await browser.newContext();
        return new PlaywrightTab(context, await context.newPage());
      },
      close: () => browser.close(),
    };
  }
  if (engine === 'firefox') {
    const browser = await puppeteer.launch({
      browser: 'firefox',
      executablePath: FIREFOX,
      headless: true,
      protocol: 'webDriverBiDi',
      extraPrefsFirefox: {
        'media.navigator.streams.fake': true,
        'media.navigator.permission.disabled': true,
        // Audio may start without a gesture only where a real browser would allow it: keep Firefox's default.
      },
    });
    return {
      engine,
      async newTab() {
        const context = await browser.createBrowserContext();
        return new PuppeteerTab(context, await context.newPage());
      },
      close: () => browser.close(),
    };
  }
  if (engine === 'webkit') {
    const port = await freePort();
    const driver = spawn('WebKitWebDriver', [`--port=${port}`, '--host=127.0.0.1'], { stdio: ['ignore', 'ignore', 'inherit'] });
    const base = `http://127.0.0.1:${port}`;
    await waitUntil(async () => {
      try {
        return (await fetch(`${base}/status`)).ok;
      } catch {
        return false;
      }
    }, 'WebKitWebDriver');
    const sessions = new Set();
    return {
      engine,
      /// A tab is a session of its own: a fresh MiniBrowser with its own cookies.
      async newTab({ width = 1280, height = 900 } = {}) {
        const created = await wd(base, 'POST', '/session', {
          capabilities: {
            alwaysMatch: {
              'webkitgtk:browserOptions': {
                binary: MINIBROWSER,
                args: ['--automation', '--enable-media-stream=true', '--enable-mock-capture-devices=true',
                  '--enable-mediasource=true'],
              },
            },
          },
        });
        const tab = new WebDriverTab(`${base}/session/${created.sessionId}`, () => sessions.delete(tab));
        sessions.add(tab);
        await wd(tab.session, 'POST', '/window/rect', { width, height });
        return tab;
      },
      async close() {
        for (const tab of [...sessions]) await tab.close().catch(() => {});
        driver.kill();
      },
    };
  }
  throw new Error(`unknown engine ${engine}`);
}

/// One W3C WebDriver command; its `value`, or an error with the driver's message.
async function wd(base, method, path, body) {
  const res = await fetch(base + path, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`WebDriver ${method} ${path}: ${json.value?.error}: ${json.value?.message}`);
  return json.value;
}

const TIMEOUT = 30000;

class PlaywrightTab {
  constructor(context, page) {
    this.context = context;
    this.page = page;
  }
  async goto(url) {
    const res = await this.page.goto(url);
    return res ? res.status() : 0;
  }
  url() {
    return this.page.url();
  }
  click(sel) {
    return this.page.click(sel);
  }
  /// Clicks what submits a form or follows a link, and waits for the next page.
  async submit(sel) {
    await Promise.all([this.page.waitForNavigation(), this.page.click(sel)]);
  }
  check(sel) {
    return this.page.check(sel);
  }
  fill(sel, text) {
    return this.page.fill(sel, text);
  }
  async visible(sel, timeout = TIMEOUT) {
    await this.page.waitForSelector(sel, { state: 'visible', timeout });
  }
  async isVisible(sel) {
    return this.page.locator(sel).isVisible();
  }
  text(sel) {
    return this.page.textContent(sel);
  }
  evaluate(fn, arg) {
    return this.page.evaluate(fn, arg);
  }
  async until(fn, arg, timeout = TIMEOUT) {
    await this.page.waitForFunction(fn, arg, { timeout });
  }
  setOffline(offline) {
    return this.context.setOffline(offline);
  }
  async waitForUrl(re) {
    await this.page.waitForURL(re);
  }
  close() {
    return this.context.close();
  }
}

class PuppeteerTab {
  constructor(context, page) {
    this.context = context;
    this.page = page;
    page.setDefaultTimeout(TIMEOUT);
  }
  async goto(url) {
    const res = await this.page.goto(url);
    return res ? res.status() : 0;
  }
  url() {
    return this.page.url();
  }
  async click(sel) {
    await this.visible(sel);
    await this.page.click(sel);
  }
  async submit(sel) {
    await this.visible(sel);
    await Promise.all([this.page.waitForNavigation(), this.page.click(sel)]);
  }
  async check(sel) {
    if (!(await this.page.$eval(sel, (e) => e.checked))) await this.click(sel);
  }
  async fill(sel, text) {
    await this.page.$eval(sel, (e) => { e.value = ''; });
    await this.page.type(sel, text);
  }
  async visible(sel, timeout = TIMEOUT) {
    await this.page.waitForSelector(sel, { visible: true, timeout });
  }
  async isVisible(sel) {
    const el = await this.page.$(sel);
    return el ? el.isVisible() : false;
  }
  text(sel) {
    return this.page.$eval(sel, (e) => e.textContent);
  }
  evaluate(fn, arg) {
    return this.page.evaluate(fn, arg);
  }
  async until(fn, arg, timeout = TIMEOUT) {
    await this.page.waitForFunction(fn, { timeout }, arg);
  }
  setOffline(offline) {
    return this.page.setOfflineMode(offline);
  }
  async waitForUrl(re) {
    const until = Date.now() + TIMEOUT;
    while (!re.test(this.page.url())) {
      if (Date.now() > until) throw new Error(`timed out waiting for a URL like ${re}, at ${this.page.url()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  close() {
    return this.context.close();
  }
}

/// From the personal link to recording the first question on `tab`: consent, devices, no practice, Record.
export async function startRecordingIn(tab, link) {
  await tab.goto(link);
  await tab.check('input[name=consent]');
  await tab.submit('form button.primary');
  await tab.click('#allow');
  await tab.click('#device-ok');
  await tab.click('#to-questions');
  await tab.click('#record');
  await tab.visible('#stop:not([hidden])');
}

const ELEMENT = 'element-6066-11e4-a52e-4f735466cecc';

/// A tab over W3C WebDriver (WebKitGTK's MiniBrowser).
class WebDriverTab {
  constructor(session, forget) {
    this.session = session;
    this.forget = forget;
  }
  cmd(method, path, body) {
    return wd(this.session, method, path, body);
  }
  async goto(url) {
    await this.cmd('POST', '/url', { url });
    // WebDriver gives no status code: the server's answer is read from the navigation timing entry.
    return this.evaluate(() => performance.getEntriesByType('navigation')[0]?.responseStatus || 0);
  }
  url() {
    return this.cmd('GET', '/url');
  }
  async element(sel) {
    const found = await this.cmd('POST', '/element', { using: 'css selector', value: sel });
    // The W3C key, or the one this driver uses instead.
    this.elementKey = ELEMENT in found ? ELEMENT : Object.keys(found)[0];
    return found[this.elementKey];
  }
  async click(sel) {
    await this.visible(sel);
    await this.cmd('POST', `/element/${await this.element(sel)}/click`, {});
  }
  /// A finger's tap (a touch pointer), as on a phone.
  async tap(sel) {
    await this.visible(sel);
    const el = await this.element(sel);
    await this.cmd('POST', '/actions', {
      actions: [{
        type: 'pointer',
        id: 'finger',
        parameters: { pointerType: 'touch' },
        actions: [
          { type: 'pointerMove', duration: 0, origin: { [this.elementKey]: el }, x: 0, y: 0 },
          { type: 'pointerDown', button: 0 },
          { type: 'pointerUp', button: 0 },
        ],
      }],
    });
    await this.cmd('DELETE', '/actions');
  }
  async submit(sel) {
    const before = await this.evaluate(() => performance.timeOrigin);
    await this.click(sel);
    await waitUntil(async () => {
      try {
        const now = await this.evaluate(() => (document.readyState === 'complete' ? performance.timeOrigin : null));
        return now !== null && now !== before;
      } catch {
        return false;
      }
    }, `the page after ${sel}`);
  }
  async check(sel) {
    if (!(await this.evaluate((s) => document.querySelector(s).checked, sel))) await this.click(sel);
  }
  async fill(sel, text) {
    const el = await this.element(sel);
    await this.cmd('POST', `/element/${el}/clear`, {});
    await this.cmd('POST', `/element/${el}/value`, { text });
  }
  async visible(sel, timeout = TIMEOUT) {
    await this.until(
      (s) => {
        const e = document.querySelector(s);
        return !!e && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';
      },
      sel,
      timeout,
    );
  }
  isVisible(sel) {
    return this.evaluate((s) => {
      const e = document.querySelector(s);
      return !!e && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';
    }, sel);
  }
  text(sel) {
    return this.evaluate((s) => document.querySelector(s).textContent, sel);
  }
  async evaluate(fn, arg) {
    const script = `const done = arguments[arguments.length - 1];
      Promise.resolve().then(() => (${fn.toString()})(arguments[0]))
        .then((v) => done({ ok: v === undefined ? null : v }), (e) => done({ error: String(e && e.stack || e) }));`;
    const out = await this.cmd('POST', '/execute/async', { script, args: [arg === undefined ? null : arg] });
    if (out && 'error' in out) throw new Error(`in the page: ${out.error}`);
    return out.ok;
  }
  async until(fn, arg, timeout = TIMEOUT) {
    await waitUntil(() => this.evaluate(fn, arg).catch(() => false), `${fn}`, timeout);
  }
  setOffline() {
    throw new Error('WebDriver cannot take a page offline');
  }
  async waitForUrl(re) {
    await waitUntil(async () => re.test(await this.url()), `a URL like ${re}`);
  }
  async close() {
    this.forget();
    await this.cmd('DELETE', '', undefined);
  }
}
