// GET /bff/callback: the redirect_uri. Completes the login in a brand-new
// session (fresh id: no fixation), or fails with >= 400 and no session.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { BffContext } from '../context.js';
import { badRequest } from '../errors.js';
import { nowSeconds, regenerateSession, saveSession } from '../session/session.js';
import { loginBinding } from './login.js';

const STATE_FORMAT = /^[A-Za-z0-9_-]{16,128}$/;

export function callbackRoute(ctx: BffContext): RequestHandler {
  const { config, provider, stores, logger, codeFlow } = ctx;
  return async (req, res) => {
    const state = req.query.state;
    if (typeof state !== 'string' || !STATE_FORMAT.test(state)) {
      throw badRequest('invalid_state', 'The login response has no valid state; start the login again.');
    }
    // take() deletes the transaction: a replayed callback finds nothing.
    const tx = await stores.loginTransactions.take(state);
    if (tx === undefined) {
      throw badRequest('invalid_state', 'This login is unknown, expired or already completed; start the login again.');
    }
    const binding = loginBinding(req.headers.cookie, ctx.cookies.login);
    if (binding === undefined || !sameSecret(binding, tx.binding)) {
      throw badRequest('login_binding_mismatch', 'This login was started in another browser; start the login again.');
    }

    const callbackUrl = new URL(req.originalUrl, config.publicUrl);
    const login = await codeFlow.completeLogin(await provider.configuration(), callbackUrl, state, tx);

    await regenerateSession(req);
    req.session.user = login.user;
    req.session.tokens = login.tokens;
    req.session.logoutId = randomBytes(16).toString('base64url');
    req.session.createdAt = nowSeconds();
    await saveSession(req);
    // For back-channel logout: find this session from the OP's sid or the user's sub.
    await stores.sessionIndex.add(login.user, req.sessionID, config.sessionAbsoluteSeconds);
    logger.info({ event: 'login' }, 'login completed');
    res.set('Cache-Control', 'no-store');
    res.redirect(302, tx.returnTo);
  };
}

function sameSecret(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}
