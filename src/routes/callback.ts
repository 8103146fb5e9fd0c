// GET /bff/callback: the redirect_uri. Completes the login in a brand-new
// session (fresh id: no fixation), or fails with >= 400 and no session.
// With JARM (BFF_RESPONSE_MODE=jwt) the response is one `response` JWT,
// in the query (jwt, query.jwt) or a form POST (form_post.jwt).
import { randomBytes } from 'node:crypto';
import express from 'express';
import type { Config } from '../config.js';
import { badRequest } from '../errors.js';
import type { Handler } from '../http/endpoints.js';
import { queryOf, queryParam, requestQuery } from '../http/request-url.js';
import { redirect } from '../http/respond.js';
import type { BffMetrics } from '../metrics.js';
import type { CodeFlow } from '../oidc/code-flow.js';
import type { Jarm } from '../oidc/jarm.js';
import type { OpenIdProvider } from '../oidc/provider.js';
import { protectionOf, recordingProtection } from '../oidc/protection.js';
import type { Sessions } from '../session/sessions.js';
import type { Stores } from '../store/stores.js';
import { clearLoginCookie, loginBinding, loginCookieName } from './login.js';

const STATE_FORMAT = /^[A-Za-z0-9_-]{16,128}$/;
// Parameters a code-flow response may carry; anything else (tokens: an implicit or hybrid response) is refused.
const PLAIN_PARAMS = ['code', 'error', 'iss', 'state'];

/** The form_post.jwt body: one response JWT (and at most a few more fields, refused by jarmResponse). */
export const callbackFormBody = (config: Config) =>
  express.urlencoded({ extended: false, limit: config.jose.maxTokenBytes + 1024, parameterLimit: 10 });

export interface CallbackRouteOptions {
  config: Config;
  provider: OpenIdProvider;
  stores: Pick<Stores, 'loginTransactions'>;
  sessions: Sessions;
  codeFlow: CodeFlow;
  jarm: Jarm;
  metrics: BffMetrics;
}

export function callbackRoute({ config, provider, stores, sessions, codeFlow, jarm, metrics }: CallbackRouteOptions): Handler {
  return async (req, res) => {
    const query = queryOf(req);
    // JARM: the policy opens the JWT first; its state finds the login, and is verified with the rest below.
    const jarmJwt = config.responseMode === 'query' ? undefined : jarmResponse(query, req);
    const opened = jarmJwt === undefined ? undefined : await jarm.open(jarmJwt);
    const state = opened ? opened.state : queryParam(query, 'state');
    if (typeof state !== 'string' || !STATE_FORMAT.test(state)) {
      throw badRequest('invalid_state', 'The login response has no valid state; start the login again.');
    }
    if (!opened) checkResponseShape(query);
    const loginCookie = loginCookieName(config, state);
    const binding = loginBinding(req.headers.cookie, loginCookie);
    // The binding has served once the transaction is taken, whatever the outcome.
    if (binding !== undefined) clearLoginCookie(res, config, loginCookie);
    const taken = await stores.loginTransactions.take(state, binding);
    if (taken.status === 'unknown') {
      throw badRequest('invalid_state', 'This login is unknown, expired or already completed; start the login again.');
    }
    if (taken.status === 'wrong_browser') {
      throw badRequest('login_binding_mismatch', 'This login was started in another browser; start the login again.');
    }
    const { tx } = taken;
    const configuration = await provider.configuration();

    // The registered redirect_uri with the response's parameters: openid-client sends it to the token endpoint.
    const callbackUrl = new URL(config.redirectUri);
    callbackUrl.search = opened ? (await jarm.verify(configuration, opened, state)).toString() : requestQuery(req);
    const complete = () => codeFlow.completeLogin(configuration, callbackUrl, state, tx);
    const logoutId = randomBytes(16).toString('base64url');
    if (config.development) {
      // GET /bff/diagnostics shows it: headers only (alg, enc, kid), never content.
      const { result, protection } = await recordingProtection(complete);
      protection.authorization_response = protectionOf(jarmJwt, opened?.header);
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
  for (const name of PLAIN_PARAMS) {
    const value = param(name);
    if (value !== undefined && (typeof value !== 'string' || value === '')) throw invalid();
  }
  if ((param('code') === undefined) === (param('error') === undefined)) throw invalid();
  for (const name of ['id_token', 'access_token', 'token', 'response']) if (param(name) !== undefined) throw invalid();
}

/** The one `response` JWT of a JARM callback, from the query (GET) or the form (POST); nothing else beside it. */
function jarmResponse(query: URLSearchParams, req: Parameters<Handler>[0]): string {
  const params = req.method === 'POST' ? formOf(req) : query;
  const response = params.getAll('response');
  if (response.length === 0 || [...params.keys()].some((name) => PLAIN_PARAMS.includes(name))) {
    throw badRequest('authorization_response_not_jwt', 'The login response is not the signed JWT this BFF expects; start the login again.');
  }
  if (response.length > 1 || response[0] === '') {
    throw badRequest('invalid_authorization_response', 'The authorization response is malformed; start the login again.');
  }
  return response[0]!;
}

/** The urlencoded form of a POST (form_post.jwt), parsed by the route's body parser; a repeated name keeps its values. */
function formOf(req: Parameters<Handler>[0]): URLSearchParams {
  const body = (req as { body?: Record<string, unknown> }).body ?? {};
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(body)) for (const item of [value].flat()) form.append(name, String(item));
  return form;
}
