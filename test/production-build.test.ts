// The container's steps without a Docker engine: the compiled dist/ with
// production dependencies only (`npm ci --omit=dev`), started as the image's
// CMD does, serving a full login against a real OP.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bffClient, startOp, type TestOp } from './fixtures/op.js';
import { OpBrowser } from './fixtures/op-browser.js';
import { FetchBrowser, REDIS_URL, baseEnv, freePort, keysFor } from './helpers/harness.js';

// Production means https (BFF_ALLOW_HTTP is refused): the OP serves a certificate made for this test,
// which the BFF trusts through NODE_EXTRA_CA_CERTS; the BFF itself sits behind a TLS-terminating proxy.
const PUBLIC_ORIGIN = 'https://bff.test';

function selfSignedCertificate(dir: string): { key: string; cert: string; certFile: string } {
  const keyFile = join(dir, 'op-key.pem');
  const certFile = join(dir, 'op-cert.pem');
  execFileSync(
    'openssl',
    [
      ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1'],
      ...['-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile],
    ],
    { stdio: 'ignore' },
  );
  return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), certFile };
}

describe('production build (dist/ with production dependencies only)', () => {
  let dir: string;
  let op: TestOp;
  let child: ChildProcess | undefined;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'bff-prod-'));
    execFileSync('npm', ['run', 'build'], { stdio: 'ignore' });
    for (const entry of ['package.json', 'package-lock.json', 'dist']) cpSync(entry, join(dir, entry), { recursive: true });
    execFileSync('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: dir, stdio: 'ignore' });
  });
  after(async () => {
    child?.kill('SIGTERM');
    await op?.close();
  });

  it('refuses to start with BFF_ALLOW_HTTP under NODE_ENV=production', () => {
    let failure: { status: number; stderr: string } | undefined;
    try {
      execFileSync(process.execPath, ['dist/server.js'], {
        cwd: dir,
        env: { PATH: process.env.PATH, NODE_ENV: 'production', BFF_ALLOW_HTTP: '1', REDIS_URL },
        stdio: 'pipe',
      });
    } catch (err) {
      failure = { status: (err as { status: number }).status, stderr: String((err as { stderr: Buffer }).stderr) };
    }
    assert.equal(failure?.status, 2);
    assert.match(failure.stderr, /BFF_ALLOW_HTTP: .*NODE_ENV=production/);
  });

  it('installs no dev dependency and serves a login with NODE_ENV=production', async () => {
    const installed = readdirSync(join(dir, 'node_modules'));
    for (const dev of ['oidc-provider', 'typescript', 'tsx', 'supertest', 'playwright-core']) assert.ok(!installed.includes(dev), dev);

    const keys = await keysFor();
    const tls = selfSignedCertificate(dir);
    op = await startOp({ clients: [bffClient('bff', PUBLIC_ORIGIN, keys.publicJwks)], tls });
    const port = await freePort();
    child = spawn(process.execPath, ['dist/server.js'], {
      cwd: dir,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        NODE_EXTRA_CA_CERTS: tls.certFile,
        ...baseEnv(op, 'bff', keys, { REDIS_URL, PORT: String(port), BFF_PUBLIC_URL: PUBLIC_ORIGIN, BFF_ALLOW_HTTP: undefined }),
      },
    });
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    for (let i = 0; i < 100 && !output.includes('Sealed BFF listening'); i++) await new Promise((r) => setTimeout(r, 100));
    assert.match(output, /Sealed BFF listening/);

    const url = `http://127.0.0.1:${port}`;
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    assert.equal((await fetch(`${url}/readyz`)).status, 200);
    const browser = new FetchBrowser();
    const start = await browser.get(`${url}/bff/login`);
    const back = await withTestCertificate(() => new OpBrowser(op.issuer).signIn(start.headers.get('location')!));
    assert.equal(back.origin, PUBLIC_ORIGIN);
    assert.equal((await browser.get(`${url}${back.pathname}${back.search}`)).status, 302);
    const user = await browser.get(`${url}/bff/user`, { 'x-csrf': '1' });
    assert.equal(user.status, 200);
    assert.equal(((await user.json()) as { claims: { email: string } }).claims.email, 'alice@example.com');
  });
});

/** The test's own browser talks to the OP's self-signed https: only here, only for this call. */
async function withTestCertificate<T>(work: () => Promise<T>): Promise<T> {
  const previous = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
  try {
    return await work();
  } finally {
    if (previous === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    else process.env.NODE_TLS_REJECT_UNAUTHORIZED = previous;
  }
}
