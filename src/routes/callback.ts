// GET /bff/callback: the redirect_uri. Completes the login in a brand-new
// session (fresh id: no fixation), or fails with >= 400 and no session.
import { randomBytes } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { BffContext } from '../context.js';
import { badRequest } from '../errors.js';
import { nowSeconds, regenerateSession, saveSession } from '../session/session.js';
import { loginBinding } from './login.js';

const STATE_FORMAT = /^[A-Za-z0-9_-]{16,128}$/;

export function callbackRoute(ctx: BffContext): RequestHandler {
  const { config, provider, stores, codeFlow, metrics } = ctx;
  return async (req, res) => {
    const state = req.query.state;
    if (typeof state !== 'string' || !STATE_FORMAT.test(state)) {
      throw badRequest('invalid_state', 'The login response has no valid state; start the login again.');
    }
    checkResponseShape(req.query);
    const taken = await stores.loginTransactions.take(state, loginBinding(req.headers.cookie, ctx.cookies.login));
    if (taken.status === 'unknown') {
      throw badRequest('invalid_state', 'This login is unknown, expired or already completed; start the login again.');
    }
    if (taken.status === 'wrong_browser') {
      throw badRequest('login_binding_mismatch', 'This login was started in another browser; start the login again.');
    }
    const { tx } = taken;

    // The registered redirect_uri with the response's query: openid-client sends it to the token endpoint.
    const callbackUrl = new URL(config.redirectUri);
    callbackUrl.search = new URL(req.originalUrl, config.publicUrl).search;
    const login = await codeFlow.completeLogin(await provider.configuration(), callbackUrl, state, tx);

    await regenerateSession(req);
    req.session.user = login.user;
    req.session.tokens = login.tokens;
    req.session.logoutId = randomBytes(16).toString('base64url');
    req.session.createdAt = nowSeconds();
    await saveSession(req);
    // For back-channel logout: find this session from the OP's sid or the user's sub.
    await stores.sessionIndex.add(login.user, req.sessionID, config.sessionAbsoluteSeconds);
    req.log.info({ event: 'login' }, 'login completed');
    metrics.loginsCompleted.inc();
    res.set('Cache-Control', 'no-store');
    res.redirect(302, tx.returnTo);
  };
}

/**
 * A code-flow response: one `state`, and either one `code` or one `error`, at
 * most one `iss`; never tokens (an implicit or hybrid response is not ours).
 */
function checkResponseShape(query: Record<string, unknown>): void {
  const invalid = () => badRequest('invalid_authorization_response', 'The authorization response is malformed; start the login again.');
  for (const name of ['code', 'error', 'iss', 'state']) {
    if (query[name] !== undefined && (typeof query[name] !== 'string' || query[name] === '')) throw invalid();
  }
  if ((query.code === undefined) === (query.error === undefined)) throw invalid();
  for (const name of ['id_token', 'access_token', 'token', 'response']) if (query[name] !== undefined) throw invalid();
}
