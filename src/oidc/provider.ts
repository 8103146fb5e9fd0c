// The OpenID Provider as the BFF sees it: openid-client's Configuration,
// discovered lazily and retried with backoff, so the BFF starts (and /readyz
// says 503) while the OP is unreachable instead of crash-looping.
import * as oidc from 'openid-client';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { BffError } from '../errors.js';

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 30_000;

export class OpenIdProvider {
  private current: oidc.Configuration | undefined;
  private pending: Promise<oidc.Configuration> | undefined;
  private failures = 0;
  private retryAt = 0;

  constructor(
    private readonly config: Config,
    private readonly logger: Logger,
  ) {}

  /** The OP's configuration; throws BffError(503 op_unavailable) while discovery fails. */
  async configuration(): Promise<oidc.Configuration> {
    if (this.current) return this.current;
    if (!this.pending) {
      if (Date.now() < this.retryAt) throw opUnavailable();
      this.pending = this.discover().finally(() => (this.pending = undefined));
    }
    return this.pending;
  }

  get ready(): boolean {
    return this.current !== undefined;
  }

  private async discover(): Promise<oidc.Configuration> {
    const { config } = this;
    try {
      const configuration = await oidc.discovery(
        config.issuer,
        config.clientId,
        { client_id: config.clientId },
        clientAuthentication(config),
        {
          timeout: config.opTimeoutSeconds,
          execute: config.allowHttp ? [oidc.allowInsecureRequests] : [],
        },
      );
      applyJosePolicy(configuration, config);
      this.current = configuration;
      this.failures = 0;
      this.logger.info({ issuer: config.issuer.href }, 'OP discovery complete');
      return configuration;
    } catch (err) {
      this.failures++;
      const delay = Math.min(RETRY_MIN_MS * 2 ** (this.failures - 1), RETRY_MAX_MS);
      this.retryAt = Date.now() + delay;
      this.logger.warn(
        { issuer: config.issuer.href, err: describe(err), retryInMs: delay },
        'OP discovery failed',
      );
      throw opUnavailable(err);
    }
  }
}

function clientAuthentication(config: Config): oidc.ClientAuth {
  switch (config.clientAuth) {
    case 'private_key_jwt': {
      const key = config.keys.signing[0]!;
      return oidc.PrivateKeyJwt({ key: key.key, kid: key.kid });
    }
    case 'client_secret_basic':
      return oidc.ClientSecretBasic(config.clientSecret);
    case 'client_secret_post':
      return oidc.ClientSecretPost(config.clientSecret);
  }
}

/**
 * Our JOSE policy on top of openid-client: always verify the OP's signature
 * (openid-client skips it for token-endpoint id_tokens unless asked), and
 * decrypt with the BFF's `enc` keys, each bound to its declared algorithm.
 */
function applyJosePolicy(configuration: oidc.Configuration, config: Config): void {
  oidc.enableNonRepudiationChecks(configuration);
  if (config.keys.decryption.length > 0) {
    oidc.enableDecryptingResponses(
      configuration,
      ['A128GCM', 'A192GCM', 'A256GCM', 'A128CBC-HS256', 'A192CBC-HS384', 'A256CBC-HS512'],
      ...config.keys.decryption.map(({ key, alg, kid }) => ({ key, alg, kid })),
    );
  }
}

function opUnavailable(cause?: unknown): BffError {
  return new BffError(503, 'op_unavailable', 'The OpenID Provider cannot be reached; try again shortly.', { cause });
}

/** A loggable summary of an error: its class, code and message, never a response body. */
export function describe(err: unknown): { name?: string; code?: string; message?: string } {
  if (!(err instanceof Error)) return { message: String(err) };
  const cause = (err as { cause?: unknown }).cause;
  return {
    name: err.name,
    code: (err as { code?: string }).code,
    message: err.message + (cause instanceof Error ? ` (cause: ${cause.message})` : ''),
  };
}
