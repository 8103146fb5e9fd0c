// /bff/logout: the sid check, the end of the server-side session, and the
// redirect to the OP's end_session_endpoint without id_token_hint.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import type { TestOp } from './fixtures/op.js';
import { BFF_ORIGIN, getUser, login, sessionCookie, sessionIdOf, setCookies, type TestBff, sessionKey } from './helpers/harness.js';
import { useStack, withStack, type TestRedis } from './helpers/stack.js';

describe('/bff/logout', () => {
  let op: TestOp;
  let bff: TestBff;
  let redis: TestRedis;
  useStack({ redis: true }, (stack) => ({ op, bff, redis } = stack));

  it('refuses a wrong or missing sid with 400 and keeps the session', async () => {
    const browser = bff.browser();
    await login(browser);
    for (const query of ['', '?sid=wrong', '?sid=', '?sid=a&sid=b']) {
      const res = await browser.agent.get(`/bff/logout${query}`).expect(400);
      assert.equal(res.body.error, 'invalid_logout_sid');
      assert.ok(!setCookies(res).some((c) => /bff-session=;/.test(c)), 'cookie not cleared');
    }
    await getUser(browser).expect(200);
  });

  it('ends the session, clears the cookie and sends the browser to end_session without id_token_hint', async () => {
    const browser = bff.browser();
    const callback = await login(browser);
    const oldCookie = sessionCookie(callback)!;
    const sid = sessionIdOf(oldCookie);
    assert.ok(await redis.exists(sessionKey(bff, sid)));

    const { logoutUrl } = (await getUser(browser).expect(200)).body;
    const res = await browser.agent.get(logoutUrl).expect(302);
    const target = new URL(res.headers.location!);
    assert.equal(target.origin + target.pathname, `${op.issuer}/session/end`);
    assert.equal(target.searchParams.get('client_id'), 'bff');
    assert.equal(target.searchParams.get('post_logout_redirect_uri'), `${BFF_ORIGIN}/`);
    assert.equal(target.searchParams.has('id_token_hint'), false);
    assert.doesNotMatch(res.headers.location!, /eyJ/);
    assert.ok(setCookies(res).some((c) => /^bff-session=;.*Expires=Thu, 01 Jan 1970/.test(c)));

    assert.equal(await redis.exists(sessionKey(bff, sid)), 0, 'session removed from Redis');
    await getUser(browser).expect(401);
    // The old cookie, replayed by hand, is dead.
    await request(bff.app).get('/bff/user').set('X-CSRF', '1').set('Cookie', oldCookie).expect(401);

    // The OP accepts the request (client_id, registered post_logout_redirect_uri) and comes back to the SPA.
    const back = await browser.op.confirmLogout(res.headers.location!);
    assert.equal(back.href, `${BFF_ORIGIN}/`);
  });

  it('without a session, still sends the browser to the OP (nothing to protect locally)', async () => {
    const res = await bff.browser().agent.get('/bff/logout').expect(302);
    // No cookie came (a cross-site link under SameSite=Strict): none is cleared, or the browser would
    // lose a session that lives on at the server.
    assert.deepEqual(setCookies(res), []);
    const target = new URL(res.headers.location!);
    assert.equal(target.origin + target.pathname, `${op.issuer}/session/end`);
    assert.equal(target.searchParams.get('client_id'), 'bff');
  });
});

describe('/bff/logout with an OP that has no end_session_endpoint', () => {
  it('goes straight to the post-logout URL', () =>
    withStack(
      {
        client: { post_logout_redirect_uris: undefined },
        op: {
          configuration: {
            features: {
              devInteractions: { enabled: true },
              encryption: { enabled: true },
              jwtUserinfo: { enabled: true },
              rpInitiatedLogout: { enabled: false },
            },
          },
        },
      },
      async ({ bff }) => {
        const browser = bff.browser();
        await login(browser);
        const { logoutUrl } = (await getUser(browser).expect(200)).body;
        const res = await browser.agent.get(logoutUrl).expect(302);
        assert.equal(res.headers.location, `${BFF_ORIGIN}/`);
        await getUser(browser).expect(401);
      },
    ));
});

describe('/bff/logout while the OP is down', () => {
  it('still ends the session and sends the browser to the post-logout URL', () =>
    withStack({ env: { BFF_OP_TIMEOUT: '1' } }, async ({ op, bff }) => {
      const browser = bff.browser();
      await login(browser);
      const { logoutUrl } = (await getUser(browser).expect(200)).body;
      await op.close(); // revocation cannot reach it
      const res = await browser.agent.get(logoutUrl).expect(302);
      // Discovery is cached: the end-session URL is still known; the revocation failure is only logged.
      assert.ok(res.headers.location!.startsWith(`${op.issuer}/session/end`));
      assert.match(bff.logs.text, /refresh token revocation failed/);
      await getUser(browser).expect(401);
    }));
});
