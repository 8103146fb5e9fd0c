// /bff/api/<route>/…: the SPA's API calls, forwarded to the configured
// upstream with the session's access token attached. The browser never sees
// the token; the upstream never sees the browser's cookies. Bodies stream
// both ways; only configured routes are reachable and a request cannot leave
// its route's target path.
import http from 'node:http';
import https from 'node:https';
import { Transform, pipeline } from 'node:stream';
import type { Config } from '../config.js';
import { BffError } from '../errors.js';
import { requireCsrfHeader } from '../http/csrf.js';
import type { Handler } from '../http/endpoints.js';
import { compileTrust, forwardedFor, type TrustProxy } from '../http/forwarded.js';
import { requestPath, requestQuery } from '../http/request-url.js';
import type { BffMetrics } from '../metrics.js';
import type { AccessTokens } from '../oidc/access-tokens.js';
import { isNonceChallenge, type Dpop } from '../oidc/dpop.js';
import type { SessionTokens } from '../session/data.js';
import type { ActiveSession, Sessions } from '../session/sessions.js';
import { traceUpstream, type Tracing } from '../tracing.js';
import { publicLocation, resolveTarget } from './api-target.js';
import { notAuthenticated } from './user.js';

// Hop-by-hop headers (RFC 9110 7.6.1) and what must not cross the BFF.
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
];
const NOT_FORWARDED_UP = new Set([
  ...HOP_BY_HOP,
  ...['host', 'cookie', 'authorization', 'x-csrf', 'dpop'],
  // Who the client is and which URL it used are the BFF's to say (forward() sets X-Forwarded-For, -Proto and
  // -Host): a browser can invent any of these, and upstreams and their frameworks believe some of them.
  // Every X-Forwarded-* goes too (FORWARDED_FAMILY).
  ...['forwarded', 'x-real-ip', 'true-client-ip', 'x-client-ip', 'client-ip', 'cf-connecting-ip', 'fastly-client-ip'],
  ...['x-cluster-client-ip', 'x-original-forwarded-for', 'x-proxyuser-ip', 'x-original-host', 'x-host', 'x-url-scheme'],
  ...['front-end-https'],
  // Headers some frameworks take a path or a method from: the route decides those.
  ...['x-original-url', 'x-rewrite-url', 'x-http-method-override', 'x-http-method', 'x-method-override'],
]);
const FORWARDED_FAMILY = 'x-forwarded-';
// DPoP-Nonce is the BFF's business: the SPA makes no proofs.
const NOT_FORWARDED_DOWN = new Set([...HOP_BY_HOP, 'set-cookie', 'dpop-nonce']);
// Never relayed: TRACE (and Microsoft's TRACK) echo the request, the access token and DPoP proof
// included, back to the browser; CONNECT asks for a tunnel.
const REFUSED_METHODS = new Set(['TRACE', 'TRACK', 'CONNECT']);
// Idempotent and bodiless: retried once after a refresh when the upstream says 401.
// (A streamed body cannot be replayed, so PUT and DELETE pass the 401 on.)
const RETRYABLE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Bodies up to this size (with a Content-Length) are buffered under DPoP, to answer a nonce challenge. */
const NONCE_REPLAY_MAX_BODY_BYTES = 64 * 1024;

const agents = { http: new http.Agent({ keepAlive: true, maxSockets: 256 }), https: new https.Agent({ keepAlive: true, maxSockets: 256 }) };

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
type ProxyContext = ApiProxyRouteOptions & { trustProxy: TrustProxy };

export function apiProxyRoute(options: ApiProxyRouteOptions): Handler {
  const ctx: ProxyContext = { ...options, trustProxy: compileTrust(options.config.trustProxy) };
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
  // A browser that goes away cancels the upstream call too: no socket is left waiting.
  const call: UpstreamCall = { browserGone: false };
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

/** The Authorization (and DPoP proof) headers for one upstream call. */
function credentials(ctx: ProxyContext, method: string, url: URL, tokens: SessionTokens | undefined): http.OutgoingHttpHeaders {
  if (tokens === undefined) return {};
  if (tokens.dpopKey === undefined) return { authorization: `Bearer ${tokens.accessToken}` };
  return {
    authorization: `DPoP ${tokens.accessToken}`,
    dpop: ctx.dpop.proofForApi(tokens.dpopKey, method, url, tokens.accessToken),
  };
}

/** The headers that may cross the BFF: none of `excluded`, nor any the message's Connection header lists (hop-by-hop). */
function passingHeaders(headers: http.IncomingHttpHeaders, excluded: ReadonlySet<string>): Array<[string, string | string[]]> {
  const connectionListed = new Set(
    String(headers.connection ?? '')
      .toLowerCase()
      .split(',')
      .map((h) => h.trim()),
  );
  return Object.entries(headers).filter((entry): entry is [string, string | string[]] => {
    const [name, value] = entry;
    return !excluded.has(name) && !connectionListed.has(name) && value !== undefined;
  });
}

/** The upstream request in flight, so that a browser that goes away can cancel it. */
interface UpstreamCall {
  request?: http.ClientRequest;
  browserGone: boolean;
}

function forward(
  req: http.IncomingMessage,
  url: URL,
  credentials: http.OutgoingHttpHeaders,
  ctx: ProxyContext,
  call: UpstreamCall,
  body: http.IncomingMessage | Buffer | undefined,
): Promise<http.IncomingMessage> {
  const { config } = ctx;
  const headers: http.OutgoingHttpHeaders = Object.fromEntries(
    passingHeaders(req.headers, NOT_FORWARDED_UP).filter(([name]) => !name.startsWith(FORWARDED_FAMILY)),
  );
  if (body === undefined) delete headers['content-length'];
  else if (Buffer.isBuffer(body)) headers['content-length'] = String(body.length);
  Object.assign(headers, credentials);
  // The browser's own X-Forwarded-For is believed only as far as BFF_TRUST_PROXY trusts each hop (as Express does).
  headers['x-forwarded-for'] = forwardedFor(req, ctx.trustProxy);
  headers['x-forwarded-proto'] = config.publicUrl.protocol.slice(0, -1);
  headers['x-forwarded-host'] = config.publicUrl.host;

  return new Promise((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http;
    const upstream = client.request(url, { method: req.method, headers, agent: url.protocol === 'https:' ? agents.https : agents.http });
    call.request = upstream;
    if (call.browserGone) upstream.destroy();
    const connectTimer = setTimeout(() => upstream.destroy(new UpstreamError('connect')), config.api.connectTimeoutMs);
    const responseTimer = setTimeout(() => upstream.destroy(new UpstreamError('timeout')), config.api.timeoutMs);
    const settle = () => {
      clearTimeout(connectTimer);
      clearTimeout(responseTimer);
    };
    upstream.once('socket', (socket) => {
      if (!socket.connecting)
        clearTimeout(connectTimer); // a kept-alive socket
      else socket.once('connect', () => clearTimeout(connectTimer));
    });
    upstream.once('response', (response) => {
      settle();
      ctx.dpop.rememberNonce(url, response.headers['dpop-nonce']);
      resolve(response);
    });
    // Our own reason to stop the call, if any: pipeline() aborts the upstream request, which then
    // fails with a bare "socket hang up" that would read as an unreachable upstream (502).
    let refusal: UpstreamError | undefined;
    upstream.once('error', (err) => {
      settle();
      reject(upstreamFailure(refusal ?? err));
    });
    if (body === undefined || Buffer.isBuffer(body)) {
      upstream.end(body);
      return;
    }
    // Stream the body up, counting: a chunked body may still exceed the limit. pipeline() tears
    // both sides down when either fails, e.g. when the browser aborts mid-upload.
    let size = 0;
    const limit = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        if (size > config.api.maxBodyBytes) refusal = new UpstreamError('too_large');
        done(refusal ?? null, chunk);
      },
    });
    pipeline(body, limit, upstream, (err) => {
      if (err) upstream.destroy(err instanceof UpstreamError ? err : undefined);
    });
  });
}

/** The whole body of a request whose Content-Length was checked to be small. */
async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

class UpstreamError extends Error {
  constructor(readonly kind: 'connect' | 'timeout' | 'too_large') {
    super(kind);
  }
}

function upstreamFailure(err: unknown): BffError {
  const kind = err instanceof UpstreamError ? err.kind : undefined;
  if (kind === 'too_large') return new BffError(413, 'request_too_large', 'The request body is too large.');
  if (kind === 'connect' || kind === 'timeout')
    return new BffError(504, 'upstream_timeout', 'The API did not answer in time.', { cause: err });
  return new BffError(502, 'upstream_unreachable', 'The API cannot be reached.', { cause: err });
}

function relay(
  upstream: http.IncomingMessage,
  res: http.ServerResponse,
  idleTimeoutMs: number,
  locationFor: (location: string) => string | undefined,
): void {
  res.statusCode = upstream.statusCode ?? 502;
  // The BFF's own headers win (security headers, request id, the session cookie): an upstream must not
  // switch the browser's protections off for the BFF's origin (e.g. Strict-Transport-Security: max-age=0).
  for (const [name, value] of passingHeaders(upstream.headers, NOT_FORWARDED_DOWN)) if (!res.hasHeader(name)) res.setHeader(name, value);
  const location = upstream.headers.location === undefined ? undefined : locationFor(upstream.headers.location);
  if (location === undefined) res.removeHeader('Location');
  else res.setHeader('Location', location);
  // Per-user data behind a session cookie: no shared cache may keep it.
  res.setHeader('Cache-Control', 'no-store');
  // An upstream that stalls mid-body must not hold both sockets for ever.
  upstream.setTimeout(idleTimeoutMs, () => upstream.destroy(new UpstreamError('timeout')));
  // Either side failing ends the other. (pipe() rather than pipeline(), which builds an AbortError per call.)
  upstream.once('error', () => res.destroy());
  res.once('close', () => upstream.complete || upstream.destroy());
  upstream.pipe(res);
}
