// GET /bff/logout?sid=...: ends the BFF session, then sends the browser to the
// OP's end_session_endpoint with client_id and post_logout_redirect_uri, and
// never id_token_hint: no id_token ever travels through the browser.
import * as oidc from 'openid-client';
import type { Config } from '../config.js';
import { badRequest } from '../errors.js';
import type { Handler } from '../http/endpoints.js';
import { queryOf, queryParam } from '../http/request-url.js';
import { redirect } from '../http/respond.js';
import type { Logger } from '../logger.js';
import type { AccessTokens } from '../oidc/access-tokens.js';
import type { OpenIdProvider } from '../oidc/provider.js';
import type { Sessions } from '../session/sessions.js';

export interface LogoutRouteOptions {
  config: Config;
  logger: Logger;
  provider: OpenIdProvider;
  sessions: Sessions;
  /** Revokes the session's refresh token at the OP. */
  accessTokens: Pick<AccessTokens, 'revoke'>;
}

export function logoutRoute(ctx: LogoutRouteOptions): Handler {
  const { sessions, accessTokens } = ctx;
  return async (req, res) => {
    // Read only: the session ends here, or (wrong sid) stays exactly as it was; the cookie is cleared below.
    const session = await sessions.read(req, res, { slide: false, resendCookie: false });
    if (session !== undefined) {
      // The sid proves the link came from our own SPA, not from a cross-site page.
      if (queryParam(queryOf(req), 'sid') !== session.data.logoutId) {
        throw badRequest('invalid_logout_sid', 'The logout link is not valid for this session.');
      }
      await sessions.end(session.id, session.data.user);
      req.log.info({ event: 'logout' }, 'session ended');
      const { refreshToken } = session.data.tokens;
      if (refreshToken) await accessTokens.revoke(refreshToken);
    }
    // A cross-site link arrives without the cookie (SameSite=Strict): then there is nothing to clear, and
    // clearing it anyway would log the browser out locally while its server session lives on.
    if (sessions.hasCookie(req)) sessions.clearCookie(res);
    redirect(res, await endSessionUrl(ctx));
  };
}

async function endSessionUrl({ provider, config, logger }: LogoutRouteOptions): Promise<string> {
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
