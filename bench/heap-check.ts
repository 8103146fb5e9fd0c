// `npm run bench:heap`: is there a leak per login? The BFF runs in this
// process (the OP in another), and the V8 heap is measured after full garbage
// collections: after a warm-up, then after 1000 and 2000 more logins (each
// with a /bff/user). RSS cannot tell a leak from V8 keeping its grown heap.
import { spawn } from 'node:child_process';
import request from 'supertest';
import { generateKeySet } from '../src/keygen.js';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { OpBrowser } from '../test/fixtures/op-browser.js';
const keys = await generateKeySet([
  { use: 'sig', alg: 'PS256' },
  { use: 'enc', alg: 'RSA-OAEP-256' },
]);
const child = spawn(process.execPath, ['--import', 'tsx', 'bench/servers/op.ts'], {
  env: { PATH: process.env.PATH, JWKS: JSON.stringify(keys.publicJwks) },
});
const issuer: string = await new Promise((resolve) => {
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
    const m = /ISSUER (\S+)/.exec(out);
    if (m) resolve(m[1]!);
  });
});
const config = await loadConfig({
  BFF_ISSUER: issuer,
  BFF_CLIENT_ID: 'bff',
  BFF_PUBLIC_URL: 'http://bff.test',
  BFF_KEYS: JSON.stringify(keys.privateJwks),
  BFF_SESSION_SECRET: 'x'.repeat(40),
  BFF_ALLOW_HTTP: '1',
  REDIS_URL: 'redis://127.0.0.1:6379',
  BFF_REDIS_PREFIX: `sbff-heap-${process.pid}:`,
});
const app = createApp(config, { logger: createLogger('silent') });
const server = app.listen(0);
const one = async () => {
  const agent = request.agent(server);
  const s = await agent.get('/bff/login');
  const back = await new OpBrowser(issuer).signIn(s.headers.location!);
  await agent.get(back.pathname + back.search).expect(302);
  await agent.get('/bff/user').set('x-csrf', '1').expect(200);
};
const run = async (n: number) => {
  for (let i = 0; i < n; i += 10) await Promise.all(Array.from({ length: 10 }, one));
};
const gc =
  globalThis.gc ??
  (() => {
    throw new Error('run with node --expose-gc (npm run bench:heap)');
  });
const heap = () => {
  gc();
  gc();
  const m = process.memoryUsage();
  return `${(m.heapUsed / 1048576).toFixed(1)} MB heap (${(m.rss / 1048576).toFixed(0)} MB RSS)`;
};
await run(300);
const h0 = heap();
await run(1000);
const h1 = heap();
await run(1000);
const h2 = heap();
console.log(`BFF (in this process, with the OP elsewhere) after full GC: after warm-up ${h0}, +1000 logins ${h1}, +2000 logins ${h2}`);
server.close();
await app.bff.close();
child.kill();
process.exit(0);
