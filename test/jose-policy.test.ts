// The JOSE policy against a hostile OP: every forged, downgraded or malformed
// id_token and userinfo response is refused with its own error code, leaves no
// session, and the BFF stays healthy.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { fakeJwe, hmacWithPublicKey, unsignedJwt, type Claims, type HostileOp } from './fixtures/hostile-op.js';
import { getUser, keysFor, login, type TestBff } from './helpers/harness.js';
import { expectLoginRefused } from './helpers/refusals.js';
import { useStack, withStack } from './helpers/stack.js';

const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('JOSE policy against a hostile OP', () => {
  let op: HostileOp;
  let bff: TestBff;

  useStack({ hostile: true }, (stack) => ({ op, bff } = stack));

  /** Logs in with the OP's responses rewritten; expects the refusal `code` and no session. */
  const expectRefusal = (code: string, status = 502) => expectLoginRefused(bff, op, code, { status });

  const id = (mutate: (claims: Claims) => Claims | void) => async (claims: Claims) =>
    op.encryptForBff(await op.signAsOp(mutate(claims) ?? claims));

  it('accepts the untampered flow through the proxy', async () => {
    const browser = bff.browser();
    assert.equal((await login(browser)).status, 302);
    await getUser(browser).expect(200);
  });

  it('never passes aggregated or distributed claims, and their access tokens, to the browser', async () => {
    // OIDC Core 5.6.2: `_claim_sources` may carry an access token for another claims provider.
    const leak = 'distributed-claims-access-token-0123456789';
    op.tamper.userinfo = async (c) => ({
      body: await op.encryptForBff(
        await op.signAsOp({
          ...c,
          _claim_names: { payment_info: 'src1', shipping_address: 'src2' },
          _claim_sources: {
            src1: { endpoint: 'https://claims.example/info', access_token: leak },
            src2: { JWT: 'eyJhbGciOiJub25lIn0.e30.' },
          },
        }),
      ),
      contentType: 'application/jwt',
    });
    const browser = bff.browser();
    const callback = await login(browser);
    op.tamper = {};
    assert.equal(callback.status, 302, callback.text);
    const user = await getUser(browser).expect(200);
    assert.equal(user.body.claims.sub, 'alice');
    assert.equal('_claim_names' in user.body.claims, false);
    assert.equal('_claim_sources' in user.body.claims, false);
    assert.equal(user.text.includes(leak), false, 'the claims provider access token reached the browser');
  });

  it('refuses a forged signature', async () => {
    op.tamper.idToken = async (c) => op.encryptForBff(await op.signAsAttacker(c));
    await expectRefusal('id_token_signature_invalid');
  });

  it('never trusts a key carried in the token header (jwk)', async () => {
    op.tamper.idToken = async (c) => op.encryptForBff(await op.signAsAttacker(c, { jwk: op.attackerPublicJwk }));
    await expectRefusal('id_token_header_not_allowed');
  });

  it('never fetches a jku', async () => {
    const before = op.jwksFetches;
    op.tamper.idToken = async (c) => op.encryptForBff(await op.signAsAttacker(c, { jku: `${op.issuer}/jwks` }));
    await expectRefusal('id_token_header_not_allowed');
    assert.equal(op.jwksFetches, before);
  });

  it('refuses a plaintext id_token (downgrade) when it expects encryption', async () => {
    op.tamper.idToken = (c) => op.signAsOp(c);
    await expectRefusal('id_token_not_encrypted');
  });

  it('refuses an inner "alg":"none"', async () => {
    op.tamper.idToken = (c) => op.encryptForBff(unsignedJwt(c));
    await expectRefusal('id_token_alg_not_allowed');
  });

  it("refuses HS256 keyed with the OP's public key", async () => {
    op.tamper.idToken = (c) => op.encryptForBff(hmacWithPublicKey(c, op.opPublicRsaJwk));
    await expectRefusal('id_token_alg_not_allowed');
  });

  it('refuses a wrong issuer', async () => {
    op.tamper.idToken = id((c) => ({ ...c, iss: 'https://evil.example' }));
    await expectRefusal('id_token_issuer_mismatch');
  });

  it('refuses a wrong audience', async () => {
    op.tamper.idToken = id((c) => ({ ...c, aud: 'another-client' }));
    await expectRefusal('id_token_audience_mismatch');
  });

  it('refuses a wrong nonce', async () => {
    op.tamper.idToken = id((c) => ({ ...c, nonce: 'not-the-nonce' }));
    await expectRefusal('id_token_nonce_mismatch');
  });

  it('refuses an expired id_token', async () => {
    op.tamper.idToken = id((c) => ({ ...c, iat: nowSeconds() - 300, exp: nowSeconds() - 120 }));
    await expectRefusal('id_token_expired');
  });

  it('refuses RSA1_5 and dir before any crypto', async () => {
    op.tamper.idToken = () => fakeJwe({ alg: 'RSA1_5', enc: 'A128CBC-HS256' });
    await expectRefusal('id_token_encryption_alg_not_allowed');
    op.tamper.idToken = () => fakeJwe({ alg: 'dir', enc: 'A256GCM' });
    await expectRefusal('id_token_encryption_alg_not_allowed');
    op.tamper.idToken = () => fakeJwe({ alg: 'PBES2-HS256+A128KW', enc: 'A256GCM', p2c: 100000000, p2s: 'AAAA' });
    await expectRefusal('id_token_encryption_alg_not_allowed');
  });

  it('refuses compressed content (zip bomb) before any crypto', async () => {
    op.tamper.idToken = () => fakeJwe({ alg: 'RSA-OAEP-256', enc: 'A256GCM', zip: 'DEF' }, 4096);
    await expectRefusal('id_token_compression_not_allowed');
  });

  it('refuses an oversized id_token before any crypto', async () => {
    op.tamper.idToken = () => fakeJwe({ alg: 'RSA-OAEP-256', enc: 'A256GCM' }, 70 * 1024);
    await expectRefusal('id_token_too_large');
  });

  it('refuses an oversized header', async () => {
    op.tamper.idToken = () => fakeJwe({ alg: 'RSA-OAEP-256', enc: 'A256GCM', pad: 'x'.repeat(5000) });
    await expectRefusal('id_token_header_too_large');
  });

  it('refuses garbage', async () => {
    op.tamper.idToken = () => 'this is not a token';
    await expectRefusal('id_token_malformed');
    op.tamper.idToken = () => 'eyJub3QganNvbg.e30.e30.e30.e30';
    await expectRefusal('id_token_malformed');
  });

  it('refuses encrypted claims that are not signed', async () => {
    op.tamper.idToken = (c) => op.encryptForBff(JSON.stringify(c));
    await expectRefusal('id_token_not_signed');
  });

  it('refuses a JWE for another key', async () => {
    const stranger = await keysFor([{ use: 'enc', alg: 'RSA-OAEP-256' }]);
    const { CompactEncrypt, importJWK } = await import('jose');
    const key = await importJWK(stranger.publicJwks.keys[0]!, 'RSA-OAEP-256');
    op.tamper.idToken = async (c) =>
      new CompactEncrypt(new TextEncoder().encode(await op.signAsOp(c)))
        .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM' })
        .encrypt(key);
    await expectRefusal('id_token_decryption_failed');
  });

  it('refuses a plaintext userinfo (downgrade)', async () => {
    op.tamper.userinfo = (c) => ({ body: JSON.stringify(c), contentType: 'application/json' });
    await expectRefusal('userinfo_not_encrypted');
  });

  it('refuses userinfo for another subject', async () => {
    op.tamper.userinfo = async (c) => ({
      body: await op.encryptForBff(await op.signAsOp({ ...c, sub: 'mallory' })),
      contentType: 'application/jwt',
    });
    await expectRefusal('userinfo_subject_mismatch');
  });

  it('refuses a signed userinfo from another issuer, or for another audience', async () => {
    op.tamper.userinfo = async (c) => ({
      body: await op.encryptForBff(await op.signAsOp({ ...c, iss: 'https://other-op.example' })),
      contentType: 'application/jwt',
    });
    await expectRefusal('userinfo_issuer_mismatch');
    op.tamper.userinfo = async (c) => ({
      body: await op.encryptForBff(await op.signAsOp({ ...c, aud: 'another-client' })),
      contentType: 'application/jwt',
    });
    await expectRefusal('userinfo_audience_mismatch');
  });

  it('refuses a forged userinfo signature', async () => {
    op.tamper.userinfo = async (c) => ({ body: await op.encryptForBff(await op.signAsAttacker(c)), contentType: 'application/jwt' });
    await expectRefusal('userinfo_signature_invalid');
  });

  it('refuses an oversized userinfo', async () => {
    op.tamper.userinfo = () => ({ body: 'x'.repeat(300 * 1024), contentType: 'application/jwt' });
    await expectRefusal('userinfo_too_large');
  });

  it("does not refetch the OP's JWKS for every unknown kid (no refetch storm)", async () => {
    const before = op.jwksFetches;
    for (let i = 0; i < 10; i++) {
      op.tamper.idToken = async (c) => op.encryptForBff(await op.signAsAttacker(c, { kid: randomBytes(8).toString('hex') }));
      await expectRefusal('id_token_signature_invalid');
    }
    assert.ok(op.jwksFetches - before <= 1, `JWKS fetched ${op.jwksFetches - before} times for 10 unknown kids`);
  });

  it('is still healthy and logs users in after all of that', async () => {
    await bff.browser().agent.get('/healthz').expect(200);
    const browser = bff.browser();
    assert.equal((await login(browser)).status, 302);
    assert.equal((await getUser(browser).expect(200)).body.claims.email, 'alice@example.com');
  });
});

describe('JOSE policy with endpoints spelled differently in discovery', () => {
  it('still refuses plaintext when discovery writes the endpoints in a non-canonical form', () =>
    withStack({ hostile: true, bff: false }, async ({ op, startBff }) => {
      op.tamper.discovery = (meta) => ({
        ...meta,
        token_endpoint: `${op.issuer}/x/../token`,
        userinfo_endpoint: `${op.issuer}/./me`,
      });
      const bff = await startBff({ BFF_PAR: 'off' });
      op.tamper.idToken = (c) => op.signAsOp(c);
      const res = await login(bff.browser());
      assert.equal(res.body.error, 'id_token_not_encrypted');
      op.tamper.idToken = undefined;
      op.tamper.userinfo = (c) => ({ body: JSON.stringify(c), contentType: 'application/json' });
      const userinfo = await login(bff.browser());
      assert.equal(userinfo.body.error, 'userinfo_not_encrypted');
    }));
});

describe('JOSE policy settings', () => {
  it('BFF_JWE_ENCS narrows the content encryption algorithms', () =>
    withStack({ hostile: true, env: { BFF_JWE_ENCS: 'A128CBC-HS256' } }, async ({ bff }) => {
      // The OP is registered for A256GCM: refused before decryption.
      const res = await login(bff.browser());
      assert.equal(res.body.error, 'id_token_encryption_enc_not_allowed');
    }));

  it('BFF_REQUIRE_ENCRYPTION=false accepts a plaintext id_token from an OP that holds back encryption', () =>
    withStack({ hostile: true, env: { BFF_REQUIRE_ENCRYPTION: 'false' } }, async ({ op, bff }) => {
      op.tamper.idToken = (c) => op.signAsOp(c);
      const browser = bff.browser();
      assert.equal((await login(browser)).status, 302);
      await getUser(browser).expect(200);
    }));
});
