// The upstream leg of the API proxy (routes/api-proxy.ts decides what is
// sent): one HTTP call with the headers that may cross the BFF, bounded in
// every phase (a pooled socket, the connection, the request body's idle time,
// the response headers, the response body's idle time), and the answer relayed
// to the browser with the BFF's own headers winning.
import http from 'node:http';
import https from 'node:https';
import { Transform, pipeline } from 'node:stream';
import type { Config } from '../config.js';
import { BffError } from '../errors.js';

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

/** Upstream connections per origin: BFF_API_MAX_SOCKETS bounds them, BFF_API_CONNECT_TIMEOUT bounds the wait for one. */
export interface UpstreamAgents {
  http: http.Agent;
  https: https.Agent;
}

export function createAgents(maxSockets: number): UpstreamAgents {
  return { http: new http.Agent({ keepAlive: true, maxSockets }), https: new https.Agent({ keepAlive: true, maxSockets }) };
}

/** What one upstream call needs from the route. */
export interface UpstreamOptions {
  config: Config;
  agents: UpstreamAgents;
  /** Called with the upstream's answer before it is handed on (DPoP nonces). */
  onResponse: (url: URL, response: http.IncomingMessage) => void;
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
export interface UpstreamCall {
  request?: http.ClientRequest;
  browserGone: boolean;
  /** X-Forwarded-For, as far as BFF_TRUST_PROXY trusts each hop (http/forwarded.ts): the same for every retry. */
  forwardedFor: string;
}

export function forward(
  req: http.IncomingMessage,
  url: URL,
  credentials: http.OutgoingHttpHeaders,
  ctx: UpstreamOptions,
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
  headers['x-forwarded-for'] = call.forwardedFor;
  headers['x-forwarded-proto'] = config.publicUrl.protocol.slice(0, -1);
  headers['x-forwarded-host'] = config.publicUrl.host;

  return new Promise((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http;
    const upstream = client.request(url, {
      method: req.method,
      headers,
      agent: url.protocol === 'https:' ? ctx.agents.https : ctx.agents.http,
    });
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
      ctx.onResponse(url, response);
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
    // both sides down when either fails, e.g. when the browser aborts mid-upload. A body that stops
    // arriving would hold a pooled socket for the whole BFF_API_TIMEOUT: its silence is bounded too.
    let size = 0;
    const stall = () => limit.destroy((refusal = new UpstreamError('body_idle')));
    const idleTimer = setTimeout(stall, config.api.bodyIdleTimeoutMs);
    const limit = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        if (size > config.api.maxBodyBytes) refusal = new UpstreamError('too_large');
        idleTimer.refresh();
        done(refusal ?? null, chunk);
      },
      flush(done) {
        clearTimeout(idleTimer);
        done();
      },
    });
    limit.once('close', () => clearTimeout(idleTimer));
    pipeline(body, limit, upstream, (err) => {
      if (err) upstream.destroy(err instanceof UpstreamError ? err : undefined);
    });
  });
}

class UpstreamError extends Error {
  constructor(readonly kind: 'connect' | 'timeout' | 'too_large' | 'body_idle') {
    super(kind);
  }
}

function upstreamFailure(err: unknown): BffError {
  const kind = err instanceof UpstreamError ? err.kind : undefined;
  if (kind === 'too_large') return new BffError(413, 'request_too_large', 'The request body is too large.');
  if (kind === 'body_idle') return new BffError(408, 'request_timeout', 'The request body stopped arriving.');
  if (kind === 'connect' || kind === 'timeout')
    return new BffError(504, 'upstream_timeout', 'The API did not answer in time.', { cause: err });
  return new BffError(502, 'upstream_unreachable', 'The API cannot be reached.', { cause: err });
}

export function relay(
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
