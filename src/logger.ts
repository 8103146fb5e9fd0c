// Structured JSON logs. Redaction is a safety net: the code never hands a
// token, a secret or a claim to the logger in the first place.
import { pino, type Logger } from 'pino';
import type { LogLevel } from './config.js';
import { opAnswer } from './op-answer.js';

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

/**
 * A loggable summary of an error: its class, code and message, never a response body. When the OP answered
 * with an error: its HTTP status and its own error and error_description (the OP's words; never a token).
 */
export function describe(err: unknown): {
  name?: string;
  code?: string;
  message?: string;
  // Spelled out rather than Partial<OpAnswer>: the public declarations reach logger.d.ts, not op-answer.d.ts.
  opStatus?: number;
  opError?: string;
  opErrorDescription?: string;
} {
  if (!(err instanceof Error)) return { message: String(err) };
  const cause = (err as { cause?: unknown }).cause;
  return {
    name: err.name,
    code: (err as { code?: string }).code,
    ...opAnswer(err),
    message: err.message + (cause instanceof Error ? ` (cause: ${cause.message})` : ''),
  };
}
