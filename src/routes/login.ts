// GET /bff/login?returnTo=/path: starts the authorization code flow.
import { randomBytes } from 'node:crypto';
import type { RequestHandler } from 'express';
import { parse as parseCookies } from 'cookie';
import type { BffContext } from '../context.js';
import { parseReturnTo } from '../http/return-to.js';
import { badRequest } from '../errors.js';
import type { Config } from '../config.js';
import { allowedAcrValues } from '../profiles.js';
import { isHttps } from '../session/session.js';

/** How long a user may take at the OP before the login transaction is forgotten. */
export const LOGIN_TIMEOUT_SECONDS = 600;
const BINDING_FORMAT = /^[A-Za-z0-9_-]{43}$/;

export function loginRoute(ctx: BffContext): RequestHandler {
  const { config, provider, stores, codeFlow } = ctx;
  return async (req, res) => {
    const returnTo = parseReturnTo(req.query.returnTo, config.publicUrl);
    const extraParams = loginParams(req.query, config);
    const request = await codeFlow.buildAuthorizationRequest(await provider.configuration(), returnTo, extraParams);
    // Tabs of one browser share the binding, so concurrent logins all complete.
    const binding = loginBinding(req.headers.cookie, ctx.cookies.login) ?? randomBytes(32).toString('base64url');
    await stores.loginTransactions.save(request.state, { ...request.transaction, binding }, LOGIN_TIMEOUT_SECONDS);
    res.cookie(ctx.cookies.login, binding, {
      httpOnly: true,
      secure: isHttps(config),
      sameSite: 'lax', // must come back on the OP's cross-site redirect to /bff/callback
      path: '/',
      maxAge: LOGIN_TIMEOUT_SECONDS * 1000,
    });
    ctx.metrics.loginsStarted.inc();
    res.set('Cache-Control', 'no-store');
    res.redirect(302, request.url.href);
  };
}

const MAX_PARAM_LENGTH = 512;

/** The BFF_LOGIN_PARAMS the query carries; others are ignored, malformed ones refused. */
function loginParams(query: Record<string, unknown>, config: Config): Record<string, string> {
  const params: Record<string, string> = {};
  for (const name of config.loginParams) {
    const value = query[name];
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
