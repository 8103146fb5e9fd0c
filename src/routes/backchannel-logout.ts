// POST /bff/backchannel-logout: the OP tells the BFF that a user's OP session
// ended. Every BFF session of that OP session (sid) or user (sub) ends, on
// every instance (the index lives in Redis). 200 on success, 400 otherwise.
import type { RequestHandler } from 'express';
import type { BffContext } from '../context.js';
import { badRequest } from '../errors.js';
import type { LogoutTarget } from '../oidc/logout-token.js';
import { endStoredSession, loadStoredSession } from '../session/stores.js';

export function backchannelLogoutRoute(ctx: BffContext): RequestHandler {
  const { stores, logoutTokens, metrics } = ctx;
  return async (req, res) => {
    res.set('Cache-Control', 'no-store');
    const token = (req.body as Record<string, unknown> | undefined)?.logout_token;
    if (typeof token !== 'string' || token === '') {
      throw badRequest('invalid_request', 'The request must carry one logout_token (application/x-www-form-urlencoded).');
    }
    const target = await logoutTokens.verify(token).catch((err: unknown) => {
      metrics.backchannelLogouts.inc({ outcome: 'refused' });
      throw err;
    });
    let ended = 0;
    try {
      const candidates = await stores.sessionIndex.find(target.sid ? { opSid: target.sid } : { sub: target.sub! });
      ended = await endSessions(ctx, candidates, target);
    } catch (err) {
      // Not done: the OP's retry of this token must not count as a replay.
      await stores.replay.forget(target.jti).catch(() => {});
      throw err;
    }
    req.log.info({ event: 'backchannel_logout', sessionsEnded: ended }, 'back-channel logout');
    metrics.backchannelLogouts.inc({ outcome: 'accepted' });
    res.status(200).end();
  };
}

async function endSessions({ stores }: BffContext, candidates: string[], target: LogoutTarget): Promise<number> {
  let ended = 0;
  for (const sessionId of candidates) {
    const user = (await loadStoredSession(stores, sessionId))?.user;
    if (user && (target.sub === undefined || user.sub === target.sub) && (target.sid === undefined || user.opSid === target.sid)) {
      await endStoredSession(stores, sessionId, user);
      ended++;
    }
  }
  return ended;
}
