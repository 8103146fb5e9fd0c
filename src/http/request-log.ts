// One log line per request, with a request id that also goes to the client
// (X-Request-Id) and into every log line about the request. Paths are logged
// without their query: a callback's query holds the authorization code.
import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Logger } from '../logger.js';

const INCOMING_ID = /^[\w.:-]{1,128}$/;

declare module 'express-serve-static-core' {
  interface Request {
    id: string;
    log: Logger;
  }
}

export function requestLog(logger: Logger): RequestHandler {
  const accessLog = logger.isLevelEnabled('info');
  return (req, res, next) => {
    const incoming = req.get('x-request-id');
    req.id = incoming !== undefined && INCOMING_ID.test(incoming) ? incoming : randomUUID();
    // The child logger is made on first use: most requests log nothing but the access line.
    let child: Logger | undefined;
    Object.defineProperty(req, 'log', { get: () => (child ??= logger.child({ requestId: req.id })), configurable: true });
    res.setHeader('X-Request-Id', req.id);
    if (accessLog) {
      const started = process.hrtime.bigint();
      // 'close', not 'finish': a request the client abandoned gets its line too.
      res.once('close', () => {
        const path = pathOf(req);
        const quiet = path === '/healthz' || path === '/readyz' || path === '/metrics';
        req.log[quiet ? 'debug' : 'info'](
          { method: req.method, path, status: res.statusCode, durationMs: Number(process.hrtime.bigint() - started) / 1e6 },
          'request',
        );
      });
    }
    next();
  };
}

/** The request's full path without its query (routers rewrite req.path). */
export function pathOf(req: Request): string {
  const url = req.originalUrl;
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
