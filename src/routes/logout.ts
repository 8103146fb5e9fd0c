// GET /bff/logout?sid=...: ends the BFF session, then sends the browser to the
// OP's end_session_endpoint with client_id and post_logout_redirect_uri, and
// never id_token_hint: no id_token ever travels through the browser.
import type { RequestHandler } from 'express';
import * as oidc from 'openid-client';
import type { BffContext } from '../context.js';
import { badRequest } from '../errors.js';
import { authenticatedSession, destroySession, sessionCookieAttributes } from '../session/session.js';

export function logoutRoute(ctx: BffContext): RequestHandler {
  const { config } = ctx;
  return async (req, res) => {
    const session = await authenticatedSession(req, config);
    if (session !== undefined) {
      // The sid proves the link came from our own SPA, not from a cross-site page.
      if (req.query.sid !== session.logoutId) {
        throw badRequest('invalid_logout_sid', 'The logout link is not valid for this session.');
      }
      const { user, tokens } = session;
      const sessionId = req.sessionID;
      await destroySession(req);
      await ctx.stores.sessionIndex.remove(user, sessionId).catch(() => {}); // stale index entries are harmless
      req.log.info({ event: 'logout' }, 'session ended');
      if (tokens.refreshToken) await ctx.accessTokens.revoke(tokens.refreshToken);
    }
    res.clearCookie(ctx.cookies.session, sessionCookieAttributes(config));
    res.set('Cache-Control', 'no-store');
    res.redirect(302, await endSessionUrl(ctx));
  };
}

async function endSessionUrl({ provider, config, logger }: BffContext): Promise<string> {
  try {
    const configuration = await provider.configuration();
    if (configuration.serverMetadata().end_session_endpoint === undefined) return config.postLogoutRedirectUri;
    return oidc.buildEndSessionUrl(configuration, { post_logout_redirect_uri: config.postLogoutRedirectUri }).href;
  } catch {
    // The local session is gone already; an unreachable OP must not keep the user stuck.
    logger.warn({ event: 'logout' }, 'OP unavailable at logout; skipping end_session_endpoint');
    return config.postLogoutRedirectUri;
  }
}
