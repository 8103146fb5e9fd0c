// The Redis connection every server-side store shares: one node, a Cluster,
// or behind Sentinel. Commands fail fast while Redis is down (503s, not a
// queue that grows), each is bounded by BFF_REDIS_TIMEOUT, and the client
// reconnects by itself.
import { createClient, createCluster, createSentinel } from 'redis';
import type { RedisConfig } from '../config.js';
import { BffError, storeUnavailable } from '../errors.js';
import type { Tracing } from '../tracing.js';

/** The few Redis commands the BFF uses, common to a client, a cluster and a sentinel connection. */
export interface Redis {
  get(key: string): Promise<string | null>;
  getEx(key: string, options: { type: 'EX'; value: number }): Promise<string | null>;
  set(
    key: string,
    value: string,
    options: { expiration: { type: 'EX' | 'PX'; value: number } | 'KEEPTTL'; condition?: 'NX' | 'XX' },
  ): Promise<string | null>;
  pTTL(key: string): Promise<number>;
  getDel(key: string): Promise<string | null>;
  del(key: string): Promise<number>;
  sAdd(key: string, member: string): Promise<number>;
  sMembers(key: string): Promise<string[]>;
  sRem(key: string, member: string): Promise<number>;
  expire(key: string, seconds: number): Promise<number>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  on(event: 'error' | 'ready', listener: (err: Error) => void): unknown;
  connect(): Promise<unknown>;
  close(): Promise<void>;
}

export interface RedisConnection {
  client: Redis;
  ping(): Promise<void>;
  isOpen(): boolean;
}

export function connectRedis(redis: RedisConfig): RedisConnection {
  const socket = {
    connectTimeout: 5000,
    reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 3000),
  };
  // Fail fast while disconnected (503) instead of queueing requests until Redis returns, and
  // bound the queue of a Redis that hangs. (Commands are timed by withCommandTimeout: see there.)
  const common = { disableOfflineQueue: true, commandsQueueMaxLength: 10_000 };
  if (redis.mode === 'cluster') {
    const cluster = createCluster({ rootNodes: redis.nodes.map((url) => ({ url })), defaults: { socket, ...common } });
    return {
      client: cluster,
      ping: async () => void (await cluster.sendCommand(undefined, true, ['PING'])),
      isOpen: () => cluster.isOpen,
    };
  }
  if (redis.mode === 'sentinel') {
    const sentinel = createSentinel({
      name: redis.masterName,
      sentinelRootNodes: redis.nodes.map((node) => ({ host: node.host, port: node.port })),
      nodeClientOptions: { socket, ...common },
    });
    return { client: sentinel, ping: async () => void (await sentinel.ping()), isOpen: () => sentinel.isOpen };
  }
  const client = createClient({ url: redis.url, socket, ...common });
  return {
    client: client,
    ping: async () => {
      if (!client.isReady) throw new Error('Redis is not connected');
      await client.ping();
    },
    isOpen: () => client.isOpen,
  };
}

/**
 * The client with every command bounded by BFF_REDIS_TIMEOUT (a hung Redis
 * means 503s, not requests that wait for ever), for our code and connect-redis
 * alike. node-redis's own command timeout makes an AbortSignal.timeout() per
 * command that lives for the whole timeout, however fast the reply: at
 * thousands of requests per second V8 promotes them all, and the garbage
 * collector's pauses become the BFF's p99. A timer cleared on reply dies young.
 * As with node-redis's timeout, a command already sent still runs if Redis
 * answers later. connect-redis gets this client too: express-session uses only
 * its get/set/expire/del (not all(), ids(), length() or clear()).
 */
export function withCommandTimeout(client: Redis, timeoutMs: number, tracing?: Tracing): Redis {
  // With traces on, each command is a span too; without, nothing is added.
  const timed = tracing
    ? <T>(name: string, command: Promise<T>) => withinTimeout(tracing.redis(name, command), timeoutMs, `Redis ${name}`)
    : <T>(name: string, command: Promise<T>) => withinTimeout(command, timeoutMs, `Redis ${name}`);
  return {
    get: (key) => timed('GET', client.get(key)),
    getEx: (key, options) => timed('GETEX', client.getEx(key, options)),
    set: (key, value, options) => timed('SET', client.set(key, value, options)),
    pTTL: (key) => timed('PTTL', client.pTTL(key)),
    getDel: (key) => timed('GETDEL', client.getDel(key)),
    del: (key) => timed('DEL', client.del(key)),
    sAdd: (key, member) => timed('SADD', client.sAdd(key, member)),
    sMembers: (key) => timed('SMEMBERS', client.sMembers(key)),
    sRem: (key, member) => timed('SREM', client.sRem(key, member)),
    expire: (key, seconds) => timed('EXPIRE', client.expire(key, seconds)),
    eval: (script, options) => timed('EVAL', client.eval(script, options)),
    on: (event, listener) => client.on(event, listener),
    connect: () => client.connect(),
    close: () => client.close(),
  };
}

export function withinTimeout<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} took longer than ${timeoutMs} ms`)), timeoutMs);
    work.then(
      (value) => (clearTimeout(timer), resolve(value)),
      (err: unknown) => (clearTimeout(timer), reject(err)),
    );
  });
}

/** A store command's failure as the 503 `session_store_unavailable` (BffErrors pass as they are). */
export function storeFailure<T>(work: Promise<T>): Promise<T> {
  return work.catch((err: unknown) => Promise.reject(err instanceof BffError ? err : storeUnavailable(err)));
}
