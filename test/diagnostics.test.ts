// GET /bff/diagnostics: how the OP protected the sign-in (headers only), with
// NODE_ENV=development; outside development the endpoint does not exist and
// nothing is recorded.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../src/config.js';
import { internals } from '../src/context.js';
import { signIn, type TestBff } from './helpers/harness.js';
import { useStack, type Stack } from './helpers/stack.js';

const JWT = /eyJ[\w-]{10,}/;

describe('GET /bff/diagnostics', () => {
  let stack: Stack;
  let bff: TestBff;
  useStack({ env: { NODE_ENV: 'development' } }, (s) => {
    stack = s;
    bff = s.bff;
  });

  it('shows, in development, whether each artefact was signed and encrypted, with alg, enc and kid only', async () => {
    const { browser } = await signIn(bff);
    const res = await browser.agent.get('/bff/diagnostics').set('X-CSRF', '1').expect(200);
    assert.equal(res.headers['cache-control'], 'no-store');
    const { protection, policy } = res.body;
    assert.deepEqual(protection.authorization_response, { signed: null, encrypted: null });
    for (const artefact of ['id_token', 'userinfo']) {
      assert.equal(protection[artefact].signed.alg, 'PS256', artefact);
      assert.match(protection[artefact].signed.kid, /\S/);
      assert.deepEqual(Object.keys(protection[artefact].signed).sort(), ['alg', 'kid']);
      assert.equal(protection[artefact].encrypted.alg, 'RSA-OAEP-256', artefact);
      assert.equal(protection[artefact].encrypted.enc, 'A256GCM', artefact);
      assert.equal(protection[artefact].encrypted.kid, stack.keys.privateJwks.keys.find((k) => k.use === 'enc')!.kid);
    }
    assert.deepEqual(policy, { profile: 'none', requireEncryption: ['id_token', 'userinfo', 'logout_token'] });
    // Headers only: no token, no claim.
    assert.doesNotMatch(res.text, JWT);
    for (const claim of ['alice', 'alice@example.com', 'Alice Example']) assert.ok(!res.text.includes(claim), claim);

    await bff.browser().agent.get('/bff/diagnostics').set('X-CSRF', '1').expect(401);
    await browser.agent.get('/bff/diagnostics').expect(403);
  });

  it('does not exist outside development, and records nothing there', async () => {
    // Production (https only) is not development: the route table below is built from this flag.
    const production = await loadConfig({
      ...stack.env,
      NODE_ENV: 'production',
      BFF_ALLOW_HTTP: undefined,
      BFF_ISSUER: 'https://op.example',
      BFF_PUBLIC_URL: 'https://bff.example',
    });
    assert.equal(production.development, false);
    for (const nodeEnv of [undefined, 'test']) {
      const other = await stack.startBff({ NODE_ENV: nodeEnv });
      const { browser, sid } = await signIn(other);
      const res = await browser.agent.get('/bff/diagnostics').set('X-CSRF', '1').expect(404);
      assert.equal(res.body.error, 'not_found');
      assert.ok(!internals(other.app).endpoints.some((e) => e.path === '/bff/diagnostics'), `${nodeEnv}: not in the route table`);
      assert.equal((await internals(other.app).context.sessions.load(sid))!.protection, undefined, `${nodeEnv}: nothing stored`);
      await other.close();
    }
  });
});
