// createApp(config): the whole BFF as an Express app, importable by users'
// own tests (supertest) and by server.ts. No I/O happens until a request
// needs it: OP discovery is lazy and retried, Redis connects in the background.
import express, { type Express } from 'express';
import { checkKeySet, type Config } from './config.js';
import type { BffContext } from './context.js';
import { BffError } from './errors.js';
import { errorHandler } from './http/error-response.js';
import { serveHotPaths } from './http/hot-paths.js';
import { createLogger, type Logger } from './logger.js';
import { BffMetrics } from './metrics.js';
import { requestLog, requestStarter } from './http/request-log.js';
import { securityHeaders, securityHeadersMiddleware } from './http/security-headers.js';
import { metricsRoute } from './routes/metrics.js';
import { KeyStore } from './keys.js';
import { AccessTokens } from './oidc/access-tokens.js';
import { CodeFlow } from './oidc/code-flow.js';
import { Dpop } from './oidc/dpop.js';
import { LogoutTokenVerifier } from './oidc/logout-token.js';
import { apiProxyRoute } from './routes/api-proxy.js';
import { backchannelLogoutRoute } from './routes/backchannel-logout.js';
import { OpenIdProvider } from './oidc/provider.js';
import { jwksRoute } from './routes/jwks.js';
import { callbackRoute } from './routes/callback.js';
import { healthRoute, readyRoute } from './routes/health.js';
import { loginRoute } from './routes/login.js';
import { logoutRoute } from './routes/logout.js';
import { userRoute } from './routes/user.js';
import { cookieNames, createSessionMiddleware } from './session/session.js';
import { SessionReader } from './session/session-reader.js';
import { createStores, type Stores } from './session/stores.js';

export { loadConfig, ConfigError, type Config } from './config.js';
export { BffError } from './errors.js';

export interface CreateAppOptions {
  /** Defaults to a pino logger at config.logLevel, writing to stdout. */
  logger?: Logger;
  /** Static files to serve at / (the SPA); none by default. */
  staticDir?: string;
}

export interface BffApp extends Express {
  bff: {
    context: BffContext;
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
  const logger = options.logger ?? createLogger(config.logLevel);
  const stores: Stores = createStores(config, logger);
  const keys = new KeyStore(config.keys, config.keysFile);
  const provider = new OpenIdProvider(config, keys, logger);
  const metrics = new BffMetrics({ processMetrics: config.metrics.token !== undefined || config.metrics.port !== undefined });
  const dpop = new Dpop(config.dpop);
  const ctx: BffContext = {
    config,
    logger,
    keys,
    provider,
    codeFlow: new CodeFlow(config, keys, dpop, provider.fetch),
    accessTokens: new AccessTokens(config, provider, stores, logger, metrics, dpop),
    dpop,
    logoutTokens: new LogoutTokenVerifier(config, provider, keys, stores.replay),
    stores,
    sessionReader: new SessionReader(config, stores, cookieNames(config).session),
    cookies: cookieNames(config),
    metrics,
  };

  const app = express() as unknown as BffApp;
  app.disable('x-powered-by');
  // An ETag is a hash of every body, for nothing: the JSON answers are per user (no-store) or, for the
  // JWKS, cached for a minute; express.static makes its own for the SPA's files.
  app.set('etag', false);
  if (config.trustProxy !== undefined) app.set('trust proxy', config.trustProxy);
  const headers = securityHeaders(config);
  serveHotPaths(app, [userRoute(ctx), apiProxyRoute(ctx)], { startRequest: requestStarter(logger), securityHeaders: headers, metrics });
  app.use(requestLog(logger));
  app.use(securityHeadersMiddleware(headers));

  app.get('/healthz', healthRoute);
  app.get('/readyz', readyRoute(ctx));
  app.get('/.well-known/jwks.json', jwksRoute(ctx));
  if (config.metrics.token !== undefined) app.get('/metrics', metricsRoute(metrics, config.metrics.token));

  const bff = express.Router();
  bff.use(createSessionMiddleware(config, stores.sessions));
  bff.get('/login', loginRoute(ctx));
  bff.get('/callback', callbackRoute(ctx));
  bff.get('/logout', logoutRoute(ctx));
  bff.post(
    '/backchannel-logout',
    express.urlencoded({ extended: false, limit: config.jose.maxTokenBytes + 1024, parameterLimit: 10 }),
    backchannelLogoutRoute(ctx),
  );
  bff.use((_req, _res, next) => next(new BffError(404, 'not_found', 'There is no such BFF endpoint.')));
  app.use('/bff', bff);

  if (options.staticDir !== undefined) app.use(express.static(options.staticDir, { index: 'index.html' }));
  app.use((_req, _res, next) => next(new BffError(404, 'not_found', 'Not found.')));
  app.use(errorHandler(metrics));

  app.bff = {
    context: ctx,
    reloadKeys: async () => {
      const set = await keys.reload((candidate) => checkKeySet(candidate, config));
      logger.info({ kids: set.publicJwks.keys.map((k) => `${k.use}:${k.kid ?? '-'}`) }, 'keys reloaded');
    },
    ready: () => stores.ready(),
    close: () => stores.close(),
  };
  return app;
}
