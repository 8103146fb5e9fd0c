// /healthz, /readyz, security headers, unknown routes, and the process's
// start-up warnings and graceful stop.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { bffClient, startOp, type TestOp } from './fixtures/op.js';
import { BFF_ORIGIN, baseEnv, freePort, keysFor, startBff, type TestBff, type TestKeys } from './helpers/harness.js';

describe('health and readiness', () => {
  let op: TestOp;
  let keys: TestKeys;
  let bff: TestBff;
  before(async () => {
    keys = await keysFor();
    op = await startOp({ clients: [bffClient('bff', BFF_ORIGIN, keys.publicJwks)] });
    bff = await startBff(baseEnv(op, 'bff', keys));
  });
  after(async () => {
    await bff.close();
    await op.close();
  });

  it('/healthz and /readyz answer 200 when Redis and the OP are up', async () => {
    const agent = bff.browser().agent;
    await agent.get('/healthz').expect(200, { status: 'ok' });
    const ready = await agent.get('/readyz').expect(200);
    assert.deepEqual(ready.body.checks, { sessionStore: 'ok', openIdProvider: 'ok' });
  });

  it('sends helmet\'s security headers and a CSP on every response', async () => {
    const res = await bff.browser().agent.get('/healthz');
    assert.match(res.headers['content-security-policy']!, /default-src 'self'/);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['x-frame-options'], 'SAMEORIGIN');
    assert.equal(res.headers['x-powered-by'], undefined);
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
    const down = await startBff(baseEnv(op, 'bff', keys, { REDIS_URL: `redis://127.0.0.1:${await freePort()}` }));
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
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      env: {
        PATH: process.env.PATH,
        BFF_ISSUER: `http://127.0.0.1:${await freePort()}`,
        BFF_CLIENT_ID: 'bff',
        BFF_PUBLIC_URL: `http://localhost:${port}`,
        BFF_ALLOW_HTTP: '1',
        BFF_KEYS: JSON.stringify(keys.privateJwks),
        BFF_SESSION_SECRET: 'x'.repeat(32),
        PORT: String(port),
      },
    });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line: ${stdout}`)), 20_000);
      child.stdout.on('data', () => stdout.includes('Sealed BFF listening') && (clearTimeout(timer), resolve()));
    });
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(health.status, 200);
    child.kill('SIGTERM');
    const code = await new Promise((resolve) => child.on('exit', resolve));
    assert.equal(code, 0);
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as { level: number; msg: string });
    assert.ok(lines.some((l) => l.level === 40 && /REDIS_URL is not set/.test(l.msg)));
    assert.ok(lines.some((l) => l.level === 40 && /BFF_ALLOW_HTTP=1/.test(l.msg)));
    assert.ok(lines.some((l) => l.msg === 'stopped'));
  });
});
