// The API proxy under a client that holds requests open: it cannot take the
// upstream sockets from everyone else. Each client (address, and session) has
// at most BFF_API_MAX_IN_FLIGHT calls open, a request body that stops arriving
// is cut off (BFF_API_BODY_TIMEOUT), and waiting for a pooled upstream socket
// counts against BFF_API_CONNECT_TIMEOUT, not the whole BFF_API_TIMEOUT.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { TestApi } from './fixtures/api.js';
import { signIn, type TestBff } from './helpers/harness.js';
import { useStack } from './helpers/stack.js';

/** A POST whose body starts and then stops: what a slow (or hostile) client sends. */
function stalledUpload(
  bff: TestBff,
  address: string,
): { response: Promise<{ status: number; body: string }>; request: http.ClientRequest } {
  const { port } = new URL(bff.url);
  const request = http.request({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: '/bff/api/open/upload',
    headers: { 'x-csrf': '1', 'x-forwarded-for': address, 'transfer-encoding': 'chunked', 'content-type': 'application/octet-stream' },
  });
  request.write('the first bytes, and then nothing');
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    request.once('response', (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.once('end', () => resolve({ status: res.statusCode!, body }));
    });
    request.once('error', reject);
  });
  return { response, request };
}

describe('API proxy fair sharing', () => {
  let api: TestApi;
  let bff: TestBff;
  useStack(
    {
      api: true,
      env: ({ api: started }) => ({
        BFF_API_ROUTES: JSON.stringify([{ path: '/bff/api/open', target: `${started.url}/open`, token: 'none' }]),
        BFF_TRUST_PROXY: 'loopback',
        BFF_API_MAX_IN_FLIGHT: '2',
        BFF_API_MAX_SOCKETS: '3',
        BFF_API_BODY_TIMEOUT: '1000',
        BFF_API_CONNECT_TIMEOUT: '300',
        BFF_API_TIMEOUT: '10000',
      }),
    },
    (stack) => ({ api, bff } = stack),
  );
  const get = (path: string, address: string) => bff.browser().agent.get(path).set('X-CSRF', '1').set('X-Forwarded-For', address);

  it('serves other clients while one holds its limit of stalled uploads, refuses that client more (429), and cuts the stalls off (408)', async () => {
    const before = api.arrivals.value;
    const stalls = [stalledUpload(bff, '198.51.100.66'), stalledUpload(bff, '198.51.100.66')];
    await api.arrivals.reached(before + 2);
    const more = await get('/bff/api/open/status', '198.51.100.66').expect(429);
    assert.equal(more.body.error, 'too_many_requests');
    assert.equal(more.headers['retry-after'], '1');
    // Another client gets the third socket at once.
    const other = await get('/bff/api/open/status', '198.51.100.77').expect(200);
    assert.equal(other.body.method, 'GET');
    for (const stall of stalls) {
      const answer = await stall.response;
      assert.equal(answer.status, 408);
      assert.match(answer.body, /request_timeout/);
    }
    // The stalled calls no longer count: the client is served again.
    await get('/bff/api/open/status', '198.51.100.66').expect(200);
  });

  it('bounds the wait for a pooled upstream socket by BFF_API_CONNECT_TIMEOUT', async () => {
    const before = api.arrivals.value;
    // Three clients hold the three sockets with slow calls (the API answers them after 3 s).
    const slow = ['192.0.2.1', '192.0.2.2', '192.0.2.3'].map((address) => get('/bff/api/open/slow/3000', address).then((r) => r.status));
    await api.arrivals.reached(before + 3);
    let slowDone = false;
    void Promise.all(slow).then(() => (slowDone = true));
    const waited = await get('/bff/api/open/status', '192.0.2.4');
    assert.equal(waited.status, 504);
    assert.equal(waited.body.error, 'upstream_timeout');
    assert.equal(slowDone, false, 'the fourth call waited for a socket until the slow calls ended');
    assert.deepEqual(await Promise.all(slow), [200, 200, 200]);
  });

  it('cancels the upstream call when the browser goes away', { timeout: 4000 }, async () => {
    const before = api.arrivals.value;
    const abandoned = api.abandonments.value;
    const { port } = new URL(bff.url);
    const request = http.get({
      host: '127.0.0.1',
      port,
      path: '/bff/api/open/slow/5000',
      headers: { 'x-csrf': '1', 'x-forwarded-for': '192.0.2.20' },
    });
    request.on('error', () => {});
    await api.arrivals.reached(before + 1);
    request.destroy();
    await api.abandonments.reached(abandoned + 1); // the API sees its caller leave, long before its 5 s answer
  });
});

describe('API proxy fair sharing per session', () => {
  let api: TestApi;
  let bff: TestBff;
  useStack(
    {
      api: true,
      env: ({ api: started }) => ({
        BFF_API_ROUTES: JSON.stringify([{ path: '/bff/api/me', target: `${started.url}/me`, token: 'required' }]),
        BFF_TRUST_PROXY: 'loopback',
        BFF_API_MAX_IN_FLIGHT: '2',
      }),
    },
    (stack) => ({ api, bff } = stack),
  );

  it('counts one session across addresses: its third open call is refused (429), another session is served', async () => {
    const alice = await signIn(bff);
    const bob = await signIn(bff);
    const call = (cookie: string, address: string, path = '/bff/api/me/slow/1500') =>
      bff.browser().agent.get(path).set('X-CSRF', '1').set('Cookie', cookie).set('X-Forwarded-For', address);
    const before = api.arrivals.value;
    const slow = [call(alice.cookie, '192.0.2.31'), call(alice.cookie, '192.0.2.32')].map((r) => r.then((res) => res.status));
    await api.arrivals.reached(before + 2);
    const third = await call(alice.cookie, '192.0.2.33', '/bff/api/me/status').expect(429);
    assert.equal(third.body.error, 'too_many_requests');
    await call(bob.cookie, '192.0.2.33', '/bff/api/me/status').expect(200);
    assert.deepEqual(await Promise.all(slow), [200, 200]);
  });
});

describe('API proxy: an upstream that stalls mid-body', () => {
  let api: TestApi;
  let bff: TestBff;
  useStack(
    {
      api: true,
      env: ({ api: started }) => ({
        BFF_API_ROUTES: JSON.stringify([{ path: '/bff/api/files', target: `${started.url}/files`, token: 'none' }]),
        BFF_API_TIMEOUT: '500',
      }),
    },
    (stack) => ({ api, bff } = stack),
  );

  it('ends the browser response instead of holding both sockets for ever', async () => {
    const { port } = new URL(bff.url);
    const outcome = await new Promise<{ status: number; received: number; complete: boolean }>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/bff/api/files/gated-download', headers: { 'x-csrf': '1' } }, (res) => {
          let received = 0;
          res.on('data', (d: Buffer) => (received += d.length));
          res.once('close', () => resolve({ status: res.statusCode!, received, complete: res.complete }));
        })
        .once('error', reject);
    });
    assert.equal(outcome.status, 200);
    assert.equal(outcome.received, 1024 * 1024, 'the first megabyte came through');
    assert.equal(outcome.complete, false, 'the response was cut off, not passed as complete');
    await api.abandonments.reached(1);
    api.gates.releaseDownload();
  });
});
