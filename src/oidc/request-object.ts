// Encrypted request objects (JAR, RFC 9101): openid-client signs the request
// object; when BFF_REQUEST_OBJECT=encrypted we then encrypt it to the OP's
// "enc" key from its jwks_uri (as Signicat's message-level encryption expects).
import { CompactEncrypt, importJWK, type JWK } from 'jose';
import type * as oidc from 'openid-client';
import type { Config } from '../config.js';
import { BffError } from '../errors.js';

const JWKS_CACHE_MS = 5 * 60 * 1000;

export class RequestObjectEncrypter {
  private cache: { uri: string; keys: JWK[]; fetchedAt: number } | undefined;

  constructor(
    private readonly config: Config,
    private readonly fetch: oidc.CustomFetch,
  ) {}

  async encrypt(signedRequestObject: string, configuration: oidc.Configuration): Promise<string> {
    const { alg, enc } = this.config.requestObjectEncryption;
    const jwk = await this.opEncryptionKey(configuration, alg);
    let key: Awaited<ReturnType<typeof importJWK>>;
    try {
      key = await importJWK(jwk, alg);
    } catch (err) {
      throw new BffError(502, 'op_jwks_invalid', `The OpenID Provider's "enc" key for ${alg} is not usable.`, { cause: err });
    }
    return new CompactEncrypt(new TextEncoder().encode(signedRequestObject))
      .setProtectedHeader({ alg, enc, cty: 'JWT', typ: 'JWE', ...(jwk.kid ? { kid: jwk.kid } : {}) })
      .encrypt(key);
  }

  private async opEncryptionKey(configuration: oidc.Configuration, alg: string): Promise<JWK> {
    const uri = configuration.serverMetadata().jwks_uri!;
    const fits = (keys: JWK[]) =>
      keys.find(
        (k) =>
          typeof k === 'object' &&
          k !== null &&
          (k.use === undefined || k.use === 'enc') &&
          (k.alg === undefined || k.alg === alg) &&
          k.kty === (alg.startsWith('RSA') ? 'RSA' : 'EC'),
      );
    const fresh = this.cache && this.cache.uri === uri && Date.now() - this.cache.fetchedAt < JWKS_CACHE_MS;
    // An unknown key may mean the OP rotated: refetch once.
    let jwk = fresh ? fits(this.cache!.keys) : undefined;
    if (!jwk) {
      const keys = await this.fetchJwks(uri);
      this.cache = { uri, keys, fetchedAt: Date.now() };
      jwk = fits(keys);
    }
    if (!jwk) throw new BffError(502, 'op_encryption_key_missing', `The OpenID Provider publishes no "enc" key for ${alg}.`);
    return jwk;
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
    if (!response.ok || !Array.isArray(jwks?.keys)) {
      throw new BffError(502, 'op_jwks_invalid', "The OpenID Provider's JWKS could not be read.");
    }
    return jwks.keys as JWK[];
  }
}
