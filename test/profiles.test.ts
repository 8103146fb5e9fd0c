// BFF_PROFILE presets (FTN, FAPI 2.0) and the start-time check of the OP's
// metadata against the configuration.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { ConfigError, loadConfig, type Env } from '../src/config.js';
import { baseEnv, getUser, keysFor, login, sessionCookie, sessionIdOf, staticEnv, type TestKeys } from './helpers/harness.js';
import { withStack } from './helpers/stack.js';
import { internals } from '../src/context.js';

const LOA3 = 'http://ftn.ficora.fi/2017/loa3';
let rsaKeys: TestKeys;
let ecKeys: TestKeys;
const env = (keys: TestKeys, extra: Env): Env => staticEnv(keys, extra);
async function refusal(extra: Env, keys = rsaKeys): Promise<ConfigError> {
  const err = await loadConfig(env(keys, extra)).then(
    () => assert.fail('accepted'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ConfigError, String(err));
  return err;
}

describe('BFF_PROFILE', () => {
  before(async () => {
    rsaKeys = await keysFor([
      { use: 'sig', alg: 'PS256' },
      { use: 'enc', alg: 'RSA-OAEP-256' },
    ]);
    ecKeys = await keysFor([
      { use: 'sig', alg: 'ES256' },
      { use: 'enc', alg: 'ECDH-ES' },
    ]);
  });

  it('ftn sets its defaults', async () => {
    const config = await loadConfig(env(rsaKeys, { BFF_PROFILE: 'ftn' }));
    assert.equal(config.clientAuth, 'private_key_jwt');
    assert.equal(config.requestObject, 'signed');
    assert.deepEqual(config.jose.requireEncryption, ['id_token', 'userinfo', 'logout_token']);
    assert.deepEqual(config.jose.jweAlgs, ['RSA-OAEP', 'RSA-OAEP-256']);
    assert.equal(config.authParams.acr_values, LOA3);
  });

  const ftnRefusals: Array<[string, Env]> = [
    ['BFF_CLIENT_AUTH', { BFF_CLIENT_AUTH: 'client_secret_basic', BFF_CLIENT_SECRET: 's' }],
    ['BFF_REQUEST_OBJECT', { BFF_REQUEST_OBJECT: 'none' }],
    ['BFF_REQUIRE_ENCRYPTION', { BFF_REQUIRE_ENCRYPTION: 'false' }],
    ['BFF_REQUIRE_ENCRYPTION', { BFF_REQUIRE_ENCRYPTION: 'id_token' }],
    ['BFF_REQUIRE_ENCRYPTION', { BFF_REQUIRE_ENCRYPTION: 'userinfo,logout_token' }],
    ['BFF_JWE_ALGS', { BFF_JWE_ALGS: 'RSA-OAEP-256,ECDH-ES' }],
    ['BFF_AUTH_PARAMS', { BFF_AUTH_PARAMS: '{"acr_values":"urn:weak"}' }],
    ['BFF_AUTH_PARAMS', { BFF_AUTH_PARAMS: '{"ui_locales":"fi"}' }],
  ];
  for (const [variable, extra] of ftnRefusals) {
    it(`ftn refuses ${JSON.stringify(extra)}, naming ${variable}`, async () => {
      const err = await refusal({ BFF_PROFILE: 'ftn', ...extra });
      assert.equal(err.variable, variable);
      assert.match(err.message, /weaker than BFF_PROFILE=ftn allows/);
    });
  }

  it('ftn refuses an ECDH enc key', async () => {
    const err = await refusal({ BFF_PROFILE: 'ftn', BFF_JWE_ALGS: 'RSA-OAEP-256' }, ecKeys);
    assert.ok(['BFF_KEYS', 'BFF_JWE_ALGS'].includes(err.variable), err.message);
  });

  it('fapi2 sets its defaults and refuses weaker settings', async () => {
    const config = await loadConfig(env(ecKeys, { BFF_PROFILE: 'fapi2' }));
    assert.equal(config.par, 'on');
    assert.equal(config.dpop, 'on');
    assert.deepEqual(config.jose.jwsAlgs, ['PS256', 'ES256']);
    assert.equal((await refusal({ BFF_PROFILE: 'fapi2', BFF_PAR: 'auto' })).variable, 'BFF_PAR');
    assert.equal((await refusal({ BFF_PROFILE: 'fapi2', BFF_DPOP: 'auto' })).variable, 'BFF_DPOP');
    assert.equal((await refusal({ BFF_PROFILE: 'fapi2', BFF_JWS_ALGS: 'PS256,RS256' })).variable, 'BFF_JWS_ALGS');
    const rs256 = await keysFor([{ use: 'sig', alg: 'RS256' }]);
    assert.equal((await refusal({ BFF_PROFILE: 'fapi2' }, rs256)).variable, 'BFF_KEYS');
  });

  it('refuses an unknown profile', async () => {
    assert.equal((await refusal({ BFF_PROFILE: 'strict' })).variable, 'BFF_PROFILE');
  });

  it('ftn: a full login with a signed request object, encrypted tokens and loa3', () =>
    withStack(
      {
        hostile: true,
        keys: [
          { use: 'sig', alg: 'RS256' },
          { use: 'enc', alg: 'RSA-OAEP' },
        ],
        clientId: 'ftn',
        client: {
          id_token_signed_response_alg: 'RS256',
          id_token_encrypted_response_alg: 'RSA-OAEP',
          id_token_encrypted_response_enc: 'A128CBC-HS256',
          userinfo_signed_response_alg: 'RS256',
          userinfo_encrypted_response_alg: 'RSA-OAEP',
          userinfo_encrypted_response_enc: 'A128CBC-HS256',
        },
        bff: false,
      },
      async ({ op, startBff }) => {
        // oidc-provider's dev login sets no acr: stamp the one the OP would assert.
        op.tamper.idToken = async (c) =>
          op.encryptForBff(await op.signAsOp({ ...c, acr: LOA3 }, { alg: 'PS256' }), { alg: 'RSA-OAEP', enc: 'A128CBC-HS256' });
        const bff = await startBff({ BFF_PROFILE: 'ftn', BFF_LOGIN_PARAMS: 'acr_values' });
        const browser = bff.browser();
        assert.equal((await login(browser)).status, 302);
        assert.equal((await getUser(browser).expect(200)).body.claims.acr, LOA3);
        const pushed = op.requests.find((r) => r.path === '/request');
        assert.ok(pushed?.body.get('request'), 'request object pushed');
        // A login may not ask for a level outside FTN's.
        const res = await bff.browser().agent.get('/bff/login?acr_values=urn:weak').expect(400);
        assert.equal(res.body.error, 'invalid_login_param');
      },
    ));

  it('fapi2: a full login with PAR, PS256 and the RFC 9207 iss check', () =>
    withStack(
      {
        keys: [
          { use: 'sig', alg: 'PS256' },
          { use: 'enc', alg: 'RSA-OAEP-256' },
        ],
        clientId: 'fapi',
        env: { BFF_PROFILE: 'fapi2' },
      },
      async ({ op, bff }) => {
        const browser = bff.browser();
        const start = await browser.agent.get('/bff/login').expect(302);
        assert.ok(new URL(start.headers.location!).searchParams.has('request_uri'));
        const back = await browser.op.signIn(start.headers.location!);
        assert.equal(back.searchParams.get('iss'), op.issuer);
        const callback = await browser.agent.get(back.pathname + back.search);
        assert.equal(callback.status, 302);
        await getUser(browser).expect(200);
        // Sender-constrained: the access token is DPoP-bound.
        const sid = sessionIdOf(sessionCookie(callback)!);
        const data = (await internals(bff.app).context.sessions.load(sid))!;
        assert.equal(data.tokens.tokenType, 'dpop');
      },
    ));

  it("fapi2: refuses an OP that does not promise RFC 9207's iss in authorization responses", () =>
    withStack(
      {
        hostile: true,
        keys: [
          { use: 'sig', alg: 'PS256' },
          { use: 'enc', alg: 'RSA-OAEP-256' },
        ],
        clientId: 'fapi',
        bff: false,
      },
      async ({ op, startBff }) => {
        op.tamper.discovery = (meta) => ({ ...meta, authorization_response_iss_parameter_supported: false });
        const bff = await startBff({ BFF_PROFILE: 'fapi2' });
        const res = await bff.browser().agent.get('/bff/login').expect(503);
        assert.equal(res.body.error, 'op_unavailable');
        assert.match(bff.logs.text, /authorization_response_iss_parameter_supported is not true \(BFF_PROFILE=fapi2 requires RFC 9207\)/);
      },
    ));
});

describe('OP metadata check', () => {
  it('names what the OP lacks; /readyz stays 503 and logins answer 503', () =>
    withStack(
      {
        keys: [
          { use: 'sig', alg: 'PS256' },
          { use: 'enc', alg: 'RSA-OAEP-256' },
        ],
        clientId: 'plain',
        client: {
          id_token_encrypted_response_alg: undefined,
          id_token_encrypted_response_enc: undefined,
          userinfo_signed_response_alg: undefined,
          userinfo_encrypted_response_alg: undefined,
          userinfo_encrypted_response_enc: undefined,
        },
        op: { configuration: { features: { devInteractions: { enabled: true }, pushedAuthorizationRequests: { enabled: false } } } },
        env: { BFF_PAR: 'on' },
      },
      async ({ op, keys, bff }) => {
        const agent = bff.browser().agent;
        await agent.get('/readyz').expect(503);
        assert.equal((await agent.get('/bff/login').expect(503)).body.error, 'op_unavailable');
        const logged = bff.logs.text;
        assert.match(logged, /id_token_encryption_alg_values_supported is not advertised/);
        assert.match(logged, /pushed_authorization_request_endpoint is missing \(BFF_PAR=on\)/);

        // The server process refuses to start, with one line.
        const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
          env: {
            PATH: process.env.PATH,
            ...baseEnv(op, 'plain', keys, { BFF_PAR: 'on', REDIS_URL: undefined, PORT: '0' }),
          },
        });
        let stderr = '';
        child.stderr.on('data', (d) => (stderr += d));
        const code = await new Promise((resolve) => child.on('exit', resolve));
        assert.equal(code, 2);
        assert.match(
          stderr,
          /^sealed-bff: configuration error: the OP does not support this configuration: .*id_token_encryption_alg_values_supported/,
        );
        assert.equal(stderr.trim().split('\n').length, 1);
      },
    ));

  it('names an enc key algorithm the OP cannot encrypt with', () =>
    withStack(
      {
        keys: [
          { use: 'sig', alg: 'PS256' },
          { use: 'enc', alg: 'RSA-OAEP-256' },
        ],
        // The OP can encrypt only with ECDH-ES; the BFF holds an RSA-OAEP-256 key.
        client: { id_token_encrypted_response_alg: 'ECDH-ES', userinfo_encrypted_response_alg: 'ECDH-ES' },
        op: { configuration: { enabledJWA: { idTokenEncryptionAlgValues: ['ECDH-ES'], userinfoEncryptionAlgValues: ['ECDH-ES'] } } },
      },
      async ({ bff }) => {
        await bff.browser().agent.get('/readyz').expect(503);
        assert.match(bff.logs.text, /id_token_encryption_alg_values_supported lacks any of RSA-OAEP-256/);
      },
    ));
});
