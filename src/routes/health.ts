// GET /healthz (liveness) and GET /readyz (session store and OP reachable).
import type { Handler } from '../http/endpoints.js';
import { sendJson } from '../http/respond.js';
import type { OpenIdProvider } from '../oidc/provider.js';
import type { Stores } from '../store/stores.js';

export const healthRoute: Handler = async (_req, res) => sendJson(res, { status: 'ok' });

export interface ReadyRouteOptions {
  stores: Pick<Stores, 'ping'>;
  provider: Pick<OpenIdProvider, 'configuration'>;
}

export function readyRoute({ stores, provider }: ReadyRouteOptions): Handler {
  return async (_req, res) => {
    const [store, op] = await Promise.all([
      stores.ping().then(
        () => true,
        () => false,
      ),
      provider.configuration().then(
        () => true,
        () => false,
      ),
    ]);
    res.statusCode = store && op ? 200 : 503;
    sendJson(res, {
      status: store && op ? 'ready' : 'not_ready',
      checks: { sessionStore: store ? 'ok' : 'unavailable', openIdProvider: op ? 'ok' : 'unavailable' },
    });
  };
}
