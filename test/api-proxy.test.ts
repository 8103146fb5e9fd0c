// The API proxy: /bff/api/<route>/… to a real upstream that verifies the
// bearer token at the OP (introspection).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import request from 'supertest';
import { unsign } from 'cookie-signature';
import type { TestApi } from './fixtures/api.js';
import type { HostileOp } from './fixtures/hostile-op.js';
import {
  FetchBrowser,
  freePort,
  assertNoTokens,
  baseEnv,
  sessionIdOf,
  signIn,
  setCookies,
  spawnBff,
  startBff,
  type TestBff,
  sessionKey,
} from './helpers/harness.js';
import { useStack, withStack, type Stack, type TestRedis } from './helpers/stack.js';
import { OpBrowser } from './fixtures/op-browser.js';
import type { Env } from '../src/config.js';

/** A request with the path exactly as given: no client-side normalisation of "..". */
function rawGet(base: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(base);
    const req = http.request({ host: url.hostname, port: url.port, path, headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('API proxy', () => {
  let op: HostileOp;
  let api: TestApi;
  let bff: TestBff;
  let bffEnv: Env;
  let anotherBff: Stack['startBff'];
  let redis: TestRedis;
  useStack(
    {
      hostile: true,
      api: true,
      redis: true,
      env: async ({ api }) => {
        const routes = [
          { path: '/bff/api/orders', target: `${api.url}/v1`, token: 'required' },
          { path: '/bff/api/orders/archive', target: `${api.url}/archive`, token: 'required' },
          { path: '/bff/api/catalog', target: `${api.url}/catalog`, token: 'optional' },
          { path: '/bff/api/status', target: `${api.url}/status`, token: 'none' },
          { path: '/bff/api/down', target: `http://127.0.0.1:${await freePort()}/x`, token: 'required' },
        ];
        return { BFF_API_ROUTES: JSON.stringify(routes), BFF_API_TIMEOUT: '500', BFF_API_MAX_BODY: '1000' };
      },
    },
    (stack) => ({ op, api, bff, env: bffEnv, redis, startBff: anotherBff } = stack),
  );

  const signedIn = () => signIn(bff);
  const tokensOf = async (sid: string) => JSON.parse((await redis.get(sessionKey(bff, sid)))!).tokens;

  it('passes no client-address or public-URL header a browser can invent; sets its own from what it knows', async () => {
    const invented = [
      'True-Client-IP',
      'X-Client-IP',
      'Client-IP',
      'CF-Connecting-IP',
      'Fastly-Client-IP',
      'X-Cluster-Client-IP',
      'X-Real-IP',
      'X-Original-Forwarded-For',
      'X-ProxyUser-Ip',
      'X-Original-Host',
      'X-Host',
      'X-URL-Scheme',
      'Front-End-Https',
      'Forwarded',
      'X-Forwarded-Prefix',
      'X-Forwarded-Port',
      'X-Forwarded-Server',
      'X-Forwarded-Scheme',
      'X-Forwarded-Ssl',
      'X-Forwarded-Host',
      'X-Forwarded-Proto',
    ];
    let call = request(bff.url).get('/bff/api/status').set('X-CSRF', '1');
    for (const name of invented) call = call.set(name, name === 'Forwarded' ? 'for=6.6.6.6;host=evil.example' : 'evil.example');
    await call.expect(200);
    const seen = api.requests.at(-1)!.headers;
    for (const name of invented.filter((n) => !['X-Forwarded-Host', 'X-Forwarded-Proto'].includes(n))) {
      assert.equal(seen[name.toLowerCase()], undefined, `${name} reached the upstream`);
    }
    assert.equal(seen['x-forwarded-host'], new URL(bff.config.publicUrl).host);
    assert.equal(seen['x-forwarded-proto'], 'http');
  });

  it("maps an upstream's redirect onto the BFF's routes, and never shows an internal URL to the browser", async () => {
    const locationFor = async (to: string) => {
      const res = await request(bff.url)
        .get(`/bff/api/status/redirect?to=${encodeURIComponent(to)}`)
        .set('X-CSRF', '1')
        .expect(302);
      return res.headers.location;
    };
    assert.equal(await locationFor(`${api.url}/v1/orders/2?x=1`), '/bff/api/orders/orders/2?x=1');
    assert.equal(await locationFor('/archive/7'), '/bff/api/orders/archive/7', 'a relative one, resolved against the upstream URL');
    assert.equal(await locationFor(`${api.url}/admin`), undefined, 'an internal URL under no route is dropped');
    assert.equal(await locationFor('https://elsewhere.example/page'), 'https://elsewhere.example/page');
  });

  it('believes X-Forwarded-For only as far as BFF_TRUST_PROXY trusts each hop, as Express does', async () => {
    const forwardedFor = async (target: TestBff) => {
      await request(target.url).get('/bff/api/status').set('X-CSRF', '1').set('X-Forwarded-For', '6.6.6.6').expect(200);
      return String(api.requests.at(-1)!.headers['x-forwarded-for']);
    };
    // The peer (this test, on loopback) is not the trusted proxy: its X-Forwarded-For is the browser's own word.
    assert.match(await forwardedFor(await anotherBff({ BFF_TRUST_PROXY: '10.0.0.1' })), /^(::ffff:)?127\.0\.0\.1$/);
    assert.match(await forwardedFor(await anotherBff({ BFF_TRUST_PROXY: 'loopback' })), /^6\.6\.6\.6, (::ffff:)?127\.0\.0\.1$/);
    assert.match(await forwardedFor(await anotherBff({ BFF_TRUST_PROXY: '1' })), /^6\.6\.6\.6, (::ffff:)?127\.0\.0\.1$/);
  });

  it("attaches the session's access token and strips the browser's credentials", async () => {
    const { browser, sid } = await signedIn();
    const res = await browser.agent
      .get('/bff/api/orders/42/items?x=1&y=%2F')
      .set('X-CSRF', '1')
      .set('Authorization', 'Bearer chosen-by-the-browser')
      .set('X-Custom', 'kept')
      .set('X-Original-URL', '/admin')
      .set('X-HTTP-Method-Override', 'DELETE')
      .set('X-Forwarded-For', '6.6.6.6')
      .set('DPoP', 'chosen-by-the-browser')
      .set('Connection', 'X-Hop') // X-Hop is hop-by-hop: for the BFF, not the upstream
      .set('X-Hop', 'not-for-the-upstream')
      .set('TE', 'trailers')
      .expect(200);
    // The OP issues DPoP-bound tokens (BFF_DPOP=auto): the API verified the BFF's proof.
    assert.deepEqual(res.body, {
      method: 'GET',
      url: '/v1/42/items?x=1&y=%2F',
      active: true,
      sub: 'alice',
      scheme: 'DPoP',
      dpop: 'ok',
      bodyBytes: 0,
    });
    const seen = api.requests.at(-1)!;
    assert.equal(seen.headers.authorization, `DPoP ${(await tokensOf(sid)).accessToken}`);
    assert.notEqual(seen.headers.dpop, 'chosen-by-the-browser');
    assert.equal(seen.headers.cookie, undefined);
    assert.equal(seen.headers['x-csrf'], undefined);
    assert.equal(seen.headers['x-custom'], 'kept');
    assert.equal(seen.headers['x-original-url'], undefined);
    assert.equal(seen.headers['x-http-method-override'], undefined);
    assert.equal(seen.headers['x-hop'], undefined, 'a header the Connection header names is hop-by-hop');
    assert.equal(seen.headers.te, undefined);
    assert.doesNotMatch(String(seen.headers['x-forwarded-for']), /6\.6\.6\.6/, 'a spoofed X-Forwarded-For is not passed on');
    // Per-user data: no shared cache may keep it, whatever the upstream said.
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal(seen.headers['x-forwarded-proto'], 'http');
    assert.equal(seen.headers['x-forwarded-host'], 'bff.test');
    assert.match(String(seen.headers['x-forwarded-for']), /127\.0\.0\.1/);
    // Upstream cookies do not reach the browser; other headers do.
    assert.ok(!setCookies(res).some((c) => c.startsWith('upstream=')));
    assert.equal(res.headers['x-upstream'], 'yes');
    assertNoTokens(JSON.stringify(res.headers) + res.text);
    assert.ok(!res.text.includes((await tokensOf(sid)).accessToken));
  });

  it('restarts the idle timeout on every API call and sends the cookie back with its new expiry', async () => {
    const { cookie, sid } = await signedIn();
    const key = sessionKey(bff, sid);
    await redis.pExpire(key, 30_000); // as if most of the idle time had passed
    const res = await request(bff.url).get('/bff/api/orders/1').set('Cookie', cookie).set('X-CSRF', '1').expect(200);
    const idleMs = bff.config.sessionIdleSeconds * 1000;
    assert.ok((await redis.pTTL(key)) > idleMs - 5_000, "the store's idle timer restarted");
    const renewed = setCookies(res).find((c) => c.startsWith('bff-session='))!;
    assert.equal(renewed.split(';')[0], cookie, 'same signed id');
    assert.match(renewed, /; HttpOnly/);
    assert.match(renewed, /; SameSite=Strict/);
    const expires = Date.parse(/Expires=([^;]+)/.exec(renewed)![1]!);
    assert.ok(Math.abs(expires - (Date.now() + idleMs)) < 5_000, "the cookie's expiry slid too");
  });

  it("keeps the BFF's security headers and request id over an upstream's", async () => {
    const { cookie } = await signedIn();
    const res = await request(bff.url).get('/bff/api/orders/hostile-headers').set('Cookie', cookie).set('X-CSRF', '1').expect(200);
    assert.equal(res.text, 'ok');
    assert.match(res.headers['content-security-policy']!, /script-src 'self'/);
    assert.equal(res.headers['x-frame-options'], 'SAMEORIGIN');
    assert.equal(res.headers['referrer-policy'], 'no-referrer');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.notEqual(res.headers['x-request-id'], 'upstream-id');
    assert.equal(res.headers['content-type'], 'text/plain', "the upstream's own headers still pass");
  });

  it('never relays TRACE: an echoing upstream would hand the token and proof back to the browser', async () => {
    const { cookie } = await signedIn();
    const before = api.requests.length;
    const res = await request(bff.url).trace('/bff/api/orders/1').set('Cookie', cookie).set('X-CSRF', '1').expect(405);
    assert.equal(res.body.error, 'method_not_allowed');
    assert.ok(res.headers.allow?.includes('GET'));
    assert.equal(api.requests.length, before, 'the upstream was not called');
    assertNoTokens(res.text);
  });

  it('refuses a forged session cookie, and ends a session past its absolute lifetime', async () => {
    const { cookie, sid } = await signedIn();
    const before = api.requests.length;
    const forged = `${cookie.slice(0, -3)}${cookie.endsWith('AAA') ? 'BBB' : 'AAA'}`;
    const refused = await request(bff.url).get('/bff/api/orders/1').set('Cookie', forged).set('X-CSRF', '1').expect(401);
    assert.equal(refused.body.error, 'not_authenticated');
    assert.equal(setCookies(refused).length, 0);
    assert.equal(api.requests.length, before, 'the upstream was not called');

    const key = sessionKey(bff, sid);
    const stored = JSON.parse((await redis.get(key))!);
    await redis.set(key, JSON.stringify({ ...stored, createdAt: stored.createdAt - bff.config.sessionAbsoluteSeconds - 1 }), {
      expiration: 'KEEPTTL',
    });
    await request(bff.url).get('/bff/api/orders/1').set('Cookie', cookie).set('X-CSRF', '1').expect(401);
    assert.equal(await redis.exists(key), 0, 'ended in the store');
  });

  it('takes a cookie signed with an older secret and re-signs it with the current one', async () => {
    const { cookie } = await signedIn();
    const current = 'rotated-session-secret-0123456789abcdef';
    const rotated = await startBff({ ...bffEnv, BFF_SESSION_SECRET: `${current},${bffEnv.BFF_SESSION_SECRET}` });
    try {
      const res = await request(rotated.url).get('/bff/api/orders/1').set('Cookie', cookie).set('X-CSRF', '1').expect(200);
      const renewed = decodeURIComponent(
        setCookies(res)
          .find((c) => c.startsWith('bff-session='))!
          .split(';')[0]!
          .slice('bff-session='.length),
      );
      assert.equal(unsign(renewed.slice(2), current), sessionIdOf(cookie));
    } finally {
      await rotated.close();
    }
  });

  it('routes to the longest matching path', async () => {
    const { browser } = await signedIn();
    const res = await browser.agent.get('/bff/api/orders/archive/2024').set('X-CSRF', '1').expect(200);
    assert.equal(res.body.url, '/archive/2024');
  });

  it('answers 401 JSON (never a redirect) without a session on a required route', async () => {
    const before = api.requests.length;
    const res = await bff.browser().agent.get('/bff/api/orders/1').set('X-CSRF', '1').expect(401);
    assert.equal(res.body.error, 'not_authenticated');
    assert.equal(res.headers.location, undefined);
    assert.equal(api.requests.length, before, 'the upstream was not called');
  });

  it('attaches a token on optional routes only when signed in, and never on "none" routes', async () => {
    const anonymous = await bff.browser().agent.get('/bff/api/catalog/items').set('X-CSRF', '1').expect(200);
    assert.equal(anonymous.body.active, false);
    assert.equal(api.requests.at(-1)!.headers.authorization, undefined);
    const { browser } = await signedIn();
    assert.equal((await browser.agent.get('/bff/api/catalog/items').set('X-CSRF', '1').expect(200)).body.active, true);
    await browser.agent.get('/bff/api/status').set('X-CSRF', '1').expect(200);
    assert.equal(api.requests.at(-1)!.headers.authorization, undefined);
  });

  it('requires the X-CSRF header', async () => {
    const { browser } = await signedIn();
    const res = await browser.agent.get('/bff/api/orders/1').expect(403);
    assert.equal(res.body.error, 'csrf_header_missing');
    const post = await browser.agent.post('/bff/api/orders').send({ a: 1 }).expect(403);
    assert.equal(post.body.error, 'csrf_header_missing');
  });

  for (const path of [
    '/bff/api/orders/../admin',
    '/bff/api/orders/%2e%2e/admin',
    '/bff/api/orders/%2E%2E/%2E%2E/admin',
    '/bff/api/orders/..%2Fadmin',
    '/bff/api/orders/a%2F..%2F..%2Fadmin',
    '/bff/api/orders//evil.example/x',
    '/bff/api/orders/%5C..%5Cadmin',
    '/bff/api/orders/./x',
    '/bff/api/orders/%zz',
    '/bff/api/orders/..;/admin',
    '/bff/api/orders/%2e%2e%3b/admin',
    '/bff/api/orders/a%00b',
  ]) {
    it(`keeps ${path} inside the route (400, upstream not called)`, async () => {
      const { browser } = await signedIn();
      const cookie = (browser.agent as unknown as { jar: { getCookies(o: unknown): Array<{ name: string; value: string }> } }).jar
        .getCookies({ domain: '127.0.0.1', path: '/', secure: false, script: false })
        .map((c) => `${c.name}=${c.value}`)
        .join('; ');
      const before = api.requests.length;
      const res = await rawGet(bff.url, path, { 'x-csrf': '1', cookie });
      assert.equal(res.status, 400, res.body);
      assert.equal(JSON.parse(res.body).error, 'invalid_path');
      assert.equal(api.requests.length, before);
    });
  }

  it('reaches only configured routes (no open proxy)', async () => {
    for (const path of ['/bff/api/unknown/x', '/bff/api/ordersX/1', '/bff/api', '/bff/api/http://evil.example/']) {
      const res = await rawGet(bff.url, path, { 'x-csrf': '1' });
      assert.equal(res.status, 404, path);
    }
  });

  it('answers 502 when the upstream is down and 504 when it is slow', async () => {
    const { browser } = await signedIn();
    assert.equal((await browser.agent.get('/bff/api/down/1').set('X-CSRF', '1').expect(502)).body.error, 'upstream_unreachable');
    assert.equal((await browser.agent.get('/bff/api/orders/slow/2000').set('X-CSRF', '1').expect(504)).body.error, 'upstream_timeout');
  });

  it('refuses a body over BFF_API_MAX_BODY with 413', async () => {
    const { browser } = await signedIn();
    const res = await browser.agent.post('/bff/api/orders').set('X-CSRF', '1').send('x'.repeat(2000)).expect(413);
    assert.equal(res.body.error, 'request_too_large');
    const small = await browser.agent.post('/bff/api/orders').set('X-CSRF', '1').type('text').send('hello').expect(200);
    assert.equal(small.body.bodyBytes, 5);
  });

  it('refuses a chunked body (no Content-Length) that grows over BFF_API_MAX_BODY with 413', async () => {
    const { cookie } = await signedIn();
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const { hostname, port } = new URL(bff.url);
      const req = http.request(
        { hostname, port, method: 'POST', path: '/bff/api/orders', headers: { cookie, 'x-csrf': '1', 'content-type': 'text/plain' } },
        (answer) => {
          let body = '';
          answer.on('data', (d: Buffer) => (body += d.toString()));
          answer.on('end', () => resolve({ status: answer.statusCode!, body }));
        },
      );
      req.on('error', reject);
      // Chunked: the size is known only while the body streams.
      for (let i = 0; i < 5; i++) req.write('x'.repeat(400));
      req.end();
    });
    assert.equal(res.status, 413, res.body);
    assert.equal(JSON.parse(res.body).error, 'request_too_large');
  });

  it('on an upstream 401, refreshes once and retries a GET; passes the 401 on when that does not help', async () => {
    const { browser, sid } = await signedIn();
    const old = (await tokensOf(sid)).accessToken;
    api.rejected.add(old);
    const grants = () => op.requests.filter((r) => r.body.get('grant_type') === 'refresh_token').length;
    const before = grants();
    const res = await browser.agent.get('/bff/api/orders/private').set('X-CSRF', '1').expect(200);
    assert.equal(res.body.active, true);
    assert.equal(grants() - before, 1);
    const fresh = (await tokensOf(sid)).accessToken;
    assert.notEqual(fresh, old);

    // A POST is not replayed: its 401 goes to the SPA.
    api.rejected.add(fresh);
    await browser.agent.post('/bff/api/orders/private').set('X-CSRF', '1').send('x').expect(401);
    // An API that refuses every token: the 401 goes to the SPA, and a token that young is not refreshed again.
    const orig = api.rejected.has.bind(api.rejected);
    api.rejected.has = () => true;
    try {
      const beforeStorm = grants();
      await browser.agent.get('/bff/api/orders/private').set('X-CSRF', '1').expect(401);
      await browser.agent.get('/bff/api/orders/private').set('X-CSRF', '1').expect(401);
      assert.equal(grants() - beforeStorm, 0, 'no refresh storm');
    } finally {
      api.rejected.has = orig;
    }
  });

  it('refreshes an access token about to expire before calling the API', async () => {
    const { browser, sid } = await signedIn();
    const key = sessionKey(bff, sid);
    const stored = JSON.parse((await redis.get(key))!);
    stored.tokens.expiresAt = Math.floor(Date.now() / 1000) + 30; // within the 60 s skew
    await redis.set(key, JSON.stringify(stored), { expiration: 'KEEPTTL' });
    const res = await browser.agent.get('/bff/api/orders/1').set('X-CSRF', '1').expect(200);
    assert.equal(res.body.active, true);
    const after = JSON.parse((await redis.get(key))!).tokens;
    assert.notEqual(after.accessToken, stored.tokens.accessToken);
    assert.equal(api.requests.at(-1)!.headers.authorization, `DPoP ${after.accessToken}`);
    assert.equal(after.dpopKey.x, stored.tokens.dpopKey.x, "the refreshed token is bound to the session's key");
  });
});

describe('API proxy streaming', () => {
  it("streams a 20 MB upload and download without the BFF's memory growing by that much", () =>
    withStack({ hostile: true, api: true, bff: false }, async ({ op, api, keys }) => {
      const routes = [{ path: '/bff/api/files', target: `${api.url}/files`, token: 'required' }];
      const bff = await spawnBff(
        baseEnv(op, 'bff', keys, { BFF_API_ROUTES: JSON.stringify(routes), BFF_API_MAX_BODY: String(64 * 1024 * 1024) }),
      );
      const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${bff.process.pid}/status`, 'utf8'))![1]) * 1024;
      try {
        const browser = new FetchBrowser();
        const start = await browser.get(`${bff.url}/bff/login`);
        const back = await new OpBrowser(op.issuer).signIn(start.headers.get('location')!);
        assert.equal((await browser.get(`${bff.url}${back.pathname}${back.search}`)).status, 302);
        const cookie = (browser as unknown as { cookies: Map<string, string> }).cookies;
        const cookieHeader = [...cookie].map(([k, v]) => `${k}=${v}`).join('; ');
        const MB20 = 20 * 1024 * 1024;

        const transfer = async () => {
          // Upload: a generated stream, never held in memory here either.
          const chunk = Buffer.alloc(64 * 1024, 1);
          const upload = await fetch(`${bff.url}/bff/api/files/upload`, {
            method: 'POST',
            headers: { 'x-csrf': '1', cookie: cookieHeader, 'content-type': 'application/octet-stream' },
            body: Readable.toWeb(
              Readable.from(
                (function* () {
                  for (let i = 0; i < MB20 / chunk.length; i++) yield chunk;
                })(),
              ),
            ) as ReadableStream,
            duplex: 'half',
          } as RequestInit);
          assert.equal(upload.status, 200);
          assert.equal(((await upload.json()) as { bodyBytes: number }).bodyBytes, MB20);
          const download = await fetch(`${bff.url}/bff/api/files/download/${MB20}`, { headers: { 'x-csrf': '1', cookie: cookieHeader } });
          let received = 0;
          for await (const part of download.body as unknown as AsyncIterable<Uint8Array>) received += part.length;
          assert.equal(received, MB20);
        };
        await transfer(); // warm up (JIT, socket pools)
        // Sample the BFF's RSS while it streams: a proxy that buffered a body would peak 20 MB higher.
        const before = rss();
        let peak = before;
        const sampler = setInterval(() => (peak = Math.max(peak, rss())), 10);
        try {
          await transfer();
          await transfer();
        } finally {
          clearInterval(sampler);
        }
        const growth = peak - before;
        process.stdout.write(
          `# proxy streaming: BFF RSS ${(before / 1048576).toFixed(1)} MB, peak +${(growth / 1048576).toFixed(1)} MB over 80 MB streamed\n`,
        );
        // RSS moves with garbage collection; a proxy holding a 20 MB upload and a 20 MB download would exceed this.
        assert.ok(growth < 2 * MB20, `RSS peaked ${(growth / 1048576).toFixed(1)} MB above the baseline while streaming 20 MB bodies`);

        // Deterministic proofs that nothing is buffered whole: each would deadlock (and time out) if it were.
        const within = <T>(work: Promise<T>, what: string) =>
          Promise.race([work, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what}: the BFF buffered`)), 5000))]);
        const download = await fetch(`${bff.url}/bff/api/files/gated-download`, { headers: { 'x-csrf': '1', cookie: cookieHeader } });
        const reader = (download.body as ReadableStream<Uint8Array>).getReader();
        let received = 0;
        await within(
          (async () => {
            while (received < 1024 * 1024) received += (await reader.read()).value!.length;
          })(),
          'download',
        );
        api.gates.releaseDownload();
        for (let part = await reader.read(); !part.done; part = await reader.read()) received += part.value.length;
        assert.equal(received, 2 * 1024 * 1024);

        const gatedBody = Readable.from(
          (async function* () {
            yield Buffer.alloc(1024 * 1024, 1);
            await within(api.gates.uploadStarted, 'upload'); // the API saw the first megabyte before the rest exists
            yield Buffer.alloc(1024 * 1024, 2);
          })(),
        );
        const gatedUpload = await fetch(`${bff.url}/bff/api/files/gated-upload`, {
          method: 'POST',
          headers: { 'x-csrf': '1', cookie: cookieHeader, 'content-type': 'application/octet-stream' },
          body: Readable.toWeb(gatedBody) as ReadableStream,
          duplex: 'half',
        } as RequestInit);
        assert.equal(((await gatedUpload.json()) as { bodyBytes: number }).bodyBytes, 2 * 1024 * 1024);
      } finally {
        await bff.stop();
      }
    }));
});
