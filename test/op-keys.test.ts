// The OP's key cache (src/oidc/op-keys.ts) against the real OP's jwks_uri,
// on a clock the test moves: an unknown kid is fetched at once, and the
// back-offs keep unknown kids (the back-channel endpoint lets anyone choose
// one) from turning into a refetch storm.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { KeySelectionError, MISS_INTERVAL_MS, OpKeys } from '../src/oidc/op-keys.js';
import type { HostileOp } from './fixtures/hostile-op.js';
import { useStack } from './helpers/stack.js';

describe("the OP's key cache", () => {
  let op: HostileOp;
  useStack({ hostile: true, bff: false }, (stack) => ({ op } = stack));

  let clock = 1_000_000;
  const tick = (ms: number) => (clock += ms);
  const cache = () => {
    const keys = new OpKeys(
      (url, options) => fetch(url, options as RequestInit),
      5000,
      () => clock,
    );
    keys.use(`${op.issuer}/jwks`);
    return keys;
  };
  const missing = (keys: OpKeys, kid: string) =>
    assert.rejects(keys.verificationKey('PS256', kid), (err) => err instanceof KeySelectionError && err.reason === 'no_key');

  it('serves known keys from the cache, and refetches a set older than five minutes', async () => {
    const keys = cache();
    const before = op.jwksFetches;
    await keys.verificationKey('PS256', 'op-rsa');
    await keys.verificationKey('ES256', 'op-ec');
    assert.equal(op.jwksFetches - before, 1);
    tick(5 * 60_000);
    await keys.verificationKey('PS256', 'op-rsa');
    assert.equal(op.jwksFetches - before, 2);
  });

  it('fetches an unknown kid at once, and finds a key the OP published since', async () => {
    const keys = cache();
    await keys.verificationKey('PS256', 'op-rsa');
    const rotated: JWK = { ...(await exportJWK((await generateKeyPair('PS256')).publicKey)), kid: 'rotated', use: 'sig' };
    op.tamper.jwks = (jwks) => ({ keys: [...jwks.keys, rotated] });
    try {
      const before = op.jwksFetches;
      tick(1); // a fresh set: the old rule (refetch only after 60 s) would not look again
      // Two logins at once after the rotation: the second joins the first one's refetch.
      await Promise.all([keys.verificationKey('PS256', 'rotated'), keys.verificationKey('PS256', 'rotated')]);
      assert.equal(op.jwksFetches - before, 1);
    } finally {
      op.tamper = {};
    }
  });

  it('looks for the same missing kid again only after its back-off, and for any missing kid at most every few seconds', async () => {
    const keys = cache();
    await keys.verificationKey('PS256', 'op-rsa');
    const before = op.jwksFetches;
    await missing(keys, 'gone');
    assert.equal(op.jwksFetches - before, 1, 'the first miss refetches');
    tick(MISS_INTERVAL_MS + 1);
    await missing(keys, 'gone');
    assert.equal(op.jwksFetches - before, 1, 'the same kid is in its back-off');
    await missing(keys, 'other');
    assert.equal(op.jwksFetches - before, 2, 'another kid past the interval refetches');
    await missing(keys, 'third');
    assert.equal(op.jwksFetches - before, 2, 'within the interval no kid refetches');
    tick(60_000);
    await missing(keys, 'gone');
    assert.equal(op.jwksFetches - before, 3, 'after its back-off the kid is looked for again');
  });

  it('joins concurrent misses into one refetch', async () => {
    const keys = cache();
    await keys.verificationKey('PS256', 'op-rsa');
    tick(MISS_INTERVAL_MS + 1);
    const before = op.jwksFetches;
    await Promise.all(Array.from({ length: 50 }, () => missing(keys, randomBytes(8).toString('hex'))));
    assert.equal(op.jwksFetches - before, 1);
  });

  it('never guesses among several fitting keys when the token names none', async () => {
    const keys = cache();
    const second: JWK = { ...(await exportJWK((await generateKeyPair('PS256')).publicKey)), kid: 'second', use: 'sig' };
    op.tamper.jwks = (jwks) => ({ keys: [...jwks.keys, second] });
    try {
      await assert.rejects(
        keys.verificationKey('PS256', undefined),
        (err) => err instanceof KeySelectionError && err.reason === 'ambiguous',
      );
      assert.ok(await keys.verificationKey('ES256', undefined), 'a single EC signing key is found without a kid');
    } finally {
      op.tamper = {};
    }
  });

  it('finds the OP encryption key for an alg, and refuses an alg it has no key for', async () => {
    const keys = cache();
    const jwk = await keys.encryptionKey('RSA-OAEP-256');
    assert.equal(jwk.kid, 'op-enc');
    await assert.rejects(keys.encryptionKey('ECDH-ES'), { code: 'op_encryption_key_missing' });
  });
});
