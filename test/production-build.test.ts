// The container's steps without a Docker engine: the compiled dist/ with
// production dependencies only (`npm ci --omit=dev`), started as the image's
// CMD does, serving a full login against a real OP.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bffClient, startOp, type TestOp } from './fixtures/op.js';
import { OpBrowser } from './fixtures/op-browser.js';
import { BFF_ORIGIN, FetchBrowser, REDIS_URL, baseEnv, freePort, keysFor } from './helpers/harness.js';

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

  it('installs no dev dependency and serves a login with NODE_ENV=production', async () => {
    const installed = readdirSync(join(dir, 'node_modules'));
    for (const dev of ['oidc-provider', 'typescript', 'tsx', 'supertest', 'playwright-core']) assert.ok(!installed.includes(dev), dev);

    const keys = await keysFor();
    op = await startOp({ clients: [bffClient('bff', BFF_ORIGIN, keys.publicJwks)] });
    const port = await freePort();
    child = spawn(process.execPath, ['dist/server.js'], {
      cwd: dir,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        ...baseEnv(op, 'bff', keys, { REDIS_URL, PORT: String(port) }),
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
    const back = await new OpBrowser(op.issuer).signIn(start.headers.get('location')!);
    assert.equal((await browser.get(`${url}${back.pathname}${back.search}`)).status, 302);
    const user = await browser.get(`${url}/bff/user`, { 'x-csrf': '1' });
    assert.equal(user.status, 200);
    assert.equal(((await user.json()) as { claims: { email: string } }).claims.email, 'alice@example.com');
  });
});
