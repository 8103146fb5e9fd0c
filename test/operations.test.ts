// Logs and metrics: request ids, no secrets in the log of a full flow,
// /metrics protected or on its own port.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { HostileOp } from './fixtures/hostile-op.js';
import { baseEnv, freePort, getUser, login, sessionCookie, spawnBff, startBff, type TestBff, type TestKeys } from './helpers/harness.js';
import { useStack } from './helpers/stack.js';
import { internals } from '../src/context.js';

describe('logs and metrics', () => {
  let op: HostileOp;
  let keys: TestKeys;
  let bff: TestBff;
  const METRICS_TOKEN = 'metrics-token-0123456789';
  useStack(
    { hostile: true, env: { BFF_METRICS_TOKEN: METRICS_TOKEN, BFF_CLIENT_SECRET: undefined } },
    (stack) => ({ op, keys, bff } = stack),
  );

  it('gives every response a request id, logs one line per request without the query, and keeps ids from the proxy', async () => {
    const res = await bff.browser().agent.get('/bff/login?returnTo=/private-path&login_hint=secret').set('X-Request-Id', 'edge-123');
    assert.equal(res.headers['x-request-id'], 'edge-123');
    const line = bff.logs.lines.map((l) => JSON.parse(l)).find((l) => l.requestId === 'edge-123' && l.msg === 'request');
    assert.deepEqual({ method: line.method, path: line.path, status: line.status }, { method: 'GET', path: '/bff/login', status: 302 });
    assert.equal(typeof line.durationMs, 'number');
    const generated = await bff.browser().agent.get('/healthz').set('X-Request-Id', 'not ok: <script>');
    assert.match(generated.headers['x-request-id']!, /^[0-9a-f-]{36}$/);
  });

  it('writes no token, code, secret or personal data to the log of a full flow, failures included', async () => {
    const browser = bff.browser();
    const start = await browser.agent.get('/bff/login').expect(302);
    const back = await browser.op.signIn(start.headers.location!, 'dora');
    const callback = await browser.agent.get(back.pathname + back.search).expect(302);
    await browser.agent.get(back.pathname + back.search).expect(400); // replay: logged as refused
    op.tamper.idToken = async (c) => op.encryptForBff(await op.signAsAttacker(c));
    await login(bff.browser(), { user: 'dora' }); // a refused id_token: logged with its code
    op.tamper = {};
    const user = await getUser(browser).expect(200);
    await browser.agent.get(user.body.logoutUrl).expect(302);

    const log = bff.logs.text;
    assert.match(log, /"code":"id_token_signature_invalid"/, 'the refusal is logged with its code');
    const secrets = [
      back.searchParams.get('code')!,
      back.searchParams.get('state')!,
      sessionCookie(callback)!.split('=')[1]!,
      'dora@example.com',
      'Dora Example',
      '"dora"', // the sub, as a JSON string value in a log line
      keys.privateJwks.keys[1]!.d as string,
      'test-session-secret',
    ];
    for (const secret of secrets) assert.ok(!log.includes(secret), `the log contains ${secret.slice(0, 12)}…`);
    assert.doesNotMatch(log, /eyJ[\w-]{10,}\./, 'no JWT in the log');
  });

  it("serves /metrics only with its bearer token, with the BFF's counters", async () => {
    await bff.browser().agent.get('/metrics').expect(401);
    await bff.browser().agent.get('/metrics').set('Authorization', 'Bearer wrong-token-0123456789').expect(401);
    const res = await bff.browser().agent.get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`).expect(200);
    assert.match(res.headers['content-type']!, /text\/plain/);
    const value = (name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(res.text)?.[1] ?? NaN);
    assert.ok(value('bff_logins_started_total') >= 3);
    assert.ok(value('bff_logins_completed_total') >= 1);
    assert.match(res.text, /bff_callback_failures_total\{code="invalid_state"\} [1-9]/);
    assert.match(res.text, /bff_callback_failures_total\{code="id_token_signature_invalid"\} [1-9]/);
    assert.match(res.text, /bff_process_resident_memory_bytes/);
  });

  it("is not served on the main port without a token (and Node's own metrics are not collected)", async () => {
    const plain = await startBff(baseEnv(op, 'bff', keys));
    try {
      await plain.browser().agent.get('/metrics').expect(404);
      assert.equal(internals(plain.app).context.metrics.registry.getSingleMetric('bff_process_resident_memory_bytes'), undefined);
    } finally {
      await plain.close();
    }
  });

  it('serves /metrics on BFF_METRICS_PORT in the server process', async () => {
    const metricsPort = await freePort();
    const server = await spawnBff(baseEnv(op, 'bff', keys, { BFF_METRICS_PORT: String(metricsPort) }));
    try {
      const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      assert.equal(res.status, 200);
      const text = await res.text();
      assert.match(text, /bff_logins_started_total 0/);
      assert.match(text, /bff_process_resident_memory_bytes/);
      assert.equal((await fetch(`${server.url}/metrics`)).status, 404);
    } finally {
      await server.stop();
    }
  });

  it("exits 0 on SIGTERM after stdout's reader has gone (a closed pipe), and does not hang", async () => {
    const server = await spawnBff(baseEnv(op, 'bff', keys));
    // The log collector dies: the next log line ("shutting down") meets a closed pipe (EPIPE) while the
    // process is about to exit, which made pino's exit-time flush retry forever.
    server.process.stdout!.destroy();
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200); // logged at debug only: nothing written yet
    const exited = new Promise<number | null>((resolve) => server.process.once('exit', resolve));
    server.process.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), 8000)));
    const outcome = await Promise.race([exited, hung]);
    clearTimeout(timer);
    if (outcome === 'hung') server.process.kill('SIGKILL');
    assert.equal(outcome, 0);
  });
});
