// Scheduled rollover of the BFF's own keys (JWK nbf/exp): a successor is
// published ahead and signs from its nbf on a running BFF, an expired key is
// neither published nor used, "enc" keys decrypt from publication until a
// grace period after exp, every transition is logged and the next one is in
// the metrics, and a schedule that cannot work is refused at start.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompactEncrypt, SignJWT, decodeProtectedHeader, generateKeyPair, importJWK, type JWK } from 'jose';
import { createApp } from '../src/app.js';
import { ConfigError, loadConfig, type Env } from '../src/config.js';
import { internals } from '../src/context.js';
import { importKeySet, KeyStore } from '../src/keys.js';
import { createLogger } from '../src/logger.js';
import { openToken } from '../src/oidc/jose-policy.js';
import { keysFor, LogCapture, signIn, staticEnv } from './helpers/harness.js';
import { withStack } from './helpers/stack.js';

const DAY = 86_400;
const scheduled = (jwk: JWK, times: { nbf?: number; exp?: number }): JWK => ({ ...jwk, ...times });

describe('scheduled rollover of the signing key on a running BFF', () => {
  it('signs with the old key before the successor’s nbf, with the new one after it, and drops the old key at its exp', async () => {
    const t0 = Math.floor(Date.now() / 1000);
    let now = t0 * 1000;
    const keySpecs = [
      { use: 'sig', alg: 'PS256', kid: 'sig-old' },
      { use: 'sig', alg: 'PS256', kid: 'sig-new' },
      { use: 'enc', alg: 'RSA-OAEP-256', kid: 'enc-1' },
    ] as const;
    await withStack({ keys: [...keySpecs], bff: false, env: { BFF_REQUEST_OBJECT: 'signed', BFF_PAR: 'off' } }, async (stack) => {
      // The OP has both public keys registered (a broker that took the announced key ahead); the BFF's file schedules them.
      const [old, next, enc] = stack.keys.privateJwks.keys as [JWK, JWK, JWK];
      const schedule = { keys: [scheduled(old, { exp: t0 + 2 * DAY }), scheduled(next, { nbf: t0 + DAY }), enc] };
      const bff = await stack.startBff({ BFF_KEYS: JSON.stringify(schedule) }, { now: () => now });
      // The client assertion at the OP's token endpoint: which key signed it.
      const assertionKids: string[] = [];
      stack.op.provider.on('grant.success', (ctx) => {
        const assertion = (ctx.oidc.params as { client_assertion?: string } | undefined)?.client_assertion;
        if (assertion) assertionKids.push(decodeProtectedHeader(assertion).kid!);
      });
      const loginWith = async () => {
        const { browser } = await signIn(bff);
        // The request object of a fresh login names its key too.
        const start = await browser.agent.get('/bff/login').expect(302);
        const request = new URL(start.headers.location!).searchParams.get('request')!;
        return { requestObject: decodeProtectedHeader(request).kid, assertion: assertionKids.at(-1) };
      };
      const published = async () => ((await bff.browser().agent.get('/.well-known/jwks.json').expect(200)).body as { keys: JWK[] }).keys;

      assert.deepEqual(await loginWith(), { requestObject: 'sig-old', assertion: 'sig-old' });
      assert.deepEqual(
        (await published()).map((k) => k.kid),
        ['sig-old', 'enc-1', 'sig-new'],
        'the successor is published ahead of its nbf',
      );

      now = (t0 + DAY) * 1000;
      assert.deepEqual(await loginWith(), { requestObject: 'sig-new', assertion: 'sig-new' }, 'no restart, no SIGHUP');
      assert.match(bff.logs.text, /"signingKid":"sig-new","previousSigningKid":"sig-old".*key rollover: the keys in effect changed/);

      now = (t0 + 2 * DAY) * 1000;
      assert.deepEqual(
        (await published()).map((k) => k.kid),
        ['sig-new', 'enc-1'],
        'the old key is gone at its exp',
      );
      assert.deepEqual(await loginWith(), { requestObject: 'sig-new', assertion: 'sig-new' });
      assert.match(bff.logs.text, /"unpublished":\["sig-old"\]/);
    });
  });
});

describe('a transition on the real clock', () => {
  it('happens by itself at nbf: logged without any request, and the jwks and signing key follow', async () => {
    const nbf = Math.floor(Date.now() / 1000) + 2;
    const [old, next, enc] = (
      await keysFor([
        { use: 'sig', alg: 'PS256', kid: 'sig-old' },
        { use: 'sig', alg: 'PS256', kid: 'sig-new' },
        { use: 'enc', alg: 'RSA-OAEP-256', kid: 'enc-1' },
      ])
    ).privateJwks.keys as [JWK, JWK, JWK];
    const logs = new LogCapture();
    const keys = { keys: [scheduled(old, { exp: nbf + DAY }), scheduled(next, { nbf }), enc] };
    const config = await loadConfig(staticEnv({ privateJwks: keys, publicJwks: { keys: [] } }));
    const app = createApp(config, { logger: createLogger('info', logs) });
    try {
      assert.equal(internals(app).context.keys.current.signing[0]!.kid, 'sig-old');
      // The readiness signal: the transition's log line, written by the BFF's own timer (no request is made meanwhile).
      await new Promise<void>((resolve, reject) => {
        const deadline = Date.now() + 10_000;
        const poll = setInterval(() => {
          if (logs.text.includes('key rollover: the keys in effect changed')) {
            clearInterval(poll);
            resolve();
          } else if (Date.now() > deadline) {
            clearInterval(poll);
            reject(new Error(`no transition logged: ${logs.text}`));
          }
        }, 50);
      });
      assert.ok(Date.now() >= nbf * 1000, 'not before nbf');
      assert.match(logs.text, /"signingKid":"sig-new","previousSigningKid":"sig-old"/);
      assert.equal(internals(app).context.keys.current.signing[0]!.kid, 'sig-new');
    } finally {
      await app.bff.close();
    }
  });
});

describe('what nbf and exp mean for "enc" keys', () => {
  it('decrypts with a key from publication (also before its nbf) until BFF_KEY_GRACE after its exp', async () => {
    const t0 = 1_900_000_000;
    const keys = await keysFor([
      { use: 'enc', alg: 'RSA-OAEP-256', kid: 'enc-old' },
      { use: 'enc', alg: 'RSA-OAEP-256', kid: 'enc-new' },
    ]);
    const [old, next] = keys.privateJwks.keys as [JWK, JWK];
    const set = await importKeySet({ keys: [scheduled(old, { exp: t0 + DAY }), scheduled(next, { nbf: t0 + DAY / 2 })] });
    let now = t0;
    const store = new KeyStore(set, { now: () => now * 1000, graceSeconds: 3600 });
    const signer = (await generateKeyPair('ES256')).privateKey;
    const encryptTo = async (kid: string) => {
      const jws = await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'ES256' }).sign(signer);
      const jwk = keys.publicJwks.keys.find((k) => k.kid === kid)!;
      return new CompactEncrypt(new TextEncoder().encode(jws))
        .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', kid })
        .encrypt(await importJWK(jwk, 'RSA-OAEP-256'));
    };
    const policy = {
      requireEncryption: ['id_token' as const],
      jweAlgs: ['RSA-OAEP-256'],
      jweEncs: ['A256GCM'],
      jwsAlgs: ['ES256'],
      maxTokenBytes: 65536,
    };
    const opens = async (kid: string) =>
      openToken(await encryptTo(kid), 'id_token', policy, store.current.decryption).then(
        () => true,
        () => false,
      );
    const publishedKids = () => store.current.publicJwks.keys.map((k) => k.kid);

    // Before the new key's nbf: both published (the current one first) and both decrypt: an OP may encrypt to either at once.
    assert.deepEqual(publishedKids(), ['enc-old', 'enc-new']);
    assert.equal(await opens('enc-new'), true);
    now = t0 + DAY / 2;
    assert.deepEqual(publishedKids(), ['enc-new', 'enc-old'], 'from its nbf the successor comes first');
    now = t0 + DAY;
    assert.deepEqual(publishedKids(), ['enc-new'], 'unpublished at exp');
    assert.equal(await opens('enc-old'), true, 'but still decrypting tokens in flight');
    now = t0 + DAY + 3599;
    assert.equal(await opens('enc-old'), true);
    now = t0 + DAY + 3600;
    assert.equal(await opens('enc-old'), false, 'not after the grace period');
    assert.equal(await opens('enc-new'), true);
  });
});

describe('the key schedule is watched', () => {
  const t0 = 1_900_000_000;
  const appWith = async (keys: JWK[], extra: Env = {}) => {
    const logs = new LogCapture();
    const config = await loadConfig(staticEnv({ privateJwks: { keys }, publicJwks: { keys: [] } }, extra));
    const app = createApp(config, { logger: createLogger('info', logs), now: () => t0 * 1000 });
    const metric = async (name: string) =>
      (await internals(app).context.metrics.registry.getSingleMetricAsString(name)).split('\n').find((l) => l.startsWith(name));
    return { app, logs, metric };
  };

  it('exposes the next transition, and warns when the signing key nears its exp with no successor', async () => {
    const [sig, enc] = (await keysFor()).privateJwks.keys as [JWK, JWK];
    const alone = await appWith([scheduled(sig, { exp: t0 + 10 * DAY }), enc]);
    try {
      assert.equal(
        await alone.metric('bff_key_next_transition_timestamp_seconds'),
        `bff_key_next_transition_timestamp_seconds{keys="operational"} ${t0 + 10 * DAY}`,
      );
      assert.equal(await alone.metric('bff_signing_key_without_successor'), 'bff_signing_key_without_successor{keys="operational"} 1');
      assert.match(alone.logs.text, /"level":40.*"kid":"[^"]+".*the signing key expires soon and no successor is scheduled/);
    } finally {
      await alone.app.bff.close();
    }

    // Outside the window (BFF_KEY_EXPIRY_WARNING), or with a successor: no warning.
    const far = await appWith([scheduled(sig, { exp: t0 + 10 * DAY }), enc], { BFF_KEY_EXPIRY_WARNING: String(9 * DAY) });
    const successor = (await keysFor([{ use: 'sig', alg: 'PS256', kid: 'next' }])).privateJwks.keys[0]!;
    const covered = await appWith([scheduled(sig, { exp: t0 + 10 * DAY }), scheduled(successor, { nbf: t0 + 9 * DAY }), enc]);
    try {
      assert.doesNotMatch(far.logs.text, /expires soon/);
      assert.doesNotMatch(covered.logs.text, /expires soon/);
      assert.equal(await covered.metric('bff_signing_key_without_successor'), 'bff_signing_key_without_successor{keys="operational"} 0');
      assert.equal(
        await covered.metric('bff_key_next_transition_timestamp_seconds'),
        `bff_key_next_transition_timestamp_seconds{keys="operational"} ${t0 + 9 * DAY}`,
      );
    } finally {
      await far.app.bff.close();
      await covered.app.bff.close();
    }
  });
});

describe('a schedule that cannot work is refused at start, naming the variable', () => {
  const now = Math.floor(Date.now() / 1000);
  const refusal = async (keys: JWK[]) => {
    const file = join(mkdtempSync(join(tmpdir(), 'bff-schedule-')), 'keys.json');
    writeFileSync(file, JSON.stringify({ keys }), { mode: 0o600 });
    const empty = { privateJwks: { keys: [] }, publicJwks: { keys: [] } };
    const err = await loadConfig(staticEnv(empty, { BFF_KEYS: undefined, BFF_KEYS_FILE: file })).catch((e: unknown) => e);
    assert.ok(err instanceof ConfigError, `start accepted the keys: ${String(err)}`);
    return err.message;
  };

  it('an nbf after the exp, two keys in effect for one use with no order, and no signing key in effect now', async () => {
    const [a, b, enc, f] = (
      await keysFor([
        { use: 'sig', alg: 'PS256', kid: 'a' },
        { use: 'sig', alg: 'PS256', kid: 'b' },
        { use: 'enc', alg: 'RSA-OAEP-256', kid: 'e' },
        { use: 'enc', alg: 'RSA-OAEP-256', kid: 'f' },
      ])
    ).privateJwks.keys as [JWK, JWK, JWK, JWK];
    assert.match(
      await refusal([scheduled(a, { nbf: now + DAY, exp: now }), enc]),
      /^BFF_KEYS_FILE: key 0 \(kid "a"\): nbf \(.+\) is not before exp/,
    );
    assert.match(
      await refusal([scheduled(a, { nbf: now + DAY, exp: now + DAY }), enc]),
      /^BFF_KEYS_FILE: key 0 \(kid "a"\): nbf .* is not before exp/,
    );
    assert.match(
      await refusal([scheduled(a, { nbf: 'tomorrow' as never }), enc]),
      /^BFF_KEYS_FILE: key 0 \(kid "a"\): nbf must be a NumericDate/,
    );
    assert.match(
      await refusal([scheduled(a, { exp: now + 2 * DAY }), scheduled(b, { exp: now + 3 * DAY }), enc]),
      /^BFF_KEYS_FILE: "use":"sig" keys "a" and "b" are in effect at the same time with the same nbf/,
    );
    assert.match(
      await refusal([a, scheduled(enc, { nbf: now }), scheduled(f, { nbf: now })]),
      /^BFF_KEYS_FILE: "use":"enc" keys "e" and "f" are in effect at the same time with the same nbf/,
    );
    assert.match(
      await refusal([scheduled(a, { nbf: now + DAY }), enc]),
      /^BFF_KEYS_FILE: has no "use":"sig" key in effect now \(every one is before its nbf or past its exp\)/,
    );
    // Ordered (a later nbf), or apart in time, or unscheduled (the file's order): accepted.
    const empty = { privateJwks: { keys: [] }, publicJwks: { keys: [] } };
    for (const keys of [
      [scheduled(a, { exp: now + 2 * DAY }), scheduled(b, { nbf: now + DAY }), enc],
      [scheduled(a, { exp: now + DAY }), scheduled(b, { exp: now + 3 * DAY, nbf: now + DAY }), enc],
      [a, b, enc],
    ]) {
      await loadConfig(staticEnv(empty, { BFF_KEYS: JSON.stringify({ keys }) }));
    }
  });
});

describe('sealed-bff keys: planning a rotation', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/keys.ts', ...args], { encoding: 'utf8' });

  it('adds a successor per key in effect with nbf = now + lead, expires the old key, prints the schedule, exports the public set', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'bff-plan-')), 'keys.json');
    assert.equal(run('--out', file).status, 0);
    const before = JSON.parse(readFileSync(file, 'utf8')) as { keys: JWK[] };
    const started = Math.floor(Date.now() / 1000);

    const plan = run('--plan', file, '--lead', '21', '--overlap', '2');
    assert.equal(plan.status, 0, plan.stderr);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const after = JSON.parse(readFileSync(file, 'utf8')) as { keys: Array<JWK & { nbf?: number; exp?: number }> };
    assert.equal(after.keys.length, 4);
    const successors = after.keys.slice(2);
    for (const [i, old] of after.keys.slice(0, 2).entries()) {
      const next = successors[i]!;
      assert.equal(old.kid, before.keys[i]!.kid);
      assert.equal(next.use, old.use);
      assert.equal(next.alg, old.alg);
      assert.ok(Math.abs(next.nbf! - (started + 21 * DAY)) < 60, 'nbf = now + lead');
      assert.equal(old.exp, next.nbf! + 2 * DAY, 'exp = nbf + overlap');
      assert.match(plan.stderr, new RegExp(`${old.kid} -> ${next.kid}: the successor is in effect from`));
    }
    assert.match(plan.stdout, /^sig PS256 \S+: in effect, until /m);
    assert.match(plan.stdout, /^sig PS256 \S+: published, in effect from /m);
    // The BFF accepts the planned file as it is.
    await loadConfig(staticEnv({ privateJwks: { keys: [] }, publicJwks: { keys: [] } }, { BFF_KEYS: undefined, BFF_KEYS_FILE: file }));

    const exported = run('--export', file);
    assert.equal(exported.status, 0, exported.stderr);
    const publicSet = JSON.parse(exported.stdout) as { keys: JWK[] };
    assert.deepEqual(publicSet.keys.map((k) => k.kid).sort(), after.keys.map((k) => k.kid).sort());
    assert.ok(publicSet.keys.every((k) => k.d === undefined && k.n !== undefined));

    const again = run('--plan', file);
    assert.equal(again.status, 2);
    assert.match(again.stderr, /a rotation is planned already/);
  });
});
