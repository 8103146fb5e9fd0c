// What every route needs, built once by createApp and passed explicitly.
// Internal: the package's public API is createApp, loadConfig and their types.
import type { Config } from './config.js';
import type { FederationEntity } from './federation/entity.js';
import type { Endpoint } from './http/endpoints.js';
import type { KeyWatch } from './key-watch.js';
import type { KeyStore } from './keys.js';
import type { Logger } from './logger.js';
import type { BffMetrics } from './metrics.js';
import type { AccessTokens } from './oidc/access-tokens.js';
import type { CodeFlow } from './oidc/code-flow.js';
import type { Dpop } from './oidc/dpop.js';
import type { Jarm } from './oidc/jarm.js';
import type { LogoutTokenVerifier } from './oidc/logout-token.js';
import type { OpenIdProvider } from './oidc/provider.js';
import type { Sessions } from './session/sessions.js';
import type { Stores } from './store/stores.js';
import type { Tracing } from './tracing.js';

export interface BffContext {
  config: Config;
  logger: Logger;
  keys: KeyStore;
  /** The federation keys (BFF_FEDERATION_KEYS(_FILE)); undefined without them. */
  federationKeys: KeyStore | undefined;
  /** The Entity Configuration and signed JWKS; undefined without federation keys. */
  federation: FederationEntity | undefined;
  /** Logs key rollovers and warns ahead of an exp without successor. */
  keyWatch: KeyWatch;
  provider: OpenIdProvider;
  codeFlow: CodeFlow;
  accessTokens: AccessTokens;
  dpop: Dpop;
  jarm: Jarm;
  logoutTokens: LogoutTokenVerifier;
  stores: Stores;
  sessions: Sessions;
  metrics: BffMetrics;
  /** undefined unless OTEL_* asks for traces: nothing is wrapped then. */
  tracing: Tracing | undefined;
}

const contexts = new WeakMap<object, { context: BffContext; endpoints: readonly Endpoint[] }>();

export function registerInternals(app: object, internals: { context: BffContext; endpoints: readonly Endpoint[] }): void {
  contexts.set(app, internals);
}

/** The services and route table behind an app made by createApp (server.ts and the tests use them). */
export function internals(app: object): { context: BffContext; endpoints: readonly Endpoint[] } {
  const found = contexts.get(app);
  if (found === undefined) throw new Error('not an app made by createApp');
  return found;
}
