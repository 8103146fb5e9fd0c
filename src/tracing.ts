// OpenTelemetry traces, through the API package only: a SERVER span per
// request (continuing an incoming traceparent) with CLIENT spans for the OP,
// Redis and upstream API calls, and traceparent sent to the upstream APIs.
// Off unless the standard OTEL_* variables ask for traces (config.tracing);
// then an SDK must be registered (tracing-sdk.ts starts @opentelemetry/sdk-node
// when installed). When off, nothing here is called: createApp and the stores
// install no wrapper at all, so tracing off costs nothing (README: Benchmarks).
// Spans carry methods, routes, hosts, paths without query, statuses and
// error types: never a token, a code, a cookie or a claim.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, propagation, SpanKind, SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';

export class Tracing {
  private readonly tracer = trace.getTracer('sealed-bff');

  /** Serves one request inside a SERVER span named by its route (low cardinality), continuing the caller's trace. */
  request(req: IncomingMessage, res: ServerResponse, route: string, path: string, serve: () => void): void {
    const parent = propagation.extract(context.active(), req.headers);
    const method = req.method ?? 'GET';
    const span = this.tracer.startSpan(
      `${method} ${route}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': method, 'http.route': route, 'url.path': path } },
      parent,
    );
    res.once('close', () => {
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    context.with(trace.setSpan(parent, span), serve);
  }

  /** A fetch to the OP (openid-client's customFetch shape) inside a CLIENT span. */
  opFetch<O extends { method: string }>(fetch: (url: string, options: O) => Promise<Response>) {
    return (url: string, options: O): Promise<Response> =>
      this.client(
        `OP ${options.method}`,
        { ...httpAttributes(options.method, new URL(url)), 'peer.service': 'openid-provider' },
        () => fetch(url, options),
        (res) => res.status,
      );
  }

  /** One Redis command, already sent, inside a CLIENT span until its reply. */
  redis<T>(name: string, command: Promise<T>): Promise<T> {
    return this.client(`redis ${name}`, { 'db.system': 'redis', 'db.operation.name': name }, () => command);
  }

  /** An upstream API call: `work` gets the headers that carry the span (traceparent) and resolves to the response. */
  upstream(method: string, url: URL, work: (headers: Record<string, string>) => Promise<IncomingMessage>): Promise<IncomingMessage> {
    return this.client(`${method} upstream`, httpAttributes(method, url), work, (res) => res.statusCode);
  }

  private async client<T>(
    name: string,
    attributes: Attributes,
    work: (headers: Record<string, string>) => Promise<T>,
    statusOf?: (result: T) => number | undefined,
  ): Promise<T> {
    const span = this.tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes });
    const active = trace.setSpan(context.active(), span);
    const headers: Record<string, string> = {};
    propagation.inject(active, headers);
    try {
      const result = await context.with(active, () => work(headers));
      const status = statusOf?.(result);
      if (status !== undefined) {
        span.setAttribute('http.response.status_code', status);
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      }
      return result;
    } catch (err) {
      // The error's type only: messages may quote what the OP or an upstream said.
      const type = err instanceof Error ? ((err as { code?: string }).code ?? err.name) : 'error';
      span.setAttribute('error.type', type);
      span.setStatus({ code: SpanStatusCode.ERROR, message: type });
      throw err;
    } finally {
      span.end();
    }
  }
}

function httpAttributes(method: string, url: URL): Attributes {
  return {
    'http.request.method': method,
    'server.address': url.hostname,
    'url.full': `${url.origin}${url.pathname}`, // never the query: it may hold codes or parameters
  };
}

/** An upstream call, as a span when traces are on; without, `work` gets no trace headers. */
export function traceUpstream(
  tracing: Tracing | undefined,
  method: string,
  url: URL,
  work: (headers: Record<string, string>) => Promise<IncomingMessage>,
): Promise<IncomingMessage> {
  return tracing === undefined ? work({}) : tracing.upstream(method, url, work);
}
