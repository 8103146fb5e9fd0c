// DPoP (RFC 9449): access tokens bound to a key only this BFF holds, so a
// token that leaks from an API's logs is useless on its own. Each session
// gets its own ES256 key pair at /bff/login; the private JWK lives with the
// login transaction, then with the session's tokens, never in the browser.
// openid-client makes the proofs for the OP (PAR, token, userinfo, refresh,
// nonce retry included); proofs for the proxied API calls are made here,
// because the proxy streams with node:http rather than fetch, and cheaply,
// because every API call needs one.
import { createHash, createPrivateKey, randomUUID, sign, type KeyObject } from 'node:crypto';
import * as jose from 'jose';
import * as oidc from 'openid-client';
import { DPOP_ALG } from '../algorithms.js';
import type { DpopMode } from '../config.js';
import { BffError } from '../errors.js';
import type { DpopPrivateJwk } from '../keys.js';

export type { DpopPrivateJwk };

// Imported keys are cached for the calls that follow each other: the login's PAR and code
// exchange, a session's API calls. Each entry holds native key material (and, for the OP,
// openid-client's handle), so the caches stay small; a miss costs one import.
const MAX_CACHED_KEYS = 1000;
const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;

export async function generateDpopKey(): Promise<DpopPrivateJwk> {
  const { privateKey } = await jose.generateKeyPair(DPOP_ALG, { extractable: true });
  const { kty, crv, x, y, d } = await jose.exportJWK(privateKey);
  return { kty: kty as 'EC', crv: crv as 'P-256', x: x!, y: y!, d: d! };
}

export function publicJwk({ kty, crv, x, y }: DpopPrivateJwk): jose.JWK {
  return { kty, crv, x, y };
}

/** The `dpop_jkt` of RFC 9449 section 10: binds the authorization code to the key. */
export function dpopThumbprint(key: DpopPrivateJwk): Promise<string> {
  return jose.calculateJwkThumbprint(publicJwk(key), 'sha256');
}

/** Whether a token endpoint response carries a DPoP-bound access token. */
export function isDpopTokenType(tokenType: string | undefined): boolean {
  return tokenType?.toLowerCase() === 'dpop';
}

/** RFC 9449 section 9: the resource server wants a (fresh) nonce in the proof. */
export function isNonceChallenge(status: number | undefined, wwwAuthenticate: string | undefined): boolean {
  return (
    status === 401 &&
    wwwAuthenticate !== undefined &&
    /\bDPoP\b/i.test(wwwAuthenticate) &&
    /error\s*=\s*"?use_dpop_nonce\b/i.test(wwwAuthenticate)
  );
}

export class Dpop {
  /** One openid-client handle per key: it remembers the OP's nonce from PAR to code exchange to refresh. */
  private readonly handles = new Map<string, oidc.DPoPHandle>();
  /** The key and encoded proof header for API proofs, per key. */
  private readonly apiSigners = new Map<string, { key: KeyObject; header: string }>();
  /** Latest DPoP-Nonce per API origin (RFC 9449 section 9); the origins are those of BFF_API_ROUTES. */
  private readonly nonces = new Map<string, string>();

  constructor(private readonly mode: DpopMode) {}

  /** Whether logins with this OP get a DPoP key: `on` always, `auto` when the OP takes ES256 proofs. */
  usedWith(configuration: oidc.Configuration): boolean {
    if (this.mode === 'off') return false;
    if (this.mode === 'on') return true;
    return configuration.serverMetadata().dpop_signing_alg_values_supported?.includes(DPOP_ALG) === true;
  }

  /** openid-client's DPoP option for requests to the OP signed with `key` (none without a key). */
  async opOptions(configuration: oidc.Configuration, key: DpopPrivateJwk | undefined): Promise<oidc.DPoPOptions | undefined> {
    if (key === undefined) return undefined;
    const id = keyId(key);
    let handle = this.handles.get(id);
    if (handle === undefined) {
      handle = oidc.getDPoPHandle(configuration, await importKeyPair(key));
      remember(this.handles, id, handle);
    }
    return { DPoP: handle };
  }

  /**
   * The key the OP bound a new access token to, or undefined for a bearer
   * token. With BFF_DPOP=on a bearer token is refused.
   */
  boundKey(tokenType: string, key: DpopPrivateJwk | undefined): DpopPrivateJwk | undefined {
    if (key !== undefined && isDpopTokenType(tokenType)) return key;
    if (this.mode === 'on') {
      throw new BffError(
        502,
        'token_not_dpop_bound',
        'The OpenID Provider issued a bearer token although BFF_DPOP=on requires a DPoP-bound one.',
      );
    }
    return undefined;
  }

  /**
   * The DPoP proof for one API call: `htu` is the target URL without query
   * and fragment, `ath` the access token's hash, a fresh `jti`, and the
   * origin's latest nonce, if it gave one.
   */
  proofForApi(key: DpopPrivateJwk, method: string, url: URL, accessToken: string): string {
    const signer = this.apiSigner(key);
    const nonce = this.nonces.get(url.origin);
    const payload = {
      iat: Math.floor(Date.now() / 1000),
      jti: randomUUID(), // from Node's pool of random bytes: no system call per proof, as randomBytes makes
      htm: method,
      htu: `${url.origin}${url.pathname}`,
      ath: createHash('sha256').update(accessToken).digest('base64url'),
      ...(nonce !== undefined ? { nonce } : {}),
    };
    // A compact JWS made with node:crypto's synchronous ES256: this runs on every proxied call,
    // and jose's WebCrypto signing costs four times as much CPU. The API verifies it like any JWS.
    const input = `${signer.header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    const signature = sign('sha256', Buffer.from(input), { key: signer.key, dsaEncoding: 'ieee-p1363' });
    return `${input}.${signature.toString('base64url')}`;
  }

  /** Keeps the nonce an API sent (on any response) for the next proof to its origin. */
  rememberNonce(url: URL, nonce: string | string[] | undefined): void {
    if (typeof nonce === 'string' && /^[\x21\x23-\x5b\x5d-\x7e]{1,256}$/.test(nonce)) this.nonces.set(url.origin, nonce);
  }

  private apiSigner(key: DpopPrivateJwk): { key: KeyObject; header: string } {
    const id = keyId(key);
    let signer = this.apiSigners.get(id);
    if (signer === undefined) {
      const header = { alg: DPOP_ALG, typ: 'dpop+jwt', jwk: publicJwk(key) };
      signer = {
        key: createPrivateKey({ key: { ...key }, format: 'jwk' }),
        header: Buffer.from(JSON.stringify(header)).toString('base64url'),
      };
      remember(this.apiSigners, id, signer);
    }
    return signer;
  }
}

const keyId = (key: DpopPrivateJwk) => `${key.x}.${key.y}`;

/** A bounded cache: the oldest entry goes first. */
function remember<T>(cache: Map<string, T>, id: string, value: T): void {
  if (cache.size >= MAX_CACHED_KEYS) cache.delete(cache.keys().next().value!);
  cache.set(id, value);
}

async function importKeyPair(key: DpopPrivateJwk): Promise<CryptoKeyPair> {
  const [privateKey, publicKey] = await Promise.all([
    crypto.subtle.importKey('jwk', { ...key }, EC_P256, false, ['sign']),
    // openid-client puts the public key in the proof header: it must be extractable.
    crypto.subtle.importKey('jwk', publicJwk(key), EC_P256, true, ['verify']),
  ]);
  return { privateKey, publicKey };
}
