// OpenTelemetry: with OTEL_TRACES_EXPORTER set, a SERVER span per request
// (continuing the caller's traceparent) with CLIENT spans for the OP, Redis
// and the upstream API, and traceparent sent upstream; nothing without it.
// A real SDK (sdk-trace-base, in-memory exporter) stands in for the exporter.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { context, propagation, trace, SpanKind } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { internals } from '../src/context.js';
import { baseEnv, signIn, spawnBff, type TestBff } from './helpers/harness.js';
import { useStack, type Stack } from './helpers/stack.js';

const exporter = new InMemorySpanExporter();
const INCOMING_TRACE = '0af7651916cd43dd8448eb211c80319c';
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe('OpenTelemetry traces', () => {
  let stack: Stack;
  let bff: TestBff;
  before(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
  });
  after(() => exporter.shutdown());
  useStack(
    {
      api: true,
      env: ({ api }) => ({
        OTEL_TRACES_EXPORTER: 'otlp',
        BFF_API_ROUTES: JSON.stringify([{ path: '/bff/api/echo', target: `${api.url}/v1`, token: 'required' }]),
      }),
    },
    (s) => {
      stack = s;
      bff = s.bff;
    },
  );

  it('gives the callback a span with the OP calls and Redis commands as its children', async () => {
    exporter.reset();
    await signIn(bff);
    const spans = exporter.getFinishedSpans();
    const callback = spans.find((s) => s.name === 'GET /bff/callback')!;
    assert.ok(callback, spans.map((s) => s.name).join());
    assert.equal(callback.kind, SpanKind.SERVER);
    assert.equal(callback.attributes['http.response.status_code'], 302);
    const children = spans.filter((s) => parentOf(s) === callback.spanContext().spanId);
    const names = children.map((s) => s.name);
    assert.ok(names.includes('OP POST'), `the token request: ${names.join()}`);
    assert.ok(names.includes('OP GET'), `userinfo: ${names.join()}`);
    assert.ok(names.includes('redis GETDEL'), `the login transaction: ${names.join()}`);
    for (const child of children) {
      assert.equal(child.kind, SpanKind.CLIENT);
      assert.equal(child.spanContext().traceId, callback.spanContext().traceId);
    }
    const token = children.find((s) => s.name === 'OP POST')!;
    assert.equal(token.attributes['http.response.status_code'], 200);
    assert.doesNotMatch(String(token.attributes['url.full']), /\?/);
  });

  it("continues the caller's trace through /bff/api and sends the upstream span's traceparent to the API", async () => {
    const { browser } = await signIn(bff);
    exporter.reset();
    await browser.agent
      .get('/bff/api/echo/x?q=secret')
      .set('X-CSRF', '1')
      .set('traceparent', `00-${INCOMING_TRACE}-b7ad6b7169203331-01`)
      .expect(200);
    const spans = exporter.getFinishedSpans();
    const server = spans.find((s) => s.kind === SpanKind.SERVER)!;
    assert.equal(server.name, 'GET /bff/api');
    assert.equal(server.spanContext().traceId, INCOMING_TRACE);
    assert.equal(parentOf(server), 'b7ad6b7169203331');
    const upstream = spans.find((s) => s.name === 'GET upstream')!;
    assert.equal(parentOf(upstream), server.spanContext().spanId);
    assert.equal(upstream.attributes['http.response.status_code'], 200);
    assert.equal(upstream.attributes['url.full'], `${stack.api.url}/v1/x`);
    assert.ok(spans.some((s) => s.name === 'redis GETEX' && parentOf(s) === server.spanContext().spanId));
    // The API got the upstream span's context, not the browser's.
    const sent = String(stack.api.requests.at(-1)!.headers.traceparent);
    assert.equal(sent, `00-${INCOMING_TRACE}-${upstream.spanContext().spanId}-01`);
    // No token, cookie, code or query in any span.
    const dump = JSON.stringify(spans.map((s) => ({ name: s.name, attributes: s.attributes, events: s.events, status: s.status })));
    assert.doesNotMatch(dump, /eyJ|secret|bff-session|Bearer|DPoP /);
  });

  it('is off without OTEL_TRACES_EXPORTER (or with OTEL_SDK_DISABLED=true): no span, no wrapper', async () => {
    for (const env of [{ OTEL_TRACES_EXPORTER: undefined }, { OTEL_SDK_DISABLED: 'true' }, { OTEL_TRACES_EXPORTER: 'none' }]) {
      const other = await stack.startBff(env);
      assert.equal(internals(other.app).context.tracing, undefined);
      exporter.reset();
      const { browser } = await signIn(other);
      await browser.agent.get('/bff/user').set('X-CSRF', '1').expect(200);
      assert.deepEqual(
        exporter.getFinishedSpans().map((s) => s.name),
        [],
      );
      await other.close();
    }
  });

  it('the server says how to get the SDK when OTEL_TRACES_EXPORTER is set without one, and serves all the same', async () => {
    const server = await spawnBff(baseEnv(stack.op, 'bff', stack.keys, { OTEL_TRACES_EXPORTER: 'otlp' }));
    try {
      assert.match(
        server.output(),
        /OTEL_TRACES_EXPORTER is set, but @opentelemetry\/sdk-node is not installed: npm install @opentelemetry\/sdk-node/,
      );
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });
});
