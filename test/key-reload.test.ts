// A key file reloaded on SIGHUP must meet every rule a key set meets at start
// (src/config/keys.ts: checkKeySet). For each rule: start refuses the key set,
// a running BFF refuses to reload it, and the keys in use stay.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JWK } from 'jose';
import { createApp } from '../src/app.js';
import { internals } from '../src/context.js';
import { ConfigError, loadConfig, type Env } from '../src/config.js';
import type { KeySpec } from '../src/keygen.js';
import { createLogger } from '../src/logger.js';
import { DEFAULT_KEYS, keysFor, staticEnv } from './helpers/harness.js';

interface KeyRuleCase {
  rule: string;
  /** The settings the rule is about; the BFF starts with them and the `good` keys. */
  env: Env;
  good: KeySpec[];
  /** The key set that breaks the rule (only it: the other rules pass). */
  bad: () => Promise<JWK[]>;
  /** How start names the refusal (it may name the setting that needs the key). */
  atStart: RegExp;
  /** How the reload names it. */
  atReload: RegExp;
}

// The keys come from BFF_KEYS_FILE, never inline.
const FILE_KEYS_ONLY = { privateJwks: { keys: [] }, publicJwks: { keys: [] } };
const jwks = async (specs: KeySpec[]) => (await keysFor(specs)).privateJwks.keys;

const cases: KeyRuleCase[] = [
  {
    rule: 'fapi2: no RS256 signing key',
    env: { BFF_PROFILE: 'fapi2' },
    good: [{ use: 'sig', alg: 'ES256' }],
    bad: () => jwks([{ use: 'sig', alg: 'RS256' }]),
    atStart: /^BFF_KEYS_FILE: a RS256 signing key is weaker than BFF_PROFILE=fapi2 allows/,
    atReload: /^BFF_KEYS_FILE: a RS256 signing key is weaker than BFF_PROFILE=fapi2 allows/,
  },
  {
    rule: 'ftn: no ECDH enc key',
    env: { BFF_PROFILE: 'ftn' },
    good: DEFAULT_KEYS,
    // Without an alg, so that only the profile's rule (not BFF_JWE_ALGS) can refuse it.
    bad: async () => [
      ...(await jwks([{ use: 'sig', alg: 'PS256' }])),
      ...(await jwks([{ use: 'enc', alg: 'ECDH-ES' }])).map(({ alg: _alg, ...jwk }) => jwk),
    ],
    atStart: /^BFF_KEYS_FILE: an ECDH "enc" key \(FTN uses RSA-OAEP\) is weaker than BFF_PROFILE=ftn allows/,
    atReload: /^BFF_KEYS_FILE: an ECDH "enc" key \(FTN uses RSA-OAEP\) is weaker than BFF_PROFILE=ftn allows/,
  },
  {
    rule: 'private_key_jwt needs a sig key',
    env: { BFF_CLIENT_AUTH: 'private_key_jwt' },
    good: DEFAULT_KEYS,
    bad: () => jwks([{ use: 'enc', alg: 'RSA-OAEP-256' }]),
    atStart: /^BFF_CLIENT_AUTH: private_key_jwt needs a "use":"sig" key/,
    atReload: /^BFF_KEYS_FILE: has no "use":"sig" key/,
  },
  {
    rule: 'request objects need a sig key',
    env: { BFF_CLIENT_AUTH: 'client_secret_basic', BFF_CLIENT_SECRET: 'secret', BFF_REQUEST_OBJECT: 'signed' },
    good: DEFAULT_KEYS,
    bad: () => jwks([{ use: 'enc', alg: 'RSA-OAEP-256' }]),
    atStart: /^BFF_REQUEST_OBJECT: signed request objects need a "use":"sig" key/,
    atReload: /^BFF_KEYS_FILE: has no "use":"sig" key/,
  },
  {
    rule: 'required encryption needs an enc key',
    env: { BFF_REQUIRE_ENCRYPTION: 'true' },
    good: DEFAULT_KEYS,
    bad: () => jwks([{ use: 'sig', alg: 'PS256' }]),
    atStart:
      /^BFF_REQUIRE_ENCRYPTION: requires id_token, userinfo, logout_token encrypted, but BFF_KEYS\/BFF_KEYS_FILE holds no "use":"enc" key/,
    atReload: /^BFF_KEYS_FILE: has no "use":"enc" key, and encryption is required/,
  },
  {
    rule: "an enc key's alg must be in BFF_JWE_ALGS",
    env: {},
    good: DEFAULT_KEYS,
    bad: () =>
      jwks([
        { use: 'sig', alg: 'PS256' },
        { use: 'enc', alg: 'RSA-OAEP-512', kid: 'enc-512' },
      ]),
    atStart: /^BFF_JWE_ALGS: does not allow RSA-OAEP-512, the alg of enc key enc-512/,
    atReload: /^BFF_JWE_ALGS: does not allow RSA-OAEP-512, the alg of enc key enc-512/,
  },
];

describe('a key file reloaded on SIGHUP meets the rules of start', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'bff-key-rules-'));
  });

  for (const [index, c] of cases.entries()) {
    it(`${c.rule}: start refuses the key set, and so does a reload`, async () => {
      const file = join(dir, `keys-${index}.json`);
      const writeKeys = (keys: JWK[]) => writeFileSync(file, JSON.stringify({ keys }), { mode: 0o600 });
      const env = staticEnv(FILE_KEYS_ONLY, { BFF_KEYS: undefined, BFF_KEYS_FILE: file, ...c.env });
      const bad = await c.bad();

      writeKeys(bad);
      const refused = await loadConfig(env).then(
        () => assert.fail('start accepted the key set'),
        (err: unknown) => err,
      );
      assert.ok(refused instanceof ConfigError, String(refused));
      assert.match(refused.message, c.atStart);

      writeKeys(await jwks(c.good));
      const app = createApp(await loadConfig(env), { logger: createLogger('silent') });
      try {
        const inUse = internals(app).context.keys.current;
        writeKeys(bad);
        await assert.rejects(app.bff.reloadKeys(), (err: unknown) => err instanceof ConfigError && c.atReload.test(err.message));
        assert.equal(internals(app).context.keys.current, inUse, 'the keys in use stay');
      } finally {
        await app.bff.close();
      }
    });
  }
});
