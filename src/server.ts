// Process entry: environment -> config -> app -> listen; graceful shutdown.
// A configuration problem prints one line naming the variable and exits 2.
import { createServer } from 'node:http';
import express from 'express';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createApp } from './app.js';
import { internals } from './context.js';
import { createLogger, stdoutDestination } from './logger.js';
import { OpTrustError } from './federation/op-trust.js';
import { OpMetadataError } from './oidc/metadata-check.js';
import { metricsRoute } from './routes/metrics.js';
import type { Handler } from './http/endpoints.js';
import type { LoggedRequest } from './http/request-log.js';
import { configurationWarnings } from './warnings.js';
import { startTracingSdk } from './tracing-sdk.js';

const SHUTDOWN_GRACE_MS = 10_000;

async function main(): Promise<void> {
  let config: Config;
  try {
    config = await loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`sealed-bff: configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel, stdoutDestination());
  for (const warning of configurationWarnings(config, process.env)) logger.warn(warning);

  const sdk = config.tracing ? await startTracingSdk() : undefined;
  if (sdk && 'problem' in sdk) logger.warn(sdk.problem);
  else if (sdk) logger.info('OpenTelemetry traces on (OTEL_TRACES_EXPORTER)');
  const app = createApp(config, { logger });
  const { context } = internals(app);
  const server = createServer(app);
  // Check the OP's metadata now, so a configuration it cannot serve stops the
  // start with a clear line. An unreachable OP is retried in the background.
  await context.provider.configuration().catch((err: unknown) => {
    const cause = (err as { cause?: unknown }).cause;
    // A wrong pin (BFF_OP_FEDERATION_KEYS) stops the start too; an unreachable OP does not.
    if (cause instanceof OpMetadataError || cause instanceof OpTrustError) {
      const variable = cause instanceof OpTrustError ? 'BFF_OP_FEDERATION_KEYS: ' : '';
      process.stderr.write(`sealed-bff: configuration error: ${variable}${cause.message}\n`);
      process.exit(2);
    }
  });
  // A port in use (or one this user may not bind) is one line, not a stack trace.
  const cannotListen = (port: number) => (err: NodeJS.ErrnoException) => {
    process.stderr.write(
      `sealed-bff: cannot listen on port ${port}: ${err.code === 'EADDRINUSE' ? 'it is in use' : err.message} (${err.code})\n`,
    );
    process.exit(1);
  };
  server.on('error', cannotListen(config.port));
  server.listen(config.port, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    logger.info({ port, publicUrl: config.publicUrl.origin, issuer: config.issuer.href }, 'Sealed BFF listening');
  });

  // /metrics on a port of its own (BFF_METRICS_PORT), for a scraper that cannot hold a token.
  const metricsServer =
    config.metrics.port === undefined
      ? undefined
      : metricsOnlyApp(metricsRoute(context.metrics, undefined))
          .listen(config.metrics.port, () => logger.info({ port: config.metrics.port }, 'metrics listening'))
          .on('error', cannotListen(config.metrics.port));

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => {
      logger.warn('shutdown grace period over; closing remaining connections');
      server.closeAllConnections();
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    metricsServer?.close();
    server.close(() => {
      void Promise.all([app.bff.close(), sdk && 'shutdown' in sdk ? sdk.shutdown().catch(() => {}) : undefined]).finally(() => {
        logger.info('stopped');
        process.exit(0);
      });
    });
    server.closeIdleConnections();
  };
  process.on('SIGHUP', () => {
    app.bff
      .reloadKeys()
      .catch((err: Error) => logger.error({ error: { message: err.message } }, 'key reload refused; the current keys stay in use'));
  });
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

/** GET /metrics and nothing else, without a token: for BFF_METRICS_PORT. */
function metricsOnlyApp(handler: Handler): express.Express {
  return express().get('/metrics', (req, res, next) => void handler(req as unknown as LoggedRequest, res).catch(next));
}

main().catch((err: unknown) => {
  process.stderr.write(`sealed-bff: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
