// Generates the BFF's own key set: private JWKS for the BFF, public JWKS for
// the OP registration. Used by `npm run keys`, the demo and the tests.
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { publicPart } from './keys.js';

export interface KeySpec {
  use: 'sig' | 'enc';
  /** e.g. PS256, RS256, ES256 (sig); RSA-OAEP-256, RSA-OAEP, ECDH-ES, ECDH-ES+A128KW (enc). */
  alg: string;
  /** RSA modulus length, default 2048. */
  modulusLength?: number;
  kid?: string;
}

export interface GeneratedKeySet {
  privateJwks: { keys: JWK[] };
  publicJwks: { keys: JWK[] };
}

export async function generateKeySet(specs: KeySpec[]): Promise<GeneratedKeySet> {
  const keys: JWK[] = [];
  for (const spec of specs) {
    const { privateKey } = await generateKeyPair(spec.alg, {
      extractable: true,
      ...(spec.alg.startsWith('ECDH') ? { crv: 'P-256' } : {}),
      ...(spec.modulusLength ? { modulusLength: spec.modulusLength } : {}),
    });
    const jwk = await exportJWK(privateKey);
    keys.push({ ...jwk, kid: spec.kid ?? `${spec.use}-${randomBytes(6).toString('hex')}`, use: spec.use, alg: spec.alg });
  }
  return { privateJwks: { keys }, publicJwks: { keys: keys.map(publicPart) } };
}
