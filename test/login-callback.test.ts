// /bff/login and /bff/callback: what they accept, and that every refusal is a
// clear 4xx that leaves no session behind.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import type { TestOp } from './fixtures/op.js';
import { BFF_ORIGIN, authorizeAtOp, getUser, login, sessionCookie, setCookies, type TestBff } from './helpers/harness.js';
import { useStack, type Stack } from './helpers/stack.js';

describe('/bff/login', () => {
  let op: TestOp;
  let bff: TestBff;
  // PAR off: the authorization request's parameters are visible in the redirect.
  useStack({ env: { BFF_PAR: 'off' } }, (stack) => ({ op, bff } = stack));

  it('redirects to the OP with PKCE S256, state, nonce, scope and the redirect_uri', async () => {
    const res = await bff.browser().agent.get('/bff/login').expect(302);
    const url = new URL(res.headers.location!);
    assert.equal(url.origin + url.pathname, `${op.issuer}/auth`);
    const p = url.searchParams;
    assert.equal(p.get('client_id'), 'bff');
    assert.equal(p.get('response_type'), 'code');
    assert.equal(p.get('redirect_uri'), `${BFF_ORIGIN}/bff/callback`);
    assert.equal(p.get('scope'), 'openid profile email');
    assert.equal(p.get('code_challenge_method'), 'S256');
    assert.match(p.get('code_challenge')!, /^[\w-]{43}$/);
    assert.match(p.get('state')!, /^[\w-]{43}$/);
    assert.match(p.get('nonce')!, /^[\w-]{43}$/);
    assert.equal(res.headers['cache-control'], 'no-store');
    const loginCookie = setCookies(res).find((c) => c.startsWith('bff-login-'))!;
    assert.match(loginCookie, /HttpOnly/);
    assert.match(loginCookie, /SameSite=Lax/);
    assert.equal(sessionCookie(res), undefined, 'no session before login');
  });

  for (const returnTo of [
    'https://evil.example/',
    '//evil.example/path',
    '/\\evil.example',
    '\\\\evil.example',
    'javascript:alert(1)',
    'data:text/html,hi',
    'relative/path',
    '/ok\r\nSet-Cookie: a=b',
    '/tab\there',
    '',
    '/./\\/evil.example/path',
    '/.//evil.example/path',
    '/a/..//evil.example',
    '/%2e//evil.example',
  ]) {
    it(`refuses returnTo=${JSON.stringify(returnTo)} with 400 and no cookie`, async () => {
      const res = await bff
        .browser()
        .agent.get(`/bff/login?returnTo=${encodeURIComponent(returnTo)}`)
        .expect(400);
      assert.equal(res.body.error, 'invalid_return_to');
      assert.equal(typeof res.body.error_description, 'string');
      assert.equal(res.headers['set-cookie'], undefined);
      assert.equal(res.headers.location, undefined);
    });
  }

  it('refuses a repeated returnTo', async () => {
    const res = await bff.browser().agent.get('/bff/login?returnTo=/a&returnTo=/b').expect(400);
    assert.equal(res.body.error, 'invalid_return_to');
  });

  it('shows an HTML error page to a top-level navigation, with the code and a link home', async () => {
    const res = await bff.browser().agent.get('/bff/login?returnTo=//evil.example').set('Sec-Fetch-Mode', 'navigate').expect(400);
    assert.match(res.headers['content-type']!, /text\/html/);
    assert.match(res.text, /invalid_return_to/);
    assert.match(res.text, /<a href="\/">/);
    assert.doesNotMatch(res.text, /evil\.example/);
  });

  it('keeps query and fragment of an accepted returnTo', async () => {
    const callback = await login(bff.browser(), { returnTo: '/a/b?c=d&e=f' });
    assert.equal(callback.headers.location, '/a/b?c=d&e=f');
  });

  it('sends returnTo back encoded as a URL, as Express does', async () => {
    // WHATWG URL leaves {, } and ` of a query alone; a Location header gets them percent-encoded.
    const callback = await login(bff.browser(), { returnTo: '/a?x={}`#frag' });
    assert.equal(callback.headers.location, '/a?x=%7B%7D%60#frag');
  });
});

describe('/bff/callback', () => {
  let op: TestOp;
  let bff: TestBff;
  // PAR off: the authorization request's parameters are visible in the redirect.
  useStack({ env: { BFF_PAR: 'off' } }, (stack) => ({ op, bff } = stack));

  const assertNoSession = async (res: { headers: Record<string, unknown> }, browser = bff.browser()) => {
    assert.equal(sessionCookie(res), undefined, 'no session cookie');
    await getUser(browser).expect(401);
  };

  it('refuses a callback without state', async () => {
    const browser = bff.browser();
    const res = await browser.agent.get('/bff/callback?code=abc').expect(400);
    assert.equal(res.body.error, 'invalid_state');
    await assertNoSession(res, browser);
  });

  it('refuses a callback with an unknown state', async () => {
    const browser = bff.browser();
    const path = await authorizeAtOp(browser);
    const forged = path.replace(/state=[\w-]+/, 'state=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    const res = await browser.agent.get(forged).expect(400);
    assert.equal(res.body.error, 'invalid_state');
    await assertNoSession(res, browser);
  });

  it('refuses a replayed callback, and the first login stays valid', async () => {
    const browser = bff.browser();
    const path = await authorizeAtOp(browser);
    await browser.agent.get(path).expect(302);
    const replay = await browser.agent.get(path).expect(400);
    assert.equal(replay.body.error, 'invalid_state');
    await getUser(browser).expect(200);
  });

  it('refuses a callback carried to another browser (login CSRF), and that does not cancel the real login', async () => {
    const attacker = bff.browser();
    const path = await authorizeAtOp(attacker, 'mallory');
    const victim = bff.browser();
    const res = await victim.agent.get(path).expect(400);
    assert.equal(res.body.error, 'login_binding_mismatch');
    await assertNoSession(res, victim);
    await attacker.agent.get(path).expect(302);
  });

  for (const [name, rewrite] of [
    ['without code', (p: string) => p.replace(/code=[\w-]+&?/, '')],
    ['with two codes', (p: string) => `${p}&code=second`],
    ['with an id_token in the front channel', (p: string) => `${p}&id_token=eyJhbGciOiJub25lIn0.e30.`],
    ['with both code and error', (p: string) => `${p}&error=access_denied`],
  ] as const) {
    it(`refuses a callback ${name} with 400 invalid_authorization_response`, async () => {
      const browser = bff.browser();
      const path = await authorizeAtOp(browser);
      const res = await browser.agent.get(rewrite(path)).expect(400);
      assert.equal(res.body.error, 'invalid_authorization_response');
      await assertNoSession(res, browser);
    });
  }

  it('refuses a tampered authorization code with invalid_grant', async () => {
    const browser = bff.browser();
    const path = await authorizeAtOp(browser);
    const res = await browser.agent.get(path.replace(/code=[\w-]+/, 'code=tampered-code')).expect(400);
    assert.equal(res.body.error, 'invalid_grant');
    await assertNoSession(res, browser);
  });

  it("passes the OP's error (access_denied) on as a 400 without a session", async () => {
    const browser = bff.browser();
    const start = await browser.agent.get('/bff/login').expect(302);
    const state = new URL(start.headers.location!).searchParams.get('state')!;
    const query = new URLSearchParams({ error: 'access_denied', state, iss: op.issuer });
    const res = await browser.agent.get(`/bff/callback?${query}`).expect(400);
    assert.equal(res.body.error, 'access_denied');
    await assertNoSession(res, browser);
  });

  it("refuses an authorization response without the OP's iss (RFC 9207)", async () => {
    const browser = bff.browser();
    const path = await authorizeAtOp(browser);
    const res = await browser.agent.get(path.replace(/&iss=[^&]+/, '')).expect(400);
    assert.equal(res.body.error, 'invalid_authorization_response');
    await assertNoSession(res, browser);
  });

  it("refuses an authorization response with another issuer's iss (RFC 9207: mix-up)", async () => {
    const browser = bff.browser();
    const path = await authorizeAtOp(browser);
    assert.match(path, /&iss=/);
    const res = await browser.agent.get(path.replace(/&iss=[^&]+/, `&iss=${encodeURIComponent('https://evil.example')}`)).expect(400);
    assert.equal(res.body.error, 'invalid_authorization_response');
    await assertNoSession(res, browser);
  });

  it('completes two logins started in two tabs of one browser, in either order, each clearing only its own login cookie', async () => {
    const browser = bff.browser();
    const tabA = await authorizeAtOp(browser, 'alice');
    const tabB = await authorizeAtOp(browser, 'alice');
    const second = await browser.agent.get(tabB).expect(302);
    const cleared = setCookies(second).filter((c) => c.startsWith('bff-login-'));
    assert.equal(cleared.length, 1, 'the callback clears its login cookie');
    assert.match(cleared[0]!, /^bff-login-[\w-]{12}=;.*Expires=Thu, 01 Jan 1970/);
    const first = await browser.agent.get(tabA).expect(302);
    assert.notEqual(
      setCookies(first)
        .find((c) => c.startsWith('bff-login-'))!
        .split('=')[0],
      cleared[0]!.split('=')[0],
    );
    await getUser(browser).expect(200);
  });

  it('gives a new session id when another user signs in on the same browser, and ends the old one', async () => {
    const browser = bff.browser();
    const alice = sessionCookie(await login(browser, { user: 'alice' }))!;
    // Same BFF cookie jar; a fresh jar at the OP so that bob gets the login form.
    const bob = sessionCookie(await login({ agent: browser.agent, op: bff.browser().op }, { user: 'bob' }))!;
    assert.notEqual(alice, bob);
    assert.equal((await getUser(browser).expect(200)).body.claims.sub, 'bob');
    // The old cookie, replayed by hand, no longer opens a session.
    await request(bff.app).get('/bff/user').set('X-CSRF', '1').set('Cookie', alice).expect(401);
  });
});

describe('cookies with an https public URL', () => {
  const origin = 'https://bff.test';
  let bff: TestBff;
  useStack(
    {
      client: { redirect_uris: [`${origin}/bff/callback`], post_logout_redirect_uris: [`${origin}/`] },
      env: { BFF_PUBLIC_URL: origin },
    },
    (stack) => ({ bff } = stack),
  );

  /** "name=value" of the cookie `name` a response sets, after checking its attributes. */
  const hostCookie = (res: { headers: Record<string, unknown> }, name: string, sameSite: string) => {
    const line = setCookies(res).find((c) => c.startsWith(`${name}=`) || (name.endsWith('-') && c.startsWith(name)));
    assert.ok(line, `${name} is set`);
    // __Host-: Secure, Path=/, no Domain: the cookie belongs to this exact https origin.
    assert.match(line, /; Secure/i);
    assert.match(line, /; Path=\//);
    assert.match(line, /; HttpOnly/i);
    assert.match(line, new RegExp(`; SameSite=${sameSite}`, 'i'));
    assert.doesNotMatch(line, /; Domain=/i);
    return line.split(';')[0]!;
  };

  it('sets __Host- cookies, Secure, for the login binding, the session and its end', async () => {
    // The browser's jar would not send Secure cookies to this http test server: they go by hand.
    const browser = bff.browser();
    const start = await browser.agent.get('/bff/login').expect(302);
    assert.equal(
      setCookies(start).some((c) => c.startsWith('bff-login-')),
      false,
    );
    const binding = hostCookie(start, '__Host-bff-login-', 'Lax');
    const back = await browser.op.signIn(start.headers.location!);
    assert.equal(back.origin, origin);
    const callback = await request(bff.app)
      .get(back.pathname + back.search)
      .set('Cookie', binding)
      .expect(302);
    const session = hostCookie(callback, '__Host-bff-session', 'Strict');
    const user = await request(bff.app).get('/bff/user').set('X-CSRF', '1').set('Cookie', session).expect(200);
    hostCookie(user, '__Host-bff-session', 'Strict'); // slid, with the same attributes
    const logout = await request(bff.app).get(user.body.logoutUrl).set('Cookie', session).expect(302);
    assert.match(hostCookie(logout, '__Host-bff-session', 'Strict'), /^__Host-bff-session=$/);
    await request(bff.app).get('/bff/user').set('X-CSRF', '1').set('Cookie', session).expect(401);
  });
});

describe('BFF_COOKIE_SAMESITE=lax', () => {
  let bff: TestBff;
  useStack({ env: { BFF_COOKIE_SAMESITE: 'lax' } }, (stack) => ({ bff } = stack));

  it('sets and slides the session cookie with SameSite=Lax', async () => {
    const browser = bff.browser();
    const callback = await login(browser);
    assert.equal(callback.status, 302, callback.text);
    const created = setCookies(callback).find((c) => c.startsWith('bff-session='));
    assert.match(created!, /; SameSite=Lax/i);
    const slid = setCookies(await getUser(browser).expect(200)).find((c) => c.startsWith('bff-session='));
    assert.match(slid!, /; SameSite=Lax/i);
  });
});

describe('login floods', () => {
  let op: TestOp;
  let bff: TestBff;
  let stack: Stack;
  useStack({ redis: true, env: { BFF_LOGIN_RATE_LIMIT: '3/60', BFF_TRUST_PROXY: 'loopback' } }, (started) => {
    stack = started;
    ({ op, bff } = started);
  });
  const loginKeys = async () => (await stack.redis.keys(`${bff.config.redisPrefix}login:*`)).length;

  for (const [dest, mode] of [
    ['image', 'no-cors'],
    ['iframe', 'navigate'],
    ['empty', 'cors'],
    ['script', 'no-cors'],
    ['empty', 'no-cors'], // <link rel=prefetch>
  ] as const) {
    it(`starts no login for Sec-Fetch-Dest: ${dest}, Sec-Fetch-Mode: ${mode} (a cross-site <img>, frame or fetch)`, async () => {
      const before = await loginKeys();
      const res = await bff
        .browser()
        .agent.get('/bff/login')
        .set('X-Forwarded-For', '203.0.113.50')
        .set('Sec-Fetch-Dest', dest)
        .set('Sec-Fetch-Mode', mode)
        .expect(403);
      assert.match(res.text, /login_requires_navigation/); // JSON, or the HTML page for a navigating frame
      assert.equal(setCookies(res).length, 0, 'no login cookie');
      assert.equal(await loginKeys(), before, 'no login transaction written');
    });
  }

  it('starts a login for a top-level navigation, and for a client that sends no Sec-Fetch-Dest', async () => {
    const browser = bff.browser();
    await browser.agent
      .get('/bff/login')
      .set('X-Forwarded-For', '203.0.113.51')
      .set('Sec-Fetch-Dest', 'document')
      .set('Sec-Fetch-Mode', 'navigate')
      .set('Sec-Fetch-Site', 'cross-site')
      .expect(302);
    await browser.agent.get('/bff/login').set('X-Forwarded-For', '203.0.113.51').expect(302);
    // Node's fetch (a test, a server-side client) sends Sec-Fetch-Mode: cors but no destination.
    await browser.agent.get('/bff/login').set('X-Forwarded-For', '203.0.113.51').set('Sec-Fetch-Mode', 'cors').expect(302);
  });

  it('limits logins per client address across instances (429 with Retry-After), and other addresses keep signing in', async () => {
    const other = await stack.startBff();
    const from = (target: TestBff, address: string) => target.browser().agent.get('/bff/login').set('X-Forwarded-For', address);
    await from(bff, '198.51.100.7').expect(302);
    await from(other, '198.51.100.7').expect(302);
    await from(bff, '198.51.100.7').expect(302);
    const before = await loginKeys();
    const limited = await from(other, '198.51.100.7').expect(429);
    assert.equal(limited.body.error, 'too_many_logins');
    assert.ok(Number(limited.headers['retry-after']) >= 1 && Number(limited.headers['retry-after']) <= 60);
    assert.equal(await loginKeys(), before, 'a refused login writes no transaction');
    assert.equal(setCookies(limited).length, 0);
    await from(bff, '198.51.100.8').expect(302);
    assert.match(bff.logs.text + other.logs.text, /"event":"login_rate_limited"/);
    assert.doesNotMatch(bff.logs.text + other.logs.text, /198\.51\.100\.7/, 'no client address in the log line');
  });

  it('counts the address BFF_TRUST_PROXY vouches for, not one a client made up', async () => {
    const untrusting = await stack.startBff({ BFF_TRUST_PROXY: '', BFF_REDIS_PREFIX: `sbff-test-${process.pid}-untrusting:` });
    // Without a trusted proxy every request comes from the test's own address, whatever X-Forwarded-For says.
    for (let i = 0; i < 3; i++) await untrusting.browser().agent.get('/bff/login').set('X-Forwarded-For', `192.0.2.${i}`).expect(302);
    await untrusting.browser().agent.get('/bff/login').set('X-Forwarded-For', '192.0.2.99').expect(429);
  });

  it('is off with BFF_LOGIN_RATE_LIMIT=off', async () => {
    const unlimited = await stack.startBff({ BFF_LOGIN_RATE_LIMIT: 'off' });
    for (let i = 0; i < 5; i++) await unlimited.browser().agent.get('/bff/login').set('X-Forwarded-For', '198.51.100.9').expect(302);
    void op;
  });
});
