// The setup most tests share, in one place: the BFF's keys, an OP with the
// BFF's client registered (the real oidc-provider, or the hostile proxy in
// front of it), maybe the API fixture, the BFF on the real Redis, maybe a
// Redis client to look at the sessions; and closing them all: the BFFs, the
// API, the OP, then the Redis client.
//
//   useStack(options, ready)  a describe block's: before() starts, after() closes
//   withStack(options, run)   one test's: run(stack), then close
//   startStack(options)       the stack itself; the caller closes it
import { after, before } from 'node:test';
import { createClient } from 'redis';
import type { ClientMetadata } from 'oidc-provider';
import type { Env } from '../../src/config.js';
import type { KeySpec } from '../../src/keygen.js';
import { API_CLIENT, startApi, type TestApi, type TestApiOptions } from '../fixtures/api.js';
import { startFederatedOp, type FederatedOp } from '../fixtures/federated-op.js';
import { startHostileOp, type HostileOp } from '../fixtures/hostile-op.js';
import { bffClient, startOp, type TestOp, type TestOpOptions } from '../fixtures/op.js';
import { BFF_ORIGIN, REDIS_URL, baseEnv, keysFor, startBff, type StartBffOptions, type TestBff, type TestKeys } from './harness.js';

export type TestRedis = ReturnType<typeof createClient>;

export interface StackOptions {
  /** The BFF's key set (default: the harness's DEFAULT_KEYS). */
  keys?: KeySpec[];
  /** The BFF's client id at the OP (default 'bff'). */
  clientId?: string;
  /** Client metadata over bffClient's defaults. */
  client?: Partial<ClientMetadata>;
  /** The hostile OP (startHostileOp, with the BFF's enc key) instead of the real one. */
  hostile?: boolean;
  /** The OP as a federation entity (startFederatedOp): Entity Configuration and signed JWKS, no plain discovery. */
  federated?: boolean;
  /** The OP's options; the hostile OP takes all but configuration. */
  op?: Pick<TestOpOptions, 'dpop' | 'configuration' | 'encKeyAlg' | 'jarm'>;
  /** Starts the API fixture (API_CLIENT registered at the OP) with these options. */
  api?: true | TestApiOptions;
  /** The BFF's configuration over baseEnv; a function is called once the OP and the API run. */
  env?: Env | ((started: { op: TestOp; api: TestApi; keys: TestKeys }) => Env | Promise<Env>);
  /** false: no BFF is started (stack.startBff starts one when the test is ready for it). */
  bff?: false;
  /** A client of the BFF's Redis (REDIS_URL), connected. */
  redis?: boolean;
}

type OpOf<O extends StackOptions> = O extends { hostile: true } ? HostileOp : O extends { federated: true } ? FederatedOp : TestOp;

export interface Stack<Op extends TestOp = TestOp> {
  keys: TestKeys;
  op: Op;
  /** The API fixture (options.api). */
  api: TestApi;
  /** The BFF (unless options.bff is false). */
  bff: TestBff;
  /** The BFF's configuration: baseEnv with options.env. */
  env: Env;
  /** The Redis client (options.redis). */
  redis: TestRedis;
  /** Another BFF on this OP, with `env` and `extra` over it; closed with the stack unless closed before. */
  startBff: (extra?: Env, options?: StartBffOptions) => Promise<TestBff>;
  close(): Promise<void>;
}

const missing = (what: string): never => {
  throw new Error(`this stack has no ${what}`);
};

export async function startStack<const O extends StackOptions>(options: O): Promise<Stack<OpOf<O>>> {
  const clientId = options.clientId ?? 'bff';
  const keys = await keysFor(options.keys);
  const clients = [bffClient(clientId, BFF_ORIGIN, keys.publicJwks, options.client)];
  if (options.api) clients.push(API_CLIENT);
  let op: TestOp;
  if (options.hostile) {
    if (options.op?.configuration) throw new Error('the hostile OP takes no configuration');
    op = await startHostileOp(
      clients,
      keys.privateJwks.keys.find((k) => k.use === 'enc')!,
      { dpop: options.op?.dpop, encKeyAlg: options.op?.encKeyAlg, jarm: options.op?.jarm },
    );
  } else if (options.federated) {
    op = await startFederatedOp(clients, { dpop: options.op?.dpop });
  } else {
    op = await startOp({ clients, ...options.op });
  }
  let api: TestApi | undefined;
  let redis: TestRedis | undefined;
  const bffs: TestBff[] = [];
  let env: Env = {};
  const close = async () => {
    for (const bff of bffs) await bff.close();
    await api?.close();
    await op.close();
    await redis?.close();
  };
  const another = async (extra: Env = {}, startOptions: StartBffOptions = {}) => {
    const bff = await startBff({ ...env, ...extra }, startOptions);
    let closing: Promise<void> | undefined;
    const once: TestBff = { ...bff, close: () => (closing ??= bff.close()) };
    bffs.push(once);
    return once;
  };
  try {
    if (options.api) api = await startApi(op.issuer, options.api === true ? {} : options.api);
    const started = {
      op,
      keys,
      get api() {
        return api ?? missing('API (options.api)');
      },
    };
    const extra = typeof options.env === 'function' ? await options.env(started) : options.env;
    env = baseEnv(op, clientId, keys, extra);
    const bff = options.bff === false ? undefined : await another();
    if (options.redis) {
      redis = createClient({ url: REDIS_URL });
      await redis.connect();
    }
    return {
      keys,
      op: op as OpOf<O>,
      get api() {
        return api ?? missing('API (options.api)');
      },
      get bff() {
        return bff ?? missing('BFF of its own (options.bff is false)');
      },
      env,
      get redis() {
        return redis ?? missing('Redis client (options.redis)');
      },
      startBff: another,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * The stack for a describe block: starts it in before(), hands it to `ready`
 * (which keeps what the tests use), closes it in after(). Hooks run in the
 * order they are registered: `options` as a function is read when the stack
 * starts, after the before() hooks registered ahead of useStack.
 */
export function useStack<const O extends StackOptions>(options: O | (() => O), ready: (stack: Stack<OpOf<O>>) => unknown): void {
  let stack: Stack<OpOf<O>> | undefined;
  before(async () => {
    stack = await startStack(typeof options === 'function' ? options() : options);
    await ready(stack);
  });
  after(() => stack?.close());
}

/** The stack for one test: `run` with it, then closes it. */
export async function withStack<const O extends StackOptions>(options: O, run: (stack: Stack<OpOf<O>>) => Promise<void>): Promise<void> {
  const stack = await startStack(options);
  try {
    await run(stack);
  } finally {
    await stack.close();
  }
}
