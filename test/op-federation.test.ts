// Trusting the OP through its federation keys (BFF_OP_FEDERATION_KEYS): the
// OP's metadata comes from its Entity Configuration, verified with a pinned
// key, and its keys from its signed JWKS, with plain discovery switched off;
// the OP may roll its federation key; anything signed by another key is
// refused with no session, and the last good keys stay in use.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { internals } from '../src/context.js';
import { OpFederationTrust, OpTrustError } from '../src/federation/op-trust.js';
import { CompactEncrypt, SignJWT, importJWK } from 'jose';
import { federationKey, type FederatedOp } from './fixtures/federated-op.js';
import { opPrivateKeys } from './fixtures/op.js';
import { freePort, getUser, postLogoutToken, signIn, spawnBff, type TestBff } from './helpers/harness.js';
import { withStack, type Stack } from './helpers/stack.js';

const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
const pin = (op: FederatedOp) => ({ BFF_OP_FEDERATION_KEYS: op.firstKey.thumbprint });
const refusals = async (bff: TestBff, document: string) => {
  const text = await internals(bff.app).context.metrics.registry.getSingleMetricAsString('bff_op_federation_refusals_total');
  return Number(new RegExp(`document="${document}"} (\\d+)`).exec(text)?.[1] ?? 0);
};
/** A login that must fail: the callback's status, and no session. */
async function failedLogin(bff: TestBff): Promise<number> {
  const browser = bff.browser();
  const start = await browser.agent.get('/bff/login');
  if (start.status !== 302) return start.status;
  const back = await browser.op.signIn(start.headers.location!, 'alice');
  const callback = await browser.agent.get(back.pathname + back.search);
  await getUser(browser).expect(401);
  return callback.status;
}

/** The BFF's own trust in the OP, pinned to the OP's first federation key, driven by hand. */
function trustOf(stack: Stack<FederatedOp>): OpFederationTrust {
  const logger = { info: () => {}, error: () => {} };
  return new OpFederationTrust(stack.bff.config, [stack.op.firstKey.thumbprint], logger as never, internals(stack.bff.app).context.metrics);
}

describe('OP trust through its federation keys', () => {
  it('logs in with metadata and keys from the verified Entity Configuration and signed JWKS, never plain discovery', async () => {
    await withStack({ federated: true, env: ({ op }) => pin(op as FederatedOp) }, async (stack) => {
      const { browser } = await signIn(stack.bff);
      const user = await getUser(browser).expect(200);
      assert.equal(user.body.claims.sub, 'alice');
      assert.equal(stack.op.plainRequests, 0, 'neither discovery nor jwks_uri was asked');
      assert.equal(stack.op.federationRequests.entity, 1);
      assert.ok(stack.op.federationRequests.jwks >= 1);
      await stack.bff.browser().agent.get('/readyz').expect(200);
    });
  });

  it('takes the pin as a public JWKS too', async () => {
    await withStack(
      { federated: true, env: ({ op }) => ({ BFF_OP_FEDERATION_KEYS: JSON.stringify({ keys: [(op as FederatedOp).firstKey.public] }) }) },
      async (stack) => {
        await signIn(stack.bff);
      },
    );
  });

  it('refuses an Entity Configuration signed by a key that is not pinned: no session, /readyz 503, logged and counted', async () => {
    await withStack({ federated: true, env: ({ op }) => pin(op as FederatedOp) }, async (stack) => {
      const forger = await federationKey('op-fed-1'); // the pinned kid, another key
      stack.op.federation = { entitySigner: forger, listed: [forger] };
      await stack.bff.browser().agent.get('/readyz').expect(503);
      assert.ok((await failedLogin(stack.bff)) >= 400);
      assert.match(stack.bff.logs.text, /"level":50.*the OP's Entity Configuration was refused/);
      assert.ok((await refusals(stack.bff, 'entity_configuration')) >= 1);
    });
  });

  it('refuses a signed JWKS signed by a key the Entity Configuration does not list: no session', async () => {
    await withStack({ federated: true, env: ({ op }) => pin(op as FederatedOp) }, async (stack) => {
      stack.op.federation.jwksSigner = await federationKey('op-fed-1');
      assert.equal(await failedLogin(stack.bff), 502);
      assert.match(stack.bff.logs.text, /the OP's signed JWKS was refused/);
      assert.ok((await refusals(stack.bff, 'signed_jwks')) >= 1);
    });
  });

  it('refuses an id_token signed by an OP key outside the verified signed JWKS', async () => {
    // The OP signs id_tokens with op-rsa (PS256); its signed JWKS lists only the others.
    await withStack({ federated: true, env: ({ op }) => pin(op as FederatedOp) }, async (stack) => {
      stack.op.federation.opKeys = (keys) => keys.filter((k) => k.kid !== 'op-rsa');
      assert.equal(await failedLogin(stack.bff), 502);
    });
  });

  it('verifies back-channel logout tokens with the keys of the signed JWKS, and only with them', async () => {
    await withStack({ federated: true, env: ({ op }) => pin(op as FederatedOp) }, async (stack) => {
      const opRsa = (await opPrivateKeys()).find((k) => k.kid === 'op-rsa')!;
      const bffEnc = stack.keys.publicJwks.keys.find((k) => k.use === 'enc')!;
      const logoutToken = async () => {
        const now = Math.floor(Date.now() / 1000);
        const claims = {
          iss: stack.op.issuer,
          aud: 'bff',
          iat: now,
          jti: `jti-${now}-${Math.random()}`,
          sub: 'alice',
          events: { [BACKCHANNEL_EVENT]: {} },
        };
        const jws = await new SignJWT(claims)
          .setProtectedHeader({ alg: 'PS256', kid: 'op-rsa', typ: 'logout+jwt' })
          .sign(await importJWK(opRsa, 'PS256'));
        return new CompactEncrypt(new TextEncoder().encode(jws))
          .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT', kid: bffEnc.kid })
          .encrypt(await importJWK(bffEnc, 'RSA-OAEP-256'));
      };
      const post = async (bff: TestBff) => postLogoutToken(bff, { logout_token: await logoutToken() });
      assert.equal((await post(stack.bff)).status, 200);
      assert.equal(stack.op.plainRequests, 0);

      // Another BFF, whose first look at the OP's keys finds op-rsa outside the signed JWKS.
      stack.op.federation.opKeys = (keys) => keys.filter((k) => k.kid !== 'op-rsa');
      const other = await stack.startBff();
      const refused = await post(other);
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error, 'logout_token_signature_invalid');
    });
  });

  it('a running BFF follows the OP rolling its federation key: the signed JWKS names the new key, the new Entity Configuration is signed by the old', async () => {
    await withStack({ federated: true, env: ({ op }) => pin(op as FederatedOp) }, async (stack) => {
      await stack.bff.browser().agent.get('/readyz').expect(200); // the first Entity Configuration is in; no keys fetched yet
      const second = await federationKey('op-fed-2');
      stack.op.federation = { entitySigner: stack.op.firstKey, listed: [stack.op.firstKey, second], jwksSigner: second };
      const { browser } = await signIn(stack.bff);
      await getUser(browser).expect(200);
      assert.equal(stack.op.federationRequests.entity, 2, 'fetched again for the unknown key');
      assert.equal(await refusals(stack.bff, 'entity_configuration'), 0);
    });
  });

  it('a running BFF refuses a roll the last Entity Configuration did not announce: no session', async () => {
    await withStack({ federated: true, env: ({ op }) => pin(op as FederatedOp) }, async (stack) => {
      await stack.bff.browser().agent.get('/readyz').expect(200);
      const stranger = await federationKey('op-fed-2');
      stack.op.federation = { entitySigner: stranger, listed: [stranger] };
      assert.equal(await failedLogin(stack.bff), 502);
      assert.ok((await refusals(stack.bff, 'entity_configuration')) >= 1);
    });
  });

  it('follows the OP rolling its federation key (each Entity Configuration signed by a key the last one listed), and refuses any other', async () => {
    await withStack({ federated: true, env: ({ op }) => pin(op as FederatedOp) }, async (stack) => {
      await signIn(stack.bff);
      const t = trustOf(stack);
      await t.refresh(fetch as never);
      const second = await federationKey('op-fed-2');
      const third = await federationKey('op-fed-3');

      // The old key signs an Entity Configuration that lists both; then the new key alone signs.
      stack.op.federation = { entitySigner: stack.op.firstKey, listed: [stack.op.firstKey, second] };
      await t.refresh(fetch as never);
      stack.op.federation = { entitySigner: second, listed: [second] };
      const rolled = await t.refresh(fetch as never);
      assert.deepEqual(
        rolled.keys.map((k) => k.kid),
        ['op-fed-2'],
      );

      // The first key, no longer listed, is no longer trusted; nor is a key never listed.
      for (const signer of [stack.op.firstKey, third]) {
        stack.op.federation = { entitySigner: signer, listed: [signer] };
        await assert.rejects(t.refresh(fetch as never), OpTrustError);
      }
      // The signed JWKS, now signed with the rolled key, verifies through the wrapped fetch.
      stack.op.federation = { entitySigner: second, listed: [second] };
      const keys = (await (
        await t.wrap(fetch as never)(rolled.signedJwksUri, {
          method: 'GET',
          headers: {},
          redirect: 'manual',
          body: undefined,
          signal: undefined,
        } as never)
      ).json()) as { keys: unknown[] };
      assert.ok(keys.keys.length > 0);
    });
  });

  it('keeps the last good keys when a later signed JWKS is refused', async () => {
    await withStack({ federated: true, env: ({ op }) => pin(op as FederatedOp) }, async (stack) => {
      const t = trustOf(stack);
      const entity = await t.refresh(fetch as never);
      const get = async () =>
        (
          (await (
            await t.wrap(fetch as never)(entity.signedJwksUri, {
              method: 'GET',
              headers: {},
              redirect: 'manual',
              signal: undefined,
            } as never)
          ).json()) as { keys: Array<{ kid: string }> }
        ).keys.map((k) => k.kid);
      const good = await get();
      stack.op.federation.jwksSigner = await federationKey('op-fed-1');
      stack.op.federation.opKeys = () => [];
      assert.deepEqual(await get(), good, 'the forged (empty) set is not taken');
    });
  });
});

describe('a wrong pin at start', () => {
  it('stops the start with one line naming BFF_OP_FEDERATION_KEYS (exit 2)', async () => {
    await withStack({ federated: true, bff: false }, async (stack: Stack<FederatedOp>) => {
      const wrong = await federationKey('other');
      const env = { ...stack.env, BFF_OP_FEDERATION_KEYS: wrong.thumbprint, PORT: String(await freePort()) };
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { env: { PATH: process.env.PATH, ...env } });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      // A BFF that accepted the wrong pin would run on: stop it, and the assertion below fails.
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const code = await new Promise((resolve) => child.once('exit', resolve));
      clearTimeout(timer);
      assert.equal(code, 2);
      assert.equal(stderr.trim().split('\n').length, 1);
      assert.match(
        stderr,
        /^sealed-bff: configuration error: BFF_OP_FEDERATION_KEYS: the entity-statement\+jwt is not signed by a trusted federation key/,
      );
    });
  });

  it('keeps /readyz at 503 when the OP is unreachable at start', async () => {
    await withStack({ federated: true, bff: false }, async (stack: Stack<FederatedOp>) => {
      const env = { ...stack.env, BFF_ISSUER: `http://127.0.0.1:${await freePort()}`, ...pin(stack.op) };
      const bff = await spawnBff(env);
      try {
        const ready = await fetch(`${bff.url}/readyz`);
        assert.equal(ready.status, 503);
      } finally {
        await bff.stop();
      }
    });
  });
});
