// The hot paths: /bff/user (polled by SPAs) and /bff/api/… (every API call)
// are served on Node's own request and response, before Express sees them.
// Express's per-request setup (swapping the prototypes of req and res, which
// slows Node's HTTP code, and walking the router) costs about as much CPU as
// everything these endpoints do themselves: see the README's benchmarks.
// They get what every Express route gets: security headers, a request id and
// access log, and errors in the same format.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Express } from 'express';
import type { BffMetrics } from '../metrics.js';
import { failRequest } from './error-response.js';
import type { LoggedRequest } from './request-log.js';
import { pathOfUrl } from './request-url.js';
import { setHeaders, type HeaderList } from './security-headers.js';

export type HotHandler = (req: LoggedRequest, res: ServerResponse) => Promise<void>;

export interface HotPath {
  /** Whether this path serves the request; `path` is the request's path without the query. */
  serves(method: string, path: string): boolean;
  handle: HotHandler;
}

export interface HotPathOptions {
  startRequest(req: IncomingMessage, res: ServerResponse): LoggedRequest;
  securityHeaders: HeaderList;
  metrics: BffMetrics;
}

type Handle = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void;

/**
 * Routes the hot paths' requests around Express. Every way into the app
 * (app.listen, http.createServer(app), supertest, mounting in another app)
 * goes through app.handle, so that is where they turn off.
 */
export function serveHotPaths(app: Express, paths: readonly HotPath[], options: HotPathOptions): void {
  const express = app as unknown as { handle: Handle };
  const expressHandle = express.handle;
  express.handle = function handle(this: unknown, req, res, next) {
    // req.url, not originalUrl: mounted in another app, the path is relative to this one.
    const path = pathOfUrl(req.url ?? '/');
    const hot = paths.find((candidate) => candidate.serves(req.method ?? 'GET', path));
    if (hot === undefined) return expressHandle.call(this, req, res, next);
    const logged = options.startRequest(req, res);
    setHeaders(res, options.securityHeaders);
    hot.handle(logged, res).catch((err: unknown) => {
      try {
        failRequest(options.metrics, err, logged, res);
      } catch {
        res.destroy(); // never an unhandled rejection, never a response left open
      }
    });
  };
}
