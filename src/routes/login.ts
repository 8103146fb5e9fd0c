// GET /bff/login?returnTo=/path: starts the authorization code flow.
import { createHash, randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { parse as parseCookies, serialize as serializeCookie } from 'cookie';
import type { Config } from '../config.js';
import { BffError, badRequest } from '../errors.js';
import { cookieName, isHttps } from '../http/cookies.js';
import type { Handler } from '../http/endpoints.js';
import type { LoggedRequest } from '../http/request-log.js';
import { clientOf, compileTrust, type TrustProxy } from '../http/forwarded.js';
import { queryOf, queryParam } from '../http/request-url.js';
import { redirect } from '../http/respond.js';
import { parseReturnTo } from '../http/return-to.js';
import type { BffMetrics } from '../metrics.js';
import type { CodeFlow } from '../oidc/code-flow.js';
import type { OpenIdProvider } from '../oidc/provider.js';
import { allowedAcrValues } from '../config/profiles.js';
import type { Stores } from '../store/stores.js';

/** How long a user may take at the OP before the login transaction is forgotten. */
export const LOGIN_TIMEOUT_SECONDS = 600;
const BINDING_FORMAT = /^[A-Za-z0-9_-]{43}$/;
const MAX_PARAM_LENGTH = 512;

/**
 * The login-binding cookie ties the callback to the browser that started the
 * login. One per login, named after its state, so that the callback clears
 * exactly its own and a login in another tab keeps its cookie.
 */
export const loginCookieName = (config: Config, state: string) =>
  cookieName(config, `bff-login-${createHash('sha256').update(state).digest('base64url').slice(0, 12)}`);

// Fetch metadata: a login starts only as a top-level navigation
// (Sec-Fetch-Dest: document), never for a cross-site <img>, a prefetch, a
// fetch() or a frame. Browsers that do not send the header are not refused,
// nor are non-browser clients (Node's fetch says Sec-Fetch-Mode: cors of
// every request, so the mode is not consulted: the destination says it all).

export interface LoginRouteOptions {
  config: Config;
  provider: OpenIdProvider;
  stores: Pick<Stores, 'loginTransactions' | 'rateLimits'>;
  codeFlow: CodeFlow;
  metrics: BffMetrics;
}

export function loginRoute({ config, provider, stores, codeFlow, metrics }: LoginRouteOptions): Handler {
  const trust = compileTrust(config.trustProxy);
  return async (req, res) => {
    checkNavigation(req);
    const query = queryOf(req);
    const returnTo = parseReturnTo(queryParam(query, 'returnTo'), config.publicUrl);
    const extraParams = loginParams(query, config);
    // Before any cost: the OP's PAR endpoint, a key pair, a Redis record.
    await checkRate(req, config, stores, trust);
    const request = await codeFlow.buildAuthorizationRequest(await provider.configuration(), returnTo, extraParams);
    const binding = randomBytes(32).toString('base64url');
    const cookie = loginCookieName(config, request.state);
    await stores.loginTransactions.save(request.state, { ...request.transaction, binding }, LOGIN_TIMEOUT_SECONDS);
    res.appendHeader('Set-Cookie', serializeCookie(cookie, binding, loginCookieAttributes(config, LOGIN_TIMEOUT_SECONDS)));
    metrics.loginsStarted.inc();
    redirect(res, request.url.href);
  };
}

function checkNavigation(req: LoggedRequest): void {
  const dest = req.headers['sec-fetch-dest'];
  if (dest !== undefined && dest !== 'document') {
    throw new BffError(403, 'login_requires_navigation', 'A login starts only when the browser navigates to /bff/login.');
  }
}

/** BFF_LOGIN_RATE_LIMIT: logins per client address, counted across instances. */
async function checkRate(req: LoggedRequest, config: Config, stores: Pick<Stores, 'rateLimits'>, trust: TrustProxy): Promise<void> {
  const limit = config.loginRateLimit;
  if (limit === undefined) return;
  const { allowed, retryAfterSeconds } = await stores.rateLimits.hit(
    `login:${clientOf(req, trust).address}`,
    limit.count,
    limit.windowSeconds,
  );
  if (!allowed) {
    req.log.warn({ event: 'login_rate_limited' }, 'too many logins from one client address');
    throw new BffError(429, 'too_many_logins', 'Too many sign-ins from this address; try again shortly.', {
      headers: { 'Retry-After': String(retryAfterSeconds) },
    });
  }
}

/** The BFF_LOGIN_PARAMS the query carries; others are ignored, malformed ones refused. */
function loginParams(query: URLSearchParams, config: Config): Record<string, string> {
  const params: Record<string, string> = {};
  for (const name of config.loginParams) {
    const value = queryParam(query, name);
    if (value === undefined) continue;
    const invalid = (why: string) => badRequest('invalid_login_param', `The login parameter ${name} ${why}.`);
    if (typeof value !== 'string' || value.length > MAX_PARAM_LENGTH || /[\u0000-\u001f\u007f]/.test(value)) {
      throw invalid(`must be one short text value`);
    }
    if (name === 'max_age' && !/^\d{1,9}$/.test(value)) throw invalid('must be a number of seconds');
    const acrAllowed = allowedAcrValues(config.profile);
    if (name === 'acr_values' && acrAllowed && value.split(' ').some((acr) => !acrAllowed.includes(acr))) {
      throw invalid(`must be one of ${acrAllowed.join(', ')}`);
    }
    params[name] = value;
  }
  return params;
}

function loginCookieAttributes(config: Config, maxAge: number) {
  const secure = isHttps(config);
  const mayFormPost = config.responseMode === 'jwt' || config.responseMode === 'form_post.jwt';
  return {
    httpOnly: true,
    secure,
    // Must come back on the OP's cross-site redirect to /bff/callback; a cross-site form POST (form_post.jwt)
    // carries only SameSite=None cookies, which browsers accept only with Secure (https).
    sameSite: secure && mayFormPost ? 'none' : 'lax',
    path: '/',
    maxAge,
    expires: new Date(Date.now() + maxAge * 1000),
  } as const;
}

export function clearLoginCookie(res: ServerResponse, config: Config, name: string): void {
  res.appendHeader('Set-Cookie', serializeCookie(name, '', { ...loginCookieAttributes(config, 0), expires: new Date(0) }));
}

/** The login-binding cookie's value, if it is well-formed. */
export function loginBinding(cookieHeader: string | undefined, name: string): string | undefined {
  const value = cookieHeader ? parseCookies(cookieHeader)[name] : undefined;
  return value !== undefined && BINDING_FORMAT.test(value) ? value : undefined;
}
