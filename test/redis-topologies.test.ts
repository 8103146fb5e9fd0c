// The BFF on a Redis Cluster (BFF_REDIS_CLUSTER) and behind Redis Sentinel
// (BFF_REDIS_SENTINELS): real servers started by the tests, and a full login,
// refresh and logout on each.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, getUser, login, sessionCookie, sessionIdOf, type TestBff } from './helpers/harness.js';
import { useStack } from './helpers/stack.js';
import { internals } from '../src/context.js';

describe('Redis Cluster', () => {
  const nodes: ChildProcess[] = [];
  const ports: number[] = [];
  let bff: TestBff;

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bff-cluster-'));
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      ports.push(port);
      nodes.push(
        spawn(
          'redis-server',
          [
            '--port',
            String(port),
            '--bind',
            '127.0.0.1',
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            join(dir, `nodes-${port}.conf`),
            '--save',
            '',
            '--appendonly',
            'no',
            '--dir',
            dir,
          ],
          { stdio: 'ignore' },
        ),
      );
    }
    await sleep(300);
    const create = spawnSync(
      'redis-cli',
      ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(create.status, 0, create.stdout + create.stderr);
    for (let i = 0; i < 100; i++) {
      if (spawnSync('redis-cli', ['-p', String(ports[0]), 'cluster', 'info'], { encoding: 'utf8' }).stdout.includes('cluster_state:ok'))
        break;
      await sleep(100);
    }
  });
  useStack(
    () => ({ env: { REDIS_URL: undefined, BFF_REDIS_CLUSTER: ports.map((p) => `redis://127.0.0.1:${p}`).join(',') } }),
    (stack) => ({ bff } = stack),
  );
  after(() => {
    for (const node of nodes) node.kill('SIGKILL');
  });

  it('logs in, refreshes under the cluster-wide lock, and logs out', async () => {
    const browser = bff.browser();
    const callback = await login(browser);
    assert.equal(callback.status, 302, callback.text);
    await bff.browser().agent.get('/readyz').expect(200);
    const user = await getUser(browser).expect(200);
    const sid = sessionIdOf(sessionCookie(callback)!);
    const stale = (await internals(bff.app).context.sessions.load(sid))!.tokens.accessToken;
    const refreshed = await Promise.all([1, 2, 3].map(() => internals(bff.app).context.accessTokens.refresh(sid, stale)));
    assert.equal(new Set(refreshed.map((t) => t.accessToken)).size, 1);
    await browser.agent.get(user.body.logoutUrl).expect(302);
    await getUser(browser).expect(401);
  });
});

describe('Redis Sentinel', () => {
  const servers: ChildProcess[] = [];
  let sentinelPort: number;
  let bff: TestBff;

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bff-sentinel-'));
    const masterPort = await freePort();
    servers.push(
      spawn('redis-server', ['--port', String(masterPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' }),
    );
    sentinelPort = await freePort();
    const conf = join(dir, 'sentinel.conf');
    writeFileSync(conf, `port ${sentinelPort}\nbind 127.0.0.1\nsentinel monitor primary 127.0.0.1 ${masterPort} 1\n`);
    servers.push(spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' }));
    for (let i = 0; i < 100; i++) {
      const answer = spawnSync('redis-cli', ['-p', String(sentinelPort), 'sentinel', 'get-master-addr-by-name', 'primary'], {
        encoding: 'utf8',
      });
      if (answer.stdout.includes(String(masterPort))) break;
      await sleep(100);
    }
  });
  useStack(
    () => ({ env: { REDIS_URL: undefined, BFF_REDIS_SENTINELS: `127.0.0.1:${sentinelPort}`, BFF_REDIS_SENTINEL_MASTER: 'primary' } }),
    (stack) => ({ bff } = stack),
  );
  after(() => {
    for (const server of servers) server.kill('SIGKILL');
  });

  it('logs in and out through the master Sentinel names', async () => {
    const browser = bff.browser();
    assert.equal((await login(browser)).status, 302);
    await bff.browser().agent.get('/readyz').expect(200);
    const user = await getUser(browser).expect(200);
    await browser.agent.get(user.body.logoutUrl).expect(302);
    await getUser(browser).expect(401);
  });
});
