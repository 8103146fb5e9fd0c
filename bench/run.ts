// `npm run bench`: Sealed BFF measured side by side with what it cannot avoid,
// in one run on this machine, printing one markdown table.
//
//  1. /bff/user vs a bare express-session + connect-redis app (the floor) and
//     vs express-openid-connect serving its user claims (the peer);
//  2. the callback's token processing vs bare jose (the cryptographic floor);
//  3. complete logins per second against oidc-provider, and the OP's own cost;
//  4. memory: RSS across 100 000 /bff/user requests and 10 000 logins, bytes
//     per session in Redis;
//  5. the API proxy vs calling the same upstream directly.
//
// Servers run in their own processes; the load generator (autocannon) and the
// OP run here. BENCH_QUICK=1 shortens every scenario (for a smoke run);
// BENCH_ONLY=1,5 runs only those scenarios (3 and 4 run together);
// BENCH_CPU_PROF=dir writes the BFF process's CPU profile (--cpu-prof) there.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import autocannon from 'autocannon';
import { CompactEncrypt, SignJWT, compactDecrypt, generateKeyPair, jwtVerify } from 'jose';
import { createClient } from 'redis';
import { importKeySet } from '../src/keys.js';
import { generateKeySet } from '../src/keygen.js';
import { openToken } from '../src/oidc/jose-policy.js';
import { bffClient, startOp } from '../test/fixtures/op.js';
import { OpBrowser } from '../test/fixtures/op-browser.js';
import { FetchBrowser } from '../test/helpers/harness.js';

const QUICK = process.env.BENCH_QUICK === '1';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DURATION = QUICK ? 3 : 10; // seconds per autocannon run
const CONNECTIONS = 10;
const LOGINS = QUICK ? 300 : 10_000;
const USER_REQUESTS = QUICK ? 10_000 : 100_000;
const CRYPTO_OPS = QUICK ? 300 : 2000;
const PREFIX = `sbff-bench-${process.pid}:`;
const ONLY = process.env.BENCH_ONLY?.split(',').map((s) => s.trim());
const runs = (...scenarios: string[]) => ONLY === undefined || scenarios.some((s) => ONLY.includes(s));

interface Row {
  scenario: string;
  measure: string;
  bff: string;
  other: string;
  ratio: string;
  target: string;
}
const rows: Row[] = [];
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Spawned {
  url: string;
  pid: number;
  stop(): Promise<void>;
}
async function spawnServer(script: string, env: Record<string, string>, ready: string, fixedPort?: number): Promise<Spawned> {
  const port = fixedPort ?? (await freePort());
  const profile = script === 'src/server.ts' && process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child: ChildProcess = spawn(process.execPath, [...profile, '--import', 'tsx', script], {
    env: { PATH: process.env.PATH, NODE_ENV: 'production', ...env, PORT: String(port) },
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const up = async () => output.includes(ready) || (ready === '/healthz' && (await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false)));
  for (let i = 0; i < 300 && !(await up()); i++) await new Promise((r) => setTimeout(r, 50));
  if (!(await up())) throw new Error(`${script} did not start: ${output}`);
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

const rss = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

/** CPU seconds (user + system) a process has used: on a shared machine, steadier than requests/s. */
const cpuSeconds = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
};

async function cannon(url: string, headers: Record<string, string>, extra: Partial<autocannon.Options> = {}, serverPid?: number) {
  const cpuBefore = serverPid === undefined ? 0 : cpuSeconds(serverPid);
  const result = await autocannon({ url, headers, connections: CONNECTIONS, ...(extra.amount ? {} : { duration: DURATION }), ...extra });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  const cpuUs = serverPid === undefined ? NaN : ((cpuSeconds(serverPid) - cpuBefore) * 1e6) / result.requests.total;
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, total: result.requests.total, cpuUs };
}

/** One request at a time on one kept-alive connection: latency percentiles in microseconds. */
async function sequential(url: string, headers: Record<string, string>, count = QUICK ? 500 : 3000): Promise<{ p50: number; p99: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const once = () =>
    new Promise<number>((resolve, reject) => {
      const t0 = process.hrtime.bigint();
      http
        .get(url, { headers, agent }, (res) => {
          res.resume();
          res.once('end', () => (res.statusCode === 200 ? resolve(Number(process.hrtime.bigint() - t0) / 1000) : reject(new Error(`${url}: ${res.statusCode}`))));
        })
        .once('error', reject);
    });
  for (let i = 0; i < 200; i++) await once(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < count; i++) times.push(await once());
  agent.destroy();
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(count * 0.5)]!, p99: times[Math.floor(count * 0.99)]! };
}

/** Logs in `count` times through the BFF, `concurrency` at a time; returns logins per second. */
async function logins(bffUrl: string, issuer: string, count: number, concurrency: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < count) {
        const browser = new FetchBrowser();
        const start = await browser.get(`${bffUrl}/bff/login`);
        const back = await new OpBrowser(issuer).signIn(start.headers.get('location')!, `user${next}`);
        const done = await browser.get(`${bffUrl}${back.pathname}${back.search}`);
        if (done.status !== 302) throw new Error(`login failed: ${done.status} ${await done.text()}`);
      }
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

/** The OP's cost alone: the same browser steps and code exchange, by a client that does nothing else. */
async function opOnlyLogins(issuer: string, count: number, concurrency: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  const basic = `Basic ${Buffer.from('op-only:op-only-secret-0123456789abcdef0123').toString('base64')}`;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < count) {
        const verifier = 'v'.repeat(43);
        const challenge = Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))).toString('base64url');
        const auth = new URL(`${issuer}/auth`);
        auth.search = new URLSearchParams({
          client_id: 'op-only',
          response_type: 'code',
          scope: 'openid',
          redirect_uri: 'http://op-only.test/cb',
          code_challenge: challenge,
          code_challenge_method: 'S256',
          state: `s${next}`,
        }).toString();
        const back = await new OpBrowser(issuer).signIn(auth.href, `user${next}`);
        const token = await fetch(`${issuer}/token`, {
          method: 'POST',
          headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: 'authorization_code', code: back.searchParams.get('code')!, redirect_uri: 'http://op-only.test/cb', code_verifier: verifier }),
        });
        if (token.status !== 200) throw new Error(`OP-only login failed: ${token.status}`);
        await token.arrayBuffer();
      }
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

async function main() {
  const redis = createClient({ url: REDIS_URL });
  await redis.connect();

  // --- The OP, the BFF's keys, and the BFF under test --------------------------------
  const keys = await generateKeySet([
    { use: 'sig', alg: 'PS256' },
    { use: 'enc', alg: 'RSA-OAEP-256' },
  ]);
  const upstream = await spawnServer('bench/servers/upstream.ts', {}, 'listening');
  const eocPort = await freePort();
  const op = await startOp({
    clients: [
      bffClient('bff', 'http://bff.bench', keys.publicJwks),
      {
        client_id: 'eoc',
        client_secret: 'eoc-secret-0123456789abcdef0123456789',
        redirect_uris: [`http://127.0.0.1:${eocPort}/callback`],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
      {
        client_id: 'op-only',
        client_secret: 'op-only-secret-0123456789abcdef0123',
        redirect_uris: ['http://op-only.test/cb'],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    configuration: {
      // express-openid-connect sends no PKCE with a client secret; everyone else must.
      pkce: { required: (_ctx, client) => client.clientId !== 'eoc' },
      ttl: { AuthorizationCode: 600, Session: 3600, Grant: 3600, AccessToken: 3600, IdToken: 3600, Interaction: 600, RefreshToken: 3600 },
    },
  });
  const bff = await spawnServer(
    'src/server.ts',
    {
      BFF_ISSUER: op.issuer,
      BFF_CLIENT_ID: 'bff',
      BFF_PUBLIC_URL: 'http://bff.bench',
      BFF_KEYS: JSON.stringify(keys.privateJwks),
      BFF_SESSION_SECRET: 'bench-session-secret-0123456789abcdef',
      BFF_ALLOW_HTTP: '1',
      BFF_LOG_LEVEL: 'warn',
      REDIS_URL,
      BFF_REDIS_PREFIX: PREFIX,
      BFF_API_ROUTES: JSON.stringify([
        { path: '/bff/api/orders', target: `${upstream.url}/v1/orders`, token: 'required' },
        { path: '/bff/api/io', target: `${upstream.url}/v1/io`, token: 'required' },
      ]),
    },
    '/healthz', // it logs at warn here: wait for it to answer instead
  );
  const baseline = await spawnServer('bench/servers/baseline.ts', { REDIS_URL }, 'listening');
  const eoc = await spawnServer('bench/servers/eoc.ts', { ISSUER: op.issuer, CLIENT_SECRET: 'eoc-secret-0123456789abcdef0123456789' }, 'listening', eocPort).catch((err: Error) => {
    process.stderr.write(`express-openid-connect did not start: ${err.message}\n`);
    return undefined;
  });

  try {
    // --- 1. /bff/user ----------------------------------------------------------------
    const bffBrowser = new FetchBrowser();
    const start = await bffBrowser.get(`${bff.url}/bff/login`);
    const back = await new OpBrowser(op.issuer).signIn(start.headers.get('location')!);
    await bffBrowser.get(`${bff.url}${back.pathname}${back.search}`);
    const bffCookie = (bffBrowser as unknown as { cookies: Map<string, string> }).cookies;
    const bffHeaders = { cookie: [...bffCookie].map(([k, v]) => `${k}=${v}`).join('; '), 'x-csrf': '1' };
    const baseCookie = (await fetch(`${baseline.url}/login`)).headers.getSetCookie()[0]!.split(';')[0]!;

    if (runs('1')) {
      await cannon(`${bff.url}/bff/user`, bffHeaders, { duration: 2 }); // warm-up
      const user = await cannon(`${bff.url}/bff/user`, bffHeaders, {}, bff.pid);
      await cannon(`${baseline.url}/user`, { cookie: baseCookie }, { duration: 2 });
      const floor = await cannon(`${baseline.url}/user`, { cookie: baseCookie }, {}, baseline.pid);
      rows.push({
        scenario: '1. GET /bff/user (Redis session)',
        measure: `requests/s, ${CONNECTIONS} connections`,
        bff: fmt(user.rps),
        other: `${fmt(floor.rps)} (express-session + connect-redis)`,
        ratio: `${fmt((user.rps / floor.rps) * 100)}%`,
        target: `>= 80% ${user.rps / floor.rps >= 0.8 ? 'met' : 'MISSED'}`,
      });
      rows.push({
        scenario: '',
        measure: 'p50 / p99 latency, ms',
        bff: `${user.p50} / ${user.p99}`,
        other: `${floor.p50} / ${floor.p99}`,
        ratio: '',
        target: `p99 < 10 ms ${user.p99 < 10 ? 'met' : 'MISSED'}`,
      });
      rows.push({
        scenario: '',
        measure: 'server CPU per request, µs',
        bff: fmt(user.cpuUs),
        other: fmt(floor.cpuUs),
        ratio: `${fmt(user.cpuUs / floor.cpuUs, 2)}x`,
        target: '',
      });
      if (eoc) {
        const eocBrowser = new FetchBrowser();
        const eocStart = await eocBrowser.get(`${eoc.url}/login`);
        const eocBack = await new OpBrowser(op.issuer).signIn(eocStart.headers.get('location')!);
        const eocDone = await eocBrowser.get(`${eoc.url}${eocBack.pathname}${eocBack.search}`);
        const eocCookie = [...(eocBrowser as unknown as { cookies: Map<string, string> }).cookies].map(([k, v]) => `${k}=${v}`).join('; ');
        if (eocDone.status >= 400) throw new Error(`express-openid-connect login failed: ${eocDone.status}`);
        await cannon(`${eoc.url}/user`, { cookie: eocCookie }, { duration: 2 });
        const peer = await cannon(`${eoc.url}/user`, { cookie: eocCookie }, {}, eoc.pid);
        rows.push({
          scenario: '',
          measure: 'requests/s vs the peer; p50 / p99 ms',
          bff: fmt(user.rps),
          other: `${fmt(peer.rps)} (express-openid-connect, cookie session); ${peer.p50} / ${peer.p99}; ${fmt(peer.cpuUs)} µs CPU`,
          ratio: `${fmt((user.rps / peer.rps) * 100)}%`,
          target: `>= 100% ${user.rps >= peer.rps ? 'met' : 'MISSED'}`,
        });
      }
    }

    // --- 2. Token processing -------------------------------------------------------------
    if (runs('2')) {
      const opSigner = await generateKeyPair('PS256');
      const keySet = await importKeySet(keys.privateJwks);
      const encKey = keys.publicJwks.keys.find((k) => k.use === 'enc')!;
      const { importJWK } = await import('jose');
      const encryptTo = await importJWK(encKey, 'RSA-OAEP-256');
      const now = Math.floor(Date.now() / 1000);
      const claims = { iss: op.issuer, aud: 'bff', sub: 'alice', iat: now, exp: now + 600, nonce: 'n', email: 'alice@example.com', name: 'Alice Example' };
      const jws = await new SignJWT(claims).setProtectedHeader({ alg: 'PS256', kid: 'op' }).sign(opSigner.privateKey);
      const jwe = await new CompactEncrypt(new TextEncoder().encode(jws))
        .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT', kid: encKey.kid })
        .encrypt(encryptTo);
      const policy = { requireEncryption: true, jweAlgs: ['RSA-OAEP-256'], jweEncs: ['A256GCM'], jwsAlgs: ['PS256'], maxTokenBytes: 65536 };
      const verifyOptions = { issuer: op.issuer, audience: 'bff', algorithms: ['PS256'] };
      const decryptKey = keySet.decryption[0]!.key;
      // The two run in alternating rounds, and each keeps its best round: a burst of noise from this shared
      // machine then cannot land on one of them only.
      const ROUNDS = 5;
      const round = async (work: () => Promise<unknown>) => {
        const t0 = performance.now();
        for (let i = 0; i < CRYPTO_OPS / ROUNDS; i++) await work();
        return CRYPTO_OPS / ROUNDS / ((performance.now() - t0) / 1000);
      };
      const bareWork = async () => {
        const { plaintext } = await compactDecrypt(jwe, decryptKey);
        await jwtVerify(new TextDecoder().decode(plaintext), opSigner.publicKey, verifyOptions);
      };
      const ourWork = async () => {
        const opened = await openToken(jwe, 'id_token', policy, keySet.decryption);
        await jwtVerify(opened.jws, opSigner.publicKey, verifyOptions);
      };
      for (let i = 0; i < 50; i++) {
        await bareWork(); // warm-up
        await ourWork();
      }
      let bare = 0;
      let ours = 0;
      for (let r = 0; r < ROUNDS; r++) {
        bare = Math.max(bare, await round(bareWork));
        ours = Math.max(ours, await round(ourWork));
      }
      rows.push({
        scenario: '2. id_token processing (RSA-OAEP-256 2048 + A256GCM, PS256)',
        measure: 'tokens/s, one core',
        bff: fmt(ours),
        other: `${fmt(bare)} (bare jose compactDecrypt + jwtVerify)`,
        ratio: `${fmt(bare / ours, 2)}x the floor's time`,
        target: `<= 1.3x ${bare / ours <= 1.3 ? 'met' : 'MISSED'}`,
      });
      rows.push({
        scenario: '',
        measure: 'per login (id_token + userinfo), ms',
        bff: fmt((2 * 1000) / ours, 2),
        other: fmt((2 * 1000) / bare, 2),
        ratio: '',
        target: '',
      });
    }

    // --- 3 and 4. Logins, memory ------------------------------------------------------------
    if (runs('3', '4')) {
      // Warm-up first, a fifth of the run: V8 grows its heap to the working set once and keeps it, and the
      // bounded caches (1,000 DPoP keys) fill. (RSS is not a leak detector; `npm run bench:heap` measures
      // the heap after full GCs.)
      await logins(bff.url, op.issuer, LOGINS / 5, 20);
      await cannon(`${bff.url}/bff/user`, bffHeaders, { amount: USER_REQUESTS / 5 });
      const rssStart = rss(bff.pid);
      const loginRate = await logins(bff.url, op.issuer, LOGINS, 20);
      const rssAfterLogins = rss(bff.pid);
      const opRate = await opOnlyLogins(op.issuer, Math.min(LOGINS, QUICK ? 300 : 2000), 20);
      rows.push({
        scenario: '3. complete logins against oidc-provider',
        measure: 'logins/s, 20 at a time',
        bff: fmt(loginRate, 1),
        other: `${fmt(opRate, 1)} (the same steps without the BFF: the OP's cost)`,
        ratio: `BFF share of a login ~${fmt(Math.max(0, 1 - loginRate / opRate) * 100)}%`,
        target: '',
      });
      await cannon(`${bff.url}/bff/user`, bffHeaders, { amount: USER_REQUESTS });
      const rssEnd = rss(bff.pid);
      const sessionKeys = await redis.keys(`${PREFIX}sess:*`);
      const sizes = await Promise.all(sessionKeys.slice(0, 200).map((k) => redis.strLen(k)));
      const perSession = sizes.reduce((a, b) => a + b, 0) / sizes.length;
      rows.push({
        scenario: `4. memory (BFF process RSS)`,
        measure: `after a warm-up: ${fmt(LOGINS)} logins, then ${fmt(USER_REQUESTS)} /bff/user`,
        bff: `${fmt(rssStart, 1)} -> ${fmt(rssAfterLogins, 1)} -> ${fmt(rssEnd, 1)} MB`,
        other: '',
        ratio: `growth ${fmt(rssEnd - rssStart, 1)} MB`,
        target: `< 20 MB ${rssEnd - rssStart < 20 ? 'met' : 'MISSED'}`,
      });
      rows.push({
        scenario: '',
        measure: 'bytes per session in Redis',
        bff: fmt(perSession),
        other: '',
        ratio: '',
        target: `< 4096 ${perSession < 4096 ? 'met' : 'MISSED'}`,
      });
    }

    // --- 5. API proxy ----------------------------------------------------------------------
    if (runs('5')) {
      // With the OP's defaults the session's token is DPoP-bound: each call also signs a proof.
      await cannon(`${upstream.url}/v1/orders/1`, {}, { duration: 2 });
      const direct = await cannon(`${upstream.url}/v1/orders/1`, {}, {}, upstream.pid);
      await cannon(`${bff.url}/bff/api/orders/1`, bffHeaders, { duration: 2 });
      const proxied = await cannon(`${bff.url}/bff/api/orders/1`, bffHeaders, {}, bff.pid);
      rows.push({
        scenario: '5. API proxy (/bff/api -> upstream), DPoP-bound token',
        measure: `requests/s, ${CONNECTIONS} connections, upstream answers at once`,
        bff: fmt(proxied.rps),
        other: `${fmt(direct.rps)} (the upstream called directly)`,
        ratio: `${fmt((proxied.rps / direct.rps) * 100)}%`,
        target: `>= 60% ${proxied.rps / direct.rps >= 0.6 ? 'met' : 'MISSED'}`,
      });
      rows.push({
        scenario: '',
        measure: 'CPU per request, µs: the BFF (proxying) vs the upstream (answering)',
        bff: fmt(proxied.cpuUs),
        other: fmt(direct.cpuUs),
        ratio: `${fmt(proxied.cpuUs / direct.cpuUs, 1)}x`,
        target: '',
      });
      rows.push({
        scenario: '',
        measure: 'added p50 / p99 latency, ms',
        bff: `${proxied.p50 - direct.p50} / ${proxied.p99 - direct.p99}`,
        other: `direct ${direct.p50} / ${direct.p99}`,
        ratio: '',
        target: `p50 <= 1 ms ${proxied.p50 - direct.p50 <= 1 ? 'met' : 'MISSED'}`,
      });
      // autocannon reports whole milliseconds: one request at a time, timed in microseconds, shows what the BFF adds.
      const directSeq = await sequential(`${upstream.url}/v1/orders/1`, {});
      const proxiedSeq = await sequential(`${bff.url}/bff/api/orders/1`, bffHeaders);
      rows.push({
        scenario: '',
        measure: 'added p50 / p99 latency, one request at a time, ms',
        bff: `${fmt((proxiedSeq.p50 - directSeq.p50) / 1000, 2)} / ${fmt((proxiedSeq.p99 - directSeq.p99) / 1000, 2)}`,
        other: `direct ${fmt(directSeq.p50 / 1000, 2)} / ${fmt(directSeq.p99 / 1000, 2)}`,
        ratio: '',
        target: `p50 <= 1 ms ${proxiedSeq.p50 - directSeq.p50 <= 1000 ? 'met' : 'MISSED'}`,
      });
      await cannon(`${upstream.url}/v1/io/1`, {}, { duration: 2 });
      const directIo = await cannon(`${upstream.url}/v1/io/1`, {});
      const proxiedIo = await cannon(`${bff.url}/bff/api/io/1`, bffHeaders);
      rows.push({
        scenario: '',
        measure: `requests/s, ${CONNECTIONS} connections, upstream answers after 5 ms`,
        bff: fmt(proxiedIo.rps),
        other: `${fmt(directIo.rps)} (direct); p50 ${directIo.p50} vs ${proxiedIo.p50} ms`,
        ratio: `${fmt((proxiedIo.rps / directIo.rps) * 100)}%`,
        target: `>= 60% ${proxiedIo.rps / directIo.rps >= 0.6 ? 'met' : 'MISSED'}`,
      });
    }
  } finally {
    await Promise.all([bff.stop(), baseline.stop(), upstream.stop(), eoc?.stop()]);
    await op.close();
    for await (const batch of redis.scanIterator({ MATCH: `${PREFIX}*`, COUNT: 1000 })) if (batch.length) await redis.del(batch);
    await redis.close();
  }

  const header = ['scenario', 'measure', 'Sealed BFF', 'baseline / peer / floor', 'ratio', 'target'];
  process.stdout.write(`\n| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|\n`);
  for (const r of rows) process.stdout.write(`| ${[r.scenario, r.measure, r.bff, r.other, r.ratio, r.target].join(' | ')} |\n`);
  process.stdout.write(`\nnode ${process.version}, ${QUICK ? 'BENCH_QUICK, ' : ''}${ONLY ? `BENCH_ONLY=${ONLY.join(',')}, ` : ''}${CONNECTIONS} connections, ${DURATION} s per run\n`);
}

await main();
