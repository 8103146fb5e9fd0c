// One log line per request, with a request id that also goes to the client
// (X-Request-Id) and into every log line about the request. Paths are logged
// without their query: a callback's query holds the authorization code.
// Every request gets it before it is routed (http/endpoints.ts).
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../logger.js';
import { originalPath } from './request-url.js';

const INCOMING_ID = /^[\w.:-]{1,128}$/;

/** A request once startRequest has seen it. */
export interface LoggedRequest extends IncomingMessage {
  id: string;
  log: Logger;
}

/** Gives the request its id and logger, and logs it when it ends (at info). */
export function requestStarter(logger: Logger): (req: IncomingMessage, res: ServerResponse) => LoggedRequest {
  const accessLog = logger.isLevelEnabled('info');
  return (req, res) => {
    const logged = req as LoggedRequest;
    const incoming = req.headers['x-request-id'];
    logged.id = typeof incoming === 'string' && INCOMING_ID.test(incoming) ? incoming : randomUUID();
    // Made eagerly (pino's children are cheap): a lazy getter defined per request would give each
    // request object its own hidden class, which V8 keeps until the next full GC.
    logged.log = logger.child({ requestId: logged.id });
    res.setHeader('X-Request-Id', logged.id);
    if (accessLog) {
      const started = process.hrtime.bigint();
      // 'close', not 'finish': a request the client abandoned gets its line too.
      res.once('close', () => {
        const path = pathOf(req);
        const quiet = path === '/healthz' || path === '/readyz' || path === '/metrics';
        logged.log[quiet ? 'debug' : 'info'](
          { method: req.method, path, status: res.statusCode, durationMs: Number(process.hrtime.bigint() - started) / 1e6 },
          'request',
        );
      });
    }
    return logged;
  };
}

/** The request's full path without its query (routers rewrite req.url, not originalUrl). */
export function pathOf(req: IncomingMessage): string {
  return originalPath(req);
}
