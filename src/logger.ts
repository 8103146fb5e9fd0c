// Structured JSON logs. Redaction is a safety net: the code never hands a
// token, a secret or a claim to the logger in the first place.
import { pino, type Logger } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger };

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'sealed-bff' },
      redact: {
        paths: [
          'req.headers.cookie',
          'req.headers.authorization',
          'req.headers.dpop',
          '*.dpopKey',
          'res.headers["set-cookie"]',
          '*.access_token',
          '*.refresh_token',
          '*.id_token',
          '*.client_secret',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

/**
 * The server process's stdout, written synchronously. pino's default writes
 * asynchronously and flushes what is pending when the process exits; once the
 * reader of stdout has gone (a closed pipe: EPIPE), that flush retries forever
 * and SIGTERM never ends the process. Written synchronously, a broken pipe
 * fails the write at once and pino stops logging to it; there is nothing to
 * flush at exit.
 */
export function stdoutDestination(): pino.DestinationStream {
  return pino.destination({ dest: 1, sync: true });
}

/** A loggable summary of an error: its class, code and message, never a response body. */
export function describe(err: unknown): { name?: string; code?: string; oauthError?: string; message?: string } {
  if (!(err instanceof Error)) return { message: String(err) };
  const cause = (err as { cause?: unknown }).cause;
  // A ResponseBodyError's `error` is a standard OAuth code (invalid_client …): safe and useful to log.
  const oauthError = (err as { error?: unknown }).error;
  return {
    name: err.name,
    code: (err as { code?: string }).code,
    ...(typeof oauthError === 'string' ? { oauthError } : {}),
    message: err.message + (cause instanceof Error ? ` (cause: ${cause.message})` : ''),
  };
}
