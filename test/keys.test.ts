// The BFF's keys: decryption key selection, the public JWKS, the key tool,
// and rotation without downtime (SIGHUP reload while the OP reads our jwks_uri).
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompactEncrypt, SignJWT, importJWK, type JWK } from 'jose';
import { loadConfig } from '../src/config.js';
import { importKeySet, type KeySet } from '../src/keys.js';
import { openToken } from '../src/oidc/jose-policy.js';
import { bffClient, startOp } from './fixtures/op.js';
import {
  BFF_ORIGIN,
  baseEnv,
  freePort,
  getUser,
  keysFor,
  login,
  spawnBff,
  unreachableOpEnv,
  startBff,
  type TestKeys,
} from './helpers/harness.js';

const POLICY = {
  requireEncryption: ['id_token' as const],
  jweAlgs: ['RSA-OAEP', 'RSA-OAEP-256', 'ECDH-ES', 'ECDH-ES+A128KW'],
  jweEncs: ['A256GCM', 'A128CBC-HS256'],
  jwsAlgs: ['ES256'],
  maxTokenBytes: 65536,
};

describe('decryption key selection', () => {
  let set: KeySet;
  let keys: TestKeys;
  let signer: CryptoKey;
  const encryptTo = async (jwk: JWK, header: Record<string, unknown>) => {
    const jws = await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'ES256' }).sign(signer);
    return new CompactEncrypt(new TextEncoder().encode(jws))
      .setProtectedHeader({ enc: 'A256GCM', ...header } as { alg: string; enc: string })
      .encrypt(await importJWK(jwk, header.alg as string));
  };
  const publicOf = (kid: string) => keys.publicJwks.keys.find((k) => k.kid === kid)!;

  before(async () => {
    keys = await keysFor([
      { use: 'enc', alg: 'RSA-OAEP-256', kid: 'rsa-old' },
      { use: 'enc', alg: 'RSA-OAEP-256', kid: 'rsa-new' },
      { use: 'enc', alg: 'ECDH-ES', kid: 'ec' },
    ]);
    // rsa-new carries a certificate thumbprint, as a key with an x5c would.
    keys.privateJwks.keys[1] = { ...keys.privateJwks.keys[1]!, 'x5t#S256': 'thumbprint-of-rsa-new' };
    set = await importKeySet(keys.privateJwks);
    signer = (await (await import('jose')).generateKeyPair('ES256')).privateKey;
  });

  it('selects by kid among several keys of one algorithm', async () => {
    const token = await encryptTo(publicOf('rsa-new'), { alg: 'RSA-OAEP-256', kid: 'rsa-new' });
    assert.equal((await openToken(token, 'id_token', POLICY, set.decryption)).encrypted, true);
  });

  it('selects by x5t#S256 when the JWE names no kid', async () => {
    const token = await encryptTo(publicOf('rsa-new'), { alg: 'RSA-OAEP-256', 'x5t#S256': 'thumbprint-of-rsa-new' });
    assert.equal((await openToken(token, 'id_token', POLICY, set.decryption)).payload.sub, 'x');
  });

  it('tries every fitting key when the JWE names none, or names a kid the BFF does not know', async () => {
    for (const header of [{ alg: 'RSA-OAEP-256' }, { alg: 'RSA-OAEP-256', kid: 'assigned-by-the-op' }]) {
      const token = await encryptTo(publicOf('rsa-new'), header);
      assert.equal((await openToken(token, 'id_token', POLICY, set.decryption)).payload.sub, 'x');
    }
    const ecdh = await encryptTo(publicOf('ec'), { alg: 'ECDH-ES' });
    assert.equal((await openToken(ecdh, 'id_token', POLICY, set.decryption)).payload.sub, 'x');
  });

  it('never lets a kid pick a key of another algorithm', async () => {
    // Encrypted to rsa-old with RSA-OAEP (SHA-1): rsa-old is declared RSA-OAEP-256, so nothing fits.
    const token = await encryptTo(publicOf('rsa-old'), { alg: 'RSA-OAEP', kid: 'rsa-old' });
    await assert.rejects(openToken(token, 'id_token', POLICY, set.decryption), { code: 'id_token_decryption_failed' });
  });
});

describe('GET /.well-known/jwks.json', () => {
  it("publishes every key's public half and nothing private", async () => {
    const keys = await keysFor([
      { use: 'sig', alg: 'PS256' },
      { use: 'sig', alg: 'ES256' },
      { use: 'enc', alg: 'RSA-OAEP-256' },
      { use: 'enc', alg: 'ECDH-ES+A128KW' },
    ]);
    const bff = await startBff(baseEnv({ issuer: 'http://127.0.0.1:9' } as never, 'bff', keys));
    try {
      const res = await bff.browser().agent.get('/.well-known/jwks.json').expect(200);
      assert.deepEqual(res.body, keys.publicJwks);
      assert.doesNotMatch(res.text, /"(d|p|q|dp|dq|qi)"/);
    } finally {
      await bff.close();
    }
  });
});

describe('npm run keys', () => {
  it('writes a private JWKS with mode 0600 that the BFF accepts, and prints the public JWKS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bff-keytool-'));
    const out = join(dir, 'keys.json');
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'src/cli/keys.ts', '--sig', 'ES256', '--enc', 'RSA-OAEP-256', '--enc', 'ECDH-ES', '--out', out],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(run.status, 0, run.stderr);
    assert.equal(statSync(out).mode & 0o777, 0o600);
    const privateJwks = JSON.parse(readFileSync(out, 'utf8'));
    const publicJwks = JSON.parse(run.stdout);
    assert.deepEqual(
      privateJwks.keys.map((k: JWK) => k.alg),
      ['ES256', 'RSA-OAEP-256', 'ECDH-ES'],
    );
    assert.ok(privateJwks.keys.every((k: JWK) => k.d));
    assert.ok(publicJwks.keys.every((k: JWK) => k.d === undefined && k.kid));
    assert.equal(Buffer.from(privateJwks.keys[1].n, 'base64url').length * 8, 2048);

    // Refuses to overwrite, and refuses weak choices.
    assert.equal(spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/keys.ts', '--out', out]).status, 2);
    assert.equal(spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/keys.ts', '--enc', 'RSA1_5', '--out', join(dir, 'x')]).status, 2);
    assert.equal(
      spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/keys.ts', '--rsa-bits', '1024', '--out', join(dir, 'y')]).status,
      2,
    );
    const config = await loadConfig({
      BFF_ISSUER: 'https://op.example',
      BFF_CLIENT_ID: 'x',
      BFF_PUBLIC_URL: 'https://app.example',
      BFF_KEYS_FILE: out,
      BFF_SESSION_SECRET: 'x'.repeat(32),
    });
    assert.equal(config.keys.decryption.length, 2);
  });
});

describe('key rotation without downtime', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'bff-rotation-'));
  });

  it('adds a key, lets the OP use it, retires the old one: sessions and logins in flight survive', async () => {
    const sig = await keysFor([{ use: 'sig', alg: 'PS256', kid: 'sig-1' }]);
    const oldKey = await keysFor([{ use: 'enc', alg: 'RSA-OAEP-256', kid: 'enc-old' }]);
    const newKey = await keysFor([{ use: 'enc', alg: 'RSA-OAEP-256', kid: 'enc-new' }]);
    const file = join(dir, 'keys.json');
    const writeKeys = (...sets: TestKeys[]) =>
      writeFileSync(file, JSON.stringify({ keys: sets.flatMap((s) => s.privateJwks.keys) }), { mode: 0o600 });
    writeKeys(oldKey, sig);

    // The OP reads the BFF's keys from its jwks_uri, as brokers do.
    const opPort = await freePort();
    const bff = await startBff(
      baseEnv({ issuer: `http://127.0.0.1:${opPort}` } as never, 'rotating', sig, { BFF_KEYS: undefined, BFF_KEYS_FILE: file }),
    );
    const { jwks: _jwks, ...client } = bffClient('rotating', BFF_ORIGIN, sig.publicJwks);
    const op = await startOp({ port: opPort, clients: [{ ...client, jwks_uri: `${bff.url}/.well-known/jwks.json` }] });
    const opReadsKeysAgain = async () => {
      // oidc-provider caches a client's jwks_uri for at least 60 s; act as if that time had passed.
      const registered = await op.provider.Client.find('rotating');
      (registered as unknown as { asymmetricKeyStore: { freshUntil: number } }).asymmetricKeyStore.freshUntil = 0;
    };
    try {
      const first = bff.browser();
      assert.equal((await login(first)).status, 302);

      // 1. Add the new key in front, reload (SIGHUP), publish both.
      const inFlight = bff.browser();
      const started = await inFlight.agent.get('/bff/login').expect(302);
      writeKeys(newKey, oldKey, sig);
      await bff.app.bff.reloadKeys();
      const published = (await bff.browser().agent.get('/.well-known/jwks.json').expect(200)).body.keys.map((k: JWK) => k.kid);
      assert.deepEqual(published, ['enc-new', 'enc-old', 'sig-1']);
      await getUser(first).expect(200);
      // A login started before the reload completes after it.
      const back = await inFlight.op.signIn(started.headers.location!);
      assert.equal((await inFlight.agent.get(back.pathname + back.search)).status, 302);

      // 2. The OP picks up the new key; new logins use it.
      await opReadsKeysAgain();
      const second = bff.browser();
      assert.equal((await login(second)).status, 302);

      // 3. Retire the old key: everyone stays signed in, and logins still work (so the OP uses enc-new).
      writeKeys(newKey, sig);
      await bff.app.bff.reloadKeys();
      await opReadsKeysAgain();
      for (const browser of [first, inFlight, second]) await getUser(browser).expect(200);
      const third = bff.browser();
      assert.equal((await login(third)).status, 302, 'login after the old key is gone');
      await getUser(third).expect(200);

      // 4. A broken key file is refused; the keys in use stay.
      writeFileSync(file, '{"keys": [{"kty": "RSA"}]}');
      await assert.rejects(bff.app.bff.reloadKeys());
      writeKeys(oldKey); // no signing key: unusable with private_key_jwt
      await assert.rejects(bff.app.bff.reloadKeys(), /no "use":"sig" key/);
      const fourth = bff.browser();
      assert.equal((await login(fourth)).status, 302);
    } finally {
      await bff.close();
      await op.close();
    }
  });

  it('reloads the key file on SIGHUP in the server process', async () => {
    const initial = await keysFor([{ use: 'sig', alg: 'ES256', kid: 'first' }]);
    const added = await keysFor([{ use: 'enc', alg: 'ECDH-ES', kid: 'added' }]);
    const file = join(dir, 'sighup.json');
    writeFileSync(file, JSON.stringify(initial.privateJwks));
    const bff = await spawnBff(
      await unreachableOpEnv({
        BFF_KEYS_FILE: file,
      }),
    );
    try {
      writeFileSync(file, JSON.stringify({ keys: [...initial.privateJwks.keys, ...added.privateJwks.keys] }));
      bff.process.kill('SIGHUP');
      await bff.waitFor('keys reloaded');
      const jwks = (await (await fetch(`${bff.url}/.well-known/jwks.json`)).json()) as { keys: JWK[] };
      assert.deepEqual(
        jwks.keys.map((k) => k.kid),
        ['first', 'added'],
      );
    } finally {
      await bff.stop();
    }
  });
});
