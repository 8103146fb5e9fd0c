// The BFF as an OpenID Federation entity: its Entity Configuration and signed
// JWKS verify with the federation key, say what the running configuration
// does, follow key rollovers (operational and federation keys) without a
// restart, and the federation key settings are checked at start.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { calculateJwkThumbprint, compactVerify, createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JWK } from 'jose';
import { createApp } from '../src/app.js';
import { ConfigError, loadConfig, type Env } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { keysFor, staticEnv, type TestKeys } from './helpers/harness.js';

const NOW = 1_900_000_000; // seconds; the injected clock starts here
const DAY = 86_400;

const federationKeys = async (...keys: Array<{ kid: string; nbf?: number; exp?: number }>) => {
  const set = await keysFor(keys.map(({ kid }) => ({ use: 'sig', alg: 'ES256', kid })));
  return { keys: set.privateJwks.keys.map((jwk, i) => ({ ...jwk, nbf: keys[i]!.nbf, exp: keys[i]!.exp })) };
};

/** A BFF (no OP, no Redis needed) on a clock the test moves, with federation keys. */
async function federatedBff(fedKeys: { keys: JWK[] }, extra: Env = {}, keys?: TestKeys) {
  let now = NOW * 1000;
  const bffKeys = keys ?? (await keysFor());
  const config = await loadConfig(
    staticEnv(bffKeys, { BFF_FEDERATION_KEYS: JSON.stringify(fedKeys), BFF_AUTHORITY_HINTS: 'https://ta.example', ...extra }),
  );
  const app = createApp(config, { logger: createLogger('silent'), now: () => now });
  const agent = request(app);
  return {
    config,
    keys: bffKeys,
    setTime: (seconds: number) => void (now = seconds * 1000),
    entityConfiguration: async () => {
      const res = await agent.get('/.well-known/openid-federation').expect(200);
      assert.equal(res.headers['content-type'], 'application/entity-statement+jwt');
      return res.text;
    },
    signedJwks: async (uri = '/.well-known/signed-jwks.jwt') => {
      const res = await agent.get(uri).expect(200);
      assert.equal(res.headers['content-type'], 'application/jwk-set+jwt');
      return res.text;
    },
    jwks: async () => (await agent.get('/.well-known/jwks.json').expect(200)).body as { keys: JWK[] },
    app,
    close: () => app.bff.close(),
  };
}

/** Verifies a self-signed Entity Configuration with the keys it carries; returns its claims. */
async function verifySelfSigned(jwt: string, at: number) {
  const { payload } = compactVerifyUnsafe(jwt);
  const { payload: verified, protectedHeader } = await jwtVerify(jwt, createLocalJWKSet(payload.jwks as { keys: JWK[] }), {
    typ: 'entity-statement+jwt',
    currentDate: new Date(at * 1000),
  });
  return { claims: verified, header: protectedHeader };
}
const compactVerifyUnsafe = (jwt: string) => ({ payload: JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) });
const publicOf = (jwks: { keys: JWK[] }) => ({
  keys: jwks.keys.map(({ kty, kid, use, alg, crv, x, y }) => ({ kty, kid, use, alg, crv, x, y })),
});

describe('Entity Configuration and signed JWKS', () => {
  it('are signed with the federation key and describe the running configuration', async () => {
    const fed = await federationKeys({ kid: 'fed-1' });
    const bff = await federatedBff(fed, {
      BFF_CLIENT_ID: 'assigned-by-op',
      BFF_REQUEST_OBJECT: 'encrypted',
      BFF_REQUEST_OBJECT_ALG: 'RSA-OAEP-256',
      BFF_REQUEST_OBJECT_ENC: 'A128CBC-HS256',
      BFF_DPOP: 'on',
      BFF_FEDERATION_LIFETIME: '3600',
    });
    try {
      const ec = await bff.entityConfiguration();
      const { claims, header } = await verifySelfSigned(ec, NOW);
      assert.equal(header.kid, 'fed-1');
      assert.equal(claims.iss, 'https://app.example');
      assert.equal(claims.sub, 'https://app.example');
      assert.equal(claims.iat, NOW);
      assert.equal(claims.exp, NOW + 3600);
      assert.deepEqual(claims.authority_hints, ['https://ta.example']);
      // The federation public keys only: no private member, no operational key.
      assert.deepEqual(claims.jwks, publicOf(fed));
      const rp = (claims.metadata as { openid_relying_party: Record<string, unknown> }).openid_relying_party;
      const sig = bff.keys.privateJwks.keys.find((k) => k.use === 'sig')!;
      assert.deepEqual(rp, {
        client_id: 'assigned-by-op',
        client_registration_types: ['explicit'],
        redirect_uris: ['https://app.example/bff/callback'],
        post_logout_redirect_uris: ['https://app.example/'],
        backchannel_logout_uri: 'https://app.example/bff/backchannel-logout',
        response_types: ['code'],
        grant_types: ['authorization_code', 'refresh_token'],
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: sig.alg,
        signed_jwks_uri: 'https://app.example/.well-known/signed-jwks.jwt',
        id_token_encrypted_response_alg: 'RSA-OAEP-256',
        id_token_encrypted_response_enc: bff.config.jose.jweEncs[0],
        userinfo_encrypted_response_alg: 'RSA-OAEP-256',
        userinfo_encrypted_response_enc: bff.config.jose.jweEncs[0],
        request_object_signing_alg: sig.alg,
        request_object_encryption_alg: 'RSA-OAEP-256',
        request_object_encryption_enc: 'A128CBC-HS256',
        dpop_bound_access_tokens: true,
      });

      // The signed JWKS: served where signed_jwks_uri says, verified with the Entity Configuration's keys,
      // holding exactly the keys of /.well-known/jwks.json.
      const signed = await bff.signedJwks(new URL(rp.signed_jwks_uri).pathname);
      const { payload, protectedHeader } = await jwtVerify(signed, createLocalJWKSet(claims.jwks as { keys: JWK[] }), {
        typ: 'jwk-set+jwt',
        issuer: 'https://app.example',
        subject: 'https://app.example',
        currentDate: new Date(NOW * 1000),
      });
      assert.equal(protectedHeader.kid, 'fed-1');
      assert.deepEqual(payload.keys, (await bff.jwks()).keys);
      assert.deepEqual(payload.keys, bff.keys.publicJwks.keys);
      assert.equal(payload.iat, NOW);
    } finally {
      await bff.close();
    }
  });

  it('leaves client_id out when the entity id is the client id (automatic registration), and says so', async () => {
    const bff = await federatedBff(await federationKeys({ kid: 'fed-1' }), {
      BFF_CLIENT_ID: 'https://rp.example/fed',
      BFF_ENTITY_ID: 'https://rp.example/fed',
    });
    try {
      const { claims } = await verifySelfSigned(await bff.entityConfiguration(), NOW);
      assert.equal(claims.iss, 'https://rp.example/fed');
      const rp = (claims.metadata as { openid_relying_party: Record<string, unknown> }).openid_relying_party;
      assert.equal(rp.client_id, undefined);
      assert.deepEqual(rp.client_registration_types, ['automatic']);
    } finally {
      await bff.close();
    }
  });

  it('are signed again before half their lifetime has passed, and not on every request', async () => {
    const bff = await federatedBff(await federationKeys({ kid: 'fed-1' }), { BFF_FEDERATION_LIFETIME: '1000' });
    try {
      const first = await bff.entityConfiguration();
      bff.setTime(NOW + 499);
      assert.equal(await bff.entityConfiguration(), first, 'cached');
      bff.setTime(NOW + 500);
      const second = await bff.entityConfiguration();
      assert.notEqual(second, first);
      assert.equal((await verifySelfSigned(second, NOW + 500)).claims.iat, NOW + 500);
      const jwks = await bff.signedJwks();
      bff.setTime(NOW + 1000);
      assert.notEqual(await bff.signedJwks(), jwks);
    } finally {
      await bff.close();
    }
  });

  it('follow a scheduled rollover of the operational keys: the successor is published ahead, the old key goes at its exp', async () => {
    const keys = await keysFor([
      { use: 'sig', alg: 'PS256', kid: 'sig-old' },
      { use: 'sig', alg: 'PS256', kid: 'sig-new' },
      { use: 'enc', alg: 'RSA-OAEP-256', kid: 'enc-1' },
    ]);
    Object.assign(keys.privateJwks.keys[0]!, { exp: NOW + 2 * DAY });
    Object.assign(keys.privateJwks.keys[1]!, { nbf: NOW + DAY });
    // A lifetime far longer than the steps below: only the key change can make it sign again.
    const bff = await federatedBff(await federationKeys({ kid: 'fed-1' }), { BFF_FEDERATION_LIFETIME: String(30 * DAY) }, keys);
    const kids = async () => {
      const { payload } = await compactVerify(await bff.signedJwks(), await federationKey(bff));
      return (JSON.parse(new TextDecoder().decode(payload)) as { keys: JWK[] }).keys.map((k) => k.kid);
    };
    try {
      assert.deepEqual(
        await kids(),
        ['sig-old', 'enc-1', 'sig-new'],
        'the successor is published ahead of its nbf, after the current keys',
      );
      bff.setTime(NOW + DAY);
      assert.deepEqual(await kids(), ['sig-new', 'sig-old', 'enc-1']);
      bff.setTime(NOW + 2 * DAY);
      assert.deepEqual(await kids(), ['sig-new', 'enc-1']);
      assert.deepEqual(
        (await bff.jwks()).keys.map((k) => k.kid),
        ['sig-new', 'enc-1'],
      );
    } finally {
      await bff.close();
    }
  });

  it('roll the federation key: both are published during the change, the successor signs from its nbf', async () => {
    const bff = await federatedBff(await federationKeys({ kid: 'fed-old', exp: NOW + 2 * DAY }, { kid: 'fed-new', nbf: NOW + DAY }), {
      BFF_FEDERATION_LIFETIME: String(30 * DAY),
    });
    const signer = async (at: number) => {
      bff.setTime(at);
      const { claims, header } = await verifySelfSigned(await bff.entityConfiguration(), at);
      const jwksHeader = decodeProtectedHeader(await bff.signedJwks());
      assert.equal(jwksHeader.kid, header.kid, 'both documents are signed with the same key');
      return { kid: header.kid, published: (claims.jwks as { keys: JWK[] }).keys.map((k) => k.kid) };
    };
    try {
      assert.deepEqual(await signer(NOW), { kid: 'fed-old', published: ['fed-old', 'fed-new'] });
      assert.deepEqual(await signer(NOW + DAY), { kid: 'fed-new', published: ['fed-new', 'fed-old'] });
      assert.deepEqual(await signer(NOW + 2 * DAY), { kid: 'fed-new', published: ['fed-new'] });
    } finally {
      await bff.close();
    }
  });

  it('follow a federation key file reloaded on SIGHUP; a key set start would refuse is refused and the keys stay', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'bff-fed-reload-')), 'fed.json');
    writeFileSync(file, JSON.stringify(await federationKeys({ kid: 'fed-1' })), { mode: 0o600 });
    const keys = await keysFor();
    const config = await loadConfig(staticEnv(keys, { BFF_FEDERATION_KEYS_FILE: file }));
    const app = createApp(config, { logger: createLogger('silent') });
    const signer = async () => decodeProtectedHeader((await request(app).get('/.well-known/openid-federation').expect(200)).text).kid;
    try {
      assert.equal(await signer(), 'fed-1');
      writeFileSync(file, JSON.stringify(await federationKeys({ kid: 'fed-2' })));
      await app.bff.reloadKeys();
      assert.equal(await signer(), 'fed-2', 'signed again with the reloaded key');
      writeFileSync(file, JSON.stringify(keys.privateJwks)); // the operational keys: refused
      await assert.rejects(app.bff.reloadKeys(), /BFF_FEDERATION_KEYS_FILE: holds a "use":"enc" key/);
      assert.equal(await signer(), 'fed-2');
    } finally {
      await app.bff.close();
    }
  });

  it('answer 503 federation_key_unavailable once every federation key is past its exp', async () => {
    const bff = await federatedBff(await federationKeys({ kid: 'fed-1', exp: NOW + DAY }));
    try {
      await bff.entityConfiguration();
      bff.setTime(NOW + DAY);
      const res = await request(bff.app).get('/.well-known/openid-federation').expect(503);
      assert.equal(res.body.error, 'federation_key_unavailable');
      assert.equal((await request(bff.app).get('/.well-known/signed-jwks.jwt').expect(503)).body.error, 'federation_key_unavailable');
    } finally {
      await bff.close();
    }
  });

  it('are not served without federation keys', async () => {
    const app = createApp(await loadConfig(staticEnv(await keysFor())), { logger: createLogger('silent') });
    try {
      await request(app).get('/.well-known/openid-federation').expect(404);
      await request(app).get('/.well-known/signed-jwks.jwt').expect(404);
    } finally {
      await app.bff.close();
    }
  });
});

async function federationKey(bff: Awaited<ReturnType<typeof federatedBff>>) {
  const { payload } = compactVerifyUnsafe(await bff.entityConfiguration());
  return createLocalJWKSet(payload.jwks as { keys: JWK[] });
}

describe('federation settings at start', () => {
  const refused = async (extra: Env, pattern: RegExp) => {
    const err = await loadConfig(staticEnv(await keysFor(), extra)).then(
      () => assert.fail('start accepted the configuration'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ConfigError, String(err));
    assert.match(err.message, pattern);
  };

  it('refuses a malformed federation key set, naming the variable', async () => {
    const enc = (await keysFor([{ use: 'enc', alg: 'RSA-OAEP-256', kid: 'e' }])).privateJwks;
    const noKid = (await federationKeys({ kid: 'x' })).keys.map(({ kid: _kid, ...jwk }) => jwk);
    const cases: Array<[Env, RegExp]> = [
      [{ BFF_FEDERATION_KEYS: 'not json' }, /^BFF_FEDERATION_KEYS: is not valid JSON/],
      [{ BFF_FEDERATION_KEYS_FILE: '/nonexistent/fed.json' }, /^BFF_FEDERATION_KEYS_FILE: cannot read/],
      [{ BFF_FEDERATION_KEYS: '{"keys":[]}' }, /^BFF_FEDERATION_KEYS: holds no signing key/],
      [{ BFF_FEDERATION_KEYS: JSON.stringify(enc) }, /^BFF_FEDERATION_KEYS: holds a "use":"enc" key/],
      [{ BFF_FEDERATION_KEYS: JSON.stringify({ keys: noKid }) }, /^BFF_FEDERATION_KEYS: every federation key needs a kid/],
      [
        { BFF_FEDERATION_KEYS: JSON.stringify(publicOf(await federationKeys({ kid: 'p' }))) },
        /^BFF_FEDERATION_KEYS: key 0 \(kid "p"\): is not a private key/,
      ],
      [
        { BFF_FEDERATION_KEYS: JSON.stringify(await federationKeys({ kid: 'a', nbf: NOW }, { kid: 'b', nbf: NOW })) },
        /^BFF_FEDERATION_KEYS: "use":"sig" keys "a" and "b" are in effect at the same time with the same nbf/,
      ],
      [{ BFF_ENTITY_ID: 'https://app.example' }, /^BFF_ENTITY_ID: needs BFF_FEDERATION_KEYS_FILE/],
      [
        { BFF_FEDERATION_KEYS: JSON.stringify(await federationKeys({ kid: 'late', nbf: Math.floor(Date.now() / 1000) + DAY })) },
        /^BFF_FEDERATION_KEYS: has no key in effect now/,
      ],
      [
        { BFF_FEDERATION_KEYS: JSON.stringify(await federationKeys({ kid: 'f' })), BFF_ENTITY_ID: 'https://app.example/?x=1' },
        /^BFF_ENTITY_ID: an entity identifier has no query/,
      ],
      [
        { BFF_FEDERATION_KEYS: JSON.stringify(await federationKeys({ kid: 'f' })), BFF_AUTHORITY_HINTS: 'http://ta.example' },
        /^BFF_AUTHORITY_HINTS: must be an https URL/,
      ],
      [
        { BFF_FEDERATION_KEYS: JSON.stringify(await federationKeys({ kid: 'f' })), BFF_FEDERATION_LIFETIME: '10' },
        /^BFF_FEDERATION_LIFETIME: must be a whole number/,
      ],
    ];
    for (const [extra, pattern] of cases) await refused(extra, pattern);
  });

  it('takes the federation key set `npm run keys -- --federation` writes', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'bff-fed-keys-')), 'fed.json');
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/keys.ts', '--federation', '--sig', 'ES256', '--out', file], {
      encoding: 'utf8',
    });
    assert.equal(run.status, 0, run.stderr);
    const config = await loadConfig(staticEnv(await keysFor(), { BFF_FEDERATION_KEYS_FILE: file }));
    assert.equal(config.federation?.keys.signing.length, 1);
    assert.equal(config.federation?.keys.decryption.length, 0);
    assert.equal(config.federation?.keysFile, file);
  });

  it('refuses a federation key that is also an operational key', async () => {
    const keys = await keysFor([{ use: 'sig', alg: 'ES256', kid: 'shared' }]);
    const err = await loadConfig(staticEnv(keys, { BFF_FEDERATION_KEYS: JSON.stringify(keys.privateJwks) })).catch((e: unknown) => e);
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /^BFF_FEDERATION_KEYS: key "shared" is also in BFF_KEYS\/BFF_KEYS_FILE/);
  });

  it('reads BFF_OP_FEDERATION_KEYS as thumbprints or a public JWKS', async () => {
    const fed = publicOf(await federationKeys({ kid: 'op-fed' }));
    const thumbprint = await calculateJwkThumbprint(fed.keys[0]!);
    const fromJwks = await loadConfig(staticEnv(await keysFor(), { BFF_OP_FEDERATION_KEYS: JSON.stringify(fed) }));
    assert.deepEqual(fromJwks.opFederation, { thumbprints: [thumbprint] });
    const fromList = await loadConfig(staticEnv(await keysFor(), { BFF_OP_FEDERATION_KEYS: ` ${thumbprint} , ${'A'.repeat(43)}` }));
    assert.deepEqual(fromList.opFederation, { thumbprints: [thumbprint, 'A'.repeat(43)] });
    await refused({ BFF_OP_FEDERATION_KEYS: 'abc' }, /^BFF_OP_FEDERATION_KEYS: "abc" is not an RFC 7638 SHA-256 thumbprint/);
    await refused({ BFF_OP_FEDERATION_KEYS: '{"keys":[]}' }, /^BFF_OP_FEDERATION_KEYS: must be a JWKS/);
    await refused(
      { BFF_OP_FEDERATION_KEYS: JSON.stringify(await federationKeys({ kid: 'private' })) },
      /^BFF_OP_FEDERATION_KEYS: key 0 must be a public key/,
    );
  });
});
