// The route table and its one matching rule: every endpoint is found the same
// way (any case, one optional trailing slash, relative to where the BFF is
// mounted), fast endpoints and Express's alike.
import http from 'node:http';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import express from 'express';
import request from 'supertest';
import { internals } from '../src/context.js';
import { findEndpoint, type Endpoint } from '../src/http/endpoints.js';
import { signIn, type TestBff } from './helpers/harness.js';
import { useStack } from './helpers/stack.js';

const describeEndpoint = (e: Endpoint) => `${e.method} ${e.path}${e.prefix ? '/…' : ''}${e.fast ? ' (fast)' : ''}`;

describe('route table', () => {
  let bff: TestBff;
  useStack(
    {
      api: true,
      env: ({ api }) => ({
        BFF_API_ROUTES: JSON.stringify([{ path: '/bff/api/echo', target: `${api.url}/v1`, token: 'none' }]),
        BFF_METRICS_TOKEN: 'metrics-token-0123456789',
      }),
    },
    (stack) => ({ bff } = stack),
  );

  it('lists every endpoint once: method, path, and whether it is served before Express', () => {
    assert.deepEqual(internals(bff.app).endpoints.map(describeEndpoint), [
      'GET /bff/user (fast)',
      'ANY /bff/api/… (fast)',
      'GET /bff/login',
      'GET /bff/callback',
      'GET /bff/logout',
      'POST /bff/backchannel-logout',
      'GET /healthz',
      'GET /readyz',
      'GET /.well-known/jwks.json',
      'GET /metrics',
    ]);
  });

  it('matches one way: any case, one optional trailing slash, HEAD as GET, prefixes only at a segment boundary', () => {
    const table = internals(bff.app).endpoints;
    const found = (method: string, url: string) => {
      const endpoint = findEndpoint(table, method, url.split('?')[0]!);
      return endpoint && describeEndpoint(endpoint);
    };
    assert.equal(found('GET', '/BFF/USER/?slide=false'), 'GET /bff/user (fast)');
    assert.equal(found('HEAD', '/bff/user'), 'GET /bff/user (fast)');
    assert.equal(found('POST', '/bff/user'), undefined);
    assert.equal(found('DELETE', '/BFF/API/echo/x'), 'ANY /bff/api/… (fast)');
    assert.equal(found('GET', '/bff/api'), 'ANY /bff/api/… (fast)');
    assert.equal(found('GET', '/bff/apix'), undefined);
    assert.equal(found('GET', '/Bff/Logout/?sid=x'), 'GET /bff/logout');
    assert.equal(found('GET', '/bff/logout//'), undefined);
    assert.equal(found('GET', '/HEALTHZ'), 'GET /healthz');
    assert.equal(found('POST', '/bff/backchannel-logout/'), 'POST /bff/backchannel-logout');
  });

  it('serves fast endpoints and Express endpoints by the same rule', async () => {
    const agent = bff.browser().agent;
    const user = await agent.get('/BFF/USER/').set('X-CSRF', '1').expect(401);
    assert.equal(user.body.error, 'not_authenticated');
    // Before the single rule, the fast path matched /BFF/USER but /BFF/API/… fell to Express: 404.
    const echoed = await agent.get('/BFF/API/echo/Some/Path?q=1').set('X-CSRF', '1').expect(200);
    assert.equal(echoed.body.url, '/v1/Some/Path?q=1');
    await agent.get('/HEALTHZ/').expect(200);
    const logout = await agent.get('/BFF/LOGOUT/').expect(302);
    assert.ok(logout.headers.location);
    const missing = await agent.get('/bff/nope').expect(404);
    assert.equal(missing.body.error_description, 'There is no such BFF endpoint.');
    const wrongMethod = await agent.post('/bff/user').set('X-CSRF', '1').expect(404);
    assert.equal(wrongMethod.body.error, 'not_found');
  });

  it('gives every endpoint the same request id and security headers, fast or not', async () => {
    const agent = bff.browser().agent;
    for (const path of ['/bff/user', '/bff/api/echo/x', '/bff/login', '/healthz', '/bff/nope', '/nope']) {
      const res = await agent.get(path).set('X-CSRF', '1');
      assert.ok(res.headers['x-request-id'], `request id on ${path}`);
      assert.ok(res.headers['content-security-policy'], `CSP on ${path}`);
      assert.equal(res.headers['x-content-type-options'], 'nosniff', `nosniff on ${path}`);
    }
  });

  it('reads the path as Express does: absolute-form request targets match too', async () => {
    // RFC 9112 3.2.2: a server must accept `GET http://host/path`. The path is what counts, for every endpoint.
    const raw = (target: string, headers: Record<string, string> = {}) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const { hostname, port } = new URL(bff.url);
        const req = http.request({ hostname, port, path: target, headers }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        });
        req.on('error', reject);
        req.end();
      });
    assert.equal((await raw('http://bff.test/healthz')).status, 200);
    assert.equal((await raw('http://bff.test/.well-known/jwks.json')).status, 200);
    const user = await raw('http://bff.test/bff/user', { 'x-csrf': '1' });
    assert.equal(user.status, 401);
    assert.equal(JSON.parse(user.body).error, 'not_authenticated');
    const echoed = await raw('http://bff.test/bff/api/echo/x?q=1', { 'x-csrf': '1' });
    assert.equal(JSON.parse(echoed.body).url, '/v1/x?q=1');
  });

  it('matches relative to where it is mounted, in any case, for every endpoint', async () => {
    const host = express();
    host.use('/auth', bff.app);
    const { cookie } = await signIn(bff);
    const user = await request(host).get('/auth/BFF/USER').set('X-CSRF', '1').set('Cookie', cookie).expect(200);
    assert.equal(user.body.claims.sub, 'alice');
    const echoed = await request(host).get('/auth/bff/api/echo/a').set('X-CSRF', '1').set('Cookie', cookie).expect(200);
    assert.equal(echoed.body.url, '/v1/a');
    await request(host).get('/auth/bff/login/').expect(302);
    await request(host).get('/auth/.well-known/jwks.json').expect(200);
    await request(host).get('/auth/bff/nope').expect(404);
  });

  it('is a request listener, not an Express app: nothing of Express is patched', () => {
    assert.equal(typeof bff.app, 'function');
    assert.equal((bff.app as unknown as { handle?: unknown }).handle, undefined);
    assert.equal(Object.hasOwn(express.application, 'handle'), true);
  });
});
