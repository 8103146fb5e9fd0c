// Encrypted request objects (JAR, RFC 9101): openid-client signs the request
// object; when BFF_REQUEST_OBJECT=encrypted we then encrypt it to the OP's
// "enc" key from its jwks_uri (as Signicat's message-level encryption expects).
// Unless BFF_REQUEST_OBJECT_ALG/_ENC fix them, alg and enc come from the OP:
// the `alg` its enc key declares (Signicat: "the values for kid and alg are
// specified" in its JWKS) and what its metadata allows.
import { CompactEncrypt, importJWK, type JWK } from 'jose';
import type * as oidc from 'openid-client';
import { DEFAULT_REQUEST_OBJECT_ALG, DEFAULT_REQUEST_OBJECT_ENC, SUPPORTED_JWE_ALGS, SUPPORTED_JWE_ENCS } from '../algorithms.js';
import type { Config } from '../config.js';
import { BffError } from '../errors.js';
import { OpMetadataError } from './metadata-check.js';

const JWKS_CACHE_MS = 5 * 60 * 1000;

/** The JWE algorithms request objects are encrypted with, and where they came from. */
export interface RequestObjectEncryption {
  alg: string;
  enc: string;
  source: { alg: 'setting' | 'op_key' | 'op_metadata'; enc: 'setting' | 'default' | 'op_metadata' };
}

export class RequestObjectEncrypter {
  private cache: { uri: string; keys: JWK[]; fetchedAt: number } | undefined;
  private chosen: RequestObjectEncryption | undefined;

  constructor(
    private readonly config: Config,
    private readonly fetch: oidc.CustomFetch,
  ) {}

  /**
   * Chooses alg and enc (at discovery, so that start says what was chosen).
   * Throws OpMetadataError when nothing the OP offers fits.
   */
  async negotiate(meta: oidc.ServerMetadata): Promise<RequestObjectEncryption> {
    const set = this.config.requestObjectEncryption;
    const algs = listOrUndefined(meta.request_object_encryption_alg_values_supported);
    const encs = listOrUndefined(meta.request_object_encryption_enc_values_supported);
    const opKeys = (await this.jwks(meta.jwks_uri!, false)).filter(isEncryptionKey);
    let alg: string | undefined = set.alg;
    let algSource: RequestObjectEncryption['source']['alg'] = 'setting';
    if (alg === undefined) {
      // The alg the OP's key declares is the one it decrypts with; else the best its metadata allows for its key type.
      const declared = opKeys
        .map((k) => k.alg)
        .find((a) => a !== undefined && SUPPORTED_JWE_ALGS.includes(a) && (!algs || algs.includes(a)));
      const offered = [DEFAULT_REQUEST_OBJECT_ALG, ...(algs ?? [])].filter(
        (a) => SUPPORTED_JWE_ALGS.includes(a) && (!algs || algs.includes(a)) && opKeys.some((k) => fitsAlg(k, a)),
      );
      alg = declared ?? offered[0];
      algSource = declared !== undefined ? 'op_key' : 'op_metadata';
    }
    const problems: string[] = [];
    if (alg === undefined) {
      problems.push(
        'no "enc" key in the jwks_uri fits a request_object_encryption_alg_values_supported this BFF supports (BFF_REQUEST_OBJECT=encrypted)',
      );
    } else if (!algs?.includes(alg)) {
      problems.push(`request_object_encryption_alg_values_supported lacks ${alg} (BFF_REQUEST_OBJECT_ALG)`);
    }
    let enc: string | undefined = set.enc;
    let encSource: RequestObjectEncryption['source']['enc'] = 'setting';
    if (enc === undefined) {
      const fallback = !encs || encs.includes(DEFAULT_REQUEST_OBJECT_ENC);
      enc = fallback ? DEFAULT_REQUEST_OBJECT_ENC : encs.find((e) => SUPPORTED_JWE_ENCS.includes(e));
      encSource = fallback ? 'default' : 'op_metadata';
    }
    if (enc === undefined || (encs && !encs.includes(enc))) {
      problems.push(`request_object_encryption_enc_values_supported lacks ${enc ?? 'any this BFF supports'} (BFF_REQUEST_OBJECT_ENC)`);
    }
    if (problems.length > 0) throw new OpMetadataError(problems);
    this.chosen = { alg: alg!, enc: enc!, source: { alg: algSource, enc: encSource } };
    return this.chosen;
  }

  async encrypt(signedRequestObject: string, configuration: oidc.Configuration): Promise<string> {
    const { alg, enc } = this.chosen ?? (await this.negotiate(configuration.serverMetadata()));
    const jwk = await this.opEncryptionKey(configuration, alg);
    let key: Awaited<ReturnType<typeof importJWK>>;
    try {
      key = await importJWK(jwk, alg);
    } catch (err) {
      throw new BffError(502, 'jwks_response_invalid', `The OpenID Provider's "enc" key for ${alg} is not usable.`, { cause: err });
    }
    return new CompactEncrypt(new TextEncoder().encode(signedRequestObject))
      .setProtectedHeader({ alg, enc, cty: 'JWT', typ: 'JWE', ...(jwk.kid ? { kid: jwk.kid } : {}) })
      .encrypt(key);
  }

  private async opEncryptionKey(configuration: oidc.Configuration, alg: string): Promise<JWK> {
    const uri = configuration.serverMetadata().jwks_uri!;
    const fits = (keys: JWK[]) => keys.find((k) => isEncryptionKey(k) && fitsAlg(k, alg));
    // An unknown key may mean the OP rotated: refetch once.
    let jwk = fits(await this.jwks(uri, false));
    if (!jwk) jwk = fits(await this.jwks(uri, true));
    if (!jwk) throw new BffError(502, 'op_encryption_key_missing', `The OpenID Provider publishes no "enc" key for ${alg}.`);
    return jwk;
  }

  private async jwks(uri: string, refetch: boolean): Promise<JWK[]> {
    const fresh = !refetch && this.cache && this.cache.uri === uri && Date.now() - this.cache.fetchedAt < JWKS_CACHE_MS;
    if (fresh) return this.cache!.keys;
    const keys = await this.fetchJwks(uri);
    this.cache = { uri, keys, fetchedAt: Date.now() };
    return keys;
  }

  private async fetchJwks(uri: string): Promise<JWK[]> {
    const response = await this.fetch(uri, {
      method: 'GET',
      headers: { accept: 'application/json' },
      redirect: 'manual',
      body: undefined,
      signal: AbortSignal.timeout(this.config.opTimeoutSeconds * 1000),
    });
    const jwks = (await response.json().catch(() => undefined)) as { keys?: unknown } | undefined;
    if (!Array.isArray(jwks?.keys)) {
      throw new BffError(502, 'jwks_response_invalid', "The OpenID Provider's JWKS could not be read.");
    }
    return jwks.keys as JWK[];
  }
}

function listOrUndefined(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined;
}

function isEncryptionKey(k: JWK): boolean {
  return typeof k === 'object' && k !== null && (k.use === undefined || k.use === 'enc') && (k.kty === 'RSA' || k.kty === 'EC');
}

function fitsAlg(k: JWK, alg: string): boolean {
  return (k.alg === undefined || k.alg === alg) && k.kty === (alg.startsWith('RSA') ? 'RSA' : 'EC');
}
