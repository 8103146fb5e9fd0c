// Configuration: every bad variable stops the start with one line naming it.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { ConfigError, loadConfig, type Env } from '../src/config.js';
import { keysFor, staticEnv, type TestKeys } from './helpers/harness.js';

let keys: TestKeys;
const env = (extra: Env = {}): Env => staticEnv(keys, extra);

async function configErrorOf(extra: Env): Promise<ConfigError> {
  try {
    await loadConfig(env(extra));
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('loadConfig accepted a bad configuration');
}

describe('loadConfig', () => {
  before(async () => {
    keys = await keysFor();
  });

  it('accepts a minimal configuration with secure defaults', async () => {
    const config = await loadConfig(env());
    assert.equal(config.clientAuth, 'private_key_jwt');
    assert.equal(config.scope, 'openid profile email');
    assert.equal(config.redirectUri, 'https://app.example/bff/callback');
    assert.equal(config.postLogoutRedirectUri, 'https://app.example/');
    assert.equal(config.cookieSameSite, 'strict');
    assert.equal(config.port, 3000);
    assert.equal(config.keys.signing.length, 1);
    assert.equal(config.keys.decryption.length, 1);
  });

  const cases: Array<[string, Env, RegExp]> = [
    ['BFF_ISSUER', { BFF_ISSUER: undefined }, /is required/],
    ['BFF_ISSUER', { BFF_ISSUER: 'not a url' }, /absolute URL/],
    ['BFF_ISSUER', { BFF_ISSUER: 'http://op.example' }, /https/],
    ['BFF_CLIENT_ID', { BFF_CLIENT_ID: '' }, /is required/],
    ['BFF_PUBLIC_URL', { BFF_PUBLIC_URL: 'https://app.example/spa' }, /origin only/],
    ['BFF_PUBLIC_URL', { BFF_PUBLIC_URL: 'ftp://app.example' }, /https/],
    ['BFF_SESSION_SECRET', { BFF_SESSION_SECRET: 'short' }, /at least 32/],
    ['BFF_SESSION_SECRET', { BFF_SESSION_SECRET: `${'x'.repeat(32)},short` }, /at least 32/],
    ['BFF_SESSION_SECRET', { BFF_SESSION_SECRET: undefined }, /is required/],
    ['BFF_KEYS', { BFF_KEYS: '{not json' }, /not valid JSON/],
    ['BFF_KEYS', { BFF_KEYS: '[]' }, /JSON Web Key Set/],
    ['BFF_KEYS_FILE', { BFF_KEYS: undefined, BFF_KEYS_FILE: '/nonexistent/keys.json' }, /cannot read/],
    ['BFF_KEYS', { BFF_KEYS_FILE: '/tmp/x.json' }, /not both/],
    ['BFF_CLIENT_AUTH', { BFF_CLIENT_AUTH: 'none' }, /one of/],
    ['BFF_CLIENT_SECRET', { BFF_CLIENT_AUTH: 'client_secret_basic' }, /is required/],
    ['BFF_CLIENT_AUTH', { BFF_KEYS: undefined, BFF_CLIENT_AUTH: 'private_key_jwt' }, /needs a "use":"sig" key/],
    ['BFF_SCOPE', { BFF_SCOPE: 'profile email' }, /openid/],
    ['REDIS_URL', { REDIS_URL: 'http://localhost' }, /redis:\/\//],
    ['REDIS_URL', { NODE_ENV: 'production' }, /required with NODE_ENV=production/],
    ['PORT', { PORT: 'eighty' }, /whole number/],
    ['PORT', { PORT: '70000' }, /whole number/],
    ['BFF_LOG_LEVEL', { BFF_LOG_LEVEL: 'loud' }, /one of/],
    ['BFF_ALLOW_HTTP', { BFF_ALLOW_HTTP: 'yes' }, /1\/true/],
    [
      'BFF_ALLOW_HTTP',
      { BFF_ALLOW_HTTP: '1', NODE_ENV: 'production', REDIS_URL: 'redis://127.0.0.1:6379' },
      /refused with NODE_ENV=production/,
    ],
    ['BFF_COOKIE_SAMESITE', { BFF_COOKIE_SAMESITE: 'none' }, /strict, lax/],
    ['BFF_DPOP', { BFF_DPOP: 'yes' }, /auto, on, off/],
    ['BFF_SESSION_ABSOLUTE', { BFF_SESSION_IDLE: '3600', BFF_SESSION_ABSOLUTE: '600' }, /shorter than BFF_SESSION_IDLE/],
    ['BFF_TRUST_PROXY', { BFF_TRUST_PROXY: 'every$body' }, /hop count/],
    ['BFF_REDIS_PREFIX', { BFF_REDIS_PREFIX: 'has space' }, /letters/],
    ['BFF_LOGIN_RATE_LIMIT', { BFF_LOGIN_RATE_LIMIT: '60' }, /<logins>\/<seconds>/],
    ['BFF_LOGIN_RATE_LIMIT', { BFF_LOGIN_RATE_LIMIT: '0/60' }, /<logins>\/<seconds>/],
    ['BFF_LOGIN_RATE_LIMIT', { BFF_LOGIN_RATE_LIMIT: '10/999999' }, /at most a day/],
    ['BFF_MAX_TOKEN_AGE', { BFF_MAX_TOKEN_AGE: '604800' }, /whole number/],
    ['BFF_CLOCK_TOLERANCE', { BFF_CLOCK_TOLERANCE: '-1' }, /whole number/],
    ['BFF_TRUSTED_AUDIENCES', { BFF_TRUSTED_AUDIENCES: 'ok,bad\u0001aud' }, /not an audience value/],
    ['BFF_DROP_CLAIMS', { BFF_DROP_CLAIMS: 'email,has space' }, /not a claim name/],
    // No setting turns on RSA1_5, dir or password-based key wrapping, nor unsigned or shared-secret signatures.
    ['BFF_JWE_ALGS', { BFF_JWE_ALGS: 'RSA-OAEP-256,RSA1_5' }, /does not support RSA1_5/],
    ['BFF_JWE_ALGS', { BFF_JWE_ALGS: 'dir' }, /does not support dir/],
    ['BFF_JWE_ALGS', { BFF_JWE_ALGS: 'PBES2-HS256+A128KW' }, /does not support PBES2/],
    ['BFF_JWS_ALGS', { BFF_JWS_ALGS: 'PS256,none' }, /does not support none/],
    ['BFF_JWS_ALGS', { BFF_JWS_ALGS: 'HS256' }, /does not support HS256/],
    // Matched in any case: a second route differing only in case would shadow the first (token: required).
    [
      'BFF_API_ROUTES',
      {
        BFF_API_ROUTES: JSON.stringify([
          { path: '/bff/api/Admin', target: 'https://a.example/x', token: 'none' },
          { path: '/bff/api/admin', target: 'https://a.example/y', token: 'required' },
        ]),
      },
      /path \/bff\/api\/admin appears twice/,
    ],
  ];
  for (const [variable, extra, reason] of cases) {
    it(`names ${variable} when ${JSON.stringify(extra)}`, async () => {
      const err = await configErrorOf(extra);
      assert.equal(err.variable, variable);
      assert.match(err.message, reason);
      assert.ok(err.message.startsWith(`${variable}: `));
    });
  }

  it('permits http only with BFF_ALLOW_HTTP=1', async () => {
    const config = await loadConfig(
      env({ BFF_ISSUER: 'http://127.0.0.1:9', BFF_PUBLIC_URL: 'http://localhost:3000', BFF_ALLOW_HTTP: '1' }),
    );
    assert.equal(config.issuer.protocol, 'http:');
  });

  it('reads the keys from BFF_KEYS_FILE', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bff-keys-'));
    writeFileSync(join(dir, 'keys.json'), JSON.stringify(keys.privateJwks));
    const config = await loadConfig(env({ BFF_KEYS: undefined, BFF_KEYS_FILE: join(dir, 'keys.json') }));
    assert.equal(config.keys.decryption.length, 1);
  });

  it('reads the session secret from BFF_SESSION_SECRET_FILE (a mounted secret), and names that variable when it is wrong', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bff-secret-'));
    writeFileSync(join(dir, 'secret'), `${'a'.repeat(40)},${'b'.repeat(32)}\n`);
    const config = await loadConfig(env({ BFF_SESSION_SECRET: undefined, BFF_SESSION_SECRET_FILE: join(dir, 'secret') }));
    assert.deepEqual(config.sessionSecrets, ['a'.repeat(40), 'b'.repeat(32)]);
    writeFileSync(join(dir, 'short'), 'short\n');
    const short = await configErrorOf({ BFF_SESSION_SECRET: undefined, BFF_SESSION_SECRET_FILE: join(dir, 'short') });
    assert.equal(short.message, 'BFF_SESSION_SECRET_FILE: each secret must be at least 32 characters');
    const missing = await configErrorOf({ BFF_SESSION_SECRET: undefined, BFF_SESSION_SECRET_FILE: join(dir, 'nope') });
    assert.equal(missing.message, `BFF_SESSION_SECRET_FILE: cannot read ${join(dir, 'nope')} (ENOENT)`);
    const both = await configErrorOf({ BFF_SESSION_SECRET_FILE: join(dir, 'secret') });
    assert.match(both.message, /^BFF_SESSION_SECRET: set either BFF_SESSION_SECRET or BFF_SESSION_SECRET_FILE, not both/);
  });

  it('uses a client secret when told to', async () => {
    const config = await loadConfig(env({ BFF_KEYS: undefined, BFF_CLIENT_SECRET: 's3cret' }));
    assert.equal(config.clientAuth, 'client_secret_basic');
  });
});

describe('key set validation', () => {
  before(async () => {
    keys ??= await keysFor();
  });
  const keyError = async (jwks: unknown) => (await configErrorOf({ BFF_KEYS: JSON.stringify(jwks) })).message;

  it('refuses a public key (no "d")', async () => {
    assert.match(await keyError(keys.publicJwks), /not a private key/);
  });

  it('refuses RSA keys under 2048 bits', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    assert.match(await keyError({ keys: [{ ...privateKey.export({ format: 'jwk' }), use: 'sig' }] }), /at least 2048 bits/);
  });

  it('refuses an alg that does not fit the key', async () => {
    const rsa = keys.privateJwks.keys.find((k) => k.use === 'enc')!;
    assert.match(await keyError({ keys: [{ ...rsa, alg: 'ECDH-ES' }] }), /does not fit a RSA "enc" key/);
    assert.match(await keyError({ keys: [{ ...rsa, alg: 'RSA1_5' }] }), /does not fit/);
    assert.match(await keyError({ keys: [{ ...rsa, use: 'enc', alg: 'PS256' }] }), /does not fit/);
  });

  it('refuses a key without use or alg, a curve other than P-256, and a repeated kid', async () => {
    const rsa = keys.privateJwks.keys.find((k) => k.use === 'enc')!;
    assert.match(await keyError({ keys: [{ ...rsa, use: undefined, alg: undefined }] }), /needs "use":"sig" or "use":"enc"/);
    const { privateKey } = await generateKeyPair('ES384', { extractable: true });
    assert.match(await keyError({ keys: [{ ...(await exportJWK(privateKey)), use: 'sig' }] }), /P-256/);
    assert.match(await keyError({ keys: [rsa, rsa] }), /kid is used twice/);
  });

  it('derives use from alg and publishes only public members', async () => {
    const withoutUse = keys.privateJwks.keys.map((k) => ({ ...k, use: undefined }));
    const config = await loadConfig(env({ BFF_KEYS: JSON.stringify({ keys: withoutUse }) }));
    assert.equal(config.keys.signing.length, 1);
    assert.equal(config.keys.decryption.length, 1);
    for (const jwk of config.keys.publicJwks.keys) {
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.equal(member in jwk, false, member);
      assert.ok(jwk.n && jwk.e && jwk.use && jwk.alg && jwk.kid);
    }
  });
});

describe('server start with a bad configuration', () => {
  it('exits 2 with one line naming the variable, and no stack trace', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      env: { PATH: process.env.PATH, BFF_ISSUER: 'https://op.example', BFF_CLIENT_ID: 'bff', BFF_PUBLIC_URL: 'https://app.example/x' },
    });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => (stdout += d));
    const code = await new Promise((resolve) => child.on('exit', resolve));
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.equal(stderr.trim().split('\n').length, 1);
    assert.match(stderr, /^sealed-bff: configuration error: BFF_PUBLIC_URL: /);
    assert.doesNotMatch(stderr, /\bat .*\.ts:\d+/);
  });
});
