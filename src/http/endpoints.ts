// How a request finds its endpoint. The route table (routes/table.ts) lists
// every endpoint with its method, path and handler; one matching rule serves
// them all: any case, one optional trailing slash, paths relative to where the
// BFF is mounted, read from the request as Express's router reads them
// (request-url.ts: requestPath), as it matches by default.
//
// The BFF is a request listener composed of two stages. Every request gets its
// request id, access log and security headers first. Endpoints marked `fast`
// (/bff/user, polled by SPAs, and /bff/api/…, every API call) are then served
// on Node's own request and response: Express's per-request setup (swapping
// the prototypes of req and res, which slows Node's HTTP code, and walking its
// router) costs about as much CPU as these endpoints' own work (see the
// README's benchmarks). Everything else goes to the Express app: the other
// endpoints (with their body parsers), the SPA's static files, the 404.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Express, RequestHandler } from 'express';
import { BffError } from '../errors.js';
import type { BffMetrics } from '../metrics.js';
import { failRequest } from './error-response.js';
import type { LoggedRequest } from './request-log.js';
import { requestPath } from './request-url.js';
import { setHeaders, type HeaderList } from './security-headers.js';
import type { Tracing } from '../tracing.js';

/** One handler shape for every endpoint: Node's request (with its id and logger) and response. */
export type Handler = (req: LoggedRequest, res: ServerResponse) => Promise<void>;

export interface Endpoint {
  /** GET also serves HEAD; ANY serves every method. */
  method: 'GET' | 'POST' | 'ANY';
  /** Lower case, no trailing slash. */
  path: string;
  /** Also serves every path below `path`. */
  prefix?: boolean;
  /** Served before Express's per-request work (see above). */
  fast?: boolean;
  /** Middleware (body parsers) that runs before the handler; only for endpoints that are not fast. */
  before?: RequestHandler[];
  handle: Handler;
}

export type Next = (err?: unknown) => void;
/** A request listener that also works as (Express or Connect) middleware. */
export type RequestListener = (req: IncomingMessage, res: ServerResponse, next?: Next) => void;

const BFF_PATHS = '/bff';

/** The endpoint that serves a request (its method and requestPath), if any: the one matching rule. */
export function findEndpoint(table: readonly Endpoint[], method: string, requestPath: string): Endpoint | undefined {
  const path = normalizePath(requestPath);
  return table.find(
    (endpoint) =>
      (endpoint.prefix ? path === endpoint.path || path.startsWith(`${endpoint.path}/`) : path === endpoint.path) &&
      (endpoint.method === 'ANY' || endpoint.method === method || (endpoint.method === 'GET' && method === 'HEAD')),
  );
}

function normalizePath(path: string): string {
  const lower = path.toLowerCase();
  return lower.length > 1 && lower.endsWith('/') ? lower.slice(0, -1) : lower;
}

/** Whether a path is the BFF's own (`/bff` and below): never a static file, never the SPA's. */
function isBffPath(requestPath: string): boolean {
  const path = normalizePath(requestPath);
  return path === BFF_PATHS || path.startsWith(`${BFF_PATHS}/`);
}

export interface ListenerOptions {
  table: readonly Endpoint[];
  /** Serves what no fast endpoint does; `expressStage` must be its first handler. */
  express: Express;
  startRequest: (req: IncomingMessage, res: ServerResponse) => LoggedRequest;
  securityHeaders: HeaderList;
  metrics: BffMetrics;
  /** Set when traces are on: every request then runs inside its span. */
  tracing?: Tracing;
}

/** The BFF's request listener: usable with http.createServer, supertest, or mounted as middleware. */
export function requestListener({ table, express, startRequest, securityHeaders, metrics, tracing }: ListenerOptions): RequestListener {
  const serve: RequestListener = (req, res, next) => {
    const logged = startRequest(req, res);
    setHeaders(res, securityHeaders);
    const path = requestPath(req);
    const endpoint = findEndpoint(table, req.method ?? 'GET', path);
    if (endpoint?.fast) return void endpoint.handle(logged, res).catch((err: unknown) => fail(metrics, err, logged, res));
    if (endpoint === undefined && isBffPath(path))
      return fail(metrics, new BffError(404, 'not_found', 'There is no such BFF endpoint.'), logged, res);
    // Express's own types want its request and response; it makes them from Node's here.
    express(req as Parameters<Express>[0], res as Parameters<Express>[1], next as Parameters<Express>[2]);
  };
  if (tracing === undefined) return serve;
  return (req, res, next) => {
    const path = requestPath(req);
    const route = findEndpoint(table, req.method ?? 'GET', path)?.path ?? (isBffPath(path) ? '/bff/*' : '/*');
    tracing.request(req, res, route, path, () => serve(req, res, next));
  };
}

/** The Express stage's first handler: runs the table's endpoints that are not fast. */
export function expressStage(table: readonly Endpoint[]): RequestHandler {
  return (req, res, next) => {
    const endpoint = findEndpoint(table, req.method, requestPath(req));
    if (endpoint === undefined) return next();
    runBefore(endpoint.before ?? [], req, res)
      .then(() => endpoint.handle(req as unknown as LoggedRequest, res))
      .catch(next);
  };
}

async function runBefore(
  middleware: readonly RequestHandler[],
  req: Parameters<RequestHandler>[0],
  res: Parameters<RequestHandler>[1],
): Promise<void> {
  for (const handler of middleware) {
    await new Promise<void>(
      (resolve, reject) =>
        void handler(req, res, (err?: Error | 'route' | 'router') =>
          err === undefined ? resolve() : reject(err instanceof Error ? err : new Error(err)),
        ),
    );
  }
}

function fail(metrics: BffMetrics, err: unknown, req: LoggedRequest, res: ServerResponse): void {
  try {
    failRequest(metrics, err, req, res);
  } catch {
    res.destroy(); // never an unhandled rejection, never a response left open
  }
}
