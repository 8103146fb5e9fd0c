// sealed-bff/client, the SPA's side, against a real BFF and OP: the typed
// /bff/user answer, null when signed out, errors with the BFF's code.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BffRequestError, bffFetch, getUser, loginUrl, requestError, type BffUser } from '../src/client.js';
import { signIn, type TestBff } from './helpers/harness.js';
import { useStack } from './helpers/stack.js';

describe('sealed-bff/client', () => {
  let bff: TestBff;
  useStack({}, (stack) => ({ bff } = stack));
  // What a browser does by itself: send the session cookie along.
  const withCookie =
    (cookie: string): typeof fetch =>
    (input, init) => {
      const headers = new Headers(init?.headers);
      if (cookie) headers.set('Cookie', cookie);
      return fetch(input, { ...init, headers });
    };

  it('getUser: the typed claims and session of the signed-in user, null when signed out', async () => {
    const { cookie } = await signIn(bff);
    const user: BffUser | null = await getUser({ baseUrl: bff.url, fetch: withCookie(cookie) });
    assert.ok(user);
    assert.equal(user.claims.sub, 'alice');
    assert.equal(user.claims.email, 'alice@example.com');
    assert.match(user.logoutUrl, /^\/bff\/logout\?sid=/);
    assert.ok(user.session.expiresAt <= user.session.absoluteExpiresAt && user.session.expiresAt > Date.now() / 1000);
    assert.deepEqual(Object.keys(user).sort(), ['claims', 'logoutUrl', 'session']);
    assert.equal(await getUser({ baseUrl: bff.url, fetch: withCookie('') }), null);
  });

  it('bffFetch sends X-CSRF; a failure becomes a BffRequestError with the code', async () => {
    const res = await bffFetch('/bff/api/nowhere', {}, { baseUrl: bff.url });
    const error = await requestError(res);
    assert.ok(error instanceof BffRequestError);
    assert.deepEqual([error.status, error.code], [404, 'not_found']);
    // Without the helper's header the BFF refuses: the header is what the helper adds.
    const bare = await fetch(`${bff.url}/bff/user`);
    assert.equal((await requestError(bare)).code, 'csrf_header_missing');
    assert.equal(loginUrl('/orders/42?x=1'), '/bff/login?returnTo=%2Forders%2F42%3Fx%3D1');
  });
});
