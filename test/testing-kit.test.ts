// sealed-bff/testing, used exactly as the README's "Testing your app" shows:
// a real encrypting OP, signIn in one line, then the user's own assertions.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import { createApp, loadConfig } from '../src/app.js';
import { startTestOp, signIn } from '../src/testing/index.js';

describe('the test kit (sealed-bff/testing)', () => {
  it('runs the README example: sign in as alice, read the claims of the decrypted id_token and userinfo', async () => {
    const op = await startTestOp({ users: { alice: { given_name: 'Alice', email: 'alice@example.com' } } });
    const app = createApp(await loadConfig({ ...op.env, BFF_SESSION_SECRET: 'a-test-secret-of-32-characters-at-least' }));
    const agent = request.agent(app);
    const result = await signIn(agent, op, { sub: 'alice' });
    assert.equal(result.status, 302);
    assert.equal(result.location, '/');
    const user = await agent.get('/bff/user').set('X-CSRF', '1').expect(200);
    assert.equal(user.body.claims.sub, 'alice');
    assert.equal(user.body.claims.email, 'alice@example.com');
    assert.equal(user.body.claims.given_name, 'Alice');
    assert.equal(user.body.claims.acr, 'http://ftn.ficora.fi/2017/loa3');
    await app.bff.close();
    await op.close();
  });

  it('sets claims and acr per sign-in, follows returnTo, and reports a refused login (sessions in Redis)', async () => {
    const op = await startTestOp();
    const app = createApp(
      await loadConfig({
        ...op.env,
        BFF_SESSION_SECRET: 'a-test-secret-of-32-characters-at-least',
        REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
        BFF_REDIS_PREFIX: `sbff-kit-${process.pid}:`,
      }),
    );
    await app.bff.ready();
    try {
      const agent = request.agent(app);
      const ok = await signIn(agent, op, { sub: 'bob', claims: { email: 'bob@corp.example' }, returnTo: '/orders/42' });
      assert.equal(ok.location, '/orders/42');
      const user = await agent.get('/bff/user').set('X-CSRF', '1').expect(200);
      assert.equal(user.body.claims.email, 'bob@corp.example');
      assert.equal(user.body.claims.name, 'Bob Example');
      // FTN asks for loa3: a loa2 sign-in is refused by the BFF, and the kit says so.
      const weak = await signIn(request.agent(app), op, { sub: 'carol', acr: 'http://ftn.ficora.fi/2017/loa2' });
      assert.equal(weak.status, 403);
      assert.equal(weak.error, 'id_token_acr_not_satisfied');
    } finally {
      await app.bff.close();
      await op.close();
    }
  });

  it('works with the BFF mounted under a prefix, an ECDH-ES OP that encrypts id_tokens only, and a back-channel logout', async () => {
    const op = await startTestOp({ encryption: { alg: 'ECDH-ES+A128KW', enc: 'A128CBC-HS256' }, encryptUserinfo: false });
    const bff = createApp(
      await loadConfig({ ...op.env, BFF_SESSION_SECRET: 'a-test-secret-of-32-characters-at-least' }).catch(async (err: unknown) => {
        await op.close();
        throw err;
      }),
    );
    const host = express();
    host.use('/auth', bff);
    try {
      const agent = request.agent(host);
      const signedIn = await signIn(agent, op, { sub: 'dave', mountPath: '/auth' });
      assert.equal(signedIn.status, 302, signedIn.error);
      await agent.get('/auth/bff/user').set('X-CSRF', '1').expect(200);
      await op.logout('dave');
      await agent.get('/auth/bff/user').set('X-CSRF', '1').expect(401);
    } finally {
      await bff.bff.close();
      await op.close();
    }
  });

  it('forces a refresh with a short access token lifetime', async () => {
    const api = createServer((req, res) => res.end(JSON.stringify({ authorization: req.headers.authorization?.split(' ')[0] })));
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    const op = await startTestOp({ accessTokenTtl: 30 });
    const target = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
    const app = createApp(
      await loadConfig({
        ...op.env,
        BFF_SESSION_SECRET: 'a-test-secret-of-32-characters-at-least',
        BFF_API_ROUTES: JSON.stringify([{ path: '/bff/api/me', target, token: 'required' }]),
      }),
    );
    try {
      const agent = request.agent(app);
      await signIn(agent, op, { sub: 'erin' });
      await agent.get('/bff/api/me').set('X-CSRF', '1').expect(200);
      // The token expires within the BFF's 60 s margin: every call refreshes, and the OP rotates the refresh token.
      await agent.get('/bff/api/me').set('X-CSRF', '1').expect(200);
    } finally {
      await app.bff.close();
      await op.close();
      api.close();
    }
  });
});
