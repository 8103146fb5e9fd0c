// Faults: Redis going away and coming back, a slow OP, SIGTERM with requests
// in flight, and 200 concurrent logins.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestOp } from './fixtures/op.js';
import type { HostileOp } from './fixtures/hostile-op.js';
import {
  FetchBrowser,
  baseEnv,
  freePort,
  getUser,
  postLogoutToken,
  login,
  sessionCookie,
  spawnBff,
  startBff,
  type TestKeys,
} from './helpers/harness.js';
import { useStack, withStack } from './helpers/stack.js';
import { OpBrowser } from './fixtures/op-browser.js';

/** A Redis of the test's own, on a free port, that it can stop and start. */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'pipe',
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  for (let i = 0; i < 100 && !out.includes('Ready to accept connections'); i++) await sleep(50);
  if (!out.includes('Ready to accept connections')) throw new Error(`redis-server did not start: ${out}`);
  return child;
}
const stopRedis = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });

let unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

describe('Redis outage', () => {
  let op: TestOp;
  let keys: TestKeys;
  useStack({ bff: false }, (stack) => ({ op, keys } = stack));
  before(() => {
    process.on('unhandledRejection', onUnhandled);
    unhandled = [];
  });
  after(() => {
    process.off('unhandledRejection', onUnhandled);
  });

  it('answers 503 session_store_unavailable while Redis is down, and recovers by itself', async () => {
    const port = await freePort();
    let redis = await startRedis(port);
    const bff = await startBff(baseEnv(op, 'bff', keys, { REDIS_URL: `redis://127.0.0.1:${port}`, BFF_REDIS_TIMEOUT: '500' }));
    try {
      const browser = bff.browser();
      assert.equal((await login(browser)).status, 302);
      await getUser(browser).expect(200);

      await stopRedis(redis);
      const user = await getUser(browser).expect(503);
      assert.equal(user.body.error, 'session_store_unavailable');
      assert.equal((await browser.agent.get('/bff/login').expect(503)).body.error, 'session_store_unavailable');
      assert.equal((await browser.agent.get('/bff/logout?sid=x').expect(503)).body.error, 'session_store_unavailable');
      const ready = await browser.agent.get('/readyz').expect(503);
      assert.equal(ready.body.checks.sessionStore, 'unavailable');
      await browser.agent.get('/healthz').expect(200);

      redis = await startRedis(port);
      let recovered = false;
      for (let i = 0; i < 100 && !recovered; i++) {
        recovered = (await browser.agent.get('/readyz')).status === 200;
        if (!recovered) await sleep(100);
      }
      assert.ok(recovered, '/readyz back to 200');
      // The restarted Redis kept nothing: the old session is gone (401), and new logins work.
      await getUser(browser).expect(401);
      const again = bff.browser();
      assert.equal((await login(again)).status, 302);
      await getUser(again).expect(200);
      assert.deepEqual(unhandled, []);
    } finally {
      await bff.close();
      await stopRedis(redis);
    }
  });

  it('answers 503 within BFF_REDIS_TIMEOUT while Redis hangs (connected, not answering), on every path', async () => {
    const port = await freePort();
    const redis = await startRedis(port);
    const bff = await startBff(baseEnv(op, 'bff', keys, { REDIS_URL: `redis://127.0.0.1:${port}`, BFF_REDIS_TIMEOUT: '300' }));
    try {
      const browser = bff.browser();
      assert.equal((await login(browser)).status, 302);
      await getUser(browser).expect(200);
      redis.kill('SIGSTOP'); // the socket stays open; nothing answers
      // The hot path (GETEX; GET + PTTL), express-session's load through connect-redis, and (without a
      // session cookie) a login transaction's write.
      for (const [path, agent] of [
        ['/bff/user', browser.agent],
        ['/bff/user?slide=false', browser.agent],
        ['/bff/logout?sid=x', browser.agent],
        ['/bff/login', bff.browser().agent],
      ] as const) {
        const started = Date.now();
        const res = await agent.get(path).set('X-CSRF', '1').expect(503);
        assert.equal(res.body.error, 'session_store_unavailable', path);
        const took = Date.now() - started;
        assert.ok(took >= 250 && took < 1000, `${path} took ${took} ms`);
      }
      redis.kill('SIGCONT');
      // Nothing was lost: the commands that timed out did not end the session.
      await getUser(browser).expect(200);
      assert.deepEqual(unhandled, []);
    } finally {
      redis.kill('SIGCONT');
      await bff.close();
      await stopRedis(redis);
    }
  });
});

describe('back-channel logout while Redis hangs', () => {
  it("answers 503 and does not count the token as used: the OP's retry ends the session", () =>
    withStack({ hostile: true, bff: false }, async ({ op, startBff }) => {
      const port = await freePort();
      const redis = await startRedis(port);
      const bff = await startBff({ REDIS_URL: `redis://127.0.0.1:${port}`, BFF_REDIS_TIMEOUT: '300' });
      try {
        const browser = bff.browser();
        assert.equal((await login(browser, { user: 'alice' })).status, 302);
        await getUser(browser).expect(200);
        const claims = {
          iss: op.issuer,
          aud: 'bff',
          iat: Math.floor(Date.now() / 1000),
          jti: 'retried-jti',
          sub: 'alice',
          events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
        };
        const token = await op.encryptForBff(await op.signAsOp(claims, { typ: 'logout+jwt' }));
        const post = () => postLogoutToken(bff, { logout_token: token });

        redis.kill('SIGSTOP');
        assert.equal((await post().expect(503)).body.error, 'session_store_unavailable');
        redis.kill('SIGCONT'); // the timed-out SET NX of the jti runs now, and the undo after it
        await post().expect(200);
        await getUser(browser).expect(401);
      } finally {
        redis.kill('SIGCONT');
        await bff.close();
        await stopRedis(redis);
      }
    }));
});

describe('a slow OP', () => {
  let op: HostileOp;
  let keys: TestKeys;
  useStack({ hostile: true, bff: false }, (stack) => ({ op, keys } = stack));

  for (const [path, code] of [
    ['/token', 'token_timeout'],
    ['/me', 'userinfo_timeout'],
  ] as const) {
    it(`answers 504 ${code} when ${path} takes longer than BFF_OP_TIMEOUT, without a session`, async () => {
      const bff = await startBff(baseEnv(op, 'bff', keys, { BFF_OP_TIMEOUT: '1' }));
      try {
        op.tamper.delay = { path, ms: 1500 };
        const browser = bff.browser();
        const res = await login(browser);
        op.tamper = {};
        assert.equal(res.status, 504);
        assert.equal(res.body.error, code);
        assert.equal(sessionCookie(res), undefined);
        await getUser(browser).expect(401);
      } finally {
        await bff.close();
      }
    });
  }

  it('finishes requests in flight on SIGTERM, then exits 0', async () => {
    const bff = await spawnBff(baseEnv(op, 'bff', keys, { BFF_PAR: 'on' }));
    try {
      op.tamper.delay = { path: '/request', ms: 1000 }; // the PAR request of /bff/login
      const inFlight = new FetchBrowser().get(`${bff.url}/bff/login`);
      await sleep(300);
      const exited = bff.stop();
      const res = await inFlight;
      assert.equal(res.status, 302, 'the request in flight completed');
      assert.equal(await exited, 0);
      await assert.rejects(fetch(`${bff.url}/healthz`), 'no longer accepting');
    } finally {
      op.tamper = {};
      await bff.stop();
    }
  });
});

describe('load', () => {
  it('200 concurrent complete logins end with 200 distinct working sessions and no errors', () =>
    withStack({}, async ({ bff }) => {
      const browsers = Array.from({ length: 200 }, () => bff.browser());
      const callbacks = await Promise.all(browsers.map((b, i) => login(b, { user: `user${i}` })));
      assert.deepEqual(
        callbacks.filter((c) => c.status !== 302).map((c) => `${c.status} ${c.body.error}`),
        [],
      );
      const cookies = new Set(callbacks.map((c) => sessionCookie(c)));
      assert.equal(cookies.size, 200);
      const users = await Promise.all(browsers.map((b) => getUser(b)));
      assert.deepEqual(
        users.map((u) => (u.status === 200 ? u.body.claims.sub : u.status)),
        browsers.map((_, i) => `user${i}`),
      );
    }));
});

describe('several instances on one Redis', () => {
  it('serves one login across two BFF processes: start on A, callback on B, user and logout anywhere', () =>
    withStack({ bff: false }, async ({ op, env }) => {
      const [a, b] = await Promise.all([spawnBff(env), spawnBff(env)]);
      try {
        for (const bff of [a, b]) {
          let ready = false;
          for (let i = 0; i < 100 && !ready; i++) {
            ready = (await fetch(`${bff.url}/readyz`)).status === 200;
            if (!ready) await sleep(100);
          }
          assert.ok(ready, 'the BFF became ready once the OP answered');
        }
        const browser = new FetchBrowser();
        const start = await browser.get(`${a.url}/bff/login?returnTo=/two`);
        assert.equal(start.status, 302);
        const back = await new OpBrowser(op.issuer).signIn(start.headers.get('location')!);
        const callback = await browser.get(`${b.url}${back.pathname}${back.search}`);
        assert.equal(callback.status, 302);
        assert.equal(callback.headers.get('location'), '/two');
        const onA = await browser.get(`${a.url}/bff/user`, { 'x-csrf': '1' });
        const onB = await browser.get(`${b.url}/bff/user`, { 'x-csrf': '1' });
        assert.equal(onA.status, 200);
        assert.equal(onB.status, 200);
        const { logoutUrl } = (await onB.json()) as { logoutUrl: string };
        assert.equal((await browser.get(`${a.url}${logoutUrl}`)).status, 302);
        assert.equal((await browser.get(`${b.url}/bff/user`, { 'x-csrf': '1' })).status, 401);
      } finally {
        await Promise.all([a.stop(), b.stop()]);
      }
    }));
});
