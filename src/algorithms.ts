// Every JOSE algorithm the BFF knows, in one place: what its own keys may
// declare, what the settings may enable, the defaults, and the profiles'
// subsets. Every check reads these lists, so an algorithm missing here
// (RSA1_5, dir, PBES2-*, A*KW, none, HS*) cannot be turned on by any setting.

export type KeyType = 'RSA' | 'EC';

// RSA-OAEP key management, for RSA "enc" keys.
const RSA_OAEP_ALGS: readonly string[] = ['RSA-OAEP', 'RSA-OAEP-256', 'RSA-OAEP-384', 'RSA-OAEP-512'];
/** ECDH-ES key agreement, direct or with AES key wrap, for P-256 "enc" keys. */
export const ECDH_ES_ALGS: readonly string[] = ['ECDH-ES', 'ECDH-ES+A128KW', 'ECDH-ES+A192KW', 'ECDH-ES+A256KW'];
// Signatures an RSA "sig" key may make.
const RSA_JWS_ALGS: readonly string[] = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];

/** JWE key management algorithms BFF_JWE_ALGS and BFF_REQUEST_OBJECT_ALG may name. */
export const SUPPORTED_JWE_ALGS: readonly string[] = [...RSA_OAEP_ALGS, ...ECDH_ES_ALGS];
/** Accepted without BFF_JWE_ALGS: RSA-OAEP-384/512 are opt-in. */
export const DEFAULT_JWE_ALGS: readonly string[] = SUPPORTED_JWE_ALGS.filter((alg) => !/^RSA-OAEP-(384|512)$/.test(alg));
/** JWE content encryption algorithms BFF_JWE_ENCS and BFF_REQUEST_OBJECT_ENC may name; all accepted by default. */
export const SUPPORTED_JWE_ENCS: readonly string[] = ['A128GCM', 'A192GCM', 'A256GCM', 'A128CBC-HS256', 'A192CBC-HS384', 'A256CBC-HS512'];
/** Signature algorithms BFF_JWS_ALGS may accept from the OP. */
export const SUPPORTED_JWS_ALGS: readonly string[] = [...RSA_JWS_ALGS, 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
/** Accepted without BFF_JWS_ALGS: the EdDSA names are opt-in. */
export const DEFAULT_JWS_ALGS: readonly string[] = SUPPORTED_JWS_ALGS.filter((alg) => alg !== 'EdDSA' && alg !== 'Ed25519');

/** What the BFF's own private keys may declare, by `use` and key type (EC keys are P-256 only). */
export const KEY_ALGS: Record<'sig' | 'enc', Record<KeyType, readonly string[]>> = {
  sig: { RSA: RSA_JWS_ALGS, EC: ['ES256'] },
  enc: { RSA: RSA_OAEP_ALGS, EC: ECDH_ES_ALGS },
};
/**
 * The alg of a key whose JWK declares none: the common choice for its type.
 * An EC "enc" key without alg stays undefined: it serves every ECDH-ES variant.
 */
export const DEFAULT_KEY_ALGS: Record<'sig' | 'enc', Record<KeyType, string | undefined>> = {
  sig: { RSA: 'RS256', EC: 'ES256' },
  enc: { RSA: 'RSA-OAEP-256', EC: undefined },
};

/** The defaults of BFF_REQUEST_OBJECT_ALG and BFF_REQUEST_OBJECT_ENC (encrypted request objects). */
export const DEFAULT_REQUEST_OBJECT_ALG = 'RSA-OAEP-256';
export const DEFAULT_REQUEST_OBJECT_ENC = 'A128CBC-HS256';

/** DPoP proofs: one algorithm, P-256 keys made per session (README: DPoP). */
export const DPOP_ALG = 'ES256';

/** BFF_PROFILE=ftn: the key management algorithms FTN brokers use. */
export const FTN_JWE_ALGS: readonly string[] = ['RSA-OAEP', 'RSA-OAEP-256'];
/** BFF_PROFILE=fapi2: the signature algorithms FAPI 2.0 allows, for the OP and for the BFF's own keys. */
export const FAPI2_JWS_ALGS: readonly string[] = ['PS256', 'ES256'];

/** The signing keys `npm run keys` can generate. */
export const KEYGEN_SIGNING_ALGS: readonly string[] = ['RS256', 'PS256', 'ES256'];
/** `npm run keys` defaults: a PS256 and an RSA-OAEP-256 key serve both profiles (ftn, fapi2). */
export const KEYGEN_DEFAULT_SIG = 'PS256';
export const KEYGEN_DEFAULT_ENC = 'RSA-OAEP-256';
