// The security headers of every response (helmet, with our CSP). They depend
// only on the configuration, so helmet runs once, at start, and its headers
// are set on each response before it is routed (http/endpoints.ts).
import type { ServerResponse } from 'node:http';
import helmet from 'helmet';
import type { Config } from '../config.js';
import { isHttps } from './cookies.js';

export type HeaderList = ReadonlyArray<readonly [string, string]>;

export function securityHeaders(config: Config): HeaderList {
  const https = isHttps(config);
  const middleware = helmet({
    contentSecurityPolicy: {
      directives: {
        'form-action': ["'self'"],
        'connect-src': ["'self'"],
        // over plain http (local development) upgrading would break every request
        'upgrade-insecure-requests': https ? [] : null,
      },
    },
    strictTransportSecurity: https,
  });
  const headers: Array<[string, string]> = [];
  const recorder = { setHeader: (name: string, value: unknown) => headers.push([name, String(value)]), removeHeader: () => {} };
  let failure: Error | undefined;
  middleware({} as never, recorder as never, (err?: unknown) => (failure = err as Error | undefined));
  if (failure !== undefined) throw failure;
  return headers;
}

export function setHeaders(res: ServerResponse, headers: HeaderList): void {
  for (const [name, value] of headers) res.setHeader(name, value);
}
