// GET /metrics: Prometheus text format. On the main port only with
// BFF_METRICS_TOKEN (as a bearer token); BFF_METRICS_PORT serves it on a
// port of its own instead, for a scraper inside the cluster.
import { timingSafeEqual } from 'node:crypto';
import { BffError } from '../errors.js';
import type { Handler } from '../http/endpoints.js';
import { sendNoStore } from '../http/respond.js';
import type { BffMetrics } from '../metrics.js';

export function metricsRoute(metrics: BffMetrics, token: string | undefined): Handler {
  const expected = token === undefined ? undefined : Buffer.from(`Bearer ${token}`);
  return async (req, res) => {
    if (expected !== undefined) {
      const given = Buffer.from(req.headers.authorization ?? '');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw new BffError(401, 'not_authenticated', 'The metrics endpoint needs its bearer token.');
      }
    }
    sendNoStore(res, metrics.registry.contentType, await metrics.registry.metrics());
  };
}
