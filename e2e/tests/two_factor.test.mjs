// Two-factor sign-in in Chromium: the QR code the server draws is scanned off the page (jsQR, from npm, reads the
// image), the codes come from pyotp (PyPI), a recovery code works once and is refused the second time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { serverAndBrowser, signIn } from './helpers.mjs';

const JSQR = createRequire(import.meta.url).resolve('jsqr/dist/jsQR.js');

const env = serverAndBrowser();

/// The code pyotp makes for `secret`, `offset` seconds from now.
function pyotp(secret, offset = 0) {
  const script = 'import pyotp, sys, time; print(pyotp.TOTP(sys.argv[1]).at(int(time.time()) + int(sys.argv[2])))';
  return execFileSync('python3', ['-c', script, secret, String(offset)]).toString().trim();
}

async function signOut(page, server) {
  await page.click('form[action="/logout"] button');
  await page.waitForURL(`${server.base}/login`);
}

async function passwordStep(page, server) {
  await page.goto(`${server.base}/login?next=/dashboard`);
  await page.fill('input[name=email]', 'ada@acme.example');
  await page.fill('input[name=password]', 'a long password 1');
  await page.click('form button.primary');
  await page.waitForURL(/\/login\/code/);
}

test('two-factor sign-in: the QR code scanned, a code from the app, a recovery code good once', async () => {
  const { server, browser } = env;
  // The page's own policy allows no injected script; jsQR is added to read the image the way a phone would.
  const context = await browser.newContext({ bypassCSP: true });
  const page = await context.newPage();
  await signIn(page, `${server.base}/profile`, /\/profile$/);
  await page.click('#two-factor-link');
  await page.waitForSelector('#totp-qr');
  await page.addScriptTag({ path: JSQR });
  const uri = await page.evaluate(async () => {
    const img = document.getElementById('totp-qr');
    await img.decode();
    const size = 440;
    const canvas = document.createElement('canvas');
    canvas.width = size;
    canvas.height = size;
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, size, size);
    ctx.drawImage(img, 0, 0, size, size);
    const found = window.jsQR(ctx.getImageData(0, 0, size, size).data, size, size);
    return found ? found.data : null;
  });
  assert.ok(uri, 'the QR code could be read');
  assert.match(uri, /^otpauth:\/\/totp\/Acme:ada%40acme\.example\?secret=[A-Z2-7]{32}&issuer=Acme/);
  const secret = new URL(uri).searchParams.get('secret');
  assert.equal(secret, (await page.textContent('#totp-secret')).trim(), 'the key shown is the one scanned');

  await page.fill('#f-code', pyotp(secret));
  await page.click('form[action="/profile/two-factor"] button.primary');
  await page.waitForSelector('#recovery-codes');
  const codes = (await page.locator('#recovery-codes code').allTextContents()).map((c) => c.trim());
  assert.equal(codes.length, 10);
  assert.equal(new Set(codes).size, 10);
  await page.click('text=Continue');
  assert.match(await page.textContent('#two-factor-state'), /On\./);

  // Signed out, back in: the password, then a code (the next step's: the first one was spent turning it on).
  await signOut(page, server);
  await passwordStep(page, server);
  await page.fill('#f-code', pyotp(secret, 30));
  await page.click('form button.primary');
  await page.waitForURL(`${server.base}/dashboard`);

  // A recovery code once.
  await signOut(page, server);
  await passwordStep(page, server);
  await page.fill('#f-code', codes[3]);
  await page.click('form button.primary');
  await page.waitForURL(`${server.base}/dashboard`);
  assert.match(await page.textContent('body'), /recovery code; 9 are left/);

  // The same recovery code again: refused, still signed out.
  await signOut(page, server);
  await passwordStep(page, server);
  await page.fill('#f-code', codes[3]);
  await page.click('form button.primary');
  await page.waitForSelector('#code-error');
  assert.match(await page.textContent('#code-error'), /not right/);
  await page.goto(`${server.base}/dashboard`);
  assert.match(page.url(), /\/login/);
  await context.close();
});
