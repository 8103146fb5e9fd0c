// Every endpoint of the BFF: method, path, handler. One file per endpoint in
// this folder; http/endpoints.ts matches requests against this table.
import type { BffContext } from '../context.js';
import type { Endpoint } from '../http/endpoints.js';
import { apiProxyRoute } from './api-proxy.js';
import { backchannelLogoutBody, backchannelLogoutRoute } from './backchannel-logout.js';
import { callbackFormBody, callbackRoute } from './callback.js';
import { diagnosticsRoute } from './diagnostics.js';
import { ENTITY_CONFIGURATION_PATH, SIGNED_JWKS_PATH } from '../federation/entity.js';
import { entityConfigurationRoute, signedJwksRoute } from './federation.js';
import { healthRoute, readyRoute } from './health.js';
import { jwksRoute } from './jwks.js';
import { loginRoute } from './login.js';
import { logoutRoute } from './logout.js';
import { metricsRoute } from './metrics.js';
import { userRoute } from './user.js';

export function routeTable(ctx: BffContext): Endpoint[] {
  const { config } = ctx;
  const table: Endpoint[] = [
    { method: 'GET', path: '/bff/user', fast: true, handle: userRoute(ctx) },
    { method: 'ANY', path: '/bff/api', prefix: true, fast: true, handle: apiProxyRoute(ctx) },
    { method: 'GET', path: '/bff/login', handle: loginRoute(ctx) },
    { method: 'GET', path: '/bff/callback', handle: callbackRoute(ctx) },
    { method: 'GET', path: '/bff/logout', handle: logoutRoute(ctx) },
    { method: 'POST', path: '/bff/backchannel-logout', before: [backchannelLogoutBody(config)], handle: backchannelLogoutRoute(ctx) },
    { method: 'GET', path: '/healthz', handle: healthRoute },
    { method: 'GET', path: '/readyz', handle: readyRoute(ctx) },
    { method: 'GET', path: '/.well-known/jwks.json', handle: jwksRoute(ctx) },
  ];
  // form_post.jwt (JARM): the OP's page posts the response JWT; only when the configuration may ask for it.
  if (config.responseMode === 'jwt' || config.responseMode === 'form_post.jwt')
    table.push({ method: 'POST', path: '/bff/callback', before: [callbackFormBody(config)], handle: callbackRoute(ctx) });
  if (config.development) table.push({ method: 'GET', path: '/bff/diagnostics', handle: diagnosticsRoute(ctx) });
  if (ctx.federation !== undefined) {
    table.push({ method: 'GET', path: ENTITY_CONFIGURATION_PATH, handle: entityConfigurationRoute(ctx.federation) });
    table.push({ method: 'GET', path: SIGNED_JWKS_PATH, handle: signedJwksRoute(ctx.federation) });
  }
  // On the main port only behind its bearer token; BFF_METRICS_PORT serves it on its own port (server.ts).
  if (config.metrics.token !== undefined)
    table.push({ method: 'GET', path: '/metrics', handle: metricsRoute(ctx.metrics, config.metrics.token) });
  return table;
}
