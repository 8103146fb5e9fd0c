// The OP's published keys (its jwks_uri): the one cache for every use of
// them. Signatures on id_tokens, userinfo JWTs and logout tokens are checked
// here, and request objects are encrypted to the OP's "enc" key from here.
//
// An unknown key means the OP may have rotated (OIDC Core 10.1.1): the set
// is refetched at once, not after a fixed age (openid-client's own cache
// waits 60 s, which fails every login right after a rotation). A refetch
// storm is still impossible: one refetch is in flight at a time, a key that
// was looked for and missing is not looked for again for KID_BACKOFF_MS, and
// refetches caused by missing keys are at least MISS_INTERVAL_MS apart. The
// back-channel logout endpoint is open to anyone, so its tokens' kids are the
// attacker's choice: these two bounds are what protect the OP.
import { compactVerify, importJWK, type JWK } from 'jose';
import type * as oidc from 'openid-client';
import { BffError } from '../errors.js';
import { isTimeout, opStepError } from './errors.js';
import { TOKEN_LABELS, TokenRefusedError, type OpenedToken, type TokenKind } from './jose-policy.js';

/** A set older than this is refetched on its next use. */
const MAX_AGE_MS = 5 * 60_000;
/** The same missing kid (or, without a kid, alg) triggers at most one refetch in this period. */
const KID_BACKOFF_MS = 60_000;
/** Refetches triggered by any missing keys, together, are at least this far apart. */
export const MISS_INTERVAL_MS = 5_000;
/** Missing kids remembered for the back-off; beyond this the oldest are forgotten. */
const MAX_REMEMBERED_MISSES = 1_000;

type VerificationKey = Awaited<ReturnType<typeof importJWK>>;

/** Why no key could be chosen: none fits, or several fit and the token names none (OIDC Core 10.1). */
export class KeySelectionError extends Error {
  constructor(
    readonly reason: 'no_key' | 'ambiguous',
    options?: { cause?: unknown },
  ) {
    super(reason === 'no_key' ? 'no key of the OP fits' : 'several keys of the OP fit and the token names none (kid)', options);
    this.name = 'KeySelectionError';
  }
}

export class OpKeys {
  private uri: string | undefined;
  private set: { keys: JWK[]; fetchedAt: number } | undefined;
  private inFlight: Promise<JWK[]> | undefined;
  private lastMissRefetch = -Infinity;
  private readonly misses = new Map<string, number>();
  private readonly imported = new WeakMap<JWK, Map<string, Promise<VerificationKey>>>();

  constructor(
    private readonly fetch: oidc.CustomFetch,
    private readonly timeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The OP's jwks_uri, from discovery; a new URI drops the cached set. */
  use(jwksUri: string): void {
    if (jwksUri === this.uri) return;
    this.uri = jwksUri;
    this.set = undefined;
  }

  /**
   * Verifies the signature of an opened token (jose-policy.ts has already
   * allow-listed its alg) with the OP's key it names. Throws TokenRefusedError.
   */
  async verify(opened: OpenedToken, kind: TokenKind): Promise<void> {
    const alg = opened.header.alg as string;
    let key: VerificationKey;
    try {
      key = await this.verificationKey(alg, typeof opened.header.kid === 'string' ? opened.header.kid : undefined);
    } catch (err) {
      if (err instanceof KeySelectionError) throw signatureInvalid(kind, err.message, err);
      throw err;
    }
    try {
      await compactVerify(opened.jws, key, { algorithms: [alg] });
    } catch (err) {
      throw signatureInvalid(kind, "its signature does not verify with the OP's key", err);
    }
  }

  /** The OP's key for a signature with `alg` and `kid`. Throws KeySelectionError, or BffError when the keys cannot be fetched. */
  async verificationKey(alg: string, kid: string | undefined): Promise<VerificationKey> {
    const jwk = await this.find((keys) => signingCandidates(keys, alg, kid), kid ?? `alg:${alg}`);
    return this.importOnce(jwk, alg);
  }

  /** The OP's published keys (its JWKS, cached). */
  published(): Promise<JWK[]> {
    return this.keys();
  }

  /** The set as oauth4webapi's JWKS cache input, for a check it makes itself (JARM): the same keys, no second fetch. */
  snapshot(): { jwks: { keys: JWK[] }; uat: number } | undefined {
    return this.set && { jwks: { keys: this.set.keys }, uat: Math.floor(this.set.fetchedAt / 1000) };
  }

  /** The OP's public key to encrypt to with `alg` (request objects). */
  async encryptionKey(alg: string): Promise<JWK> {
    try {
      return await this.find((keys) => encryptionCandidates(keys, alg).slice(0, 1), `enc:${alg}`);
    } catch (err) {
      if (!(err instanceof KeySelectionError)) throw err;
      throw new BffError(502, 'op_encryption_key_missing', `The OpenID Provider publishes no "enc" key for ${alg}.`, { cause: err });
    }
  }

  private async find(select: (keys: JWK[]) => JWK[], missKey: string): Promise<JWK> {
    let candidates = select(await this.keys());
    if (candidates.length === 0 && this.mayRefetchFor(missKey)) candidates = select(await this.refetch());
    if (candidates.length === 0) throw new KeySelectionError('no_key');
    if (candidates.length > 1) throw new KeySelectionError('ambiguous');
    return candidates[0]!;
  }

  private async keys(): Promise<JWK[]> {
    if (this.set && this.now() - this.set.fetchedAt < MAX_AGE_MS) return this.set.keys;
    return this.refetch();
  }

  /** Whether a key that is missing from the cached set justifies a refetch now. */
  private mayRefetchFor(missKey: string): boolean {
    if (this.inFlight) return true; // join it: costs the OP nothing
    const now = this.now();
    const last = this.misses.get(missKey);
    if (last !== undefined && now - last < KID_BACKOFF_MS) return false;
    if (now - this.lastMissRefetch < MISS_INTERVAL_MS) return false;
    this.lastMissRefetch = now;
    this.misses.delete(missKey);
    this.misses.set(missKey, now);
    if (this.misses.size > MAX_REMEMBERED_MISSES) this.misses.delete(this.misses.keys().next().value!);
    return true;
  }

  private refetch(): Promise<JWK[]> {
    this.inFlight ??= this.download().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async download(): Promise<JWK[]> {
    const uri = this.uri;
    if (uri === undefined) throw opStepError('jwks', 'response_invalid', new Error('the OP publishes no jwks_uri'));
    let response: Response;
    try {
      // The OP fetch (op-fetch.ts) names this step in its errors: jwks_timeout, jwks_unreachable, jwks_refused…
      response = await this.fetch(uri, {
        method: 'GET',
        headers: { accept: 'application/json, application/jwk-set+json' },
        redirect: 'manual',
        body: undefined,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      if (err instanceof BffError) throw err;
      throw opStepError('jwks', isTimeout(err) ? 'timeout' : 'unreachable', err);
    }
    const jwks = (await response.json().catch(() => undefined)) as { keys?: unknown } | undefined;
    if (response.status !== 200 || !Array.isArray(jwks?.keys) || !jwks.keys.every(isObject)) {
      throw opStepError('jwks', 'response_invalid', new Error(`the jwks_uri answered HTTP ${response.status} without a JWK Set`));
    }
    const keys = jwks.keys as JWK[];
    if (uri === this.uri) this.set = { keys, fetchedAt: this.now() };
    return keys;
  }

  private importOnce(jwk: JWK, alg: string): Promise<VerificationKey> {
    let byAlg = this.imported.get(jwk);
    if (!byAlg) this.imported.set(jwk, (byAlg = new Map<string, Promise<VerificationKey>>()));
    let key = byAlg.get(alg);
    if (!key) {
      key = importJWK(jwk, alg).catch((err: unknown) => {
        throw new KeySelectionError('no_key', { cause: err });
      });
      byAlg.set(alg, key);
    }
    return key;
  }
}

function signatureInvalid(kind: TokenKind, what: string, cause: unknown): TokenRefusedError {
  return new TokenRefusedError(kind, 'signature_invalid', `The ${TOKEN_LABELS[kind]} was refused: ${what}.`, { cause });
}

const KTY_BY_ALG_PREFIX: Record<string, string> = { RS: 'RSA', PS: 'RSA', ES: 'EC', Ed: 'OKP' };
const CURVES: Record<string, string> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521', EdDSA: 'Ed25519', Ed25519: 'Ed25519' };

/** The OP's keys that may verify a signature with `alg` (and `kid`), as OIDC Core 10.1 and RFC 7517 define fit. */
export function signingCandidates(keys: JWK[], alg: string, kid: string | undefined): JWK[] {
  const kty = KTY_BY_ALG_PREFIX[alg.slice(0, 2)];
  return keys.filter(
    (jwk) =>
      jwk.kty === kty &&
      (kid === undefined || jwk.kid === kid) &&
      (jwk.alg === undefined || jwk.alg === alg) &&
      (jwk.use === undefined || jwk.use === 'sig') &&
      (jwk.key_ops === undefined || jwk.key_ops.includes('verify')) &&
      (CURVES[alg] === undefined || jwk.crv === CURVES[alg]),
  );
}

/** A key of the OP that may be encrypted to (by `use`; `alg` decides the rest). */
export function isEncryptionKey(jwk: JWK): boolean {
  return isObject(jwk) && (jwk.use === undefined || jwk.use === 'enc') && (jwk.kty === 'RSA' || jwk.kty === 'EC');
}

/** The OP's keys to encrypt to with `alg`. */
export function encryptionCandidates(keys: JWK[], alg: string): JWK[] {
  const kty = alg.startsWith('RSA') ? 'RSA' : 'EC';
  return keys.filter(
    (jwk) =>
      isEncryptionKey(jwk) &&
      jwk.kty === kty &&
      (jwk.alg === undefined || jwk.alg === alg) &&
      (jwk.key_ops === undefined || jwk.key_ops.includes('encrypt') || jwk.key_ops.includes('wrapKey')),
  );
}

function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
