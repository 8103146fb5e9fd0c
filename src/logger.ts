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
