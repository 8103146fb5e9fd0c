// The OpenID Provider as the BFF sees it: openid-client's Configuration,
// discovered lazily and retried with backoff, so the BFF starts (and /readyz
// says 503) while the OP is unreachable instead of crash-looping.
import * as oidc from 'openid-client';
import type { Config } from '../config.js';
import { OpTrustError, type OpFederationTrust } from '../federation/op-trust.js';
import { describe, type Logger } from '../logger.js';
import { BffError } from '../errors.js';
import type { KeyStore } from '../keys.js';
import { metadataProblems, OpMetadataError } from './metadata-check.js';
import { createOpFetch, opEndpoints, type OpEndpoints } from './op-fetch.js';
import { OpKeys } from './op-keys.js';
import { toBffError } from './errors.js';
import { jarmResponseMode } from './jarm.js';
import { RequestObjectEncrypter } from './request-object.js';
import type { Tracing } from '../tracing.js';

/** What the provider may be given besides the configuration. */
export interface OpenIdProviderOptions {
  /** BFF_OP_FEDERATION_KEYS: metadata and keys from the OP's verified Entity Configuration instead of discovery. */
  trust?: OpFederationTrust | undefined;
  tracing?: Tracing | undefined;
}

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 30_000;

export class OpenIdProvider {
  private current: oidc.Configuration | undefined;
  private pending: Promise<oidc.Configuration> | undefined;
  private failures = 0;
  private retryAt = 0;
  private lastError: unknown;
  private endpoints: OpEndpoints | undefined;
  /** The fetch openid-client uses for every OP request (size caps, JOSE policy). */
  readonly fetch: oidc.CustomFetch;
  /** The OP's published keys: verify its signatures, and request objects are encrypted to them. */
  readonly opKeys: OpKeys;
  /** Encrypts request objects to the OP (BFF_REQUEST_OBJECT=encrypted), with the alg/enc chosen at discovery. */
  readonly requestObjects: RequestObjectEncrypter;

  constructor(
    private readonly config: Config,
    readonly keys: KeyStore,
    private readonly logger: Logger,
    private readonly options: OpenIdProviderOptions = {},
  ) {
    const opFetch = createOpFetch(
      config,
      keys,
      () => this.endpoints,
      () => this.opKeys,
    );
    // With BFF_OP_FEDERATION_KEYS, the signed JWKS is verified (and handed on as a plain one) on its way in.
    const trusted = options.trust?.wrap(opFetch) ?? opFetch;
    this.fetch = options.tracing ? options.tracing.opFetch(trusted) : trusted;
    this.opKeys = new OpKeys(this.fetch, config.opTimeoutSeconds * 1000);
    this.requestObjects = new RequestObjectEncrypter(config, this.opKeys);
  }

  /** The OP's configuration; throws BffError(503 op_unavailable) while discovery fails. */
  async configuration(): Promise<oidc.Configuration> {
    if (this.current) return this.current;
    if (!this.pending) {
      if (Date.now() < this.retryAt) throw opUnavailable(this.lastError);
      this.pending = this.discover().finally(() => (this.pending = undefined));
    }
    return this.pending;
  }

  /** The request-object encryption the OP allows; what does not fit is added to `problems`. */
  private async negotiateRequestObjects(meta: oidc.ServerMetadata, problems: string[]) {
    try {
      return await this.requestObjects.negotiate(meta);
    } catch (err) {
      if (!(err instanceof OpMetadataError)) throw err;
      problems.push(...err.problems);
      return undefined;
    }
  }

  get ready(): boolean {
    return this.current !== undefined;
  }

  private async discover(): Promise<oidc.Configuration> {
    const { config } = this;
    const discovery = this.options.trust?.discovery ?? oidc.discovery;
    try {
      const configuration = await discovery(
        config.issuer,
        config.clientId,
        { client_id: config.clientId, [oidc.clockTolerance]: config.jose.clockToleranceSeconds },
        clientAuthentication(config, this.keys),
        {
          timeout: config.opTimeoutSeconds,
          [oidc.customFetch]: this.fetch,
          execute: config.allowHttp ? [oidc.allowInsecureRequests] : [],
        },
      );
      const meta = configuration.serverMetadata();
      // Known from here, so that every later request (the JWKS just below too) is named by its step.
      this.endpoints = opEndpoints(meta, config.clientId);
      // The OP's signatures are verified by opKeys (op-fetch.ts), on every
      // id_token and userinfo JWT, also where openid-client would trust TLS alone.
      if (meta.jwks_uri !== undefined) this.opKeys.use(meta.jwks_uri);
      const problems = metadataProblems(meta, config, this.keys.current);
      // Every problem at once (sealed-bff check prints them all): the request-object choice's too.
      const chosen = config.requestObject === 'encrypted' && meta.jwks_uri ? await this.negotiateRequestObjects(meta, problems) : undefined;
      if (problems.length > 0) throw new OpMetadataError(problems);
      if (chosen) {
        this.logger.info({ requestObjectEncryption: chosen }, `request objects are encrypted with ${chosen.alg} + ${chosen.enc}`);
      }
      this.current = configuration;
      this.failures = 0;
      const responseMode = jarmResponseMode(config, meta);
      this.logger.info({ issuer: config.issuer.href, ...(responseMode ? { responseMode } : {}) }, 'OP discovery complete');
      return configuration;
    } catch (err) {
      this.failures++;
      this.lastError = err;
      const delay = Math.min(RETRY_MIN_MS * 2 ** (this.failures - 1), RETRY_MAX_MS);
      this.retryAt = Date.now() + delay;
      if (err instanceof OpMetadataError) {
        this.logger.error(
          { issuer: config.issuer.href, error: describe(err), retryInMs: delay },
          'OP metadata does not fit the configuration',
        );
      } else if (err instanceof OpTrustError) {
        this.logger.error(
          { issuer: config.issuer.href, error: describe(err), retryInMs: delay },
          "the OP's Entity Configuration was refused",
        );
      } else {
        const failure = toBffError(err, 'discovery');
        this.logger.warn(
          { issuer: config.issuer.href, code: failure.code, error: describe(failure.cause ?? err), retryInMs: delay },
          'OP discovery failed',
        );
      }
      throw opUnavailable(err);
    }
  }
}

/**
 * Client authentication that always uses the current signing key, so a key
 * reloaded on SIGHUP signs the next assertion. Each assertion gets a fresh jti.
 */
function clientAuthentication(config: Config, keys: KeyStore): oidc.ClientAuth {
  switch (config.clientAuth) {
    case 'private_key_jwt':
      return (as, client, body, headers) => {
        const key = keys.current.signing[0]!;
        const audience = assertionAudience(config.assertionAudience, as, body);
        const options: oidc.ModifyAssertionOptions | undefined =
          audience === undefined ? undefined : { [oidc.modifyAssertion]: (_header, payload) => void (payload.aud = audience) };
        return oidc.PrivateKeyJwt({ key: key.key, kid: key.kid }, options)(as, client, body, headers);
      };
    case 'client_secret_basic':
      return oidc.ClientSecretBasic(config.clientSecret);
    case 'client_secret_post':
      return oidc.ClientSecretPost(config.clientSecret);
  }
}

/**
 * The `aud` of a client assertion; undefined keeps openid-client's (the issuer).
 * `endpoint`: the exact URL the body is posted to. The BFF authenticates at three
 * endpoints only, and the body says which: a grant (token), a token to revoke
 * (revocation), else authorization parameters (PAR).
 */
function assertionAudience(setting: Config['assertionAudience'], as: oidc.ServerMetadata, body: URLSearchParams): string | undefined {
  if (setting === 'issuer') return undefined;
  if (setting === 'token_endpoint' || body.has('grant_type')) return as.token_endpoint;
  if (body.has('token')) return as.revocation_endpoint;
  return as.pushed_authorization_request_endpoint;
}

function opUnavailable(cause?: unknown): BffError {
  return new BffError(503, 'op_unavailable', 'The OpenID Provider cannot be reached; try again shortly.', { cause });
}
