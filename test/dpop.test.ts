// DPoP (RFC 9449) against oidc-provider demanding server nonces, and a real
// API that verifies each proof (signature by the token's cnf.jkt key, htm,
// htu, ath, jti replay, its own nonce) as a resource server must.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { calculateJwkThumbprint } from 'jose';
import type { TestApi } from './fixtures/api.js';
import type { HostileOp } from './fixtures/hostile-op.js';
import { assertNoTokens, getUser, login, sessionCookie, sessionIdOf, signIn, type TestBff, sessionKey } from './helpers/harness.js';
import { useStack, withStack, type TestRedis } from './helpers/stack.js';
import type { Env } from '../src/config.js';
import { Dpop } from '../src/oidc/dpop.js';

/** A POST whose body is sent in chunks, without Content-Length: the BFF streams it. */
function postChunked(
  url: string,
  cookie: string,
  chunks: string[],
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { cookie, 'x-csrf': '1', 'content-type': 'application/json' } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe('DPoP', () => {
  let op: HostileOp;
  let api: TestApi;
  let bff: TestBff;
  let redis: TestRedis;
  let startWith: (extra?: Env) => Promise<TestBff>;
  useStack(
    {
      hostile: true,
      op: { dpop: 'nonce' },
      api: { requireDpopNonce: true },
      redis: true,
      // BFF_DPOP=auto: the OP advertises ES256 proofs
      env: ({ api }) => ({ BFF_API_ROUTES: JSON.stringify([{ path: '/bff/api/orders', target: `${api.url}/v1`, token: 'required' }]) }),
    },
    (stack) => ({ op, api, bff, redis, startBff: startWith } = stack),
  );

  const signedIn = async (target = bff) => {
    const signed = await signIn(target);
    return { ...signed, stored: async () => JSON.parse((await redis.get(sessionKey(target, signed.sid)))!) };
  };

  it("binds each session's tokens to its own key, proven to the OP with the OP's nonce", async () => {
    const tokenRequestsBefore = op.requests.filter((r) => r.path === '/token').length;
    const parRequestsBefore = op.requests.filter((r) => r.path === '/request').length;
    const alice = await signedIn();
    const bob = await signedIn();
    const { tokens } = await alice.stored();
    assert.equal(tokens.tokenType, 'dpop');
    assert.deepEqual(Object.keys(tokens.dpopKey).sort(), ['crv', 'd', 'kty', 'x', 'y']);
    assert.notEqual((await bob.stored()).tokens.dpopKey.x, tokens.dpopKey.x, 'one key per session');
    // The OP demands a nonce: each new key's first request (the pushed authorization request) was
    // refused once (use_dpop_nonce) and retried; the code exchange reused the nonce it learned.
    assert.equal(op.requests.filter((r) => r.path === '/request').length - parRequestsBefore, 4);
    assert.equal(op.requests.filter((r) => r.path === '/token').length - tokenRequestsBefore, 2);
    // The key is the BFF's secret: /bff/user shows claims only.
    const user = await getUser(alice.browser).expect(200);
    assertNoTokens(user.text);
    assert.ok(!user.text.includes(tokens.dpopKey.d) && !user.text.includes(tokens.dpopKey.x));
  });

  it("sends a fresh proof with every API call and follows the API's nonce", async () => {
    const { browser, stored, cookie } = await signedIn();
    const { tokens } = await stored();
    const call = () => browser.agent.get('/bff/api/orders/7?page=2').set('X-CSRF', '1');

    let before = api.requests.length;
    const first = await call().expect(200);
    assert.equal(first.body.dpop, 'ok');
    assert.equal(first.headers['dpop-nonce'], undefined, "the nonce is the BFF's business");
    const seen = api.requests.slice(before);
    // Unless another test already taught the BFF this API's nonce, the first proof was refused and retried.
    assert.ok(seen.length === 1 || (seen.length === 2 && seen[0]!.dpop === 'use_dpop_nonce'), JSON.stringify(seen.map((s) => s.dpop)));
    const proof = seen.at(-1)!.proof!;
    assert.equal(proof.htm, 'GET');
    assert.equal(proof.htu, `${api.url}/v1/7`, 'htu has no query');
    assert.equal(seen.at(-1)!.headers.authorization, `DPoP ${tokens.accessToken}`);

    before = api.requests.length;
    const second = await call().expect(200);
    assert.equal(second.body.dpop, 'ok');
    assert.equal(api.requests.length - before, 1, 'the nonce was remembered');
    assert.notEqual(api.requests.at(-1)!.proof!.jti, proof.jti);

    // The API rotates its nonce: a bodiless call is retried once with the new one.
    api.rotateDpopNonce();
    before = api.requests.length;
    assert.equal((await call().expect(200)).body.dpop, 'ok');
    assert.deepEqual(
      api.requests.slice(before).map((r) => r.dpop),
      ['use_dpop_nonce', 'ok'],
    );

    // A small body is kept, so that it can be sent again with the new nonce.
    api.rotateDpopNonce();
    before = api.requests.length;
    const posted = await browser.agent.post('/bff/api/orders/7').set('X-CSRF', '1').send({ a: 1 }).expect(200);
    assert.equal(posted.body.dpop, 'ok');
    assert.deepEqual(
      api.requests.slice(before).map((r) => [r.dpop, r.proof?.htm, r.bodyBytes]),
      [
        ['use_dpop_nonce', undefined, 7],
        ['ok', 'POST', 7],
      ],
    );

    // A streamed body (no Content-Length) cannot be replayed: the SPA gets the 401, its retry carries the nonce.
    api.rotateDpopNonce();
    const streamed = () => postChunked(`${bff.url}/bff/api/orders/7`, cookie, ['{"a":', '1}']);
    const refused = await streamed();
    assert.equal(refused.status, 401);
    assert.match(String(refused.headers['www-authenticate']), /use_dpop_nonce/);
    const retried = await streamed();
    assert.equal(retried.status, 200);
    assert.equal(JSON.parse(retried.body).dpop, 'ok');
  });

  it('gives up after one nonce retry, without refreshing the token', async () => {
    const { browser, stored } = await signedIn();
    const { tokens } = await stored();
    const before = api.requests.length;
    const res = await browser.agent.get('/bff/api/orders/nonce-loop').set('X-CSRF', '1').expect(401);
    assert.match(String(res.headers['www-authenticate']), /use_dpop_nonce/);
    assert.equal(api.requests.length - before, 2);
    assert.equal((await stored()).tokens.accessToken, tokens.accessToken, 'a nonce problem is not a stale token');
  });

  it('keeps the binding across a refresh', async () => {
    const { browser, sid, stored } = await signedIn();
    const before = await stored();
    before.tokens.expiresAt = Math.floor(Date.now() / 1000) + 30; // within the refresh skew
    await redis.set(sessionKey(bff, sid), JSON.stringify(before), { expiration: 'KEEPTTL' });
    const res = await browser.agent.get('/bff/api/orders/1').set('X-CSRF', '1').expect(200);
    assert.equal(res.body.dpop, 'ok');
    const { tokens } = await stored();
    assert.notEqual(tokens.accessToken, before.tokens.accessToken);
    assert.equal(tokens.tokenType, 'dpop');
    assert.deepEqual(tokens.dpopKey, before.tokens.dpopKey);
  });

  it('binds the authorization code with dpop_jkt when PAR is off', async () => {
    const noPar = await startWith({ BFF_PAR: 'off' });
    try {
      const browser = noPar.browser();
      const start = await browser.agent.get('/bff/login').expect(302);
      const jkt = new URL(start.headers.location!).searchParams.get('dpop_jkt');
      assert.match(String(jkt), /^[\w-]{43}$/);
      const back = await browser.op.signIn(start.headers.location!, 'alice');
      const callback = await browser.agent.get(back.pathname + back.search).expect(302);
      const sid = sessionIdOf(sessionCookie(callback)!);
      const { tokens } = JSON.parse((await redis.get(sessionKey(noPar, sid)))!);
      assert.equal(await calculateJwkThumbprint({ kty: 'EC', crv: 'P-256', x: tokens.dpopKey.x, y: tokens.dpopKey.y }), jkt);
      assert.equal((await browser.agent.get('/bff/api/orders/1').set('X-CSRF', '1').expect(200)).body.dpop, 'ok');
    } finally {
      await noPar.close();
    }
  });

  it('BFF_DPOP=on refuses a login whose access token the OP did not bind', async () => {
    const strict = await startWith({ BFF_DPOP: 'on' });
    op.tamper.tokenType = 'Bearer';
    try {
      const browser = strict.browser();
      const callback = await login(browser);
      assert.equal(callback.status, 502);
      assert.equal(callback.body.error, 'token_not_dpop_bound');
      assert.equal(sessionCookie(callback), undefined);
    } finally {
      delete op.tamper.tokenType;
      await strict.close();
    }
  });

  it('BFF_DPOP=on ends a session whose refresh the OP answered with a bearer token', async () => {
    const strict = await startWith({ BFF_DPOP: 'on' });
    try {
      const { browser, sid, stored } = await signedIn(strict);
      const session = await stored();
      session.tokens.expiresAt = Math.floor(Date.now() / 1000) + 30;
      await redis.set(sessionKey(strict, sid), JSON.stringify(session), { expiration: 'KEEPTTL' });
      op.tamper.tokenType = 'Bearer';
      const revocationsBefore = op.requests.filter((r) => r.path === '/token/revocation').length;
      const res = await browser.agent.get('/bff/api/orders/1').set('X-CSRF', '1').expect(502);
      assert.equal(res.body.error, 'token_not_dpop_bound');
      assert.equal(await redis.get(sessionKey(strict, sid)), null, 'session ended');
      assert.equal(
        op.requests.filter((r) => r.path === '/token/revocation').length - revocationsBefore,
        1,
        'the new refresh token was revoked',
      );
      await getUser(browser).expect(401);
    } finally {
      delete op.tamper.tokenType;
      await strict.close();
    }
  });

  it('BFF_DPOP=off: plain bearer tokens', async () => {
    const bearer = await startWith({ BFF_DPOP: 'off' });
    try {
      const { browser, stored } = await signedIn(bearer);
      const { tokens } = await stored();
      assert.equal(tokens.tokenType, 'bearer');
      assert.equal(tokens.dpopKey, undefined);
      const res = await browser.agent.get('/bff/api/orders/1').set('X-CSRF', '1').set('DPoP', 'from-the-browser').expect(200);
      assert.deepEqual([res.body.active, res.body.scheme, res.body.dpop], [true, 'Bearer', undefined]);
      assert.equal(api.requests.at(-1)!.headers.dpop, undefined, "the browser's DPoP header is not passed on");
    } finally {
      await bearer.close();
    }
  });
});

describe('DPoP token types', () => {
  const key = { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'd' } as const;
  it('auto keeps the key only for a DPoP token; on refuses a bearer token', () => {
    assert.equal(new Dpop('auto').boundKey('dpop', key), key);
    assert.equal(new Dpop('auto').boundKey('bearer', key), undefined);
    assert.equal(new Dpop('on').boundKey('dpop', key), key);
    assert.throws(() => new Dpop('on').boundKey('bearer', key), { code: 'token_not_dpop_bound', status: 502 });
    assert.equal(new Dpop('off').boundKey('bearer', undefined), undefined);
  });
});

describe('DPoP with an OP that does not support it', () => {
  it('BFF_DPOP=on names the missing metadata; auto falls back to bearer tokens', () =>
    withStack({ op: { dpop: false }, bff: false }, async ({ startBff }) => {
      const strict = await startBff({ BFF_DPOP: 'on' });
      const auto = await startBff({ BFF_PAR: 'off' }); // so that dpop_jkt would show in the URL
      await strict.browser().agent.get('/readyz').expect(503);
      assert.match(strict.logs.text, /dpop_signing_alg_values_supported is not advertised.*BFF_DPOP=on/);
      const browser = auto.browser();
      const start = await browser.agent.get('/bff/login').expect(302);
      assert.equal(new URL(start.headers.location!).searchParams.get('dpop_jkt'), null);
      const back = await browser.op.signIn(start.headers.location!, 'alice');
      await browser.agent.get(back.pathname + back.search).expect(302);
      await getUser(browser).expect(200);
    }));
});
