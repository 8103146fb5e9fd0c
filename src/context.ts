// What every route needs, built once by createApp and passed explicitly.
import type { Config } from './config.js';
import type { KeyStore } from './keys.js';
import type { Logger } from './logger.js';
import type { BffMetrics } from './metrics.js';
import type { AccessTokens } from './oidc/access-tokens.js';
import type { CodeFlow } from './oidc/code-flow.js';
import type { Dpop } from './oidc/dpop.js';
import type { LogoutTokenVerifier } from './oidc/logout-token.js';
import type { OpenIdProvider } from './oidc/provider.js';
import type { SessionReader } from './session/session-reader.js';
import type { Stores } from './session/stores.js';

export interface BffContext {
  config: Config;
  logger: Logger;
  keys: KeyStore;
  provider: OpenIdProvider;
  codeFlow: CodeFlow;
  accessTokens: AccessTokens;
  dpop: Dpop;
  logoutTokens: LogoutTokenVerifier;
  stores: Stores;
  /** The signed-in session of /bff/user and /bff/api calls, without express-session. */
  sessionReader: SessionReader;
  cookies: { session: string; login: string };
  metrics: BffMetrics;
}
