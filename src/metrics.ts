// Prometheus metrics (prom-client), one registry per app so that several
// apps in one process (tests, benchmarks) do not collide.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class BffMetrics {
  readonly registry = new Registry();
  readonly loginsStarted = new Counter({
    name: 'bff_logins_started_total',
    help: 'Logins started (/bff/login redirects to the OP)',
    registers: [this.registry],
  });
  readonly loginsCompleted = new Counter({
    name: 'bff_logins_completed_total',
    help: 'Logins completed with a new session',
    registers: [this.registry],
  });
  readonly callbackFailures = new Counter({
    name: 'bff_callback_failures_total',
    help: 'Failed /bff/callback requests, by error code',
    labelNames: ['code'],
    registers: [this.registry],
  });
  readonly refreshes = new Counter({
    name: 'bff_token_refreshes_total',
    help: 'Access token refreshes at the OP, by outcome',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly revocations = new Counter({
    name: 'bff_token_revocations_total',
    help: 'Refresh token revocations at the OP (at logout and after a refused refresh), by outcome: revoked, failed',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly backchannelLogouts = new Counter({
    name: 'bff_backchannel_logouts_total',
    help: 'Back-channel logout requests, by outcome',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly proxyRequests = new Counter({
    name: 'bff_proxy_requests_total',
    help: 'API proxy requests, by route and status',
    labelNames: ['route', 'status'],
    registers: [this.registry],
  });
  readonly proxyDuration = new Histogram({
    name: 'bff_proxy_request_duration_seconds',
    help: 'API proxy request duration until the upstream response headers, by route',
    labelNames: ['route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly storeErrors = new Counter({
    name: 'bff_session_store_errors_total',
    help: 'Requests answered 503 session_store_unavailable',
    registers: [this.registry],
  });
  readonly keyNextTransition = new Gauge({
    name: 'bff_key_next_transition_timestamp_seconds',
    help: "When the keys in effect change next (a key's nbf or exp), Unix time; 0: nothing scheduled",
    labelNames: ['keys'],
    registers: [this.registry],
  });
  readonly signingKeyWithoutSuccessor = new Gauge({
    name: 'bff_signing_key_without_successor',
    help: '1 when the signing key has an exp and no successor is scheduled',
    labelNames: ['keys'],
    registers: [this.registry],
  });
  readonly opFederationRefusals = new Counter({
    name: 'bff_op_federation_refusals_total',
    help: "The OP's Entity Configuration or signed JWKS refused (not signed by a trusted federation key, or invalid)",
    labelNames: ['document'],
    registers: [this.registry],
  });

  /**
   * `processMetrics`: also Node's own (memory, CPU, event loop, GC). Only when
   * /metrics is served: their collectors (a GC observer, an event-loop delay
   * monitor) run for as long as the process does.
   */
  constructor({ processMetrics }: { processMetrics: boolean }) {
    if (processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'bff_' });
  }
}
