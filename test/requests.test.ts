// What the BFF sends to the OP: private_key_jwt assertions, signed and
// encrypted request objects (JAR), pushed authorization requests (PAR), extra
// authorization parameters, and the acr check on the way back.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compactVerify, decodeJwt, decodeProtectedHeader, importJWK } from 'jose';
import type { HostileOp } from './fixtures/hostile-op.js';
import { BFF_ORIGIN, getUser, login } from './helpers/harness.js';
import { withStack } from './helpers/stack.js';

const assertionsAt = (op: HostileOp, path: string) =>
  op.requests.filter((r) => r.path === path && r.body.has('client_assertion')).map((r) => r.body.get('client_assertion')!);

describe('private_key_jwt client authentication', () => {
  for (const alg of ['PS256', 'RS256', 'ES256']) {
    it(`signs the assertion with ${alg}, audience = issuer, a fresh jti each time`, async () => {
      await withStack(
        {
          hostile: true,
          keys: [
            { use: 'sig', alg },
            { use: 'enc', alg: 'RSA-OAEP-256' },
          ],
          env: { BFF_PAR: 'off' },
        },
        async ({ op, bff, keys }) => {
          await login(bff.browser());
          await login(bff.browser());
          const assertions = assertionsAt(op, '/token');
          assert.equal(assertions.length, 2);
          const header = decodeProtectedHeader(assertions[0]!);
          assert.equal(header.alg, alg);
          assert.equal(header.kid, keys.publicJwks.keys[0]!.kid);
          const [first, second] = assertions.map((a) => decodeJwt(a));
          assert.equal(first!.aud, op.issuer);
          assert.equal(first!.iss, 'bff');
          assert.equal(first!.sub, 'bff');
          assert.notEqual(first!.jti, second!.jti);
        },
      );
    });
  }

  it('uses the token endpoint as audience with BFF_ASSERTION_AUDIENCE=token_endpoint', async () => {
    await withStack({ hostile: true, env: { BFF_PAR: 'off', BFF_ASSERTION_AUDIENCE: 'token_endpoint' } }, async ({ op, bff }) => {
      const browser = bff.browser();
      assert.equal((await login(browser)).status, 302);
      assert.equal(decodeJwt(assertionsAt(op, '/token')[0]!).aud, `${op.issuer}/token`);
    });
  });
});

describe('pushed authorization requests (PAR)', () => {
  it('pushes the request when the OP supports it (BFF_PAR=auto) and sends only request_uri and client_id', async () => {
    await withStack({ hostile: true }, async ({ op, bff }) => {
      const browser = bff.browser();
      const start = await browser.agent.get('/bff/login').expect(302);
      const url = new URL(start.headers.location!);
      assert.deepEqual([...url.searchParams.keys()].sort(), ['client_id', 'request_uri']);
      const pushed = op.requests.find((r) => r.path === '/request')!;
      assert.equal(pushed.body.get('code_challenge_method'), 'S256');
      assert.ok(pushed.body.get('client_assertion'), 'PAR is client-authenticated');
      const back = await browser.op.signIn(start.headers.location!);
      assert.equal((await browser.agent.get(back.pathname + back.search)).status, 302);
      await getUser(browser).expect(200);
    });
  });

  it('sends the parameters in the URL with BFF_PAR=off', async () => {
    await withStack({ hostile: true, env: { BFF_PAR: 'off' } }, async ({ op, bff }) => {
      const start = await bff.browser().agent.get('/bff/login').expect(302);
      assert.ok(new URL(start.headers.location!).searchParams.has('code_challenge'));
      assert.equal(op.requests.filter((r) => r.path === '/request').length, 0);
    });
  });
});

describe('request objects (JAR)', () => {
  it("signs the request object with the BFF's key (BFF_REQUEST_OBJECT=signed)", async () => {
    await withStack({ hostile: true, env: { BFF_PAR: 'off', BFF_REQUEST_OBJECT: 'signed' } }, async ({ bff, keys }) => {
      const browser = bff.browser();
      const start = await browser.agent.get('/bff/login').expect(302);
      const url = new URL(start.headers.location!);
      assert.deepEqual([...url.searchParams.keys()].sort(), ['client_id', 'request', 'response_type', 'scope']);
      assert.equal(url.searchParams.get('response_type'), 'code');
      assert.equal(url.searchParams.get('scope'), 'openid profile email');
      const request = url.searchParams.get('request')!;
      const { payload } = await compactVerify(request, await importJWK(keys.publicJwks.keys[0]!, 'PS256'));
      const claims = JSON.parse(new TextDecoder().decode(payload));
      assert.equal(claims.redirect_uri, `${BFF_ORIGIN}/bff/callback`);
      assert.equal(claims.code_challenge_method, 'S256');
      assert.ok(claims.state && claims.nonce && claims.code_challenge);
      const back = await browser.op.signIn(start.headers.location!);
      assert.equal((await browser.agent.get(back.pathname + back.search)).status, 302);
      await getUser(browser).expect(200);
    });
  });

  it("encrypts the signed request object to the OP's enc key (BFF_REQUEST_OBJECT=encrypted)", async () => {
    await withStack({ hostile: true, env: { BFF_PAR: 'off', BFF_REQUEST_OBJECT: 'encrypted' } }, async ({ bff }) => {
      const browser = bff.browser();
      const start = await browser.agent.get('/bff/login').expect(302);
      const request = new URL(start.headers.location!).searchParams.get('request')!;
      assert.equal(request.split('.').length, 5);
      assert.deepEqual(decodeProtectedHeader(request), {
        alg: 'RSA-OAEP-256',
        enc: 'A128CBC-HS256',
        cty: 'JWT',
        typ: 'JWE',
        kid: 'op-enc',
      });
      const back = await browser.op.signIn(start.headers.location!);
      assert.equal((await browser.agent.get(back.pathname + back.search)).status, 302);
      await getUser(browser).expect(200);
    });
  });

  it('pushes an encrypted request object with PAR', async () => {
    await withStack({ hostile: true, env: { BFF_PAR: 'on', BFF_REQUEST_OBJECT: 'encrypted' } }, async ({ op, bff }) => {
      const browser = bff.browser();
      assert.equal((await login(browser)).status, 302);
      const pushed = op.requests.find((r) => r.path === '/request')!;
      assert.equal(pushed.body.get('request')!.split('.').length, 5);
      assert.equal(pushed.body.has('code_challenge'), false, 'parameters travel only inside the request object');
    });
  });
});

describe('authorization parameters', () => {
  it('sends BFF_AUTH_PARAMS and the BFF_LOGIN_PARAMS the query carries, and ignores the rest', async () => {
    const env = {
      BFF_PAR: 'off',
      BFF_AUTH_PARAMS: JSON.stringify({ ui_locales: 'fi', ftn_spname: 'My Service' }),
      BFF_LOGIN_PARAMS: 'ui_locales,login_hint',
    };
    await withStack({ hostile: true, env }, async ({ bff }) => {
      const plain = new URL((await bff.browser().agent.get('/bff/login').expect(302)).headers.location!).searchParams;
      assert.equal(plain.get('ui_locales'), 'fi');
      assert.equal(plain.get('ftn_spname'), 'My Service');
      const res = await bff
        .browser()
        .agent.get('/bff/login?ui_locales=sv&login_hint=bob&prompt=none&redirect_uri=https://evil.example')
        .expect(302);
      const p = new URL(res.headers.location!).searchParams;
      assert.equal(p.get('ui_locales'), 'sv');
      assert.equal(p.get('login_hint'), 'bob');
      assert.equal(p.get('prompt'), null);
      assert.equal(p.get('redirect_uri'), `${BFF_ORIGIN}/bff/callback`);
    });
  });

  it('refuses a malformed login parameter with 400 and no cookie', async () => {
    await withStack({ hostile: true, env: { BFF_LOGIN_PARAMS: 'login_hint,max_age' } }, async ({ bff }) => {
      for (const query of ['login_hint=a&login_hint=b', `login_hint=${'x'.repeat(600)}`, 'login_hint=a%0Ab', 'max_age=soon']) {
        const res = await bff.browser().agent.get(`/bff/login?${query}`).expect(400);
        assert.equal(res.body.error, 'invalid_login_param');
        assert.equal(res.headers['set-cookie'], undefined);
      }
    });
  });

  it("checks the id_token's acr against the requested acr_values", async () => {
    const loa3 = 'http://ftn.ficora.fi/2017/loa3';
    await withStack({ hostile: true, env: { BFF_AUTH_PARAMS: JSON.stringify({ acr_values: loa3 }) } }, async ({ op, bff }) => {
      op.tamper.idToken = async (c) => op.encryptForBff(await op.signAsOp({ ...c, acr: 'http://ftn.ficora.fi/2017/loa2' }));
      const weak = bff.browser();
      const refused = await login(weak);
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error, 'id_token_acr_not_satisfied');
      await getUser(weak).expect(401);

      op.tamper.idToken = async (c) => op.encryptForBff(await op.signAsOp({ ...c, acr: loa3 }));
      const strong = bff.browser();
      assert.equal((await login(strong)).status, 302);
      assert.equal((await getUser(strong).expect(200)).body.claims.acr, loa3);
    });
  });
});
