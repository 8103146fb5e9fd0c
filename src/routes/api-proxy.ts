// /bff/api/<route>/…: the SPA's API calls, forwarded to the configured
// upstream with the session's access token attached. The browser never sees
// the token; the upstream never sees the browser's cookies. Bodies stream
// both ways; only configured routes are reachable and a request cannot leave
// its route's target path.
import type http from 'node:http';
import type { Config } from '../config.js';
import { BffError } from '../errors.js';
import { requireCsrfHeader } from '../http/csrf.js';
import type { Handler } from '../http/endpoints.js';
import { clientOf, compileTrust, type TrustProxy } from '../http/forwarded.js';
import { InFlightLimit } from '../http/in-flight.js';
import { requestPath, requestQuery } from '../http/request-url.js';
import type { BffMetrics } from '../metrics.js';
import type { AccessTokens } from '../oidc/access-tokens.js';
import { isNonceChallenge, type Dpop } from '../oidc/dpop.js';
import type { SessionTokens } from '../session/data.js';
import type { ActiveSession, Sessions } from '../session/sessions.js';
import { traceUpstream, type Tracing } from '../tracing.js';
import { publicLocation, resolveTarget } from './api-target.js';
import { createAgents, forward, relay, type UpstreamCall, type UpstreamOptions } from './api-upstream.js';
import { notAuthenticated } from './user.js';

// Never relayed: TRACE (and Microsoft's TRACK) echo the request, the access token and DPoP proof
// included, back to the browser; CONNECT asks for a tunnel.
const REFUSED_METHODS = new Set(['TRACE', 'TRACK', 'CONNECT']);
// Idempotent and bodiless: retried once after a refresh when the upstream says 401.
// (A streamed body cannot be replayed, so PUT and DELETE pass the 401 on.)
const RETRYABLE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Bodies up to this size (with a Content-Length) are buffered under DPoP, to answer a nonce challenge. */
const NONCE_REPLAY_MAX_BODY_BYTES = 64 * 1024;

/** Every API call: a fast endpoint (http/endpoints.ts). */
export interface ApiProxyRouteOptions {
  config: Config;
  sessions: Sessions;
  accessTokens: Pick<AccessTokens, 'forSession'>;
  dpop: Pick<Dpop, 'proofForApi' | 'rememberNonce'>;
  metrics: BffMetrics;
  tracing: Tracing | undefined;
}

/** The route's options and what it derives from them once. */
type ProxyContext = ApiProxyRouteOptions & UpstreamOptions & { inFlight: InFlightLimit; trustProxy: TrustProxy };

export function apiProxyRoute(options: ApiProxyRouteOptions): Handler {
  const { api } = options.config;
  const ctx: ProxyContext = {
    ...options,
    trustProxy: compileTrust(options.config.trustProxy),
    agents: createAgents(api.maxSockets),
    onResponse: (url, response) => options.dpop.rememberNonce(url, response.headers['dpop-nonce']),
    inFlight: new InFlightLimit(api.maxInFlight),
  };
  return (req, res) => proxy(ctx, req, res);
}

async function proxy(ctx: ProxyContext, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const { config } = ctx;
  requireCsrfHeader(req);
  const method = req.method!; // always set on a server's request
  if (REFUSED_METHODS.has(method)) {
    res.setHeader('Allow', 'GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE');
    throw new BffError(405, 'method_not_allowed', `The API proxy does not relay ${method} requests.`);
  }
  const target = resolveTarget(requestPath(req), requestQuery(req), config.api.routes);
  if (target === undefined) throw new BffError(404, 'not_found', 'There is no such API route.');
  const { route, url } = target;

  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > config.api.maxBodyBytes) {
    throw new BffError(413, 'request_too_large', `The request body is larger than ${config.api.maxBodyBytes} bytes.`);
  }
  // One client (address, and session where there is one) has at most BFF_API_MAX_IN_FLIGHT calls open.
  const client = clientOf(req, ctx.trustProxy);
  occupy(ctx, res, `address:${client.address}`);
  // A browser that goes away cancels the upstream call too: no socket is left waiting.
  const call: UpstreamCall = { browserGone: false, forwardedFor: client.forwardedFor };
  res.once('close', () => {
    if (res.writableFinished) return;
    call.browserGone = true;
    call.request?.destroy();
  });

  let tokens: SessionTokens | undefined;
  let session: ActiveSession | undefined;
  if (route.token !== 'none') {
    session = await ctx.sessions.read(req, res);
    if (session === undefined && route.token === 'required') throw notAuthenticated();
    if (session !== undefined) occupy(ctx, res, `session:${session.id}`);
    if (session !== undefined) {
      tokens = await ctx.accessTokens.forSession(session.id, session.data.tokens).catch(
        // On an optional route, a session that just ended (refresh refused) means: go on without a token.
        (err: unknown) => (route.token === 'optional' && (err as BffError).code === 'not_authenticated' ? undefined : Promise.reject(err)),
      );
    }
  }

  const started = process.hrtime.bigint();
  const observe = (status: number | string) => {
    ctx.metrics.proxyRequests.inc({ route: route.path, status: String(status) });
    ctx.metrics.proxyDuration.observe({ route: route.path }, Number(process.hrtime.bigint() - started) / 1e9);
  };
  const pass = (upstream: http.IncomingMessage) => {
    observe(upstream.statusCode ?? 502);
    relay(upstream, res, config.api.timeoutMs, (location) => publicLocation(location, url, config.api.routes));
  };
  try {
    const replayable = RETRYABLE.has(method);
    let body: http.IncomingMessage | Buffer | undefined = replayable ? undefined : req;
    // A small body is read first under DPoP, so that it can be sent again with the API's nonce.
    if (body !== undefined && tokens?.dpopKey !== undefined && declared > 0 && declared <= NONCE_REPLAY_MAX_BODY_BYTES)
      body = await readBody(req);
    // With traces on, each upstream call is a span and its traceparent goes along (replacing the browser's).
    const send = () =>
      traceUpstream(ctx.tracing, method, url, (trace) =>
        forward(req, url, { ...credentials(ctx, method, url, tokens), ...trace }, ctx, call, body),
      );
    let upstream = await send();
    if (tokens?.dpopKey !== undefined && isNonceChallenge(upstream.statusCode, upstream.headers['www-authenticate'])) {
      if (replayable || Buffer.isBuffer(body)) {
        // RFC 9449 section 9: the API wants its nonce in the proof; it came with this answer.
        upstream.resume();
        upstream = await send();
      }
      // Still (or unreplayable): a nonce problem, not a stale token; refreshing would not help.
      if (isNonceChallenge(upstream.statusCode, upstream.headers['www-authenticate'])) return pass(upstream);
    }
    if (upstream.statusCode === 401 && session !== undefined && tokens !== undefined && replayable) {
      // The token may have been revoked or expired early: refresh once and retry.
      upstream.resume();
      tokens = await ctx.accessTokens.forSession(session.id, tokens, tokens.accessToken);
      upstream = await send();
    }
    pass(upstream);
  } catch (err) {
    observe((err as BffError).status ?? 502);
    throw err;
  }
}

/** Counts the call against `key` until its response closes; 429 when that client is at BFF_API_MAX_IN_FLIGHT. */
function occupy(ctx: ProxyContext, res: http.ServerResponse, key: string): void {
  const leave = ctx.inFlight.enter([key]);
  if (leave === undefined) {
    throw new BffError(429, 'too_many_requests', 'Too many API calls in flight from this client; try again shortly.', {
      headers: { 'Retry-After': '1' },
    });
  }
  res.once('close', leave);
}

/** The Authorization (and DPoP proof) headers for one upstream call. */
function credentials(ctx: ProxyContext, method: string, url: URL, tokens: SessionTokens | undefined): http.OutgoingHttpHeaders {
  if (tokens === undefined) return {};
  if (tokens.dpopKey === undefined) return { authorization: `Bearer ${tokens.accessToken}` };
  return {
    authorization: `DPoP ${tokens.accessToken}`,
    dpop: ctx.dpop.proofForApi(tokens.dpopKey, method, url, tokens.accessToken),
  };
}

/** The whole body of a request whose Content-Length was checked to be small. */
async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
