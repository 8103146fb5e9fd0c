// The OpenID Foundation's RP conformance modules, as our own tests. The suite
// plays the OP and sends, module by module, one correct or one broken
// response; here the hostile OP (real oidc-provider behind a rewriting proxy)
// does the same, and, as in the suite's run for a client that registered
// encryption, every id_token and userinfo is a JWE. Each test is named after
// its module (oidcc-client-test-* from the OIDC plans, fapi*-client-test-* from
// the FAPI plans) so that a reader can map it to a suite log. For every
// negative module the suite also fails a client that goes on calling the OP:
// no userinfo call after a bad id_token, no token call after a bad
// authorization response; the tests check that too.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { fakeJwe, hmacWithPublicKey, unsignedJwt, type Claims, type HostileOp } from './fixtures/hostile-op.js';
import { opPrivateKeys } from './fixtures/op.js';
import { authorizeAtOp, getUser, login, type TestBff } from './helpers/harness.js';
import { expectLoginRefused, type RefusalOptions } from './helpers/refusals.js';
import { useStack, type Stack } from './helpers/stack.js';

const now = () => Math.floor(Date.now() / 1000);
const DAY = 86400;

describe('OpenID RP conformance modules (every token inside a JWE)', () => {
  let stack: Stack<HostileOp>;
  let op: HostileOp;
  let bff: TestBff;
  useStack({ hostile: true, env: { BFF_JWS_ALGS: 'PS256,RS256,ES256', BFF_LOGIN_PARAMS: 'max_age' } }, (s) => {
    stack = s;
    ({ op, bff } = s);
  });

  /** The OP's requests since `mark`, by path. */
  const pathsSince = (mark: number) => op.requests.slice(mark).map((r) => r.path);

  /** Logs in through `target` with the OP's responses as tampered; expects `code`, no session, and no userinfo call after it. */
  const expectRefusal = (code: string, options: RefusalOptions & { target?: TestBff } = {}) =>
    expectLoginRefused(options.target ?? bff, op, code, { noCallTo: '/me', ...options });

  async function expectLogin(target: TestBff = bff) {
    const browser = target.browser();
    const res = await login(browser);
    op.tamper = {};
    assert.equal(res.status, 302, res.text);
    return (await getUser(browser).expect(200)).body as { claims: Claims };
  }

  /** An id_token with the OP's claims changed, signed by the OP (PS256, kid op-rsa) and encrypted to the BFF. */
  const idToken = (mutate: (claims: Claims) => Claims) => async (claims: Claims) => op.encryptForBff(await op.signAsOp(mutate(claims)));
  const without =
    (name: string) =>
    ({ [name]: _, ...rest }: Claims) =>
      rest;

  it('oidcc-client-test: the happy path, id_token and userinfo encrypted', async () => {
    const mark = op.requests.length;
    const user = await expectLogin();
    assert.equal(user.claims.sub, 'alice');
    assert.equal(user.claims.email, 'alice@example.com');
    assert.deepEqual(
      pathsSince(mark).filter((p) => ['/token', '/me'].includes(p)),
      ['/token', '/me'],
    );
  });

  it('oidcc-client-test-nonce-invalid', async () => {
    op.tamper.idToken = idToken((c) => ({ ...c, nonce: 'not-the-nonce' }));
    await expectRefusal('id_token_nonce_mismatch');
  });

  it('oidcc-client-test-invalid-iss', async () => {
    op.tamper.idToken = idToken((c) => ({ ...c, iss: 'https://evil.example' }));
    await expectRefusal('id_token_issuer_mismatch');
  });

  it('oidcc-client-test-missing-aud', async () => {
    op.tamper.idToken = idToken(without('aud'));
    await expectRefusal('id_token_audience_mismatch');
  });

  it('oidcc-client-test-invalid-aud', async () => {
    op.tamper.idToken = idToken((c) => ({ ...c, aud: 'another-client' }));
    await expectRefusal('id_token_audience_mismatch');
  });

  it('fapi1-advanced-final-client-test-invalid-secondary-aud: an extra untrusted audience, azp = client_id', async () => {
    op.tamper.idToken = idToken((c) => ({ ...c, aud: ['bff', 'untrusted'], azp: 'bff' }));
    await expectRefusal('id_token_audience_untrusted');
  });

  it('fapi1-advanced-final-client-test-valid-aud-as-array', async () => {
    op.tamper.idToken = idToken((c) => ({ ...c, aud: ['bff'] }));
    await expectLogin();
  });

  it('an audience array with another azp is refused; one with a BFF_TRUSTED_AUDIENCES member and azp = client_id is accepted', async () => {
    const trusting = await stack.startBff({ BFF_TRUSTED_AUDIENCES: 'partner-api, reporting' });
    op.tamper.idToken = idToken((c) => ({ ...c, aud: ['bff', 'partner-api'], azp: 'partner-api' }));
    await expectRefusal('id_token_audience_mismatch', { target: trusting });
    op.tamper.idToken = idToken((c) => ({ ...c, aud: ['bff', 'partner-api'], azp: 'bff' }));
    await expectLogin(trusting);
    op.tamper.idToken = idToken((c) => ({ ...c, aud: ['bff', 'partner-api', 'untrusted'], azp: 'bff' }));
    await expectRefusal('id_token_audience_untrusted', { target: trusting });
  });

  it('oidcc-client-test-missing-iat', async () => {
    op.tamper.idToken = idToken(without('iat'));
    await expectRefusal('id_token_issued_at_invalid');
  });

  it('oidcc-client-test-missing-sub', async () => {
    op.tamper.idToken = idToken(without('sub'));
    await expectRefusal('id_token_invalid');
  });

  it('fapi1-advanced-final-client-test-iat-is-week-in-past (exp still in the future)', async () => {
    op.tamper.idToken = idToken((c) => ({ ...c, iat: now() - 7 * DAY, exp: now() + 600 }));
    await expectRefusal('id_token_issued_at_invalid');
  });

  it('an id_token issued a day in the future, and one just inside the clock tolerance', async () => {
    op.tamper.idToken = idToken((c) => ({ ...c, iat: now() + DAY, exp: now() + DAY + 600 }));
    await expectRefusal('id_token_issued_at_invalid');
    op.tamper.idToken = idToken((c) => ({ ...c, iat: now() + 20 }));
    await expectLogin();
    op.tamper.idToken = idToken((c) => ({ ...c, iat: now() + 60 }));
    await expectRefusal('id_token_issued_at_invalid');
  });

  it('BFF_MAX_TOKEN_AGE bounds how old an id_token may be', async () => {
    op.tamper.idToken = idToken((c) => ({ ...c, iat: now() - 300 }));
    await expectLogin();
    op.tamper.idToken = idToken((c) => ({ ...c, iat: now() - 700 }));
    await expectRefusal('id_token_issued_at_invalid');
    const lenient = await stack.startBff({ BFF_MAX_TOKEN_AGE: '3600' });
    op.tamper.idToken = idToken((c) => ({ ...c, iat: now() - 700 }));
    await expectLogin(lenient);
  });

  it('max_age: an auth_time older than the requested max_age, or none at all, is refused', async () => {
    const attempt = async () => {
      const browser = bff.browser();
      const start = await browser.agent.get('/bff/login?max_age=60').expect(302);
      const back = await browser.op.signIn(start.headers.location!);
      const res = await browser.agent.get(back.pathname + back.search);
      op.tamper = {};
      return res;
    };
    op.tamper.idToken = idToken((c) => ({ ...c, auth_time: now() - 3600 }));
    assert.equal((await attempt()).body.error, 'id_token_auth_time_invalid');
    op.tamper.idToken = idToken(without('auth_time'));
    assert.equal((await attempt()).body.error, 'id_token_invalid');
    op.tamper.idToken = idToken((c) => ({ ...c, auth_time: now() - 10 }));
    assert.equal((await attempt()).status, 302);
  });

  it('fapi1-advanced-final-client-test-invalid-expired-exp', async () => {
    op.tamper.idToken = idToken((c) => ({ ...c, iat: now() - 300, exp: now() - 120 }));
    await expectRefusal('id_token_expired');
  });

  it('oidcc-client-test-idtoken-sig-none', async () => {
    op.tamper.idToken = (c) => op.encryptForBff(unsignedJwt(c));
    await expectRefusal('id_token_alg_not_allowed');
  });

  it('oidcc-client-test-invalid-sig-hs256: HS256 keyed with the OP public key', async () => {
    op.tamper.idToken = (c) => op.encryptForBff(hmacWithPublicKey(c, op.opPublicRsaJwk));
    await expectRefusal('id_token_alg_not_allowed');
  });

  it('oidcc-client-test-invalid-sig-rs256 and fapi1-advanced-final-client-test-invalid-signature: an alternate RSA key', async () => {
    const attacker = await generateKeyPair('RS256');
    op.tamper.idToken = async (c) =>
      op.encryptForBff(await new SignJWT(c).setProtectedHeader({ alg: 'RS256', kid: 'op-rsa' }).sign(attacker.privateKey));
    await expectRefusal('id_token_signature_invalid');
    op.tamper.idToken = async (c) => op.encryptForBff(await op.signAsAttacker(c));
    await expectRefusal('id_token_signature_invalid');
  });

  it('oidcc-client-test-invalid-sig-es256', async () => {
    const attacker = await generateKeyPair('ES256');
    op.tamper.idToken = async (c) =>
      op.encryptForBff(await new SignJWT(c).setProtectedHeader({ alg: 'ES256', kid: 'op-ec' }).sign(attacker.privateKey));
    await expectRefusal('id_token_signature_invalid');
  });

  it('oidcc-client-test-idtoken-sig-rs256: a valid RS256 signature with the OP key', async () => {
    const opKey = await importJWK(
      (await opPrivateKeys()).find((k) => k.kid === 'op-rsa')!,
      'RS256',
    );
    op.tamper.idToken = async (c) => op.encryptForBff(await new SignJWT(c).setProtectedHeader({ alg: 'RS256', kid: 'op-rsa' }).sign(opKey));
    await expectLogin();
  });

  it('oidcc-client-test-kid-absent-single-jwks', async () => {
    const fresh = await stack.startBff();
    op.tamper.idToken = async (c) => op.encryptForBff(await op.signAsOp(c, { kid: undefined }));
    op.tamper.jwks = (jwks) => ({ keys: jwks.keys.filter((k) => k.kid === 'op-rsa') });
    await expectLogin(fresh);
  });

  it('oidcc-client-test-kid-absent-multiple-jwks: no kid and two RSA signing keys is refused, never guessed', async () => {
    const other = { ...(await exportJWK((await generateKeyPair('PS256', { extractable: true })).publicKey)), kid: 'op-rsa-2', use: 'sig' };
    const fresh = await stack.startBff();
    op.tamper.jwks = (jwks) => ({ keys: [...jwks.keys, other] });
    op.tamper.idToken = async (c) => op.encryptForBff(await op.signAsOp(c, { kid: undefined }));
    await expectRefusal('id_token_signature_invalid', { target: fresh });
  });

  it('oidcc-client-test-signing-key-rotation: a new kid right after a login is fetched at once, once', async () => {
    const fresh = await stack.startBff();
    await expectLogin(fresh); // the BFF now holds a fresh copy of the OP's keys
    const rotated = await generateKeyPair('PS256', { extractable: true });
    const rotatedJwk: JWK = { ...(await exportJWK(rotated.publicKey)), kid: 'op-rsa-rotated', use: 'sig' };
    const before = op.jwksFetches;
    for (let i = 0; i < 2; i++) {
      // The old key stays published too: the real OP behind the proxy still signs userinfo with it.
      op.tamper.jwks = (jwks) => ({ keys: [rotatedJwk, ...jwks.keys] });
      op.tamper.idToken = async (c) =>
        op.encryptForBff(await new SignJWT(c).setProtectedHeader({ alg: 'PS256', kid: 'op-rsa-rotated' }).sign(rotated.privateKey));
      await expectLogin(fresh);
    }
    assert.equal(op.jwksFetches - before, 1, 'the rotated key set is fetched once, then served from the cache');
  });

  it('oidcc-client-test-userinfo-invalid-sub', async () => {
    op.tamper.userinfo = async (c) => ({
      body: await op.encryptForBff(await op.signAsOp({ ...c, sub: 'mallory' })),
      contentType: 'application/jwt',
    });
    await expectRefusal('userinfo_subject_mismatch', { noCallTo: '/nothing-after-userinfo' });
  });

  it('oidcc-client-test-userinfo-signed: a signed and encrypted userinfo is verified and its claims used', async () => {
    op.tamper.userinfo = async (c) => ({
      body: await op.encryptForBff(await op.signAsOp({ ...c, nickname: 'signed-userinfo' })),
      contentType: 'application/jwt',
    });
    const user = await expectLogin();
    assert.equal(user.claims.nickname, 'signed-userinfo');
    op.tamper.userinfo = async (c) => ({ body: await op.encryptForBff(await op.signAsAttacker(c)), contentType: 'application/jwt' });
    await expectRefusal('userinfo_signature_invalid', { noCallTo: '/nothing-after-userinfo' });
  });

  it('oidcc-client-test-aggregated-claims and oidcc-client-test-distributed-claims: dropped, never passed on', async () => {
    const leak = 'claims-provider-access-token-0123456789';
    const aggregated = await op.signAsOp({ iss: 'https://claims.example', shoe_size: 8 });
    op.tamper.userinfo = async (c) => ({
      body: await op.encryptForBff(
        await op.signAsOp({
          ...c,
          _claim_names: { shoe_size: 'src1', payment_info: 'src2' },
          _claim_sources: { src1: { JWT: aggregated }, src2: { endpoint: 'https://claims.example/info', access_token: leak } },
        }),
      ),
      contentType: 'application/jwt',
    });
    const user = await expectLogin();
    assert.equal('_claim_names' in user.claims, false);
    assert.equal('_claim_sources' in user.claims, false);
    assert.equal('shoe_size' in user.claims, false);
    assert.equal(JSON.stringify(user).includes(leak), false);
  });

  it('oidcc-client-test-discovery-issuer-mismatch: the BFF never becomes ready, no login starts', async () => {
    op.tamper.discovery = (m) => ({ ...m, issuer: 'https://another-issuer.example' });
    try {
      const mismatched = await stack.startBff();
      const browser = mismatched.browser();
      const res = await browser.agent.get('/bff/login').expect(503);
      assert.equal(res.body.error, 'op_unavailable');
      await browser.agent.get('/readyz').expect(503);
    } finally {
      op.tamper = {};
    }
  });

  it('fapi1-advanced-final-client-test-encrypted-idtoken-usingrsa15: refused before any decryption', async () => {
    op.tamper.idToken = () => fakeJwe({ alg: 'RSA1_5', enc: 'A128CBC-HS256' });
    await expectRefusal('id_token_encryption_alg_not_allowed');
  });

  describe('authorization responses: no token request after a bad one', () => {
    async function callbackWith(rewrite: (path: string) => string, code: string) {
      const browser = bff.browser();
      const path = await authorizeAtOp(browser);
      assert.match(path, /[?&]iss=/, 'the OP sends RFC 9207 iss');
      const mark = op.requests.length;
      const res = await browser.agent.get(rewrite(path)).expect(400);
      assert.equal(res.body.error, code);
      assert.equal(pathsSince(mark).includes('/token'), false, 'the code was exchanged despite the bad response');
      await getUser(browser).expect(401);
    }

    it('fapi2-security-profile-final-client-test-invalid-authorization-response-iss', () =>
      callbackWith((p) => p.replace(/iss=[^&]+/, `iss=${encodeURIComponent('https://evil.example')}`), 'invalid_authorization_response'));

    it('fapi2-security-profile-final-client-test-remove-authorization-response-iss', () =>
      callbackWith((p) => p.replace(/&?iss=[^&]+/, ''), 'invalid_authorization_response'));

    it('fapi1-advanced-final-client-test-ensure-authorization-response-with-invalid-state-fails', () =>
      callbackWith((p) => p.replace(/state=[^&]+/, 'state=not-the-state'), 'invalid_state'));
  });
});
