// /healthz, /readyz, security headers, unknown routes, and the process's
// start-up warnings and graceful stop.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import express from 'express';
import request from 'supertest';
import type { TestOp } from './fixtures/op.js';
import {
  baseEnv,
  freePort,
  keysFor,
  signIn,
  spawnBff,
  unreachableOpEnv,
  startBff,
  type TestBff,
  type TestKeys,
} from './helpers/harness.js';
import { useStack } from './helpers/stack.js';

describe('health and readiness', () => {
  let op: TestOp;
  let keys: TestKeys;
  let bff: TestBff;
  useStack({}, (stack) => ({ op, keys, bff } = stack));

  it('/healthz and /readyz answer 200 when Redis and the OP are up', async () => {
    const agent = bff.browser().agent;
    await agent.get('/healthz').expect(200, { status: 'ok' });
    const ready = await agent.get('/readyz').expect(200);
    assert.deepEqual(ready.body.checks, { sessionStore: 'ok', openIdProvider: 'ok' });
  });

  it("sends helmet's security headers and a CSP on every response", async () => {
    const res = await bff.browser().agent.get('/healthz');
    assert.match(res.headers['content-security-policy']!, /default-src 'self'/);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['x-frame-options'], 'SAMEORIGIN');
    assert.equal(res.headers['x-powered-by'], undefined);
  });

  it('serves the hot paths (/bff/user, /bff/api) outside Express with the same headers, request ids, logs and errors', async () => {
    const agent = bff.browser().agent;
    const viaExpress = await agent.get('/healthz').expect(200);
    const user = await agent.get('/bff/user').set('X-CSRF', '1').set('X-Request-Id', 'hot-123').expect(401);
    const api = await agent.get('/bff/api/nowhere').set('X-CSRF', '1').expect(404);
    const security = Object.keys(viaExpress.headers).filter(
      (name) => !/^(date|connection|keep-alive|content-\w+|x-request-id|etag)$/.test(name),
    );
    assert.ok(security.includes('content-security-policy') && security.includes('referrer-policy'), security.join());
    for (const res of [user, api]) {
      for (const name of security) assert.equal(res.headers[name], viaExpress.headers[name], name);
      assert.equal(res.headers['x-powered-by'], undefined);
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.match(res.headers['content-type']!, /^application\/json/);
    }
    assert.deepEqual(user.body, { error: 'not_authenticated', error_description: 'No user is signed in.' });
    assert.equal(api.body.error, 'not_found');
    assert.equal(user.headers['x-request-id'], 'hot-123');
    const lines = bff.logs.lines.map((l) => JSON.parse(l)).filter((l) => l.requestId === 'hot-123');
    assert.deepEqual(
      lines.map((l) => [l.msg, l.code ?? l.status]),
      [
        ['request refused', 'not_authenticated'],
        ['request', 401],
      ],
    );
    // A top-level navigation gets the error page, as on Express's routes.
    const page = await agent.get('/bff/user').set('Sec-Fetch-Mode', 'navigate').expect(403);
    assert.match(page.headers['content-type']!, /^text\/html/);
    assert.match(page.text, /csrf_header_missing/);
    // Only GET and HEAD are /bff/user (in any case, with or without a trailing slash, as Express matched it).
    await agent.post('/bff/user').set('X-CSRF', '1').expect(404);
    const head = await agent.head('/bff/user').set('X-CSRF', '1').expect(401);
    assert.ok(head.headers['content-security-policy'] && head.headers['x-request-id']);
    assert.equal((await agent.get('/BFF/User/').set('X-CSRF', '1').expect(401)).body.error, 'not_authenticated');
  });

  it('keeps its hot paths when mounted in another Express app, under a prefix', async () => {
    const host = express();
    host.get('/host', (_req, res) => void res.send('host'));
    host.use('/auth', bff.app);
    await request(host).get('/host').expect(200, 'host');
    const { cookie } = await signIn(bff);
    const user = await request(host).get('/auth/bff/user').set('X-CSRF', '1').set('Cookie', cookie).expect(200);
    assert.equal(user.body.claims.sub, 'alice');
    assert.ok(user.headers['content-security-policy']);
    const api = await request(host).get('/auth/bff/api/nowhere').set('X-CSRF', '1').set('Cookie', cookie).expect(404);
    assert.equal(api.body.error, 'not_found');
    await request(host).get('/auth/healthz').expect(200);
  });

  it('answers unknown BFF endpoints with 404 JSON', async () => {
    const res = await bff.browser().agent.get('/bff/nope').expect(404);
    assert.equal(res.body.error, 'not_found');
  });

  it('/readyz is 503 and /bff/login 503 op_unavailable while the OP is unreachable', async () => {
    const down = await startBff(baseEnv(op, 'bff', keys, { BFF_ISSUER: `http://127.0.0.1:${await freePort()}` }));
    try {
      const agent = down.browser().agent;
      await agent.get('/healthz').expect(200);
      const ready = await agent.get('/readyz').expect(503);
      assert.deepEqual(ready.body.checks, { sessionStore: 'ok', openIdProvider: 'unavailable' });
      const login = await agent.get('/bff/login').expect(503);
      assert.equal(login.body.error, 'op_unavailable');
    } finally {
      await down.close();
    }
  });

  it('/readyz is 503 while Redis is unreachable', async () => {
    const down = await startBff(baseEnv(op, 'bff', keys, { REDIS_URL: `redis://127.0.0.1:${await freePort()}` }), { storeDown: true });
    try {
      const ready = await down.browser().agent.get('/readyz').expect(503);
      assert.deepEqual(ready.body.checks, { sessionStore: 'unavailable', openIdProvider: 'ok' });
    } finally {
      await down.close();
    }
  });
});

describe('the server process', () => {
  it('warns at start about the in-memory store and http, and exits 0 on SIGTERM', async () => {
    const keys = await keysFor();
    const bff = await spawnBff(
      await unreachableOpEnv({
        BFF_KEYS: JSON.stringify(keys.privateJwks),
      }),
    );
    assert.equal((await fetch(`${bff.url}/healthz`)).status, 200);
    assert.equal(await bff.stop(), 0);
    const lines = bff
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: number; msg: string });
    assert.ok(lines.some((l) => l.level === 40 && /REDIS_URL is not set/.test(l.msg)));
    assert.ok(lines.some((l) => l.level === 40 && /BFF_ALLOW_HTTP=1/.test(l.msg)));
    assert.ok(lines.some((l) => l.msg === 'stopped'));
  });
});
