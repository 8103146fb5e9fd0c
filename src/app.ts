// createApp(config): the whole BFF as one request listener, importable by
// users' own tests (supertest) and by server.ts, and mountable in an Express
// app. No I/O happens until a request needs it: OP discovery is lazy and
// retried, Redis connects in the background (`app.bff.ready()` says when).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import express from 'express';
import { checkKeySet, type Config } from './config.js';
import { registerInternals, type BffContext } from './context.js';
import { BffError } from './errors.js';
import { expressStage, requestListener } from './http/endpoints.js';
import { errorHandler } from './http/error-response.js';
import { requestStarter } from './http/request-log.js';
import { securityHeaders } from './http/security-headers.js';
import { spaFiles } from './http/spa.js';
import { checkFederationKeys } from './config/federation.js';
import { FederationEntity } from './federation/entity.js';
import { OpFederationTrust } from './federation/op-trust.js';
import { createKeyStores } from './key-watch.js';
import { createLogger, type Logger } from './logger.js';
import { BffMetrics } from './metrics.js';
import { AccessTokens } from './oidc/access-tokens.js';
import { CodeFlow } from './oidc/code-flow.js';
import { Dpop } from './oidc/dpop.js';
import { Jarm } from './oidc/jarm.js';
import { LogoutTokenVerifier } from './oidc/logout-token.js';
import { OpenIdProvider } from './oidc/provider.js';
import { routeTable } from './routes/table.js';
import { Sessions } from './session/sessions.js';
import { createStores } from './store/stores.js';
import { Tracing } from './tracing.js';

export { loadConfig, ConfigError, type Config } from './config.js';
export { BffError, type ErrorCode } from './errors.js';
export type { Logger } from './logger.js';

export interface CreateAppOptions {
  /** Defaults to a pino logger at config.logLevel, writing to stdout. */
  logger?: Logger;
  /** Static files to serve at / (the SPA, with index.html for its client-side routes); default BFF_STATIC_DIR, else none. */
  staticDir?: string;
  /** The clock key rollover follows (JWK nbf/exp), in milliseconds; default Date.now. For tests. */
  now?: () => number;
}

/**
 * The BFF: a request listener for `http.createServer` or supertest, and
 * middleware for an Express app (`outer.use('/prefix', app)`).
 */
export interface BffApp {
  (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): void;
  /** Starts an HTTP server for the app, as Express's `app.listen` does. */
  listen: Server['listen'];
  bff: {
    /**
     * Re-reads BFF_KEYS_FILE (server.ts calls it on SIGHUP). Sessions and
     * requests in flight are unaffected; an unusable key set is refused and
     * the current keys stay.
     */
    reloadKeys(): Promise<void>;
    /** Resolves once the session store is connected: a request sent before may get 503. */
    ready(): Promise<void>;
    /** Closes the session store connection. Call after the HTTP server has closed. */
    close(): Promise<void>;
  };
}

export function createApp(config: Config, options: CreateAppOptions = {}): BffApp {
  const context = createContext(config, options.logger ?? createLogger(config.logLevel), options.now);
  const { logger, keys, federationKeys, stores, metrics, keyWatch } = context;
  const table = routeTable(context);

  const expressApp = express();
  expressApp.disable('x-powered-by');
  // An ETag is a hash of every body, for nothing: the JSON answers are per user (no-store) or, for the
  // JWKS, cached for a minute; express.static makes its own for the SPA's files.
  expressApp.set('etag', false);
  if (config.trustProxy !== undefined) expressApp.set('trust proxy', config.trustProxy);
  expressApp.use(expressStage(table));
  const staticDir = options.staticDir ?? config.staticDir;
  if (staticDir !== undefined) expressApp.use(spaFiles(staticDir));
  expressApp.use((_req, _res, next) => next(new BffError(404, 'not_found', 'Not found.')));
  expressApp.use(errorHandler(metrics));

  const listener = requestListener({
    table,
    express: expressApp,
    startRequest: requestStarter(logger),
    securityHeaders: securityHeaders(config),
    metrics,
    tracing: context.tracing,
  });
  const app: BffApp = Object.assign(listener, {
    listen: ((...args: unknown[]) => createServer(listener).listen(...(args as []))) as Server['listen'],
    bff: {
      reloadKeys: async () => {
        // Inline BFF_KEYS cannot be reloaded (reload says so), unless there is a federation key file to reload instead.
        if (keys.file !== undefined || federationKeys?.file === undefined) {
          const set = await keys.reload((candidate) => checkKeySet(candidate, config, keys.nowSeconds()));
          logger.info({ kids: set.publicJwks.keys.map((k) => `${k.use}:${k.kid ?? '-'}`) }, 'keys reloaded');
        }
        if (federationKeys?.file !== undefined) {
          const federationSet = await federationKeys.reload((candidate) =>
            checkFederationKeys(candidate, keys.all, undefined, keys.nowSeconds()),
          );
          logger.info({ kids: federationSet.publicJwks.keys.map((k) => k.kid) }, 'federation keys reloaded');
        }
        keyWatch.check();
      },
      ready: () => stores.ready(),
      close: () => {
        keyWatch.stop();
        return stores.close();
      },
    },
  });
  registerInternals(app, { context, endpoints: table });
  return app;
}

/** The services every endpoint uses, built once. */
function createContext(config: Config, logger: Logger, now: (() => number) | undefined): BffContext {
  const tracing = config.tracing ? new Tracing() : undefined;
  const stores = createStores(config, logger, tracing);
  const metrics = new BffMetrics({ processMetrics: config.metrics.token !== undefined || config.metrics.port !== undefined });
  const { keys, federationKeys, keyWatch } = createKeyStores(config, logger, metrics, now);
  const { federation } = config;
  const trust = config.opFederation && new OpFederationTrust(config, config.opFederation.thumbprints, logger, metrics);
  const provider = new OpenIdProvider(config, keys, logger, { trust, tracing });
  const dpop = new Dpop(config.dpop);
  const sessions = new Sessions(config, stores);
  return {
    config,
    logger,
    keys,
    federationKeys,
    federation: federation && federationKeys && new FederationEntity(config, federation, keys, federationKeys),
    keyWatch,
    provider,
    codeFlow: new CodeFlow(config, keys, dpop, provider.requestObjects),
    accessTokens: new AccessTokens(config, provider, sessions, stores.locks, logger, metrics, dpop),
    dpop,
    jarm: new Jarm(config, keys, provider.fetch, provider.opKeys),
    logoutTokens: new LogoutTokenVerifier(config, provider, keys, stores.replay),
    stores,
    sessions,
    metrics,
    tracing,
  };
}
