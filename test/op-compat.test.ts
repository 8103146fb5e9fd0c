// Issue 13: OPs as they are. Each behaviour of an independent OP is mimicked
// with oidc-provider (configured, or wrapped by the hostile proxy), and the
// BFF works with it securely: per-item encryption, settings taken from the
// OP, exact assertion audiences, step-named errors.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { internals } from '../src/context.js';
import { ConfigError, loadConfig } from '../src/config.js';
import {
  getUser,
  postLogoutToken,
  keysFor,
  login,
  signIn,
  spawnBff,
  unreachableOpEnv,
  staticEnv,
  type TestBff,
} from './helpers/harness.js';
import type { HostileOp } from './fixtures/hostile-op.js';
import { withStack } from './helpers/stack.js';

// The registration of an OP that encrypts id_tokens and answers userinfo as plain JSON (Curity's encrypted ID tokens).
const ID_TOKEN_ONLY = {
  userinfo_signed_response_alg: undefined,
  userinfo_encrypted_response_alg: undefined,
  userinfo_encrypted_response_enc: undefined,
};

describe('BFF_REQUIRE_ENCRYPTION per item', () => {
  it('parses true, false and lists; refuses unknown items and authorization_response without JARM', async () => {
    const keys = await keysFor();
    const required = async (value: string | undefined) =>
      (await loadConfig(staticEnv(keys, { BFF_REQUIRE_ENCRYPTION: value }))).jose.requireEncryption;
    assert.deepEqual(await required(undefined), ['id_token', 'userinfo', 'logout_token']);
    assert.deepEqual(await required('true'), ['id_token', 'userinfo', 'logout_token']);
    assert.deepEqual(await required('false'), []);
    assert.deepEqual(await required('id_token'), ['id_token']);
    assert.deepEqual(await required('id_token, logout_token'), ['id_token', 'logout_token']);
    for (const bad of ['id_token,access_token', 'authorization_response']) {
      const err = await loadConfig(staticEnv(keys, { BFF_REQUIRE_ENCRYPTION: bad })).catch((e: unknown) => e);
      assert.ok(err instanceof ConfigError && err.variable === 'BFF_REQUIRE_ENCRYPTION', String(err));
    }
    const sigOnly = await keysFor([{ use: 'sig', alg: 'PS256' }]);
    const err = await loadConfig(staticEnv(sigOnly, { BFF_REQUIRE_ENCRYPTION: 'userinfo' })).catch((e: unknown) => e);
    assert.match(String(err), /BFF_REQUIRE_ENCRYPTION: requires userinfo encrypted, but .* no "use":"enc" key/);
  });

  it('the process names, at start, each item it accepts in plaintext although it holds enc keys', async () => {
    const keys = await keysFor();
    const bff = await spawnBff(
      await unreachableOpEnv({
        BFF_KEYS: JSON.stringify(keys.privateJwks),
        BFF_REQUIRE_ENCRYPTION: 'id_token',
      }),
    );
    assert.equal(await bff.stop(), 0);
    const warnings = bff
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: number; msg: string })
      .filter((l) => l.level === 40 && l.msg.startsWith('BFF_REQUIRE_ENCRYPTION'));
    assert.deepEqual(
      warnings.map((l) => l.msg),
      ['BFF_REQUIRE_ENCRYPTION: userinfo, logout_token accepted in plaintext although this BFF holds "enc" keys'],
    );
  });

  it('an OP that encrypts id_tokens only: BFF_REQUIRE_ENCRYPTION=id_token signs in, with the JSON userinfo', () =>
    withStack({ client: ID_TOKEN_ONLY, env: { BFF_REQUIRE_ENCRYPTION: 'id_token' } }, async ({ bff }) => {
      const browser = bff.browser();
      const res = await login(browser);
      assert.equal(res.status, 302, res.text);
      const user = await getUser(browser).expect(200);
      assert.equal(user.body.claims.email, 'alice@example.com', 'the plaintext userinfo was used');
    }));

  it('the same OP with everything required: the plaintext userinfo is refused', () =>
    withStack({ client: ID_TOKEN_ONLY }, async ({ bff }) => {
      const browser = bff.browser();
      const res = await login(browser);
      assert.equal(res.body.error, 'userinfo_not_encrypted');
      await getUser(browser).expect(401);
    }));

  it('with id_token alone required, a plaintext id_token is still refused (each item on its own)', () =>
    withStack({ hostile: true, client: ID_TOKEN_ONLY, env: { BFF_REQUIRE_ENCRYPTION: 'id_token' } }, async ({ op, bff }) => {
      op.tamper.idToken = (claims) => op.signAsOp(claims);
      const browser = bff.browser();
      const res = await login(browser);
      assert.equal(res.body.error, 'id_token_not_encrypted');
      await getUser(browser).expect(401);
    }));

  it('with userinfo alone required, a plaintext id_token passes and a plaintext userinfo does not', () =>
    withStack({ hostile: true, env: { BFF_REQUIRE_ENCRYPTION: 'userinfo' } }, async ({ op, bff }) => {
      op.tamper.idToken = (claims) => op.signAsOp(claims);
      assert.equal((await login(bff.browser())).status, 302);
      op.tamper.userinfo = (claims) => ({ body: JSON.stringify(claims), contentType: 'application/json' });
      assert.equal((await login(bff.browser())).body.error, 'userinfo_not_encrypted');
    }));

  it('logout tokens are judged on their own: plaintext accepted only when logout_token is off the list', () =>
    withStack({ hostile: true, bff: false }, async ({ op, startBff }) => {
      const logoutToken = () =>
        op.signAsOp(
          {
            iss: op.issuer,
            aud: 'bff',
            iat: Math.floor(Date.now() / 1000),
            jti: `jti-${Math.random()}`,
            sub: 'alice',
            events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
          },
          { typ: 'logout+jwt' },
        );
      const post = async (bff: TestBff) => postLogoutToken(bff, { logout_token: await logoutToken() });
      const strict = await startBff({ BFF_REQUIRE_ENCRYPTION: 'id_token,userinfo,logout_token' });
      assert.equal((await post(strict)).body.error, 'logout_token_not_encrypted');
      const lenient = await startBff({ BFF_REQUIRE_ENCRYPTION: 'id_token,userinfo' });
      assert.equal((await post(lenient)).status, 200);
    }));

  it('the start-time check names the item the OP cannot encrypt, and the setting that fits', () =>
    withStack({ hostile: true, client: ID_TOKEN_ONLY, bff: false }, async ({ op, startBff }) => {
      op.tamper.discovery = (meta) => {
        const { userinfo_encryption_alg_values_supported: _a, userinfo_encryption_enc_values_supported: _e, ...rest } = meta;
        return rest;
      };
      const strict = await startBff();
      await strict.browser().agent.get('/readyz').expect(503);
      assert.match(
        strict.logs.text,
        /userinfo_encryption_alg_values_supported is not advertised: the OP does not say it can encrypt userinfo .*set BFF_REQUIRE_ENCRYPTION=id_token,logout_token/,
      );
      const fitting = await startBff({ BFF_REQUIRE_ENCRYPTION: 'id_token,logout_token' });
      await fitting.browser().agent.get('/readyz').expect(200);
    }));
});

describe('userinfo as a JWT', () => {
  it('asks with Accept: application/jwt alone when userinfo must be encrypted (an OP answers JSON otherwise)', () =>
    withStack({ hostile: true }, async ({ op, bff }) => {
      op.tamper.jsonUserinfoUnlessOnlyJwtAccepted = true;
      const browser = bff.browser();
      const res = await login(browser);
      assert.equal(res.status, 302, res.text);
      assert.equal((await getUser(browser).expect(200)).body.claims.email, 'alice@example.com');
      assert.deepEqual(
        op.requests.filter((r) => r.path === '/me').map((r) => r.accept),
        ['application/jwt'],
      );
    }));

  it('accepts JSON too when userinfo need not be encrypted', () =>
    withStack({ hostile: true, client: ID_TOKEN_ONLY, env: { BFF_REQUIRE_ENCRYPTION: 'id_token' } }, async ({ op, bff }) => {
      assert.equal((await login(bff.browser())).status, 302);
      const accept = op.requests.find((r) => r.path === '/me')?.accept ?? '';
      assert.match(accept, /application\/json/);
    }));
});

describe('request-object encryption taken from the OP', () => {
  it('an OP whose enc key is RSA-OAEP only: the BFF encrypts with RSA-OAEP, and says so at start', () =>
    withStack(
      { hostile: true, op: { encKeyAlg: 'RSA-OAEP' }, env: { BFF_PAR: 'off', BFF_REQUEST_OBJECT: 'encrypted' } },
      async ({ op, bff }) => {
        const discovery = await fetch(`${op.issuer}/.well-known/openid-configuration`).then((r) => r.json());
        assert.deepEqual(discovery.request_object_encryption_alg_values_supported, ['RSA-OAEP'], 'the OP offers nothing else');
        const browser = bff.browser();
        const start = await browser.agent.get('/bff/login').expect(302);
        const request = new URL(start.headers.location!).searchParams.get('request')!;
        assert.equal(decodeProtectedHeader(request).alg, 'RSA-OAEP');
        assert.equal(decodeProtectedHeader(request).enc, 'A128CBC-HS256');
        const back = await browser.op.signIn(start.headers.location!);
        assert.equal((await browser.agent.get(back.pathname + back.search)).status, 302);
        await getUser(browser).expect(200);
        assert.match(bff.logs.text, /request objects are encrypted with RSA-OAEP \+ A128CBC-HS256/);
        assert.match(bff.logs.text, /"alg":"op_key"/);
      },
    ));

  it('a fixed BFF_REQUEST_OBJECT_ALG the OP does not offer stops the start, naming the setting', () =>
    withStack(
      {
        hostile: true,
        op: { encKeyAlg: 'RSA-OAEP' },
        env: { BFF_PAR: 'off', BFF_REQUEST_OBJECT: 'encrypted', BFF_REQUEST_OBJECT_ALG: 'RSA-OAEP-256' },
      },
      async ({ bff }) => {
        await bff.browser().agent.get('/readyz').expect(503);
        assert.match(bff.logs.text, /request_object_encryption_alg_values_supported lacks RSA-OAEP-256 \(BFF_REQUEST_OBJECT_ALG\)/);
      },
    ));
});

/** A counter's value at a BFF, summed over the series with these labels. */
async function counted(bff: TestBff, name: string, labels: Record<string, string>): Promise<number> {
  const { values } = await internals(bff.app).context.metrics.registry.getSingleMetric(name)!.get();
  return values.filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l)).reduce((sum, v) => sum + v.value, 0);
}

describe('BFF_ASSERTION_AUDIENCE=endpoint', () => {
  const STRICT = ['/token', '/request', '/token/revocation'];

  it('an OP that accepts assertions only with aud = the endpoint called: PAR, token and revocation all work', () =>
    withStack({ hostile: true, env: { BFF_PAR: 'on', BFF_ASSERTION_AUDIENCE: 'endpoint' } }, async ({ op, bff }) => {
      op.tamper.exactAssertionAudience = STRICT;
      const { browser } = await signIn(bff);
      const { logoutUrl } = (await getUser(browser).expect(200)).body;
      await browser.agent.get(logoutUrl).expect(302);
      const audiences = op.requests
        .filter((r) => r.body.has('client_assertion'))
        .map((r) => [r.path, decodeJwt(r.body.get('client_assertion')!).aud]);
      assert.deepEqual(audiences, [
        ['/request', `${op.issuer}/request`],
        ['/token', `${op.issuer}/token`],
        ['/token/revocation', `${op.issuer}/token/revocation`],
      ]);
      assert.equal(await counted(bff, 'bff_token_revocations_total', { outcome: 'revoked' }), 1);
      assert.equal(await counted(bff, 'bff_token_revocations_total', { outcome: 'failed' }), 0);
    }));

  it('with the issuer as audience, the same OP refuses PAR: the login fails, naming the step', () =>
    withStack({ hostile: true, env: { BFF_PAR: 'on' } }, async ({ op, bff }) => {
      op.tamper.exactAssertionAudience = STRICT;
      const res = await bff.browser().agent.get('/bff/login');
      assert.equal(res.status, 502);
      assert.equal(res.body.error, 'par_refused');
    }));

  it('a revocation the OP refuses at logout is not fatal, but counted and logged', () =>
    withStack({ hostile: true, env: { BFF_PAR: 'off' } }, async ({ op, bff }) => {
      op.tamper.exactAssertionAudience = ['/token/revocation'];
      const { browser } = await signIn(bff);
      const { logoutUrl } = (await getUser(browser).expect(200)).body;
      await browser.agent.get(logoutUrl).expect(302);
      await getUser(browser).expect(401);
      assert.equal(await counted(bff, 'bff_token_revocations_total', { outcome: 'failed' }), 1);
      assert.equal(await counted(bff, 'bff_token_revocations_total', { outcome: 'revoked' }), 0);
      assert.match(bff.logs.text, /refresh token revocation failed/);
    }));
});

describe('signed userinfo without iss or aud', () => {
  const userinfoWithout = (op: HostileOp, drop: string[], sign: 'op' | 'attacker' = 'op') => {
    op.tamper.userinfo = async (claims) => {
      const kept = Object.fromEntries(Object.entries(claims).filter(([name]) => !drop.includes(name)));
      const jws = sign === 'op' ? await op.signAsOp(kept) : await op.signAsAttacker(kept);
      return { body: await op.encryptForBff(jws), contentType: 'application/jwt' };
    };
  };

  it("is accepted when its signature verifies and its sub is the id_token's", () =>
    withStack({ hostile: true }, async ({ op, bff }) => {
      userinfoWithout(op, ['iss', 'aud']);
      const browser = bff.browser();
      assert.equal((await login(browser)).status, 302);
      assert.equal((await getUser(browser).expect(200)).body.claims.email, 'alice@example.com');
    }));

  it('is still refused with a forged signature, another sub, or a wrong iss/aud present', () =>
    withStack({ hostile: true }, async ({ op, bff }) => {
      userinfoWithout(op, ['iss', 'aud'], 'attacker');
      assert.equal((await login(bff.browser())).body.error, 'userinfo_signature_invalid');
      op.tamper.userinfo = async ({ iss: _i, aud: _a, ...claims }) => ({
        body: await op.encryptForBff(await op.signAsOp({ ...claims, sub: 'mallory' })),
        contentType: 'application/jwt',
      });
      assert.equal((await login(bff.browser())).body.error, 'userinfo_subject_mismatch');
      op.tamper.userinfo = async ({ aud: _a, ...claims }) => ({
        body: await op.encryptForBff(await op.signAsOp({ ...claims, iss: 'https://other-op.example' })),
        contentType: 'application/jwt',
      });
      assert.equal((await login(bff.browser())).body.error, 'userinfo_issuer_mismatch');
      op.tamper.userinfo = async ({ iss: _i, ...claims }) => ({
        body: await op.encryptForBff(await op.signAsOp({ ...claims, aud: 'another-client' })),
        contentType: 'application/jwt',
      });
      assert.equal((await login(bff.browser())).body.error, 'userinfo_audience_mismatch');
    }));

  it('is refused with BFF_USERINFO_ISS_AUD=required, the ftn and fapi2 default', () =>
    withStack({ hostile: true, env: { BFF_USERINFO_ISS_AUD: 'required' } }, async ({ op, bff }) => {
      userinfoWithout(op, ['iss']);
      assert.equal((await login(bff.browser())).body.error, 'userinfo_issuer_mismatch');
      userinfoWithout(op, ['aud']);
      assert.equal((await login(bff.browser())).body.error, 'userinfo_audience_mismatch');
    }));

  it('ftn and fapi2 refuse BFF_USERINFO_ISS_AUD=when_present', async () => {
    const keys = await keysFor();
    for (const profile of ['ftn', 'fapi2']) {
      const base = { BFF_PROFILE: profile, BFF_AUTH_PARAMS: '{"acr_values":"http://ftn.ficora.fi/2017/loa3"}' };
      assert.equal((await loadConfig(staticEnv(keys, base))).userinfoIssAud, 'required');
      const err = await loadConfig(staticEnv(keys, { ...base, BFF_USERINFO_ISS_AUD: 'when_present' })).catch((e: unknown) => e);
      assert.ok(err instanceof ConfigError && err.variable === 'BFF_USERINFO_ISS_AUD', `${profile}: ${String(err)}`);
    }
  });
});

describe('request objects', () => {
  it('carry response_type, scope and client_id in the query too; BFF_REQUEST_OBJECT_QUERY=minimal sends only client_id and request', () =>
    withStack({ hostile: true, env: { BFF_PAR: 'off', BFF_REQUEST_OBJECT: 'signed' } }, async ({ bff, startBff }) => {
      const full = new URL((await bff.browser().agent.get('/bff/login').expect(302)).headers.location!).searchParams;
      assert.deepEqual([...full.keys()].sort(), ['client_id', 'request', 'response_type', 'scope']);
      const minimal = await startBff({ BFF_REQUEST_OBJECT_QUERY: 'minimal' });
      const browser = minimal.browser();
      const start = await browser.agent.get('/bff/login').expect(302);
      assert.deepEqual([...new URL(start.headers.location!).searchParams.keys()].sort(), ['client_id', 'request']);
      const back = await browser.op.signIn(start.headers.location!);
      assert.equal((await browser.agent.get(back.pathname + back.search)).status, 302);
    }));

  it('the start-time check refuses an OP that does not advertise request objects or the signing alg', () =>
    withStack({ hostile: true, bff: false, env: { BFF_REQUEST_OBJECT: 'signed' } }, async ({ op, startBff }) => {
      op.tamper.discovery = ({ request_parameter_supported: _r, request_object_signing_alg_values_supported: _a, ...meta }) => meta;
      const none = await startBff();
      await none.browser().agent.get('/readyz').expect(503);
      assert.match(none.logs.text, /request_parameter_supported is not true.*BFF_REQUEST_OBJECT=signed/);
      assert.match(none.logs.text, /request_object_signing_alg_values_supported lacks PS256/);
      op.tamper.discovery = (meta) => ({ ...meta, request_object_signing_alg_values_supported: ['ES256'] });
      const otherAlg = await startBff();
      await otherAlg.browser().agent.get('/readyz').expect(503);
      assert.match(otherAlg.logs.text, /request_object_signing_alg_values_supported lacks PS256/);
    }));
});

describe('errors that name the step', () => {
  /** The log line of the failed request: its code, the OP's status and error text. */
  const failureLog = (bff: TestBff, code: string) => {
    const line = bff.logs.lines.find((l) => l.includes(`"code":"${code}"`));
    assert.ok(line, `a log line with ${code}: ${bff.logs.text.slice(-2000)}`);
    assert.doesNotMatch(line, /eyJ[\w-]{10,}/, 'no token in the log line');
    return JSON.parse(line) as { error: { opStatus?: number; opError?: string; opErrorDescription?: string } };
  };

  it('a token endpoint that refuses the client with a bare 403 is token_refused, not an id_token problem', () =>
    withStack({ hostile: true, env: { BFF_PAR: 'off' } }, async ({ op, bff }) => {
      for (const status of [403, 401]) {
        op.tamper.refuse = { path: '/token', status };
        const browser = bff.browser();
        const res = await login(browser);
        assert.equal(res.status, 502);
        assert.equal(res.body.error, 'token_refused', `bare ${status}`);
        await getUser(browser).expect(401);
      }
      assert.equal(failureLog(bff, 'token_refused').error.opStatus, 403);
    }));

  it("logs the OP's status, error and error_description; an OAuth error that is not about the client is *_request_failed", () =>
    withStack({ hostile: true, env: { BFF_PAR: 'on' } }, async ({ op, bff }) => {
      const oauthError = (error: string) => JSON.stringify({ error, error_description: `${error}: the OP says why` });
      op.tamper.refuse = { path: '/request', status: 400, body: oauthError('invalid_request'), contentType: 'application/json' };
      assert.equal((await bff.browser().agent.get('/bff/login')).body.error, 'par_request_failed');
      assert.deepEqual(failureLog(bff, 'par_request_failed').error, {
        ...failureLog(bff, 'par_request_failed').error,
        opStatus: 400,
        opError: 'invalid_request',
        opErrorDescription: 'invalid_request: the OP says why',
      });
      op.tamper.refuse = { path: '/request', status: 400, body: oauthError('invalid_client'), contentType: 'application/json' };
      assert.equal((await bff.browser().agent.get('/bff/login')).body.error, 'par_refused');
      op.tamper.refuse = { path: '/token', status: 500, body: '<html>down</html>', contentType: 'text/html' };
      assert.equal((await login(bff.browser())).body.error, 'token_response_invalid');
      op.tamper.refuse = { path: '/me', status: 401 };
      assert.equal((await login(bff.browser())).body.error, 'userinfo_refused');
    }));

  it('a JWKS the OP cannot serve is jwks_*, not a bad signature', () =>
    withStack({ hostile: true, env: { BFF_PAR: 'off' } }, async ({ op, bff }) => {
      op.tamper.refuse = { path: '/jwks', status: 503 };
      const res = await login(bff.browser());
      assert.equal(res.body.error, 'jwks_response_invalid');
      assert.match(bff.logs.text, /the jwks_uri answered HTTP 503/);
    }));

  it('a discovery failure is logged with its step and the OP status; the browser gets op_unavailable', () =>
    withStack({ hostile: true, bff: false }, async ({ op, startBff }) => {
      op.tamper.refuse = { path: '/.well-known/openid-configuration', status: 404 };
      const bff = await startBff();
      assert.equal((await bff.browser().agent.get('/bff/login').expect(503)).body.error, 'op_unavailable');
      assert.equal(failureLog(bff, 'discovery_response_invalid').error.opStatus, 404);
    }));
});
