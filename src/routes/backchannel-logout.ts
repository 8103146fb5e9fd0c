// POST /bff/backchannel-logout: the OP tells the BFF that a user's OP session
// ended. Every BFF session of that OP session (sid) or user (sub) ends, on
// every instance (the index lives in Redis). 200 on success, 400 otherwise.
import express from 'express';
import type { Config } from '../config.js';
import { badRequest } from '../errors.js';
import type { Handler } from '../http/endpoints.js';
import type { BffMetrics } from '../metrics.js';
import type { LogoutTokenVerifier } from '../oidc/logout-token.js';
import type { Sessions } from '../session/sessions.js';
import type { Stores } from '../store/stores.js';

/** The body parser it needs: a form with one logout token, no bigger than a token may be. */
export const backchannelLogoutBody = (config: Config) =>
  express.urlencoded({ extended: false, limit: config.jose.maxTokenBytes + 1024, parameterLimit: 10 });

export interface BackchannelLogoutRouteOptions {
  stores: Pick<Stores, 'replay'>;
  sessions: Sessions;
  logoutTokens: LogoutTokenVerifier;
  metrics: BffMetrics;
}

export function backchannelLogoutRoute({ stores, sessions, logoutTokens, metrics }: BackchannelLogoutRouteOptions): Handler {
  return async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const token = (req as { body?: Record<string, unknown> }).body?.logout_token;
    if (typeof token !== 'string' || token === '') {
      throw badRequest('invalid_request', 'The request must carry one logout_token (application/x-www-form-urlencoded).');
    }
    const target = await logoutTokens.verify(token).catch((err: unknown) => {
      metrics.backchannelLogouts.inc({ outcome: 'refused' });
      throw err;
    });
    let ended: number;
    try {
      ended = await sessions.endAll(target);
    } catch (err) {
      // Not done: the OP's retry of this token must not count as a replay.
      await stores.replay.forget(target.jti).catch(() => {});
      throw err;
    }
    req.log.info({ event: 'backchannel_logout', sessionsEnded: ended }, 'back-channel logout');
    metrics.backchannelLogouts.inc({ outcome: 'accepted' });
    res.statusCode = 200;
    res.end();
  };
}
