// The demo SPA in a real browser (Debian's Chromium through playwright-core):
// sign in at the OP, see the claims, call the API, sign out. Page JavaScript
// must never be able to read a token. Screenshots of each step go to
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

  it('signs in, shows the claims, calls the API and signs out, without page JavaScript ever seeing a token', async () => {
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
    assert.match((await page.textContent('#expires'))!, /\d/);
    await shot('3-signed-in');

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
    for (const { url, text } of seen) {
      assert.doesNotMatch(text, JWT, `a JWT in the response from ${url}`);
      assert.ok(!text.includes(stored.tokens.accessToken), `the access token in the response from ${url}`);
      assert.ok(!text.includes(stored.tokens.refreshToken!), `the refresh token in the response from ${url}`);
    }

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Yes, sign me out' }).waitFor();
    await shot('5-op-logout');
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.getByRole('heading', { name: 'You are signed out' }).waitFor();
    assert.equal(new URL(page.url()).origin, demo.publicUrl);
    await shot('6-signed-out-again');
    assert.doesNotMatch(logs.text, JWT, 'no token in the log');
  });
});
