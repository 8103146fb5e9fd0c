// GET /bff/login?returnTo=/path: starts the authorization code flow.
import { randomBytes } from 'node:crypto';
import { parse as parseCookies, serialize as serializeCookie } from 'cookie';
import type { Config } from '../config.js';
import { badRequest } from '../errors.js';
import { cookieName, isHttps } from '../http/cookies.js';
import type { Handler } from '../http/endpoints.js';
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

/** The login-binding cookie ties the callback to the browser that started the login. */
export const loginCookieName = (config: Config) => cookieName(config, 'bff-login');

export interface LoginRouteOptions {
  config: Config;
  provider: OpenIdProvider;
  stores: Pick<Stores, 'loginTransactions'>;
  codeFlow: CodeFlow;
  metrics: BffMetrics;
}

export function loginRoute({ config, provider, stores, codeFlow, metrics }: LoginRouteOptions): Handler {
  const cookie = loginCookieName(config);
  const secure = isHttps(config);
  const mayFormPost = config.responseMode === 'jwt' || config.responseMode === 'form_post.jwt';
  return async (req, res) => {
    const query = queryOf(req);
    const returnTo = parseReturnTo(queryParam(query, 'returnTo'), config.publicUrl);
    const extraParams = loginParams(query, config);
    const request = await codeFlow.buildAuthorizationRequest(await provider.configuration(), returnTo, extraParams);
    // Tabs of one browser share the binding, so concurrent logins all complete.
    const binding = loginBinding(req.headers.cookie, cookie) ?? randomBytes(32).toString('base64url');
    await stores.loginTransactions.save(request.state, { ...request.transaction, binding }, LOGIN_TIMEOUT_SECONDS);
    const attributes = {
      httpOnly: true,
      secure,
      // Must come back on the OP's cross-site redirect to /bff/callback; a cross-site form POST (form_post.jwt)
      // carries only SameSite=None cookies, which browsers accept only with Secure (https).
      sameSite: secure && mayFormPost ? 'none' : 'lax',
      path: '/',
      maxAge: LOGIN_TIMEOUT_SECONDS,
      expires: new Date(Date.now() + LOGIN_TIMEOUT_SECONDS * 1000),
    } as const;
    res.appendHeader('Set-Cookie', serializeCookie(cookie, binding, attributes));
    metrics.loginsStarted.inc();
    redirect(res, request.url.href);
  };
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

/** The login-binding cookie's value, if it is well-formed. */
export function loginBinding(cookieHeader: string | undefined, name: string): string | undefined {
  const value = cookieHeader ? parseCookies(cookieHeader)[name] : undefined;
  return value !== undefined && BINDING_FORMAT.test(value) ? value : undefined;
}
