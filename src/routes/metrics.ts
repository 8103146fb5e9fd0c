// GET /metrics: Prometheus text format. On the main port only with
// BFF_METRICS_TOKEN (as a bearer token); BFF_METRICS_PORT serves it on a
// port of its own instead, for a scraper inside the cluster.
import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { BffMetrics } from '../metrics.js';
import { BffError } from '../errors.js';

export function metricsRoute(metrics: BffMetrics, token: string | undefined): RequestHandler {
  const expected = token === undefined ? undefined : Buffer.from(`Bearer ${token}`);
  return async (req, res) => {
    if (expected !== undefined) {
      const given = Buffer.from(req.get('authorization') ?? '');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw new BffError(401, 'not_authenticated', 'The metrics endpoint needs its bearer token.');
      }
    }
    res.set('Content-Type', metrics.registry.contentType).set('Cache-Control', 'no-store');
    res.send(await metrics.registry.metrics());
  };
}
