// One small driver over three browser engines, so that the candidate's flow is one test run on each: Chromium through
// Playwright (Debian's /usr/bin/chromium), Firefox ESR through Puppeteer over WebDriver BiDi (Debian's firefox-esr).
// Every engine gets fake camera and microphone devices and no permission prompt. A `Tab` offers what the flow needs,
// with the same meaning on every engine; selectors are CSS.
import { chromium } from 'playwright-core';
import puppeteer from 'puppeteer-core';
import { CHROMIUM } from './helpers.mjs';

export const FIREFOX = process.env.FIREFOX || '/usr/bin/firefox-esr';

/// The engines every run of the suite covers.
export const ENGINES = ['chromium', 'firefox'];

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
  throw new Error(`unknown engine ${engine}`);
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
