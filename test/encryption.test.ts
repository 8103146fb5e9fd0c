// Every key-management / content-encryption pair the BFF supports, against
// oidc-provider encrypting (and signing) id_tokens and userinfo for real.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ClientMetadata } from 'oidc-provider';
import type { KeySpec } from '../src/keygen.js';
import { bffClient, startOp, type TestOp } from './fixtures/op.js';
import { BFF_ORIGIN, baseEnv, getUser, keysFor, login, startBff, type TestKeys } from './helpers/harness.js';

interface Case {
  name: string;
  keys: KeySpec[];
  metadata: Partial<ClientMetadata>;
}

type Alg = NonNullable<ClientMetadata['id_token_encrypted_response_alg']>;
type Enc = NonNullable<ClientMetadata['id_token_encrypted_response_enc']>;
type Sig = NonNullable<ClientMetadata['id_token_signed_response_alg']>;

const encrypted = (alg: Alg, enc: Enc, sig: Sig = 'PS256'): Partial<ClientMetadata> => ({
  id_token_signed_response_alg: sig,
  id_token_encrypted_response_alg: alg,
  id_token_encrypted_response_enc: enc,
  userinfo_signed_response_alg: sig,
  userinfo_encrypted_response_alg: alg,
  userinfo_encrypted_response_enc: enc,
});
const signing: KeySpec = { use: 'sig', alg: 'ES256' };

const CASES: Case[] = [
  {
    name: 'RSA-OAEP + A128GCM, RS256',
    keys: [signing, { use: 'enc', alg: 'RSA-OAEP' }],
    metadata: encrypted('RSA-OAEP', 'A128GCM', 'RS256'),
  },
  {
    name: 'RSA-OAEP-256 + A256GCM, PS256',
    keys: [signing, { use: 'enc', alg: 'RSA-OAEP-256' }],
    metadata: encrypted('RSA-OAEP-256', 'A256GCM'),
  },
  {
    name: 'RSA-OAEP-256 + A128CBC-HS256, ES256',
    keys: [signing, { use: 'enc', alg: 'RSA-OAEP-256' }],
    metadata: encrypted('RSA-OAEP-256', 'A128CBC-HS256', 'ES256'),
  },
  {
    name: 'RSA-OAEP-256 + A192CBC-HS384',
    keys: [signing, { use: 'enc', alg: 'RSA-OAEP-256' }],
    metadata: encrypted('RSA-OAEP-256', 'A192CBC-HS384'),
  },
  { name: 'RSA-OAEP + A256CBC-HS512', keys: [signing, { use: 'enc', alg: 'RSA-OAEP' }], metadata: encrypted('RSA-OAEP', 'A256CBC-HS512') },
  {
    name: 'ECDH-ES (P-256) + A256GCM, ES256',
    keys: [signing, { use: 'enc', alg: 'ECDH-ES' }],
    metadata: encrypted('ECDH-ES', 'A256GCM', 'ES256'),
  },
  { name: 'ECDH-ES (P-256) + A192GCM', keys: [signing, { use: 'enc', alg: 'ECDH-ES' }], metadata: encrypted('ECDH-ES', 'A192GCM') },
  {
    name: 'ECDH-ES+A128KW + A128CBC-HS256',
    keys: [signing, { use: 'enc', alg: 'ECDH-ES+A128KW' }],
    metadata: encrypted('ECDH-ES+A128KW', 'A128CBC-HS256'),
  },
  {
    name: 'ECDH-ES+A192KW + A128GCM',
    keys: [signing, { use: 'enc', alg: 'ECDH-ES+A192KW' }],
    metadata: encrypted('ECDH-ES+A192KW', 'A128GCM'),
  },
  {
    name: 'ECDH-ES+A256KW + A256CBC-HS512',
    keys: [signing, { use: 'enc', alg: 'ECDH-ES+A256KW' }],
    metadata: encrypted('ECDH-ES+A256KW', 'A256CBC-HS512'),
  },
  {
    name: 'RSA and EC enc keys side by side, OP picks the EC one',
    keys: [signing, { use: 'enc', alg: 'RSA-OAEP-256' }, { use: 'enc', alg: 'ECDH-ES+A256KW' }],
    metadata: encrypted('ECDH-ES+A256KW', 'A256GCM'),
  },
  {
    name: 'no encryption at all (plain signed id_token, JSON userinfo)',
    keys: [{ use: 'sig', alg: 'PS256' }],
    metadata: {
      id_token_encrypted_response_alg: undefined,
      id_token_encrypted_response_enc: undefined,
      userinfo_signed_response_alg: undefined,
      userinfo_encrypted_response_alg: undefined,
      userinfo_encrypted_response_enc: undefined,
    },
  },
];

describe('id_token and userinfo encryption algorithms', () => {
  let op: TestOp;
  const keys = new Map<string, TestKeys>();

  before(async () => {
    const clients: ClientMetadata[] = [];
    for (const [index, c] of CASES.entries()) {
      const k = await keysFor(c.keys);
      keys.set(`case-${index}`, k);
      clients.push(bffClient(`case-${index}`, BFF_ORIGIN, k.publicJwks, c.metadata));
    }
    const userinfoOnly = await keysFor([signing, { use: 'enc', alg: 'RSA-OAEP-256' }]);
    keys.set('userinfo-only', userinfoOnly);
    clients.push(
      bffClient('userinfo-only', BFF_ORIGIN, userinfoOnly.publicJwks, {
        id_token_encrypted_response_alg: undefined,
        id_token_encrypted_response_enc: undefined,
      }),
    );
    op = await startOp({ clients });
  });
  after(() => op.close());

  for (const [index, c] of CASES.entries()) {
    it(c.name, async () => {
      const bff = await startBff(baseEnv(op, `case-${index}`, keys.get(`case-${index}`)!));
      try {
        const browser = bff.browser();
        await login(browser).then((res) => assert.equal(res.status, 302, res.text));
        const user = await getUser(browser).expect(200);
        assert.equal(user.body.claims.sub, 'alice');
        assert.equal(user.body.claims.email, 'alice@example.com');
      } finally {
        await bff.close();
      }
    });
  }

  it('really receives encrypted responses: without its enc key the BFF cannot read the id_token', async () => {
    const k = keys.get('case-1')!;
    const withoutEncKey = { ...k, privateJwks: { keys: k.privateJwks.keys.filter((key) => key.use === 'sig') } };
    const bff = await startBff(baseEnv(op, 'case-1', withoutEncKey));
    try {
      const browser = bff.browser();
      const res = await login(browser);
      assert.equal(res.status, 502);
      assert.equal(res.body.error, 'id_token_decryption_failed');
      await getUser(browser).expect(401);
    } finally {
      await bff.close();
    }
  });

  it('really receives encrypted userinfo: an OP encrypting only userinfo is refused without the enc key', async () => {
    const k = keys.get('userinfo-only')!;
    const bff = await startBff(
      baseEnv(op, 'userinfo-only', { ...k, privateJwks: { keys: k.privateJwks.keys.filter((key) => key.use === 'sig') } }),
    );
    try {
      const browser = bff.browser();
      const res = await login(browser);
      assert.equal(res.status, 502);
      assert.equal(res.body.error, 'userinfo_decryption_failed');
      await getUser(browser).expect(401);
    } finally {
      await bff.close();
    }
  });

  it('a key declared RSA-OAEP-256 does not decrypt RSA-OAEP, though the key material would', async () => {
    // The OP encrypts with RSA-OAEP (case-0's registration) to the same RSA key the BFF declares RSA-OAEP-256.
    const k = keys.get('case-0')!;
    const relabelled = {
      ...k,
      privateJwks: { keys: k.privateJwks.keys.map((key) => (key.use === 'enc' ? { ...key, alg: 'RSA-OAEP-256' } : key)) },
    };
    const bff = await startBff(baseEnv(op, 'case-0', relabelled));
    try {
      const res = await login(bff.browser());
      assert.equal(res.status, 502);
      assert.equal(res.body.error, 'id_token_decryption_failed');
    } finally {
      await bff.close();
    }
  });
});
