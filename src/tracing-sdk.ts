// With traces on (OTEL_TRACES_EXPORTER), the server starts OpenTelemetry's
// Node SDK, which reads every other OTEL_* variable itself (endpoint,
// headers, service name, sampler). It is an optional package: the BFF's own
// code needs only @opentelemetry/api. Without it, the server says how to get
// it and runs untraced, unless an SDK was registered some other way
// (`node --import` of your own setup), which then receives the spans.
import { trace } from '@opentelemetry/api';

// Held in a variable: TypeScript must not resolve a package that is optional.
const SDK_PACKAGE = '@opentelemetry/sdk-node';

interface NodeSdk {
  start(): void;
  shutdown(): Promise<void>;
}

/** Starts the SDK; returns its shutdown (which flushes the last spans), or a sentence saying why there is none. */
export async function startTracingSdk(): Promise<{ shutdown: () => Promise<void> } | { problem: string }> {
  // A tracer provider registered before us (node --import …) is the user's choice: keep it.
  const registered = (trace.getTracerProvider() as { getDelegate?: () => object }).getDelegate?.();
  if (registered !== undefined && registered.constructor.name !== 'NoopTracerProvider') return { shutdown: async () => {} };
  let sdk: NodeSdk;
  try {
    const { NodeSDK } = (await import(SDK_PACKAGE)) as { NodeSDK: new (options?: object) => NodeSdk };
    sdk = new NodeSDK({ serviceName: process.env.OTEL_SERVICE_NAME ?? 'sealed-bff' });
  } catch {
    return {
      problem: `OTEL_TRACES_EXPORTER is set, but ${SDK_PACKAGE} is not installed: npm install ${SDK_PACKAGE} (or register an SDK with node --import); no traces are exported`,
    };
  }
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
