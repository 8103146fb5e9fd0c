// GET /bff/user: the signed-in user's claims, for the SPA. SPAs poll it, so it
// is a fast endpoint (http/endpoints.ts).
import { BffError, badRequest } from '../errors.js';
import { requireCsrfHeader } from '../http/csrf.js';
import type { Handler } from '../http/endpoints.js';
import { queryOf } from '../http/request-url.js';
import { sendJson } from '../http/respond.js';
import type { Sessions } from '../session/sessions.js';
import type { BffUser } from '../client.js';

export const notAuthenticated = () => new BffError(401, 'not_authenticated', 'No user is signed in.');

export interface UserRouteOptions {
  sessions: Sessions;
}

export function userRoute({ sessions }: UserRouteOptions): Handler {
  return async (req, res) => {
    requireCsrfHeader(req);
    const slide = queryOf(req).getAll('slide');
    if (slide.length > 1 || (slide.length === 1 && slide[0] !== 'true' && slide[0] !== 'false')) {
      throw badRequest('invalid_request', 'slide must be true or false.');
    }
    const session = await sessions.read(req, res, { slide: slide[0] !== 'false' });
    if (session === undefined) throw notAuthenticated();
    const { data, idleExpiresAt } = session;
    const absolute = sessions.absoluteExpiry(data);
    // The shape sealed-bff/client promises the SPA (BffUser): a change here that breaks it does not compile.
    const user = {
      claims: data.user.claims,
      logoutUrl: `/bff/logout?sid=${encodeURIComponent(data.logoutId)}`,
      session: { expiresAt: Math.min(Math.floor(idleExpiresAt / 1000), absolute), absoluteExpiresAt: absolute },
    } satisfies Omit<BffUser, 'claims'> & { claims: Record<string, unknown> };
    sendJson(res, user);
  };
}
