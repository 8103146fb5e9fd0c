// BFF_STATIC_DIR: the SPA's files, and its index.html for a browser
// navigation to one of its client-side routes (after a login's returnTo, or a
// reload), while missing assets stay 404 and the BFF's own paths never fall
// back, however they are spelled.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import { keysFor, login, staticEnv, type TestBff } from './helpers/harness.js';
import { useStack } from './helpers/stack.js';

const INDEX = '<!doctype html><title>the SPA</title><div id="root"></div>';
const HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'; // what Chromium sends for a navigation

function spaFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sbff-spa-'));
  writeFileSync(join(dir, 'index.html'), INDEX);
  writeFileSync(join(dir, 'app.js'), 'console.log("app")');
  // Files the SPA folder should never serve under the BFF's own paths, whatever the spelling.
  mkdirSync(join(dir, 'bff'));
  writeFileSync(join(dir, 'bff', 'user'), 'a file that shadows /bff/user');
  return dir;
}

describe('the SPA (BFF_STATIC_DIR)', () => {
  let bff: TestBff;
  const dir = spaFolder();
  useStack({ env: { BFF_STATIC_DIR: dir } }, (stack) => ({ bff } = stack));

  it("serves the SPA's files, and index.html for a navigation to a client-side route", async () => {
    const agent = bff.browser().agent;
    assert.equal((await agent.get('/').set('Accept', HTML).expect(200)).text, INDEX);
    assert.equal((await agent.get('/app.js').expect(200)).text, 'console.log("app")');
    for (const route of ['/orders/42', '/orders/42/', '/settings?tab=keys', '/Orders']) {
      const res = await agent.get(route).set('Accept', HTML).expect(200);
      assert.equal(res.text, INDEX, route);
      assert.match(res.headers['content-type']!, /^text\/html/);
      assert.equal(res.headers['cache-control'], 'no-cache');
      assert.ok(res.headers['content-security-policy'], 'with the security headers');
    }
    await agent.head('/orders/42').set('Accept', HTML).expect(200);
  });

  it('keeps a missing asset, a non-navigation and a non-GET a 404', async () => {
    const agent = bff.browser().agent;
    await agent.get('/missing.js').set('Accept', '*/*').expect(404);
    await agent.get('/favicon.ico').set('Accept', 'image/avif,image/webp,*/*').expect(404);
    // A navigation to something that names a file is a missing file, not a route.
    await agent.get('/assets/app.3f9c.js').set('Accept', HTML).expect(404);
    // fetch() of an unknown path: a JSON 404, not the page.
    const json = await agent.get('/orders/42').set('Accept', 'application/json').expect(404);
    assert.equal(json.body.error, 'not_found');
    await agent.post('/orders/42').set('Accept', HTML).expect(404);
  });

  it('never answers a BFF path or /.well-known with the SPA, however it is spelled', async () => {
    const agent = bff.browser().agent;
    for (const path of [
      '/bff/nothing',
      '/BFF/nothing',
      '/bff',
      '/.well-known/nothing',
      '/%62ff/user',
      '/%62%66%66/nothing',
      '/%2e%77ell-known/x',
      '/%E0%A4%A',
    ]) {
      const res = await agent.get(path).set('Accept', HTML);
      assert.ok(res.status >= 400 && res.status < 500, `${path}: ${res.status}`);
      assert.ok(!res.text.includes('the SPA') && !res.text.includes('shadows'), `${path} reached the SPA folder`);
    }
  });

  it('logs a signed-out page load and a favicon guess without a warning', async () => {
    const agent = bff.browser().agent;
    await agent.get('/').set('Accept', HTML).set('X-Request-Id', 'anon-page').expect(200);
    await agent.get('/bff/user').set('X-CSRF', '1').set('X-Request-Id', 'anon-user').expect(401);
    await agent.get('/favicon.ico').set('X-Request-Id', 'anon-icon').expect(404);
    // A real refusal still warns.
    await agent.get('/bff/user').set('X-Request-Id', 'no-csrf').expect(403);
    const levels = (id: string) =>
      bff.logs.lines
        .map((line) => JSON.parse(line) as { requestId?: string; level: number })
        .filter((line) => line.requestId === id)
        .map((line) => line.level);
    for (const id of ['anon-page', 'anon-user', 'anon-icon']) {
      assert.ok(levels(id).length > 0, `${id} was logged`);
      assert.ok(
        levels(id).every((level) => level < 40),
        `${id}: levels ${levels(id).join()}`,
      );
    }
    assert.ok(levels('no-csrf').includes(40), 'a missing X-CSRF is a warning');
  });

  it("lands a login's returnTo on a client-side route, and the reload there", async () => {
    const browser = bff.browser();
    const callback = await login(browser, { returnTo: '/orders/42' });
    assert.equal(callback.status, 302);
    assert.equal(callback.headers.location, '/orders/42');
    assert.equal((await browser.agent.get('/orders/42').set('Accept', HTML).expect(200)).text, INDEX);
  });
});

describe('BFF_STATIC_DIR', () => {
  let keys: Awaited<ReturnType<typeof keysFor>>;
  before(async () => (keys = await keysFor()));

  it('must be a folder', async () => {
    await assert.rejects(
      loadConfig(staticEnv(keys, { BFF_STATIC_DIR: '/no/such/folder' })),
      /BFF_STATIC_DIR: \/no\/such\/folder is not a folder/,
    );
    assert.equal((await loadConfig(staticEnv(keys, { BFF_STATIC_DIR: '.' }))).staticDir, process.cwd());
  });
});
