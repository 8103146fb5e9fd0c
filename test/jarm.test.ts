// Encrypted JARM (BFF_RESPONSE_MODE=jwt) against oidc-provider's JWT response
// modes: the response JWT is opened under the same JOSE policy as id_tokens,
// then verified (signature, iss, aud, exp, state). Every forged, downgraded or
// plain response is refused with its own code and leaves no session.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compactDecrypt, decodeJwt, importJWK } from 'jose';
import type { Claims, HostileOp } from './fixtures/hostile-op.js';
import { getUser, login, sessionCookie, setCookies, type TestBff, type TestBrowser, type TestKeys } from './helpers/harness.js';
import { useStack, withStack } from './helpers/stack.js';

// The registration: id_token and userinfo as usual, the authorization response signed and encrypted.
const JARM_CLIENT = {
  authorization_signed_response_alg: 'PS256',
  authorization_encrypted_response_alg: 'RSA-OAEP-256',
  authorization_encrypted_response_enc: 'A256GCM',
} as const;

/** The OP leg only: the callback query (or form) the OP sent the browser back with. */
async function authorize(browser: TestBrowser): Promise<{ path: string; params: URLSearchParams }> {
  const start = await browser.agent.get('/bff/login').expect(302);
  const back = await browser.op.signIn(start.headers.location!);
  return { path: back.pathname, params: browser.op.posted ?? back.searchParams };
}

describe('JARM (BFF_RESPONSE_MODE=jwt), encrypted', () => {
  let op: HostileOp;
  let bff: TestBff;
  let keys: TestKeys;
  useStack({ hostile: true, op: { jarm: true }, client: JARM_CLIENT, env: { BFF_RESPONSE_MODE: 'jwt' } }, (stack) => {
    ({ op, bff, keys } = stack);
  });

  /** The claims of a response JWT the OP encrypted to the BFF. */
  async function claimsOf(response: string): Promise<Claims> {
    const jwk = keys.privateJwks.keys.find((k) => k.use === 'enc')!;
    const { plaintext } = await compactDecrypt(response, await importJWK(jwk, jwk.alg));
    return decodeJwt(new TextDecoder().decode(plaintext));
  }

  /** Runs the callback with the OP's response replaced; expects `code` and no session. */
  async function expectRefusal(replace: (claims: Claims, original: string) => Promise<string>, code: string) {
    const browser = bff.browser();
    const { path, params } = await authorize(browser);
    const original = params.get('response')!;
    const res = await browser.agent.get(`${path}?response=${await replace(await claimsOf(original), original)}`);
    assert.equal(res.body.error, code, `${res.status} ${res.text}`);
    assert.equal(res.status, 400);
    assert.equal(sessionCookie(res), undefined);
    await getUser(browser).expect(401);
  }

  it('asks for response_mode=jwt; the encrypted response completes the flow', async () => {
    const browser = bff.browser();
    const start = await browser.agent.get('/bff/login').expect(302);
    const pushedOrQuery = op.requests.findLast((r) => r.path === '/request')?.body ?? new URL(start.headers.location!).searchParams;
    assert.equal(pushedOrQuery.get('response_mode'), 'jwt');
    const back = await browser.op.signIn(start.headers.location!);
    assert.deepEqual([...back.searchParams.keys()], ['response']);
    assert.equal(back.searchParams.get('response')!.split('.').length, 5, 'the OP encrypted it');
    const res = await browser.agent.get(back.pathname + back.search);
    assert.equal(res.status, 302, res.text);
    assert.equal((await getUser(browser).expect(200)).body.claims.email, 'alice@example.com');
  });

  it('refuses a signed-only response while authorization_response must be encrypted', () =>
    expectRefusal((claims) => op.signAsOp(claims), 'authorization_response_not_encrypted'));

  it('refuses a forged signature', () =>
    expectRefusal(async (claims) => op.encryptForBff(await op.signAsAttacker(claims)), 'authorization_response_signature_invalid'));

  it('refuses a response for another audience', () =>
    expectRefusal(
      async (claims) => op.encryptForBff(await op.signAsOp({ ...claims, aud: 'another-client' })),
      'authorization_response_audience_mismatch',
    ));

  it('refuses an expired response', () =>
    expectRefusal(
      async (claims) => op.encryptForBff(await op.signAsOp({ ...claims, exp: Math.floor(Date.now() / 1000) - 600 })),
      'authorization_response_expired',
    ));

  it('refuses a response issued a day ahead or a week ago (iat bounds, as for id_tokens)', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRefusal(
      async (claims) => op.encryptForBff(await op.signAsOp({ ...claims, iat: now + 86400, exp: now + 86400 + 600 })),
      'authorization_response_issued_at_invalid',
    );
    await expectRefusal(
      async (claims) => op.encryptForBff(await op.signAsOp({ ...claims, iat: now - 7 * 86400, exp: now + 600 })),
      'authorization_response_issued_at_invalid',
    );
  });

  it('refuses a response from another issuer', () =>
    expectRefusal(
      async (claims) => op.encryptForBff(await op.signAsOp({ ...claims, iss: 'https://other-op.example' })),
      'authorization_response_issuer_mismatch',
    ));

  it('refuses a compressed response before decrypting it (the id_token policy applies)', () =>
    expectRefusal(
      async (claims) => op.encryptForBff(await op.signAsOp(claims), { zip: 'DEF' }),
      'authorization_response_compression_not_allowed',
    ));

  it('refuses a plain code/state callback', async () => {
    const browser = bff.browser();
    const { path, params } = await authorize(browser);
    const claims = await claimsOf(params.get('response')!);
    const res = await browser.agent.get(`${path}?code=${String(claims.code)}&state=${String(claims.state)}`);
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'authorization_response_not_jwt');
    // Nor a plain parameter beside the JWT (it would not be covered by the OP's signature).
    const mixed = await browser.agent.get(`${path}?response=${params.get('response')!}&code=injected`);
    assert.equal(mixed.body.error, 'authorization_response_not_jwt');
    await getUser(browser).expect(401);
  });
});

describe('JARM variants', () => {
  it('signed only, when BFF_REQUIRE_ENCRYPTION leaves authorization_response off', () =>
    withStack(
      {
        hostile: true,
        op: { jarm: true },
        client: { authorization_signed_response_alg: 'PS256' },
        env: { BFF_RESPONSE_MODE: 'jwt', BFF_REQUIRE_ENCRYPTION: 'id_token,userinfo,logout_token' },
      },
      async ({ bff }) => {
        const browser = bff.browser();
        assert.equal((await login(browser)).status, 302);
        await getUser(browser).expect(200);
      },
    ));

  it('form_post.jwt with PAR and a signed request object', () =>
    withStack(
      {
        hostile: true,
        op: { jarm: true },
        client: JARM_CLIENT,
        env: { BFF_RESPONSE_MODE: 'form_post.jwt', BFF_PAR: 'on', BFF_REQUEST_OBJECT: 'signed' },
      },
      async ({ op, bff }) => {
        const browser = bff.browser();
        const { path, params } = await authorize(browser);
        assert.ok(op.requests.find((r) => r.path === '/request')?.body.has('request'), 'pushed as a request object');
        assert.equal(params.get('response')?.split('.').length, 5);
        const res = await browser.agent.post(path).type('form').send(params.toString());
        assert.equal(res.status, 302, res.text);
        await getUser(browser).expect(200);
      },
    ));

  it('query.jwt with an encrypted request object, no PAR', () =>
    withStack(
      {
        hostile: true,
        op: { jarm: true },
        client: JARM_CLIENT,
        env: { BFF_RESPONSE_MODE: 'query.jwt', BFF_PAR: 'off', BFF_REQUEST_OBJECT: 'encrypted' },
      },
      async ({ bff }) => {
        const browser = bff.browser();
        assert.equal((await login(browser)).status, 302);
        await getUser(browser).expect(200);
      },
    ));

  it('form_post.jwt: the login cookie comes back on the cross-site POST (SameSite=None; Secure with https)', () =>
    withStack(
      { hostile: true, op: { jarm: true }, client: JARM_CLIENT, bff: false, env: { BFF_RESPONSE_MODE: 'form_post.jwt', BFF_PAR: 'off' } },
      async ({ startBff }) => {
        const https = await startBff({ BFF_PUBLIC_URL: 'https://app.example' });
        const cookie = setCookies(await https.browser().agent.get('/bff/login').expect(302)).find((c) => c.startsWith('__Host-bff-login-'));
        assert.match(cookie ?? '', /SameSite=None/i);
        assert.match(cookie ?? '', /; Secure/i);
        assert.match(cookie ?? '', /HttpOnly/i);
        const query = await startBff({ BFF_PUBLIC_URL: 'https://app.example', BFF_RESPONSE_MODE: 'query' });
        const lax = setCookies(await query.browser().agent.get('/bff/login').expect(302)).find((c) => c.startsWith('__Host-bff-login-'));
        assert.match(lax ?? '', /SameSite=Lax/i);
      },
    ));

  it('the start-time check refuses an OP without JARM, naming the setting', () =>
    withStack({ hostile: true, env: { BFF_RESPONSE_MODE: 'jwt' } }, async ({ bff }) => {
      await bff.browser().agent.get('/readyz').expect(503);
      assert.match(bff.logs.text, /response_modes_supported lacks jwt, query.jwt or form_post.jwt.*BFF_RESPONSE_MODE=jwt/);
      assert.match(bff.logs.text, /authorization_encryption_alg_values_supported is not advertised/);
    }));
});
