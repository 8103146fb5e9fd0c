// Session lifecycle: idle and absolute timeouts, refresh once across
// instances, revocation at logout, session size, back-channel logout.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import request from 'supertest';
import type { HostileOp } from './fixtures/hostile-op.js';
import { getUser, postLogoutToken, login, sessionKey, setCookies, signIn, type TestBff } from './helpers/harness.js';
import { useStack, type TestRedis } from './helpers/stack.js';
import { internals } from '../src/context.js';
import { MISS_INTERVAL_MS } from '../src/oidc/op-keys.js';

describe('session lifecycle', () => {
  let op: HostileOp;
  let bff: TestBff;
  let other: TestBff; // a second instance on the same Redis
  let redis: TestRedis;

  let rotated: TestBff; // the same Redis, a new first secret: BFF_SESSION_SECRET=<new>,<bff's>

  useStack(
    {
      hostile: true,
      client: { backchannel_logout_uri: 'http://127.0.0.1:1/later', backchannel_logout_session_required: true },
      api: true,
      env: ({ api }) => ({
        BFF_SESSION_IDLE: '120',
        BFF_SESSION_ABSOLUTE: '600',
        BFF_API_ROUTES: JSON.stringify([{ path: '/bff/api/orders', target: `${api.url}/v1`, token: 'required' }]),
      }),
      redis: true,
    },
    async (stack) => {
      ({ op, bff, redis } = stack);
      other = await stack.startBff();
      rotated = await stack.startBff({ BFF_SESSION_SECRET: `rotated-secret-0123456789abcdefghij,${bff.config.sessionSecrets[0]!}` });
      // Now that the BFF listens, point the OP's back-channel at it.
      const client = await op.provider.Client.find('bff');
      (client as unknown as { backchannelLogoutUri: string }).backchannelLogoutUri = `${bff.url}/bff/backchannel-logout`;
    },
  );

  const signedIn = (user?: string) => signIn(bff, user);
  /** A counter's value at an instance, summed over the series with these labels. */
  const counted = async (target: TestBff, name: string, labels: Record<string, string>) => {
    const { values } = await internals(target.app).context.metrics.registry.getSingleMetric(name)!.get();
    return values.filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l)).reduce((sum, v) => sum + v.value, 0);
  };
  const countedOnBoth = async (name: string, labels: Record<string, string>) =>
    (await counted(bff, name, labels)) + (await counted(other, name, labels));

  it('applies the idle timeout in Redis and slides it, except with ?slide=false', async () => {
    const { browser, sid } = await signedIn();
    const ttl = () => redis.pTTL(sessionKey(bff, sid));
    assert.ok((await ttl()) > 110_000 && (await ttl()) <= 120_000);
    // As if 90 s had passed: 30 s of idle time left, in the cookie's expiry and the key's TTL.
    const stored = JSON.parse((await redis.get(sessionKey(bff, sid)))!);
    stored.cookie.expires = new Date(Date.now() + 30_000).toISOString();
    await redis.set(sessionKey(bff, sid), JSON.stringify(stored), { expiration: { type: 'PX', value: 30_000 } });

    const held = await browser.agent.get('/bff/user?slide=false').set('X-CSRF', '1').expect(200);
    assert.ok((await ttl()) <= 30_000, 'slide=false did not extend the session');
    assert.ok(held.body.session.expiresAt <= Date.now() / 1000 + 120);

    const slid = await getUser(browser).expect(200);
    assert.ok((await ttl()) > 110_000, 'a normal request extends the session');
    assert.ok(slid.body.session.expiresAt >= Math.floor(Date.now() / 1000) + 115);
    assert.equal(slid.body.session.absoluteExpiresAt - JSON.parse((await redis.get(sessionKey(bff, sid)))!).createdAt, 600);

    await browser.agent.get('/bff/user?slide=maybe').set('X-CSRF', '1').expect(400);
    await redis.pExpire(sessionKey(bff, sid), 1); // the idle timeout runs out
    await new Promise((r) => setTimeout(r, 20));
    await getUser(browser).expect(401);
  });

  it('neither deletes nor shortens a long-active session whose stored cookie expiry is stale (slide=false, refresh)', async () => {
    const { browser, sid } = await signedIn();
    // After a long active session, the JSON in Redis still carries the login's cookie expiry (touches only
    // move the key's TTL): make that expiry past while the key has 100 s left.
    const stored = JSON.parse((await redis.get(sessionKey(bff, sid)))!);
    stored.cookie.expires = new Date(Date.now() - 60_000).toISOString();
    await redis.set(sessionKey(bff, sid), JSON.stringify(stored), { expiration: { type: 'PX', value: 100_000 } });

    const held = await browser.agent.get('/bff/user?slide=false').set('X-CSRF', '1').expect(200);
    const ttl = await redis.pTTL(sessionKey(bff, sid));
    assert.ok(ttl > 90_000 && ttl <= 100_000, `TTL ${ttl}`);
    assert.ok(Math.abs(held.body.session.expiresAt - (Date.now() / 1000 + 100)) < 5);

    await internals(bff.app).context.accessTokens.refresh(sid, stored.tokens.accessToken);
    assert.ok((await redis.pTTL(sessionKey(bff, sid))) > 90_000, 'the refresh kept the TTL');
    await getUser(browser).expect(200);
  });

  it('ends a session past its absolute lifetime, however active', async () => {
    const { browser, sid } = await signedIn();
    const stored = JSON.parse((await redis.get(sessionKey(bff, sid)))!);
    await redis.set(sessionKey(bff, sid), JSON.stringify({ ...stored, createdAt: stored.createdAt - 601 }), { expiration: 'KEEPTTL' });
    await getUser(browser).expect(401);
    assert.equal(await redis.exists(sessionKey(bff, sid)), 0, 'destroyed in Redis');
  });

  it('leaves no session and sends no cookie when a login cannot be indexed for back-channel logout', async () => {
    // A value of the wrong type under alice's index key: Redis refuses to add to it (WRONGTYPE).
    const indexKey = `${bff.config.redisPrefix}idx:sub:${createHash('sha256').update('alice').digest('base64url')}`;
    const kept = await redis.get(indexKey).catch(() => null);
    await redis.del(indexKey);
    await redis.set(indexKey, 'not a set');
    try {
      const browser = bff.browser();
      const callback = await login(browser);
      assert.equal(callback.status, 503, callback.text);
      assert.equal(callback.body.error, 'session_store_unavailable');
      assert.deepEqual(
        setCookies(callback).filter((c) => c.startsWith('bff-session=')),
        [],
        'no session cookie',
      );
      await getUser(browser).expect(401);
    } finally {
      await redis.del(indexKey);
      if (kept !== null) await redis.set(indexKey, kept);
    }
  });

  it('answers a logout with one cookie: cleared, also when an older secret signed it', async () => {
    const { browser } = await signedIn();
    const user = await getUser(browser).expect(200);
    const cookie = setCookies(user)
      .find((c) => c.startsWith('bff-session='))!
      .split(';')[0]!;
    const logout = await rotated.browser().agent.get(user.body.logoutUrl).set('Cookie', cookie).expect(302);
    const sessionCookies = setCookies(logout).filter((c) => c.startsWith('bff-session='));
    assert.equal(sessionCookies.length, 1, sessionCookies.join(' | '));
    assert.match(sessionCookies[0]!, /^bff-session=;.*Expires=Thu, 01 Jan 1970/);
  });

  it('ends a session past its absolute lifetime on every route, /bff/logout included', async () => {
    const { browser, sid } = await signedIn();
    const stored = JSON.parse((await redis.get(sessionKey(bff, sid)))!);
    await redis.set(sessionKey(bff, sid), JSON.stringify({ ...stored, createdAt: stored.createdAt - 601 }), { expiration: 'KEEPTTL' });
    const logged = bff.logs.lines.length;
    // A live session would answer a wrong sid with 400 and stay; an ended one has nothing to check.
    await browser.agent.get('/bff/logout?sid=wrong').expect(302);
    assert.equal(await redis.exists(sessionKey(bff, sid)), 0, 'destroyed in Redis');
    assert.doesNotMatch(bff.logs.lines.slice(logged).join(''), /"event":"logout"/, 'no live session was logged out');
  });

  it('keeps a typical session under 4 KB in Redis, without the id_token', async () => {
    const { sid } = await signedIn();
    const stored = (await redis.get(sessionKey(bff, sid)))!;
    assert.ok(Buffer.byteLength(stored) < 4096, `${Buffer.byteLength(stored)} bytes`);
    assert.doesNotMatch(stored, /eyJ/);
  });

  it('refreshes once when 20 concurrent API calls on two instances find the access token expiring', async () => {
    const { cookie, sid } = await signedIn();
    const stored = JSON.parse((await redis.get(sessionKey(bff, sid)))!);
    // Within the 60 s refresh margin: every call below wants a fresh token.
    await redis.set(
      sessionKey(bff, sid),
      JSON.stringify({ ...stored, tokens: { ...stored.tokens, expiresAt: Math.floor(Date.now() / 1000) + 5 } }),
      {
        expiration: 'KEEPTTL',
      },
    );
    const grants = () => op.requests.filter((r) => r.body.get('grant_type') === 'refresh_token').length;
    const before = grants();
    const refreshesCounted = await countedOnBoth('bff_token_refreshes_total', { outcome: 'refreshed' });
    const proxiedCounted = await countedOnBoth('bff_proxy_requests_total', { route: '/bff/api/orders', status: '200' });
    const calls = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        request((i % 2 ? other : bff).url)
          .get('/bff/api/orders/1')
          .set('Cookie', cookie)
          .set('X-CSRF', '1'),
      ),
    );
    for (const call of calls) {
      assert.equal(call.status, 200, call.text);
      assert.equal(call.body.active, true, 'the upstream accepted the token');
    }
    assert.equal(grants() - before, 1, 'exactly one refresh_token grant');
    assert.equal(
      (await countedOnBoth('bff_token_refreshes_total', { outcome: 'refreshed' })) - refreshesCounted,
      1,
      'the refresh is counted',
    );
    assert.equal(
      (await countedOnBoth('bff_proxy_requests_total', { route: '/bff/api/orders', status: '200' })) - proxiedCounted,
      20,
      'every call is counted',
    );
    const refreshed = JSON.parse((await redis.get(sessionKey(bff, sid)))!).tokens;
    assert.notEqual(refreshed.accessToken, stored.tokens.accessToken);
  });

  it('refreshes once per session across instances; everyone reuses the result; the rotated token works next time', async () => {
    const { browser, sid } = await signedIn();
    const stale = JSON.parse((await redis.get(sessionKey(bff, sid)))!).tokens;
    assert.ok(stale.refreshToken, 'the OP issued a refresh token');
    const refreshesBefore = op.requests.filter((r) => r.body.get('grant_type') === 'refresh_token').length;

    // 20 concurrent needs for a fresh token, on two instances.
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => internals((i % 2 ? other : bff).app).context.accessTokens.refresh(sid, stale.accessToken)),
    );
    const grants = op.requests.filter((r) => r.body.get('grant_type') === 'refresh_token').length - refreshesBefore;
    assert.equal(grants, 1, 'exactly one refresh_token grant');
    assert.equal(new Set(results.map((t) => t.accessToken)).size, 1);
    assert.notEqual(results[0]!.accessToken, stale.accessToken);
    assert.notEqual(results[0]!.refreshToken, stale.refreshToken, 'the OP rotated the refresh token');
    const stored = JSON.parse((await redis.get(sessionKey(bff, sid)))!).tokens;
    assert.equal(stored.accessToken, results[0]!.accessToken);

    // The rotated refresh token is the one stored: a second refresh succeeds.
    const again = await internals(other.app).context.accessTokens.refresh(sid, stored.accessToken);
    assert.notEqual(again.accessToken, stored.accessToken);
    await getUser(browser).expect(200);
  });

  it('ends the session cleanly when the OP rejects the refresh token (invalid_grant)', async () => {
    const { browser, sid } = await signedIn();
    const { tokens } = JSON.parse((await redis.get(sessionKey(bff, sid)))!);
    const refreshToken = await op.provider.RefreshToken.find(tokens.refreshToken);
    await refreshToken!.destroy();
    await assert.rejects(internals(bff.app).context.accessTokens.refresh(sid, tokens.accessToken), {
      status: 401,
      code: 'not_authenticated',
    });
    await getUser(browser).expect(401);
    assert.equal(await redis.exists(sessionKey(bff, sid)), 0);
  });

  it('revokes the refresh token at logout', async () => {
    const { browser, sid } = await signedIn();
    const { tokens } = JSON.parse((await redis.get(sessionKey(bff, sid)))!);
    assert.ok(await op.provider.RefreshToken.find(tokens.refreshToken));
    const { logoutUrl } = (await getUser(browser).expect(200)).body;
    await browser.agent.get(logoutUrl).expect(302);
    assert.ok(op.requests.some((r) => r.path === '/token/revocation' && r.body.get('token') === tokens.refreshToken));
    assert.equal(await op.provider.RefreshToken.find(tokens.refreshToken), undefined, 'revoked at the OP');
  });

  it('ends every session of the OP session on back-channel logout, and only those', async () => {
    const accepted = await counted(bff, 'bff_backchannel_logouts_total', { outcome: 'accepted' });
    const first = await signedIn('alice');
    const second = await signedIn('alice'); // another browser: another OP session
    const bob = await signedIn('bob');
    // The user logs out at the OP itself (another app, or the OP's own page).
    const end = await first.browser.op.confirmLogout(`${op.issuer}/session/end?client_id=bff`);
    assert.equal(end.origin, op.issuer, 'stays at the OP: no post_logout_redirect_uri given');
    await getUser(first.browser).expect(401);
    assert.equal(await redis.exists(sessionKey(bff, first.sid)), 0);
    await getUser(second.browser).expect(200);
    await getUser(bob.browser).expect(200);
    assert.match(bff.logs.text, /"sessionsEnded":1/);
    assert.equal((await counted(bff, 'bff_backchannel_logouts_total', { outcome: 'accepted' })) - accepted, 1, 'the logout is counted');
  });
});

describe('POST /bff/backchannel-logout refusals', () => {
  let op: HostileOp;
  let bff: TestBff;
  let redis: TestRedis;
  const event = { 'http://schemas.openid.net/event/backchannel-logout': {} };
  useStack({ hostile: true, redis: true }, (stack) => ({ op, bff, redis } = stack));

  const claims = (extra: Record<string, unknown> = {}) => ({
    iss: op.issuer,
    aud: 'bff',
    iat: Math.floor(Date.now() / 1000),
    jti: `jti-${Math.random()}`,
    sub: 'alice',
    sid: 'op-session',
    events: event,
    ...extra,
  });
  const post = (body: string | Record<string, string>) => postLogoutToken(bff, body);
  const asOp = async (c: Record<string, unknown>) => op.encryptForBff(await op.signAsOp(c, { typ: 'logout+jwt' }));

  it('accepts a valid logout token (200, no-store) and refuses its replay', async () => {
    const token = await asOp(claims());
    const ok = await post({ logout_token: token }).expect(200);
    assert.equal(ok.headers['cache-control'], 'no-store');
    const replay = await post({ logout_token: token }).expect(400);
    assert.equal(replay.body.error, 'logout_token_replayed');
  });

  it("forgets the token's jti when ending the sessions fails, so that the OP's retry is no replay", async () => {
    const sid = `op-session-${Math.random()}`;
    const token = await asOp(claims({ sid }));
    // A value of the wrong type under the sid's index key: Redis refuses to read it as a set (WRONGTYPE).
    const indexKey = `${bff.config.redisPrefix}idx:sid:${createHash('sha256').update(sid).digest('base64url')}`;
    await redis.set(indexKey, 'not a set');
    try {
      const failed = await post({ logout_token: token }).expect(503);
      assert.equal(failed.body.error, 'session_store_unavailable');
    } finally {
      await redis.del(indexKey);
    }
    await post({ logout_token: token }).expect(200);
  });

  const cases: Array<[string, () => Promise<string | Record<string, string>>, string]> = [
    ['no logout_token', async () => ({ other: 'x' }), 'invalid_request'],
    ['garbage', async () => ({ logout_token: 'garbage' }), 'logout_token_malformed'],
    [
      'a forged signature',
      async () => ({ logout_token: await op.encryptForBff(await op.signAsAttacker(claims())) }),
      'logout_token_signature_invalid',
    ],
    ['a plaintext token (encryption required)', async () => ({ logout_token: await op.signAsOp(claims()) }), 'logout_token_not_encrypted'],
    ['no events claim', async () => ({ logout_token: await asOp(claims({ events: undefined })) }), 'logout_token_events_invalid'],
    ['a nonce (an ID token)', async () => ({ logout_token: await asOp(claims({ nonce: 'n' })) }), 'logout_token_nonce_present'],
    ['another audience', async () => ({ logout_token: await asOp(claims({ aud: 'someone-else' })) }), 'logout_token_audience_mismatch'],
    ['another issuer', async () => ({ logout_token: await asOp(claims({ iss: 'https://evil.example' })) }), 'logout_token_issuer_mismatch'],
    ['neither sid nor sub', async () => ({ logout_token: await asOp(claims({ sid: undefined, sub: undefined })) }), 'logout_token_invalid'],
    [
      'an old token',
      async () => ({ logout_token: await asOp(claims({ iat: Math.floor(Date.now() / 1000) - 3600 })) }),
      'logout_token_expired',
    ],
    [
      'a token issued in the future',
      async () => ({ logout_token: await asOp(claims({ iat: Math.floor(Date.now() / 1000) + 3600 })) }),
      'logout_token_issued_at_invalid',
    ],
    ['no iat', async () => ({ logout_token: await asOp(claims({ iat: undefined })) }), 'logout_token_issued_at_invalid'],
    [
      'an extra untrusted audience',
      async () => ({ logout_token: await asOp(claims({ aud: ['bff', 'untrusted'] })) }),
      'logout_token_audience_untrusted',
    ],
    [
      "another token type's typ",
      async () => ({ logout_token: await op.encryptForBff(await op.signAsOp(claims(), { typ: 'at+jwt' })) }),
      'logout_token_invalid',
    ],
    [
      'an unsigned inner JWT (alg none)',
      async () => ({
        logout_token: await op.encryptForBff(
          `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'logout+jwt' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims())).toString('base64url')}.`,
        ),
      }),
      'logout_token_alg_not_allowed',
    ],
    [
      'HS256 with a shared secret',
      async () => ({
        logout_token: await op.encryptForBff(await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256' }).sign(new Uint8Array(32))),
      }),
      'logout_token_alg_not_allowed',
    ],
  ];
  for (const [name, body, code] of cases) {
    it(`refuses ${name} with 400 ${code}`, async () => {
      const res = await post(await body()).expect(400);
      assert.equal(res.body.error, code);
      assert.equal(res.headers['cache-control'], 'no-store');
    });
  }

  it("accepts a token signed with the OP's new key right after a rotation, and unknown kids cause no refetch storm", async () => {
    const rotated = await generateKeyPair('PS256', { extractable: true });
    const rotatedJwk: JWK = { ...(await exportJWK(rotated.publicKey)), kid: 'op-rsa-rotated', use: 'sig' };
    await post({ logout_token: await asOp(claims()) }).expect(200); // the BFF holds a fresh copy of the OP's keys
    op.tamper.jwks = (jwks) => ({ keys: [rotatedJwk, ...jwks.keys] });
    try {
      const signed = await new SignJWT(claims())
        .setProtectedHeader({ alg: 'PS256', kid: 'op-rsa-rotated', typ: 'logout+jwt' })
        .sign(rotated.privateKey);
      await post({ logout_token: await op.encryptForBff(signed) }).expect(200);
      // Anyone may post here: a hundred made-up kids cost the OP at most one fetch per MISS_INTERVAL_MS.
      const before = op.jwksFetches;
      const started = Date.now();
      for (let i = 0; i < 100; i++) {
        const forged = await op.encryptForBff(await op.signAsAttacker(claims(), { kid: `made-up-${i}`, typ: 'logout+jwt' }));
        assert.equal((await post({ logout_token: forged }).expect(400)).body.error, 'logout_token_signature_invalid');
      }
      const allowed = 1 + Math.floor((Date.now() - started) / MISS_INTERVAL_MS);
      assert.ok(op.jwksFetches - before <= allowed, `${op.jwksFetches - before} JWKS fetches for 100 unknown kids (at most ${allowed})`);
    } finally {
      op.tamper = {};
    }
  });

  it('refuses an oversized body with 4xx, not 500', async () => {
    const res = await post({ logout_token: 'x'.repeat(200_000) });
    assert.equal(res.status, 413);
    assert.equal(res.body.error, 'invalid_request');
  });
});
