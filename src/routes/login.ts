// GET /bff/login?returnTo=/path: starts the authorization code flow.
import { randomBytes } from 'node:crypto';
import type { RequestHandler } from 'express';
import { parse as parseCookies } from 'cookie';
import type { BffContext } from '../context.js';
import { parseReturnTo } from '../http/return-to.js';
import { buildAuthorizationRequest } from '../oidc/code-flow.js';
import { isHttps } from '../session/session.js';

/** How long a user may take at the OP before the login transaction is forgotten. */
export const LOGIN_TIMEOUT_SECONDS = 600;
const BINDING_FORMAT = /^[A-Za-z0-9_-]{43}$/;

export function loginRoute(ctx: BffContext): RequestHandler {
  const { config, provider, stores } = ctx;
  return async (req, res) => {
    const returnTo = parseReturnTo(req.query.returnTo, config.publicUrl);
    const request = await buildAuthorizationRequest(await provider.configuration(), config, returnTo);
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
    res.set('Cache-Control', 'no-store');
    res.redirect(302, request.url.href);
  };
}

/** The login-binding cookie's value, if it is well-formed. */
export function loginBinding(cookieHeader: string | undefined, name: string): string | undefined {
  const value = cookieHeader ? parseCookies(cookieHeader)[name] : undefined;
  return value !== undefined && BINDING_FORMAT.test(value) ? value : undefined;
}
