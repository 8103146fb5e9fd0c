// GET /bff/callback: the redirect_uri. Completes the login in a brand-new
// session (fresh id: no fixation), or fails with >= 400 and no session.
import { randomBytes } from 'node:crypto';
import type { Config } from '../config.js';
import { badRequest } from '../errors.js';
import type { Handler } from '../http/endpoints.js';
import { queryOf, queryParam, requestQuery } from '../http/request-url.js';
import { redirect } from '../http/respond.js';
import type { BffMetrics } from '../metrics.js';
import type { CodeFlow } from '../oidc/code-flow.js';
import type { OpenIdProvider } from '../oidc/provider.js';
import { recordingProtection } from '../oidc/protection.js';
import type { Sessions } from '../session/sessions.js';
import type { Stores } from '../store/stores.js';
import { loginBinding, loginCookieName } from './login.js';

const STATE_FORMAT = /^[A-Za-z0-9_-]{16,128}$/;

export interface CallbackRouteOptions {
  config: Config;
  provider: OpenIdProvider;
  stores: Pick<Stores, 'loginTransactions'>;
  sessions: Sessions;
  codeFlow: CodeFlow;
  metrics: BffMetrics;
}

export function callbackRoute({ config, provider, stores, sessions, codeFlow, metrics }: CallbackRouteOptions): Handler {
  const loginCookie = loginCookieName(config);
  return async (req, res) => {
    const query = queryOf(req);
    const state = queryParam(query, 'state');
    if (typeof state !== 'string' || !STATE_FORMAT.test(state)) {
      throw badRequest('invalid_state', 'The login response has no valid state; start the login again.');
    }
    checkResponseShape(query);
    const taken = await stores.loginTransactions.take(state, loginBinding(req.headers.cookie, loginCookie));
    if (taken.status === 'unknown') {
      throw badRequest('invalid_state', 'This login is unknown, expired or already completed; start the login again.');
    }
    if (taken.status === 'wrong_browser') {
      throw badRequest('login_binding_mismatch', 'This login was started in another browser; start the login again.');
    }
    const { tx } = taken;

    // The registered redirect_uri with the response's query: openid-client sends it to the token endpoint.
    const callbackUrl = new URL(config.redirectUri);
    callbackUrl.search = requestQuery(req);
    const configuration = await provider.configuration();
    const complete = () => codeFlow.completeLogin(configuration, callbackUrl, state, tx);
    const logoutId = randomBytes(16).toString('base64url');
    if (config.development) {
      // GET /bff/diagnostics shows it; the authorization response came as a plain query (no JARM yet).
      const { result, protection } = await recordingProtection(complete);
      protection.authorization_response = { signed: null, encrypted: null };
      await sessions.create(req, res, { ...result, logoutId, protection });
    } else {
      await sessions.create(req, res, { ...(await complete()), logoutId });
    }
    req.log.info({ event: 'login' }, 'login completed');
    metrics.loginsCompleted.inc();
    redirect(res, tx.returnTo);
  };
}

/**
 * A code-flow response: one `state`, and either one `code` or one `error`, at
 * most one `iss`; never tokens (an implicit or hybrid response is not ours).
 */
function checkResponseShape(query: URLSearchParams): void {
  const invalid = () => badRequest('invalid_authorization_response', 'The authorization response is malformed; start the login again.');
  const param = (name: string) => queryParam(query, name);
  for (const name of ['code', 'error', 'iss', 'state']) {
    const value = param(name);
    if (value !== undefined && (typeof value !== 'string' || value === '')) throw invalid();
  }
  if ((param('code') === undefined) === (param('error') === undefined)) throw invalid();
  for (const name of ['id_token', 'access_token', 'token', 'response']) if (param(name) !== undefined) throw invalid();
}
