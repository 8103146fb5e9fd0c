// GET /healthz (liveness) and GET /readyz (session store and OP reachable).
import type { RequestHandler } from 'express';
import type { BffContext } from '../context.js';

export const healthRoute: RequestHandler = (_req, res) => {
  res.set('Cache-Control', 'no-store').json({ status: 'ok' });
};

export function readyRoute({ stores, provider }: BffContext): RequestHandler {
  return async (_req, res) => {
    const [store, op] = await Promise.all([
      stores.ping().then(() => true, () => false),
      provider.configuration().then(() => true, () => false),
    ]);
    res.set('Cache-Control', 'no-store');
    res.status(store && op ? 200 : 503).json({
      status: store && op ? 'ready' : 'not_ready',
      checks: { sessionStore: store ? 'ok' : 'unavailable', openIdProvider: op ? 'ok' : 'unavailable' },
    });
  };
}
