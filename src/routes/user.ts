// GET /bff/user: the signed-in user's claims for the SPA (never a token).
import type { RequestHandler } from 'express';
import type { BffContext } from '../context.js';
import { BffError } from '../errors.js';
import { badRequest } from '../errors.js';
import { absoluteExpiry, authenticatedSession, holdIdleTimeout } from '../session/session.js';

export const notAuthenticated = () => new BffError(401, 'not_authenticated', 'No user is signed in.');

export function userRoute(ctx: BffContext): RequestHandler {
  return async (req, res) => {
    const slide = req.query.slide;
    if (slide !== undefined && slide !== 'true' && slide !== 'false') {
      throw badRequest('invalid_request', 'slide must be true or false.');
    }
    if (slide === 'false') holdIdleTimeout(req, await ctx.stores.sessionTtlMs(req.sessionID));
    const session = await authenticatedSession(req, ctx.config);
    if (session === undefined) throw notAuthenticated();
    // Renew now (express-session would at the end) so that the expiry reported is the new one.
    if (slide !== 'false') session.touch();
    const idleExpiry = Math.floor((session.cookie.expires?.getTime() ?? Date.now()) / 1000);
    const absolute = absoluteExpiry(session, ctx.config);
    res.set('Cache-Control', 'no-store');
    res.json({
      claims: session.user.claims,
      logoutUrl: `/bff/logout?sid=${encodeURIComponent(session.logoutId)}`,
      session: { expiresAt: Math.min(idleExpiry, absolute), absoluteExpiresAt: absolute },
    });
  };
}
