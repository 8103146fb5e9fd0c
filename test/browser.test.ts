// The demo SPA in a real browser (Debian's Chromium through playwright-core):
// sign in at an FTN-like OP (loa3), see the claims and how the sign-in was
// protected, call the API, sign out (a second tab follows), and the error pages
// for a cancelled and an expired sign-in. Page JavaScript must never be able
// to read a token. Screenshots of each step go to
// test-artifacts/.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startDemo, type DemoStack } from '../demo/stack.js';
import { LogCapture, REDIS_URL, freePort } from './helpers/harness.js';
import { createLogger } from '../src/logger.js';
import { internals } from '../src/context.js';

const ARTIFACTS = 'test-artifacts';
const JWT = /eyJ[\w-]{10,}\.[\w-]*\.[\w-]*/;

describe('demo SPA in Chromium', () => {
  let demo: DemoStack;
  let browser: Browser;
  let page: Page;
  const seen: Array<{ url: string; text: string }> = [];
  const logs = new LogCapture();

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    demo = await startDemo({
      port: await freePort(),
      opPort: await freePort(),
      env: { REDIS_URL, BFF_REDIS_PREFIX: `sbff-browser-${process.pid}:` },
      logger: createLogger('info', logs),
    });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-quic',
        '--no-first-run',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await (await browser.newContext()).newPage();
    // Everything the page receives, to check that no token is in it.
    page.on('response', (response) => {
      void response
        .text()
        .then((text) => seen.push({ url: response.url(), text: `${JSON.stringify(response.headers())}\n${text}` }))
        .catch(() => seen.push({ url: response.url(), text: JSON.stringify(response.headers()) }));
    });
  });
  after(async () => {
    await browser?.close();
    await demo?.close();
  });

  const shot = (name: string) => page.screenshot({ path: `${ARTIFACTS}/${name}.png`, fullPage: true });

  it('signs in at an FTN-like OP, shows the claims, loa3 and how the sign-in was protected, calls the API and signs out, without page JavaScript ever seeing a token', async () => {
    await page.goto(`${demo.publicUrl}/`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await shot('1-signed-out');

    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('input[name="login"]').waitFor();
    await shot('2-op-login');
    await page.fill('input[name="login"]', 'alice');
    await page.fill('input[name="password"]', 'any password');
    await page.click('button[type="submit"]');

    await page.getByRole('heading', { name: 'Hello, Alice Example' }).waitFor();
    assert.equal(await page.textContent('#email'), 'alice@example.com');
    assert.equal(await page.textContent('#sub'), 'alice');
    assert.equal(await page.textContent('#acr'), 'http://ftn.ficora.fi/2017/loa3');
    assert.match((await page.textContent('#expires'))!, /\d/);

    // "How this sign-in was protected": headers only, from the development-only diagnostics.
    const panel = page.locator('#protection');
    await panel
      .getByRole('cell', { name: /RSA-OAEP-256 \+ A128CBC-HS256/ })
      .first()
      .waitFor();
    const rows = await panel.locator('tbody tr').allTextContents();
    assert.equal(rows.length, 3);
    // JARM: the authorization response too is signed, then encrypted to the BFF.
    for (const [index, label] of [
      [0, 'Authorization response'],
      [1, 'ID token'],
      [2, 'Userinfo'],
    ] as const) {
      assert.match(rows[index]!, new RegExp(`^${label}yes: PS256, kid op-rsayes: RSA-OAEP-256 \\+ A128CBC-HS256, kid enc-\\w+$`));
    }
    assert.match(
      (await page.textContent('#protection-policy'))!,
      /Profile: ftn\. Encryption required for id_token, userinfo, authorization_response, logout_token/,
    );
    await shot('3-signed-in');
    await panel.screenshot({ path: `${ARTIFACTS}/3b-protection-panel.png` });

    // What page JavaScript can reach: no session cookie, nothing stored.
    const exposed = await page.evaluate(() => ({
      cookie: document.cookie,
      local: localStorage.length,
      session: sessionStorage.length,
    }));
    assert.deepEqual(exposed, { cookie: '', local: 0, session: 0 });
    const cookies = await page.context().cookies(demo.publicUrl);
    const sessionCookie = cookies.find((c) => c.name === 'bff-session')!;
    assert.equal(sessionCookie.httpOnly, true);
    assert.equal(sessionCookie.sameSite, 'Strict');

    await page.getByRole('button', { name: 'Call the API' }).click();
    await page.locator('#api-result', { hasText: '"active": true' }).waitFor();
    assert.match((await page.textContent('#api-result'))!, /"sub": "alice"/);
    await shot('4-api-called');

    // The tokens the BFF holds for this session never reached the page.
    const stored = (await internals(demo.app).context.sessions.load(decodeURIComponent(sessionCookie.value).slice(2).split('.')[0]!))!;
    await page.waitForLoadState('networkidle');
    assert.ok(seen.length > 5, 'responses were recorded');
    // The one JWT a browser carries by design is the OP's JARM response on its redirect to /bff/callback: a JWE
    // (five parts) encrypted to the BFF, which the page can neither read nor use.
    const jarmRedirect = /"location":"[^"]*\/bff\/callback\?response=eyJ[\w-]*\.[\w-]*\.[\w-]*\.[\w-]*\.[\w-]*"/;
    assert.ok(
      seen.some(({ text }) => jarmRedirect.test(text)),
      'the OP answered with an encrypted JARM response',
    );
    for (const { url, text } of seen) {
      assert.doesNotMatch(text.replace(jarmRedirect, ''), JWT, `a JWT in the response from ${url}`);
      assert.ok(!text.includes(stored.tokens.accessToken), `the access token in the response from ${url}`);
      assert.ok(!text.includes(stored.tokens.refreshToken!), `the refresh token in the response from ${url}`);
    }

    // A second tab of the same browser, signed in too; it learns of the logout in the first.
    const second = await page.context().newPage();
    await second.goto(`${demo.publicUrl}/orders/42`); // a client-side route: the SPA's index.html (BFF_STATIC_DIR)
    await second.getByRole('heading', { name: 'Hello, Alice Example' }).waitFor();
    await second.screenshot({ path: `${ARTIFACTS}/5-second-tab-signed-in.png`, fullPage: true });

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Yes, sign me out' }).waitFor();
    await shot('6-op-logout-confirmation');
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.getByRole('heading', { name: 'You are signed out' }).waitFor();
    assert.equal(new URL(page.url()).origin, demo.publicUrl);
    await shot('7-signed-out-again');

    await second.getByRole('heading', { name: 'You are signed out' }).waitFor();
    assert.match((await second.textContent('#status'))!, /signed out in another tab/);
    await second.screenshot({ path: `${ARTIFACTS}/8-second-tab-signed-out.png`, fullPage: true });
    await second.close();
    assert.doesNotMatch(logs.text, JWT, 'no token in the log');
  });

  it('shows styled error pages with a way back: a sign-in cancelled at the OP, and an expired (replayed) one', async () => {
    const context = await browser.newContext();
    const tab = await context.newPage();
    try {
      await tab.goto(`${demo.publicUrl}/`);
      await tab.getByRole('button', { name: 'Sign in' }).click();
      await tab.locator('input[name="login"]').waitFor();
      await tab.getByRole('link', { name: '[ Cancel ]' }).click();
      await tab.getByRole('heading', { name: 'Sign-in cancelled' }).waitFor();
      assert.equal(new URL(tab.url()).pathname, '/bff/callback');
      assert.match((await tab.textContent('main'))!, /Error code: access_denied/);
      await tab.screenshot({ path: `${ARTIFACTS}/9-error-cancelled.png`, fullPage: true });
      await tab.getByRole('link', { name: 'Back to the application' }).click();
      await tab.getByRole('heading', { name: 'You are signed out' }).waitFor();

      // A completed sign-in's callback, opened again (a bookmark, the back button): expired.
      let callback = '';
      tab.on('request', (request) => request.url().includes('/bff/callback?') && (callback = request.url()));
      await tab.getByRole('button', { name: 'Sign in' }).click();
      await tab.fill('input[name="login"]', 'bob');
      await tab.fill('input[name="password"]', 'any password');
      await tab.click('button[type="submit"]');
      await tab.getByRole('heading', { name: 'Hello, Bob Example' }).waitFor();
      assert.ok(callback, 'the callback was seen');
      await tab.goto(callback);
      await tab.getByRole('heading', { name: 'This sign-in has expired' }).waitFor();
      assert.match((await tab.textContent('main'))!, /Error code: invalid_state/);
      await tab.screenshot({ path: `${ARTIFACTS}/10-error-expired.png`, fullPage: true });
      await tab.getByRole('link', { name: 'Sign in again' }).waitFor();
    } finally {
      await context.close();
    }
  });
});
