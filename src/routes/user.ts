// GET /bff/user: the signed-in user's claims for the SPA (never a token).
// A hot path (http/hot-paths.ts): SPAs poll it, so it runs outside Express
// and reads the session without express-session (session/session-reader.ts).
import type { BffContext } from '../context.js';
import { BffError, badRequest } from '../errors.js';
import { requireCsrfHeader } from '../http/csrf.js';
import type { HotPath } from '../http/hot-paths.js';
import { queryValues } from '../http/request-url.js';
import { sendJson } from '../http/respond.js';
import { absoluteExpiry } from '../session/session.js';

const USER_PATH = /^\/bff\/user\/?$/i;

export const notAuthenticated = () => new BffError(401, 'not_authenticated', 'No user is signed in.');

export function userRoute(ctx: BffContext): HotPath {
  return {
    // As Express's router matched it: any case, with or without a trailing slash.
    serves: (method, path) => (method === 'GET' || method === 'HEAD') && USER_PATH.test(path),
    handle: async (req, res) => {
      requireCsrfHeader(req);
      const slide = queryValues(req.url!, 'slide');
      if (slide.length > 1 || (slide.length === 1 && slide[0] !== 'true' && slide[0] !== 'false')) {
        throw badRequest('invalid_request', 'slide must be true or false.');
      }
      const session = await ctx.sessionReader.load(req, res, { slide: slide[0] !== 'false' });
      if (session === undefined) throw notAuthenticated();
      const { data, idleExpiresAt } = session;
      const absolute = absoluteExpiry(data, ctx.config);
      sendJson(res, {
        claims: data.user.claims,
        logoutUrl: `/bff/logout?sid=${encodeURIComponent(data.logoutId)}`,
        session: { expiresAt: Math.min(Math.floor(idleExpiresAt / 1000), absolute), absoluteExpiresAt: absolute },
      });
    },
  };
}
