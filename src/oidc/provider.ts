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
import { createOpFetch, type OpEndpoints } from './op-fetch.js';

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

  constructor(
    private readonly config: Config,
    readonly keys: KeyStore,
    private readonly logger: Logger,
    /** BFF_OP_FEDERATION_KEYS: metadata and keys from the OP's verified Entity Configuration instead of discovery. */
    private readonly trust?: OpFederationTrust,
  ) {
    const opFetch = createOpFetch(config, keys, () => this.endpoints);
    this.fetch = trust?.wrap(opFetch) ?? opFetch;
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

  get ready(): boolean {
    return this.current !== undefined;
  }

  private async discover(): Promise<oidc.Configuration> {
    const { config } = this;
    const discovery = this.trust?.discovery ?? oidc.discovery;
    try {
      const configuration = await discovery(
        config.issuer,
        config.clientId,
        { client_id: config.clientId },
        clientAuthentication(config, this.keys),
        {
          timeout: config.opTimeoutSeconds,
          [oidc.customFetch]: this.fetch,
          execute: config.allowHttp ? [oidc.allowInsecureRequests] : [],
        },
      );
      const meta = configuration.serverMetadata();
      const problems = metadataProblems(meta, config, this.keys.current);
      if (problems.length > 0) throw new OpMetadataError(problems);
      // Always verify the OP's signature, also on id_tokens from the token
      // endpoint, where openid-client would otherwise trust TLS alone.
      oidc.enableNonRepudiationChecks(configuration);
      this.endpoints = { userinfo: meta.userinfo_endpoint, issuer: meta.issuer, clientId: config.clientId };
      this.current = configuration;
      this.failures = 0;
      this.logger.info({ issuer: config.issuer.href }, 'OP discovery complete');
      return configuration;
    } catch (err) {
      this.failures++;
      this.lastError = err;
      const delay = Math.min(RETRY_MIN_MS * 2 ** (this.failures - 1), RETRY_MAX_MS);
      this.retryAt = Date.now() + delay;
      const log = { issuer: config.issuer.href, error: describe(err), retryInMs: delay };
      if (err instanceof OpMetadataError) this.logger.error(log, 'OP metadata does not fit the configuration');
      else if (err instanceof OpTrustError) this.logger.error(log, "the OP's Entity Configuration was refused");
      else this.logger.warn(log, 'OP discovery failed');
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
        const options: oidc.ModifyAssertionOptions | undefined =
          config.assertionAudience === 'token_endpoint'
            ? { [oidc.modifyAssertion]: (_header, payload) => void (payload.aud = as.token_endpoint) }
            : undefined;
        return oidc.PrivateKeyJwt({ key: key.key, kid: key.kid }, options)(as, client, body, headers);
      };
    case 'client_secret_basic':
      return oidc.ClientSecretBasic(config.clientSecret);
    case 'client_secret_post':
      return oidc.ClientSecretPost(config.clientSecret);
  }
}

function opUnavailable(cause?: unknown): BffError {
  return new BffError(503, 'op_unavailable', 'The OpenID Provider cannot be reached; try again shortly.', { cause });
}
