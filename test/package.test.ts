// The package as an adopter gets it: `npm pack` from this checkout (its
// prepack builds dist/), the tarball installed into an empty project with
// npm, then the import (at run time and for TypeScript) and the commands.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const STACK_FRAME = /^\s+at .+\(?.*:\d+:\d+\)?$/m;

describe('the packed package, installed into an empty project', () => {
  let dir: string;
  let project: string;
  let packed: Array<{ path: string }>;
  const bin = (name: string, args: string[], env: NodeJS.ProcessEnv = { PATH: process.env.PATH }): SpawnSyncReturns<string> =>
    spawnSync(join(project, 'node_modules', '.bin', name), args, { cwd: project, env, encoding: 'utf8' });

  /** Compiles one file of the adopter's project as the adopter would (strict, NodeNext); fails with tsc's output. */
  const typeCheck = (file: string) => {
    const config = `tsconfig.${file}.json`;
    writeFileSync(
      join(project, config),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          // The adopter's own @types/node; this checkout's stands in for it.
          typeRoots: [join(ROOT, 'node_modules', '@types')],
          types: ['node'],
        },
        files: [file],
      }),
    );
    const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', config], {
      cwd: project,
      encoding: 'utf8',
    });
    assert.equal(tsc.status, 0, tsc.stdout);
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sbff-pack-'));
    // npm pack runs prepack: a clean build of dist/, as from a fresh clone.
    const [result] = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--pack-destination', dir], {
        cwd: ROOT,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
    ) as Array<{ filename: string; files: Array<{ path: string }> }>;
    packed = result!.files;
    project = join(dir, 'adopter');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'adopter', version: '1.0.0', private: true, type: 'module' }));
    // The registry is reachable; the local cache makes it quick.
    // What a team that uses sealed-bff/testing installs beside it (the README says so): supertest, and oidc-provider
    // (an optional peer) with its types, which the kit's declarations name.
    const { devDependencies } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    const alongside = ['supertest', 'oidc-provider', '@types/oidc-provider'].map((name) => `${name}@${devDependencies[name]}`);
    execFileSync('npm', ['install', join(dir, result!.filename), ...alongside, '--prefer-offline', '--no-audit', '--no-fund'], {
      cwd: project,
      stdio: 'ignore',
    });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('ships the compiled code, its declarations and the documents, and no sources, tests or maps', () => {
    const paths = packed.map((f) => f.path);
    for (const file of [
      'dist/app.js',
      'dist/app.d.ts',
      'dist/server.js',
      'dist/cli/main.js',
      'LICENSE',
      'CHANGELOG.md',
      'SECURITY.md',
      'README.md',
    ]) {
      assert.ok(paths.includes(file), `${file} is in the tarball`);
    }
    assert.deepEqual(
      paths.filter((p) => /^(src|test|demo|bench|public)\/|\.map$|\.tgz$|keys\.json$/.test(p)),
      [],
    );
    assert.match(readFileSync(join(ROOT, 'LICENSE'), 'utf8'), /Apache License\s+Version 2\.0/);
    assert.match(readFileSync(join(ROOT, 'CHANGELOG.md'), 'utf8'), new RegExp(`## \\[${VERSION.replace(/\./g, '\\.')}\\]`));
  });

  it('imports as sealed-bff and serves requests with its own dependencies', () => {
    const script = `
      import { createApp, loadConfig, ConfigError } from 'sealed-bff';
      try { await loadConfig({}); } catch (err) { if (!(err instanceof ConfigError)) throw err; console.log('refused', err.variable); }
      const config = await loadConfig({
        BFF_ISSUER: 'http://127.0.0.1:9/op', BFF_CLIENT_ID: 'c', BFF_PUBLIC_URL: 'http://127.0.0.1:3000', BFF_ALLOW_HTTP: '1',
        BFF_CLIENT_AUTH: 'client_secret_basic', BFF_CLIENT_SECRET: 's', BFF_SESSION_SECRET: 'x'.repeat(32), BFF_LOG_LEVEL: 'silent',
      });
      const app = createApp(config);
      const server = app.listen(0);
      await new Promise((r) => server.once('listening', r));
      const res = await fetch('http://127.0.0.1:' + server.address().port + '/healthz');
      console.log('healthz', res.status);
      server.close();
      await app.bff.close();
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: project, encoding: 'utf8' });
    assert.equal(out, 'refused BFF_ISSUER\nhealthz 200\n');
  });

  it('gives TypeScript its declarations (a wrong call does not compile)', () => {
    writeFileSync(
      join(project, 'main.ts'),
      `import { createApp, loadConfig, type BffApp, type Config } from 'sealed-bff';
import { getUser, type BffUser } from 'sealed-bff/client';
const user: BffUser | null = await getUser({ baseUrl: 'http://127.0.0.1:9' }).catch(() => null);
console.log(user?.claims.sub, user?.session.expiresAt);
const config: Config = await loadConfig(process.env);
const app: BffApp = createApp(config, { staticDir: 'public' });
const issuer: URL = config.issuer;
// @ts-expect-error: createApp needs a Config, which types prove (with no types, this line is no error and tsc fails)
createApp({ issuer: 'https://op.example.com' });
await app.bff.close();
console.log(issuer.href);
`,
    );
    typeCheck('main.ts');
  });

  it("runs a user's own flow test with sealed-bff/testing: the README example, a refresh and a back-channel logout", () => {
    writeFileSync(
      join(project, 'flow.test.mjs'),
      `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import request from 'supertest';
import { createApp, loadConfig } from 'sealed-bff';
import { startTestOp, signIn } from 'sealed-bff/testing';

test('alice signs in, calls her API (the token is refreshed), and is logged out by the OP', async () => {
  const api = createServer((req, res) => res.end(JSON.stringify({ scheme: req.headers.authorization?.split(' ')[0] })));
  await new Promise((resolve) => api.listen(0, '127.0.0.1', resolve));
  const op = await startTestOp({ users: { alice: { given_name: 'Alice', email: 'alice@example.com' } }, accessTokenTtl: 30 });
  const app = createApp(await loadConfig({
    ...op.env,
    BFF_SESSION_SECRET: 'a-test-secret-of-32-characters-at-least',
    BFF_API_ROUTES: JSON.stringify([{ path: '/bff/api/me', target: 'http://127.0.0.1:' + api.address().port, token: 'required' }]),
    BFF_LOG_LEVEL: 'silent',
  }));
  const agent = request.agent(app);
  await signIn(agent, op, { sub: 'alice' });
  const user = await agent.get('/bff/user').set('X-CSRF', '1').expect(200);
  assert.equal(user.body.claims.email, 'alice@example.com');
  // The access token lives 30 s, inside the BFF's 60 s margin: each call refreshes it first.
  assert.match((await agent.get('/bff/api/me').set('X-CSRF', '1').expect(200)).text, /"scheme":"(Bearer|DPoP)"/);
  await agent.get('/bff/api/me').set('X-CSRF', '1').expect(200);
  await op.logout('alice');
  await agent.get('/bff/user').set('X-CSRF', '1').expect(401);
  await app.bff.close();
  await op.close();
  api.close();
});
`,
    );
    const run = spawnSync(process.execPath, ['--test', 'flow.test.mjs'], {
      cwd: project,
      encoding: 'utf8',
      env: { PATH: process.env.PATH },
    });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /# pass 1/);

    // The types: signIn wants an agent and a TestOp; a wrong call does not compile.
    writeFileSync(
      join(project, 'kit.ts'),
      `import { createApp, loadConfig } from 'sealed-bff';
import { startTestOp, signIn, type AgentLike, type TestOp, type SignInResult } from 'sealed-bff/testing';
declare const agent: AgentLike; // a supertest agent in a real test
const op: TestOp = await startTestOp({ acr: 'http://ftn.ficora.fi/2017/loa3' });
const app = createApp(await loadConfig({ ...op.env, BFF_SESSION_SECRET: 'x'.repeat(32) }));
const result: SignInResult = await signIn(agent, op, { sub: 'alice' });
// @ts-expect-error: a sign-in names its user
await signIn(agent, op, {});
console.log(result.location, app.bff);
`,
    );
    typeCheck('kit.ts');
  });

  it('installs one sealed-bff command with --help, --version and subcommands', () => {
    const help = bin('sealed-bff', ['--help']);
    assert.equal(help.status, 0);
    for (const command of ['start', 'check', 'keys']) assert.match(help.stdout, new RegExp(`^  ${command} `, 'm'), command);
    assert.equal(bin('sealed-bff', ['--version']).stdout, `${VERSION}\n`);

    const unknown = bin('sealed-bff', ['stat']);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unknown command stat/);

    // start without configuration: exit 2 and one line naming the variable.
    const start = bin('sealed-bff', ['start']);
    assert.equal(start.status, 2);
    assert.equal(start.stderr, 'sealed-bff: configuration error: BFF_ISSUER: is required\n');
  });

  it('writes keys with sealed-bff keys and its alias sealed-bff-keys, mode 0600, and prints only the public halves', () => {
    for (const [index, name] of ['sealed-bff keys', 'sealed-bff-keys'].entries()) {
      const out = join(dir, `keys-${index}.json`);
      const [command, ...sub] = name.split(' ');
      const run = bin(command!, [...sub, '--sig', 'ES256', '--out', out]);
      assert.equal(run.status, 0, run.stderr);
      assert.equal(statSync(out).mode & 0o777, 0o600);
      const printed = JSON.parse(run.stdout) as { keys: Array<Record<string, unknown>> };
      assert.equal(printed.keys.length, 2);
      assert.ok(printed.keys.every((k) => k.d === undefined));
      assert.ok((JSON.parse(readFileSync(out, 'utf8')) as { keys: Array<{ d?: string }> }).keys.every((k) => typeof k.d === 'string'));
    }
    assert.match(bin('sealed-bff-keys', ['--help']).stdout, /--enc ALG/);
  });

  it('keys: an unwritable place is one line, no stack trace; a git work tree gets a warning', () => {
    const blocked = bin('sealed-bff', ['keys', '--out', join(dir, 'no-such-folder', 'keys.json')]);
    assert.equal(blocked.status, 2);
    assert.match(blocked.stderr, /^sealed-bff keys: ENOENT: no such file or directory, open '.*keys\.json'\n$/);
    assert.doesNotMatch(blocked.stderr, STACK_FRAME);

    const repo = join(dir, 'repo');
    mkdirSync(repo);
    execFileSync('git', ['init', '-q', repo]);
    const inRepo = bin('sealed-bff', ['keys', '--out', join(repo, 'bff-keys.json')]);
    assert.equal(inRepo.status, 0);
    assert.match(inRepo.stderr, /warning: .*bff-keys\.json is a private key file inside the git work tree .*repo: it is NOT git-ignored/);
    writeFileSync(join(repo, '.gitignore'), 'bff-keys*.json\n');
    const ignored = bin('sealed-bff', ['keys', '--force', '--out', join(repo, 'bff-keys.json')]);
    assert.match(ignored.stderr, /inside the git work tree .*: it is git-ignored/);
    // Outside any work tree: no warning.
    assert.doesNotMatch(bin('sealed-bff', ['keys', '--out', join(dir, 'outside.json')]).stderr, /warning/);
  });
});
