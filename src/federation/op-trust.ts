// Trusting the OP through its federation keys (BFF_OP_FEDERATION_KEYS), as
// FTN brokers expect: the OP's Entity Configuration
// (<issuer>/.well-known/openid-federation) must verify with a pinned key at
// first contact, and later with a key the last accepted one listed (the OP
// rolls its federation key). Its metadata.openid_provider replaces plain
// discovery, and its keys come from its signed_jwks_uri, verified with the
// Entity Configuration's keys, never from jwks_uri. Anything else is refused,
// logged and counted, and the last good Entity Configuration and keys stay.
import * as oidc from 'openid-client';
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, importJWK, jwtVerify, type JWK, type JWTPayload } from 'jose';
import type { Config } from '../config.js';
import { BffError } from '../errors.js';
import { describe, type Logger } from '../logger.js';
import type { BffMetrics } from '../metrics.js';
import { sameUrl } from '../urls.js';

const ENTITY_TYP = 'entity-statement+jwt' as const;
const JWKS_TYP = 'jwk-set+jwt' as const;
// OpenID Federation 1.0: an Entity Statement must carry iat and exp; a signed JWKS needs only iss, sub and keys.
const REQUIRED_CLAIMS = { [ENTITY_TYP]: ['sub', 'iat', 'exp'], [JWKS_TYP]: ['sub'] };

/** The OP's Entity Configuration is not signed by a trusted key, or is not a valid one: a wrong pin at start. */
export class OpTrustError extends Error {
  readonly code = 'ERR_BFF_OP_TRUST';
  constructor(message: string) {
    super(message);
    this.name = 'OpTrustError';
  }
}

interface TrustedEntity {
  /** The OP's federation keys, as its Entity Configuration lists them. */
  keys: JWK[];
  thumbprints: Set<string>;
  metadata: oidc.ServerMetadata;
  signedJwksUri: string;
  exp: number;
}

export class OpFederationTrust {
  private trusted: TrustedEntity | undefined;
  /** The last verified signed JWKS: kept in use when a later one is refused. */
  private lastKeys: JWK[] | undefined;
  private readonly entityId: string;

  constructor(
    private readonly config: Config,
    private readonly pins: string[],
    private readonly logger: Logger,
    private readonly metrics: BffMetrics,
  ) {
    // The entity identifier is the issuer as configured; an origin's lone trailing slash is not part of it.
    this.entityId = config.issuer.pathname === '/' ? config.issuer.origin : config.issuer.href;
  }

  /**
   * A drop-in for oidc.discovery: openid-client's Configuration from the
   * verified Entity Configuration, its keys from signed_jwks_uri (which
   * `wrap` verifies when openid-client fetches them).
   */
  readonly discovery: typeof oidc.discovery = async (_issuer, clientId, metadata, clientAuth, options) => {
    const fetch = options?.[oidc.customFetch] ?? (globalThis.fetch as oidc.CustomFetch);
    const entity = await this.refresh(fetch);
    // jwks_uri is where openid-client (and the request-object encrypter, and logout tokens) fetch the OP's keys: the signed JWKS.
    const configuration = new oidc.Configuration({ ...entity.metadata, jwks_uri: entity.signedJwksUri }, clientId, metadata, clientAuth);
    configuration[oidc.customFetch] = fetch;
    configuration.timeout = options?.timeout;
    for (const apply of options?.execute ?? []) apply(configuration);
    return configuration;
  };

  /** The fetch openid-client uses: a request for the signed JWKS answers with its verified keys as a plain JWKS. */
  wrap(inner: oidc.CustomFetch): oidc.CustomFetch {
    return async (url, options) => {
      if (this.trusted === undefined || !sameUrl(url, this.trusted.signedJwksUri)) return inner(url, options);
      const keys = await this.signedJwks(inner, url, options);
      return new Response(JSON.stringify({ keys }), { status: 200, headers: { 'content-type': 'application/json' } });
    };
  }

  /** Fetches and verifies the Entity Configuration; on refusal the last good one stays (and the error is thrown). */
  async refresh(fetch: oidc.CustomFetch): Promise<TrustedEntity> {
    const url = `${this.entityId}/.well-known/openid-federation`;
    const jwt = await fetchText(fetch, url, this.config.opTimeoutSeconds);
    try {
      const entity = await this.verifyEntity(jwt);
      if (this.trusted !== undefined && entity.keys.some((k) => !this.trusted!.keys.some((t) => t.kid === k.kid))) {
        this.logger.info({ kids: entity.keys.map((k) => k.kid) }, "the OP's federation keys changed");
      }
      this.trusted = entity;
      return entity;
    } catch (err) {
      const refusal =
        err instanceof OpTrustError ? err : new OpTrustError(`the Entity Configuration is malformed: ${(err as Error).message}`);
      this.refused('entity_configuration', refusal);
      throw refusal;
    }
  }

  private async verifyEntity(jwt: string): Promise<TrustedEntity> {
    const claims = decodeJwt(jwt);
    const listed = (claims.jwks as { keys?: unknown } | undefined)?.keys;
    if (!Array.isArray(listed) || listed.length === 0) throw new OpTrustError('the Entity Configuration lists no keys (jwks)');
    // First contact: a pinned key. Then: a key the last accepted Entity Configuration listed.
    const trusted = this.trusted?.thumbprints ?? new Set(this.pins);
    const payload = await verifyWith(jwt, ENTITY_TYP, listed as JWK[], trusted, this.config.jose.jwsAlgs, this.entityId);
    const metadata = (payload.metadata as { openid_provider?: unknown } | undefined)?.openid_provider as oidc.ServerMetadata | undefined;
    if (typeof metadata !== 'object' || metadata === null)
      throw new OpTrustError('the Entity Configuration has no metadata.openid_provider');
    if (metadata.issuer !== this.entityId && metadata.issuer !== `${this.entityId}/`) {
      throw new OpTrustError('metadata.openid_provider.issuer is not the entity identifier');
    }
    const signedJwksUri = (metadata as { signed_jwks_uri?: unknown }).signed_jwks_uri;
    if (typeof signedJwksUri !== 'string') throw new OpTrustError('metadata.openid_provider has no signed_jwks_uri');
    const keys = listed as JWK[];
    return {
      keys,
      thumbprints: new Set(await Promise.all(keys.map((k) => calculateJwkThumbprint(k)))),
      metadata,
      signedJwksUri,
      exp: payload.exp!,
    };
  }

  private async signedJwks(inner: oidc.CustomFetch, url: string, options: oidc.CustomFetchOptions): Promise<JWK[]> {
    try {
      // An expired Entity Configuration is fetched again first; so is one that does not list the signed JWKS's key (a roll).
      if (this.trusted!.exp <= Date.now() / 1000) await this.refresh(inner).catch(() => undefined);
      const jwt = await fetchText(inner, url, this.config.opTimeoutSeconds, options.signal);
      const kid = decodeProtectedHeader(jwt).kid;
      if (!this.trusted!.keys.some((k) => k.kid === kid)) await this.refresh(inner).catch(() => undefined);
      const { keys, thumbprints } = this.trusted!;
      const payload = await verifyWith(jwt, JWKS_TYP, keys, thumbprints, this.config.jose.jwsAlgs, this.entityId);
      if (!Array.isArray(payload.keys)) throw new OpTrustError('the signed JWKS has no keys');
      this.lastKeys = payload.keys as JWK[];
    } catch (err) {
      this.refused('signed_jwks', err);
      // The fetch's own step errors (jwks_timeout, jwks_unreachable…) say more than "invalid".
      if (this.lastKeys === undefined && err instanceof BffError) throw err;
      if (this.lastKeys === undefined) {
        throw new BffError(502, 'jwks_response_invalid', "The OpenID Provider's signed JWKS could not be verified.", { cause: err });
      }
    }
    return this.lastKeys;
  }

  private refused(document: 'entity_configuration' | 'signed_jwks', err: unknown): void {
    this.metrics.opFederationRefusals.inc({ document });
    const keptInUse = document === 'entity_configuration' ? this.trusted !== undefined : this.lastKeys !== undefined;
    this.logger.error(
      { document, issuer: this.entityId, error: describe(err), keptInUse },
      `the OP's ${document === 'entity_configuration' ? 'Entity Configuration' : 'signed JWKS'} was refused${keptInUse ? '; the last good one stays in use' : ''}`,
    );
  }
}

/**
 * Verifies a federation JWS: its `typ`, a signing key (by kid) among `keys`
 * whose RFC 7638 thumbprint is trusted, an allowed alg, `iss` (and `sub`) the
 * entity id, and its times.
 */
async function verifyWith(
  jwt: string,
  typ: typeof ENTITY_TYP | typeof JWKS_TYP,
  keys: JWK[],
  trusted: Set<string>,
  algs: string[],
  entityId: string,
): Promise<JWTPayload> {
  const header = decodeProtectedHeader(jwt);
  const jwk = keys.find((k) => k.kid !== undefined && k.kid === header.kid);
  if (jwk === undefined || !trusted.has(await calculateJwkThumbprint(jwk))) {
    throw new OpTrustError(`the ${typ} is not signed by a trusted federation key (kid ${String(header.kid)})`);
  }
  try {
    const key = await importJWK(jwk, header.alg);
    const { payload } = await jwtVerify(jwt, key, { typ, algorithms: algs, issuer: entityId, requiredClaims: REQUIRED_CLAIMS[typ] });
    if (payload.sub !== entityId) throw new OpTrustError(`the ${typ}'s sub is not the entity identifier`);
    return payload;
  } catch (err) {
    if (err instanceof OpTrustError) throw err;
    throw new OpTrustError(`the ${typ} does not verify: ${(err as Error).message}`);
  }
}

async function fetchText(fetch: oidc.CustomFetch, url: string, timeoutSeconds: number, signal?: AbortSignal): Promise<string> {
  const response = await fetch(url, {
    method: 'GET',
    headers: { accept: 'application/entity-statement+jwt, application/jwk-set+jwt' },
    redirect: 'manual',
    body: undefined,
    signal: signal ?? AbortSignal.timeout(timeoutSeconds * 1000),
  });
  // Not a refusal: the OP may be down for a moment (the BFF retries, /readyz says 503).
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
  return (await response.text()).trim();
}
