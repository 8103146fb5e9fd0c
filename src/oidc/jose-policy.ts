// Our JOSE policy for everything the OP sends: id_tokens, userinfo JWTs and
// logout tokens. It runs before openid-client sees a token and decides what
// may be processed at all: size caps before any crypto, allow-listed
// algorithms, no compression, no key material from headers, no plaintext when
// encryption is expected, and decryption with the BFF's own keys, each bound
// to its declared algorithm. Messages never quote the token (its header is
// the OP's text). openid-client then verifies the inner JWS
// (signature against the OP's jwks_uri, iss, aud, exp, nonce …).
import { compactDecrypt } from 'jose';
import type { JoseConfig } from '../config.js';
import { tokenErrorCode, tokenErrorStatus, type JosePolicyProblem, type TokenKind, type TokenProblem } from '../error-codes.js';
import { BffError } from '../errors.js';
import type { DecryptionKey } from '../keys.js';

export type { TokenKind } from '../error-codes.js';

/** A refused token: code `<kind>_<problem>`, e.g. id_token_not_encrypted (src/error-codes.ts lists them). */
export class TokenRefusedError<K extends TokenKind = TokenKind> extends BffError {
  constructor(
    readonly kind: K,
    readonly problem: TokenProblem<K>,
    description: string,
    options?: { cause?: unknown },
  ) {
    super(tokenErrorStatus(kind), tokenErrorCode(kind, problem), description, options);
    this.name = 'TokenRefusedError';
  }
}

/** What openToken needs of the configuration: the claim rules live in token-claims.ts. */
export type TokenPolicy = Omit<JoseConfig, 'trustedAudiences' | 'maxTokenAgeSeconds' | 'clockToleranceSeconds'>;

/** How messages name each token. */
export const TOKEN_LABELS: Record<TokenKind, string> = {
  id_token: 'ID token',
  userinfo: 'userinfo response',
  logout_token: 'logout token',
  authorization_response: 'authorization response (JARM)',
};

const MAX_HEADER_CHARS = 4096;
// Headers that would let a token name its own verification or decryption key.
const KEY_CARRYING_HEADERS = ['jku', 'x5u', 'jwk'];

export interface OpenedToken {
  /** The inner JWS (for a plaintext token, the token itself). */
  jws: string;
  encrypted: boolean;
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
}

/**
 * Applies the policy to a compact JWT/JWE and returns the inner JWS.
 * The JWS signature is NOT verified here: openid-client (or jose, for logout
 * tokens) does that next, with the OP's keys.
 */
export async function openToken(token: string, kind: TokenKind, policy: TokenPolicy, keys: readonly DecryptionKey[]): Promise<OpenedToken> {
  const label = TOKEN_LABELS[kind];
  const refuse = (problem: JosePolicyProblem, what: string, cause?: unknown) =>
    new TokenRefusedError(kind, problem, `The ${label} was refused: ${what}.`, { cause });

  if (Buffer.byteLength(token) > policy.maxTokenBytes) throw refuse('too_large', `it is larger than ${policy.maxTokenBytes} bytes`);
  const parts = token.split('.');
  // A huge header is an attack; a large payload may just be many claims.
  if (parts[0]!.length > MAX_HEADER_CHARS) throw refuse('header_too_large', `its header is longer than ${MAX_HEADER_CHARS} characters`);
  if (parts.length === 5) {
    const header = parseSegment(parts[0]!, refuse);
    checkJweHeader(header, policy, refuse);
    const inner = await decrypt(token, header, keys, policy, refuse);
    if (inner.split('.').length !== 3) throw refuse('not_signed', 'the encrypted content is not a signed JWT');
    return { ...openJws(inner, policy, refuse), encrypted: true };
  }
  if (parts.length === 3) {
    if (policy.requireEncryption.includes(kind))
      throw refuse('not_encrypted', `it is not encrypted, and this BFF requires ${kind} encrypted`);
    return { ...openJws(token, policy, refuse), encrypted: false };
  }
  throw refuse('malformed', 'it is not a compact JWT');
}

type Refuse = (problem: JosePolicyProblem, what: string, cause?: unknown) => TokenRefusedError;

function openJws(jws: string, policy: TokenPolicy, refuse: Refuse): Omit<OpenedToken, 'encrypted'> {
  const [headerPart, payloadPart] = jws.split('.');
  if (headerPart!.length > MAX_HEADER_CHARS) throw refuse('header_too_large', `its header is longer than ${MAX_HEADER_CHARS} characters`);
  const header = parseSegment(headerPart!, refuse);
  if (typeof header.alg !== 'string' || !policy.jwsAlgs.includes(header.alg)) {
    // Covers "none", HS* (an HMAC keyed with the OP's public key) and anything not allow-listed.
    throw refuse('alg_not_allowed', 'its signature algorithm is not allowed');
  }
  for (const name of KEY_CARRYING_HEADERS) {
    if (name in header) throw refuse('header_not_allowed', `it carries a "${name}" header; keys come only from the OP's jwks_uri`);
  }
  const payload = parseSegment(payloadPart!, refuse);
  return { jws, header, payload };
}

function checkJweHeader(header: Record<string, unknown>, policy: TokenPolicy, refuse: Refuse): void {
  if ('zip' in header) throw refuse('compression_not_allowed', 'compressed (zip) content is not accepted');
  if (typeof header.alg !== 'string' || !policy.jweAlgs.includes(header.alg)) {
    throw refuse('encryption_alg_not_allowed', 'its key management algorithm is not allowed');
  }
  if (typeof header.enc !== 'string' || !policy.jweEncs.includes(header.enc)) {
    throw refuse('encryption_enc_not_allowed', 'its content encryption algorithm is not allowed');
  }
  for (const name of KEY_CARRYING_HEADERS) {
    if (name in header) throw refuse('header_not_allowed', `it carries a "${name}" header`);
  }
}

async function decrypt(
  jwe: string,
  header: Record<string, unknown>,
  keys: readonly DecryptionKey[],
  policy: TokenPolicy,
  refuse: Refuse,
): Promise<string> {
  let lastError: unknown;
  for (const candidate of decryptionCandidates(header, keys)) {
    try {
      const { plaintext } = await compactDecrypt(jwe, candidate.key, {
        keyManagementAlgorithms: [header.alg as string],
        contentEncryptionAlgorithms: policy.jweEncs,
      });
      return new TextDecoder('utf-8', { fatal: true }).decode(plaintext);
    } catch (err) {
      lastError = err;
    }
  }
  throw refuse('decryption_failed', 'no key of this BFF decrypts it', lastError);
}

/**
 * Keys to try, in order: the one named by `kid`, else by certificate
 * thumbprint (`x5t#S256`); when neither names a key this BFF holds, every key
 * whose type and declared alg fit (an OP may assign its own kids). AEAD
 * content encryption makes a wrong key fail, never decrypt to garbage.
 */
export function decryptionCandidates(header: Record<string, unknown>, keys: readonly DecryptionKey[]): DecryptionKey[] {
  const alg = header.alg as string;
  const fitting = keys.filter((k) => (k.alg !== undefined ? k.alg === alg : alg.startsWith('ECDH-ES') && k.key.algorithm.name === 'ECDH'));
  const byKid = header.kid === undefined ? [] : fitting.filter((k) => k.kid === header.kid);
  if (byKid.length > 0) return byKid;
  const thumbprint = header['x5t#S256'];
  const byThumbprint = thumbprint === undefined ? [] : fitting.filter((k) => k.x5tS256 === thumbprint);
  if (byThumbprint.length > 0) return byThumbprint;
  return fitting;
}

function parseSegment(segment: string, refuse: Refuse): Record<string, unknown> {
  if (!/^[A-Za-z0-9_-]*$/.test(segment)) {
    throw refuse('malformed', 'a part is not base64url');
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    throw refuse('malformed', 'a part is not base64url-encoded JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw refuse('malformed', 'a part is not a JSON object');
  return value as Record<string, unknown>;
}
