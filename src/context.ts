// What every route needs, built once by createApp and passed explicitly.
import type { Config } from './config.js';
import type { Logger } from './logger.js';
import type { OpenIdProvider } from './oidc/provider.js';
import type { Stores } from './session/stores.js';

export interface BffContext {
  config: Config;
  logger: Logger;
  provider: OpenIdProvider;
  stores: Stores;
  cookies: { session: string; login: string };
}
