// The whole login flow against a real OP that encrypts id_tokens and userinfo.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestOp } from './fixtures/op.js';
import { assertNoTokens, getUser, login, sessionCookie, sessionIdOf, setCookies, type TestBff, sessionKey } from './helpers/harness.js';
import { useStack, withStack, type Stack, type TestRedis } from './helpers/stack.js';

describe('login flow with encrypted id_token and userinfo', () => {
  let op: TestOp;
  let bff: TestBff;
  let redis: TestRedis;
  let stack: Stack;
  useStack({ redis: true }, (started) => {
    stack = started;
    ({ op, bff, redis } = started);
  });

  it('signs in, decrypts both responses and shows the merged claims at /bff/user', async () => {
    const browser = bff.browser();
    const callback = await login(browser, { returnTo: '/orders?tab=open#top' });
    assert.equal(callback.status, 302);
    assert.equal(callback.headers.location, '/orders?tab=open#top');

    const user = await getUser(browser).expect(200);
    assert.equal(user.headers['cache-control'], 'no-store');
    assert.equal(user.body.claims.sub, 'alice');
    // Protocol claims are dropped by default (BFF_DROP_CLAIMS); the hashes and nonce always.
    for (const name of ['iss', 'aud', 'sid', 'exp', 'iat', 'nonce', 'at_hash']) assert.equal(name in user.body.claims, false, name);
    // email and name are only in the (encrypted) userinfo: oidc-provider keeps them out of the id_token.
    assert.equal(user.body.claims.email, 'alice@example.com');
    assert.equal(user.body.claims.name, 'Alice Example');
    assert.equal(user.body.claims.nonce, undefined);
    assert.match(user.body.logoutUrl, /^\/bff\/logout\?sid=[\w-]+$/);
    assert.ok(user.body.session.expiresAt > Date.now() / 1000);
    for (const res of [callback, user]) assertNoTokens(JSON.stringify({ headers: res.headers, body: res.text }));
  });

  it('BFF_DROP_CLAIMS chooses which claims /bff/user leaves out (never nonce or the hashes)', async () => {
    const keepAll = await stack.startBff({ BFF_DROP_CLAIMS: 'none' });
    const browser = keepAll.browser();
    await login(browser);
    const all = (await getUser(browser).expect(200)).body.claims;
    assert.equal(all.iss, op.issuer);
    assert.equal(all.aud, 'bff');
    assert.equal(typeof all.exp, 'number');
    assert.equal(all.nonce, undefined);
    assert.equal(all.at_hash, undefined);
    const dropEmail = await stack.startBff({ BFF_DROP_CLAIMS: 'email,email_verified' });
    const other = dropEmail.browser();
    await login(other);
    const some = (await getUser(other).expect(200)).body.claims;
    assert.equal(some.email, undefined);
    assert.equal(some.iss, op.issuer);
    assert.equal(some.name, 'Alice Example');
  });

  it('keeps the session in Redis with the tokens, and without the raw id_token', async () => {
    const browser = bff.browser();
    const callback = await login(browser);
    const sid = sessionIdOf(sessionCookie(callback)!);
    const stored = await redis.get(sessionKey(bff, sid));
    assert.ok(stored, 'session is in Redis');
    const session = JSON.parse(stored);
    assert.equal(session.user.sub, 'alice');
    assert.equal(typeof session.tokens.accessToken, 'string');
    assert.equal(session.id_token, undefined);
    assert.doesNotMatch(stored, /eyJ[\w-]+\.[\w-]+\./, 'no JWT (id_token) is stored');
    // The access token is in Redis, never in anything the browser received.
    const user = await getUser(browser).expect(200);
    assert.ok(!callback.text.includes(session.tokens.accessToken));
    assert.ok(!JSON.stringify(callback.headers).includes(session.tokens.accessToken));
    assert.ok(!user.text.includes(session.tokens.accessToken));
  });

  it('sets an HttpOnly, SameSite, Path=/ session cookie and a fresh session id at every login', async () => {
    const browser = bff.browser();
    const first = await login(browser);
    const second = await login(browser);
    const cookieOf = (res: typeof first) => setCookies(res).find((c) => c.startsWith('bff-session='))!;
    assert.match(cookieOf(first), /HttpOnly/);
    assert.match(cookieOf(first), /SameSite=Strict/);
    assert.match(cookieOf(first), /Path=\//);
    assert.notEqual(cookieOf(first).split(';')[0], cookieOf(second).split(';')[0]);
  });

  it('never shows a token to the browser nor writes a token or personal data to the log', async () => {
    const browser = bff.browser();
    const start = await browser.agent.get('/bff/login').expect(302);
    const back = await browser.op.signIn(start.headers.location!, 'carol');
    const code = back.searchParams.get('code')!;
    const callback = await browser.agent.get(back.pathname + back.search).expect(302);
    const replay = await browser.agent.get(back.pathname + back.search).expect(400);
    const user = await getUser(browser).expect(200);
    const key = sessionKey(bff, sessionIdOf(sessionCookie(callback)!));
    const { accessToken } = JSON.parse((await redis.get(key))!).tokens;
    const logout = await browser.agent.get(user.body.logoutUrl).expect(302);
    assert.equal(await redis.exists(key), 0, 'logged out');

    for (const res of [start, callback, replay, user, logout]) {
      const seen = JSON.stringify(res.headers) + res.text;
      assertNoTokens(seen);
      assert.ok(!seen.includes(accessToken), 'a response carries the access token');
    }
    // What carol's session held must not be in the log either.
    const logs = bff.logs.text;
    assert.ok(logs.includes('login completed'), 'the log is captured');
    for (const secret of [code, accessToken, 'carol@example.com', 'Carol Example']) {
      assert.ok(!logs.includes(secret), `log contains ${secret}`);
    }
    assert.doesNotMatch(logs, /eyJ[\w-]{5,}\./);
  });

  it('answers 401 JSON at /bff/user when nobody is signed in', async () => {
    const res = await getUser(bff.browser()).expect(401);
    assert.deepEqual(res.body, { error: 'not_authenticated', error_description: 'No user is signed in.' });
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal(res.headers['set-cookie'], undefined);
  });

  it('refuses /bff/user without the X-CSRF header, even when signed in', async () => {
    const browser = bff.browser();
    await login(browser);
    for (const value of [undefined, '0', 'true']) {
      const req = browser.agent.get('/bff/user');
      const res = await (value === undefined ? req : req.set('X-CSRF', value)).expect(403);
      assert.equal(res.body.error, 'csrf_header_missing');
      assert.equal(res.headers['cache-control'], 'no-store');
    }
    await getUser(browser).expect(200);
  });
});

describe('login flow with client secret authentication', () => {
  for (const method of ['client_secret_basic', 'client_secret_post'] as const) {
    it(`signs in with ${method} and still decrypts the id_token and userinfo`, () =>
      withStack(
        {
          keys: [{ use: 'enc', alg: 'ECDH-ES' }],
          clientId: 'secret-client',
          client: {
            token_endpoint_auth_method: method,
            client_secret: 'a-long-client-secret-for-the-tests-0123456789',
            id_token_encrypted_response_alg: 'ECDH-ES',
            userinfo_encrypted_response_alg: 'ECDH-ES',
          },
          env: {
            BFF_CLIENT_AUTH: method,
            BFF_CLIENT_SECRET: 'a-long-client-secret-for-the-tests-0123456789',
          },
        },
        async ({ bff }) => {
          const browser = bff.browser();
          assert.equal((await login(browser)).status, 302);
          assert.equal((await getUser(browser).expect(200)).body.claims.email, 'alice@example.com');
        },
      ));
  }
});
