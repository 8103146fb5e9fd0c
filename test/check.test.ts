// `sealed-bff check`: every configuration problem in one run, unknown BFF_*
// names (also at the server's start), then the session store and a real OP:
// what fits, what is used, what to register. Exit 0 or 2, never a stack trace.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer, type Server } from 'node:net';
import { runCheck } from '../src/cli/check.js';
import { collectConfigErrors } from '../src/cli/collect-config.js';
import { KNOWN_VARIABLES, unknownVariables } from '../src/config/variables.js';
import type { Env } from '../src/config.js';
import { bffClient, startOp, type TestOp } from './fixtures/op.js';
import { BFF_ORIGIN, baseEnv, freePort, keysFor, type TestKeys } from './helpers/harness.js';

const STACK_FRAME = /^\s+at .+:\d+:\d+\)?$/m;

async function check(env: Env): Promise<{ code: number; output: string }> {
  const lines: string[] = [];
  const code = await runCheck(env, (line) => lines.push(line));
  return { code, output: lines.join('\n') };
}

/** The CLI as a user runs it, with exactly `env`. */
function checkCommand(env: Env): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'check'], {
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
  });
}

describe('sealed-bff check', () => {
  let keys: TestKeys;
  let op: TestOp;
  const env = (extra: Env = {}) => baseEnv(op, 'bff', keys, extra);

  before(async () => {
    keys = await keysFor();
    op = await startOp({
      clients: [
        bffClient('bff', BFF_ORIGIN, keys.publicJwks, {
          id_token_encrypted_response_alg: 'RSA-OAEP-256',
          id_token_encrypted_response_enc: 'A256GCM',
          userinfo_encrypted_response_alg: 'RSA-OAEP-256',
          userinfo_encrypted_response_enc: 'A256GCM',
        }),
      ],
    });
  });
  after(() => op?.close());

  it('reports every configuration problem in one run, and exits 2 without a stack trace', () => {
    const run = checkCommand({
      BFF_ISSUER: 'http://op.example',
      BFF_PUBLIC_URL: 'https://app.example/spa',
      BFF_SESSION_SECRET: 'short',
      BFF_SESSION_IDLE: '5',
      BFF_LOG_LEVEL: 'loud',
      BFF_API_ROUTES: '{"not":"an array"}',
    });
    assert.equal(run.status, 2);
    for (const variable of [
      'BFF_ISSUER: must be an https URL',
      'BFF_PUBLIC_URL: must be an origin only',
      'BFF_CLIENT_ID: is required',
      'BFF_KEYS_FILE: is required',
      'BFF_SESSION_SECRET: each secret must be at least 32 characters',
      'BFF_SESSION_IDLE: must be a whole number',
      'BFF_LOG_LEVEL: must be one of',
      'BFF_API_ROUTES: must be a JSON array',
    ]) {
      assert.ok(run.stdout.includes(`  error    ${variable}`), `${variable} in:\n${run.stdout}`);
    }
    assert.match(run.stdout, /8 configuration problems: the BFF would not start/);
    assert.doesNotMatch(run.stdout + run.stderr, STACK_FRAME);
  });

  it('names BFF_KEYS_FILE, not BFF_CLIENT_SECRET, when there are no keys and no secret at all', async () => {
    const { code, output } = await check(env({ BFF_KEYS: undefined }));
    assert.equal(code, 2);
    assert.match(output, /error {4}BFF_KEYS_FILE: is required: the private JWKS .*`sealed-bff keys` writes one/);
    assert.doesNotMatch(output, /BFF_CLIENT_SECRET: is required/);
    // With keys that cannot sign, the secret is what is missing, and is named.
    const encOnly = { keys: keys.privateJwks.keys.filter((k) => k.use === 'enc') };
    assert.match(
      (await check(env({ BFF_KEYS: JSON.stringify(encOnly) }))).output,
      /BFF_CLIENT_SECRET: is required when no "use":"sig" key/,
    );
  });

  it('warns about a key file every user of the host can read', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sbff-mode-')), 'bff-keys.json');
    writeFileSync(file, JSON.stringify(keys.privateJwks), { mode: 0o644 });
    chmodSync(file, 0o644);
    const open = await check(env({ BFF_KEYS: undefined, BFF_KEYS_FILE: file }));
    assert.match(open.output, /warning {2}BFF_KEYS_FILE .* is readable by every user of this host \(mode 0644\): chmod 0400/);
    chmodSync(file, 0o400);
    assert.doesNotMatch((await check(env({ BFF_KEYS: undefined, BFF_KEYS_FILE: file }))).output, /readable by every user/);
  });

  it('warns about unknown BFF_* names, with the name meant', async () => {
    const { code, output } = await check(env({ BFF_PROFLE: 'ftn', BFF_SOMETHING_ELSE: '1' }));
    assert.equal(code, 0, output);
    assert.match(output, /warning {2}BFF_PROFLE is not a variable Sealed BFF reads; it is ignored \(did you mean BFF_PROFILE\?\)/);
    assert.match(output, /warning {2}BFF_SOMETHING_ELSE is not a variable Sealed BFF reads; it is ignored$/m);
  });

  it('contacts the OP and prints what fits, what is used and what to register; no private key material', async () => {
    const { code, output } = await check(env());
    assert.equal(code, 0, output);
    assert.match(output, /ok {7}Redis \(single\) answers/);
    assert.match(output, /ok {7}discovery document loaded; its metadata fits this configuration/);
    assert.match(output, /client authentication: private_key_jwt \(PS256, kid sig-\w+; aud issuer\)/);
    assert.match(output, /id_token: encrypted \(RSA-OAEP-256 \+ A128GCM\), required/);
    assert.match(output, /userinfo: encrypted \(RSA-OAEP-256 \+ A128GCM\), required/);
    assert.match(output, /PAR: used \(BFF_PAR=auto; the OP offers it\)/);
    assert.match(output, /DPoP: used \(ES256 proofs/);
    assert.match(output, /JARM .*: not used/);
    const registration = JSON.parse(/Register this client[^\n]*\n([\s\S]*?\n {2}\})/.exec(output)![1]!) as Record<string, unknown>;
    assert.deepEqual(registration.redirect_uris, [`${BFF_ORIGIN}/bff/callback`]);
    assert.deepEqual(registration.post_logout_redirect_uris, [`${BFF_ORIGIN}/`]);
    assert.equal(registration.jwks_uri, `${BFF_ORIGIN}/.well-known/jwks.json`);
    assert.equal(registration.token_endpoint_auth_method, 'private_key_jwt');
    assert.equal(registration.token_endpoint_auth_signing_alg, 'PS256');
    assert.equal(registration.id_token_encrypted_response_alg, 'RSA-OAEP-256');
    assert.equal(registration.backchannel_logout_uri, `${BFF_ORIGIN}/bff/backchannel-logout`);
    assert.equal(registration.dpop_bound_access_tokens, true);
    for (const key of keys.privateJwks.keys) assert.ok(!output.includes(key.d!), 'no private key in the output');
    assert.ok(!output.includes('test-session-secret'), 'no session secret in the output');
  });

  it('prints the encryption each item needs, and the request-object algorithms taken from the OP', async () => {
    const { code, output } = await check(env({ BFF_REQUIRE_ENCRYPTION: 'id_token', BFF_REQUEST_OBJECT: 'encrypted' }));
    assert.equal(code, 0, output);
    assert.match(output, /id_token: encrypted \(RSA-OAEP-256 \+ A128GCM\), required/);
    assert.match(output, /userinfo: plaintext accepted \(not in BFF_REQUIRE_ENCRYPTION\)/);
    // Unset BFF_REQUEST_OBJECT_ALG/_ENC: what the OP's enc key and metadata allow, as the server chooses at start.
    assert.match(output, /request object: signed PS256, then encrypted RSA-OAEP-256 \+ A128CBC-HS256/);
    const registration = JSON.parse(/Register this client[^\n]*\n([\s\S]*?\n {2}\})/.exec(output)![1]!) as Record<string, unknown>;
    assert.equal(registration.request_object_encryption_alg, 'RSA-OAEP-256');
    assert.equal(registration.userinfo_encrypted_response_alg, undefined);
  });

  it("names each way the OP's metadata does not fit, and exits 2", async () => {
    const { code, output } = await check(
      env({ BFF_JWS_ALGS: 'ES512', BFF_PAR: 'on', BFF_REQUEST_OBJECT: 'encrypted', BFF_REQUEST_OBJECT_ALG: 'ECDH-ES' }),
    );
    assert.equal(code, 2);
    assert.match(output, /error {4}the OP's metadata: id_token_signing_alg_values_supported lacks any of ES512 \(BFF_JWS_ALGS\)/);
    assert.match(output, /error {4}the OP's metadata: request_object_encryption_alg_values_supported lacks ECDH-ES/);
  });

  it('names an unreachable OP and an unreachable Redis, and exits 2', async () => {
    const closed = await freePort();
    const { code, output } = await check(
      env({ BFF_ISSUER: `http://127.0.0.1:${closed}`, REDIS_URL: `redis://127.0.0.1:${closed}`, BFF_REDIS_TIMEOUT: '200' }),
    );
    assert.equal(code, 2);
    assert.match(output, /error {4}REDIS_URL: Redis \(single\) does not answer/);
    assert.match(output, /error {4}BFF_ISSUER: the discovery document cannot be loaded/);
    assert.doesNotMatch(output, STACK_FRAME);
  });

  describe('a port in use', () => {
    let blocker: Server;
    let port: number;
    before(async () => {
      port = await freePort();
      blocker = createServer().listen(port);
      await new Promise((resolve) => blocker.once('listening', resolve));
    });
    after(() => blocker.close());

    it('is a warning for check', async () => {
      const { code, output } = await check(env({ PORT: String(port) }));
      assert.equal(code, 0);
      assert.match(output, new RegExp(`warning {2}PORT ${port} is in use on this host now`));
    });

    it('is one line and exit 1 for the server, no stack trace', async () => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
        env: { PATH: process.env.PATH, ...env({ PORT: String(port), BFF_PROFLE: 'ftn' }) },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const code = await new Promise((resolve) => child.once('exit', resolve));
      assert.equal(code, 1);
      assert.equal(stderr, `sealed-bff: cannot listen on port ${port}: it is in use (EADDRINUSE)\n`);
      // The server names unknown variables at start too.
      assert.match(
        stdout,
        /"level":40,.*"msg":"BFF_PROFLE is not a variable Sealed BFF reads; it is ignored \(did you mean BFF_PROFILE\?\)"/,
      );
    });
  });

  it("accepts each broker's example .env (examples/env/) once its key and secret files exist", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sbff-env-'));
    const work = join(dir, 'work');
    mkdirSync(join(dir, 'secrets'));
    mkdirSync(join(work, 'public'), { recursive: true });
    writeFileSync(join(dir, 'secrets', 'bff-keys.json'), JSON.stringify(keys.privateJwks));
    writeFileSync(join(dir, 'secrets', 'session-secret'), `${'s'.repeat(48)}\n`);
    const files = readdirSync('examples/env');
    assert.deepEqual(files.sort(), ['curity.env', 'ftn-signicat.env', 'ftn-telia.env', 'idura.env']);
    for (const file of files) {
      // As the README loads them: sourced by a shell, from the folder the paths are relative to.
      const shell = spawnSync(
        'bash',
        ['-c', `set -a && . ${resolve('examples/env', file)} && set +a && node -p 'JSON.stringify(process.env)'`],
        {
          cwd: work,
          env: { PATH: process.env.PATH },
          encoding: 'utf8',
        },
      );
      assert.equal(shell.status, 0, `${file}: ${shell.stderr}`);
      const loaded = JSON.parse(shell.stdout) as Env;
      const previous = process.cwd();
      process.chdir(work);
      try {
        const { errors } = await collectConfigErrors(loaded);
        assert.deepEqual(
          errors.map((e) => e.message),
          [],
          file,
        );
      } finally {
        process.chdir(previous);
      }
      assert.equal(unknownVariables(loaded).length, 0, file);
    }
  });

  it("documents every numeric variable's range as the code enforces it", () => {
    const readme = readFileSync('README.md', 'utf8');
    const ranges: string[] = [];
    let found = 0;
    for (const file of readdirSync('src/config').map((f) => `src/config/${f}`)) {
      for (const [, name, min, max] of readFileSync(file, 'utf8').matchAll(/parseInteger\(env, '(\w+)', [^,]+, ([\d *]+), ([\d *]+)\)/g)) {
        // The bounds are literals or products of literals (7 * 86400).
        const value = (expr: string) => expr.split('*').reduce((product, factor) => product * Number(factor.trim()), 1);
        found++;
        const row = readme.split('\n').find((line) => line.startsWith(`| \`${name}\` |`)) ?? '';
        if (!row.includes(`${value(min!)} … ${value(max!)}`)) ranges.push(`${name}: ${value(min!)} … ${value(max!)}`);
      }
    }
    assert.ok(found >= 10, `found the numeric variables (${found})`);
    assert.deepEqual(ranges, [], 'README rows without the range');
  });

  it('knows every variable src/ reads, and the README documents each', () => {
    const read = new Set<string>();
    for (const file of readdirSync('src', { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'))) {
      for (const [name] of readFileSync(`src/${file}`, 'utf8').matchAll(/\bBFF_[A-Z0-9_]+(?=['`])/g)) read.add(name);
    }
    assert.deepEqual(
      [...read].filter((name) => !KNOWN_VARIABLES.includes(name)),
      [],
    );
    const readme = readFileSync('README.md', 'utf8');
    assert.deepEqual(
      KNOWN_VARIABLES.filter((name) => !readme.includes(`| \`${name}\` |`)),
      [],
    );
  });
});
