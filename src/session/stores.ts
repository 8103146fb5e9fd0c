// Where server-side state lives: Redis (one node, a Cluster, or behind
// Sentinel) in production, process memory otherwise (development only;
// config.ts refuses it in production). Every store error becomes a 503
// `session_store_unavailable`; commands fail fast while Redis is down instead
// of queueing, and the client reconnects by itself.
import { createHash, randomBytes } from 'node:crypto';
import session from 'express-session';
import { RedisStore } from 'connect-redis';
import { createClient, createCluster, createSentinel } from 'redis';
import type { Config } from '../config.js';
import { BffError, storeUnavailable } from '../errors.js';
import type { SessionUser } from './session.js';
import type { Logger } from '../logger.js';
import { MemoryLoginTransactionStore, RedisLoginTransactionStore, type LoginTransactionStore } from './login-transactions.js';

/** Finds the BFF sessions of an OP session (`sid`) or user (`sub`), for back-channel logout. */
export interface SessionIndex {
  add(entry: { sub: string; opSid: string | undefined }, sessionId: string, ttlSeconds: number): Promise<void>;
  find(entry: { sub?: string; opSid?: string }): Promise<string[]>;
  remove(entry: { sub: string; opSid: string | undefined }, sessionId: string): Promise<void>;
}

/** A lease-based lock shared by all instances. */
export interface Locks {
  /** Returns a token when acquired, undefined when someone else holds the lock. */
  acquire(name: string, leaseMs: number): Promise<string | undefined>;
  release(name: string, token: string): Promise<void>;
}

/** Remembers values (logout token jtis) to refuse their second use. */
export interface ReplayGuard {
  /** True the first time `value` is seen within `ttlSeconds`. When it fails (503), `value` is not counted as seen. */
  firstUse(value: string, ttlSeconds: number): Promise<boolean>;
  /** Forgets `value`, so that a request that failed half-way can be retried. */
  forget(value: string): Promise<void>;
}

export interface Stores {
  kind: 'redis' | 'memory';
  sessions: session.Store;
  loginTransactions: LoginTransactionStore;
  sessionIndex: SessionIndex;
  locks: Locks;
  replay: ReplayGuard;
  /**
   * Changes a stored session without touching its expiry, and only if it still
   * exists: a refresh must neither shorten a session nor revive an ended one.
   */
  updateSession(sessionId: string, change: (stored: session.SessionData) => session.SessionData): Promise<boolean>;
  /**
   * Reads a session and restarts its idle timeout in one step (Redis GETEX):
   * what express-session's rolling touch does, for the hot paths (session-reader.ts).
   */
  loadSessionSliding(sessionId: string, idleSeconds: number): Promise<session.SessionData | undefined>;
  /** Milliseconds until an idle session expires in the store; undefined when the store cannot tell. */
  sessionTtlMs(sessionId: string): Promise<number | undefined>;
  /** Resolves when the store answers; rejects otherwise. */
  ping(): Promise<void>;
  /** Resolves once the store is connected (at once for the memory store). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/** express-session's callback-style store API as a promise; store failures become 503s. */
export function storeCall<T>(call: (cb: (err: unknown, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) =>
    call((err, value) => (err ? reject(err instanceof BffError ? err : storeUnavailable(err)) : resolve(value as T))),
  );
}

export function loadStoredSession(stores: Stores, sessionId: string): Promise<session.SessionData | null | undefined> {
  return storeCall((cb) => stores.sessions.get(sessionId, cb));
}

/** Ends a session found in the store (not the request's own): the session and its back-channel index entries. */
export async function endStoredSession(stores: Stores, sessionId: string, user: SessionUser | undefined): Promise<void> {
  await storeCall<void>((cb) => stores.sessions.destroy(sessionId, cb));
  if (user) await stores.sessionIndex.remove(user, sessionId);
}

export function createStores(config: Config, logger: Logger): Stores {
  return config.redis === undefined ? createMemoryStores() : createRedisStores(config, logger);
}

/** The few Redis commands the BFF uses, common to a client, a cluster and a sentinel connection. */
export interface Redis {
  get(key: string): Promise<string | null>;
  getEx(key: string, options: { type: 'EX'; value: number }): Promise<string | null>;
  set(key: string, value: string, options: { EX?: number; PX?: number; NX?: true; XX?: true; KEEPTTL?: true }): Promise<string | null>;
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

function connect(config: Config): { client: Redis; ping(): Promise<void>; isOpen(): boolean } {
  const redis = config.redis!;
  const socket = {
    connectTimeout: 5000,
    reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 3000),
  };
  // Fail fast while disconnected (503) instead of queueing requests until Redis returns, and
  // bound the queue of a Redis that hangs. (Commands are timed by withCommandTimeout: see there.)
  const common = { disableOfflineQueue: true, commandsQueueMaxLength: 10_000 };
  if (redis.mode === 'cluster') {
    const cluster = createCluster({ rootNodes: redis.nodes.map((url) => ({ url })), defaults: { socket, ...common } });
    return { client: cluster as unknown as Redis, ping: async () => void (await cluster.sendCommand(undefined, true, ['PING'])), isOpen: () => cluster.isOpen };
  }
  if (redis.mode === 'sentinel') {
    const sentinel = createSentinel({
      name: redis.masterName,
      sentinelRootNodes: redis.nodes.map((node) => ({ host: node.host, port: node.port })),
      nodeClientOptions: { socket, ...common },
    });
    return { client: sentinel as unknown as Redis, ping: async () => void (await sentinel.ping()), isOpen: () => sentinel.isOpen };
  }
  const client = createClient({ url: redis.url, socket, ...common });
  return {
    client: client as unknown as Redis,
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
export function withCommandTimeout(client: Redis, timeoutMs: number): Redis {
  const timed = <A extends unknown[], T>(name: string, command: (...args: A) => Promise<T>) =>
    (...args: A) => withinTimeout(command.apply(client, args), timeoutMs, `Redis ${name}`);
  return {
    get: timed('GET', client.get),
    getEx: timed('GETEX', client.getEx),
    set: timed('SET', client.set),
    pTTL: timed('PTTL', client.pTTL),
    getDel: timed('GETDEL', client.getDel),
    del: timed('DEL', client.del),
    sAdd: timed('SADD', client.sAdd),
    sMembers: timed('SMEMBERS', client.sMembers),
    sRem: timed('SREM', client.sRem),
    expire: timed('EXPIRE', client.expire),
    eval: timed('EVAL', client.eval),
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

function createRedisStores(config: Config, logger: Logger): Stores {
  const connection = connect(config);
  const { isOpen } = connection;
  const client = withCommandTimeout(connection.client, config.redisCommandTimeoutMs);
  const ping = () => withinTimeout(connection.ping(), config.redisCommandTimeoutMs, 'Redis PING');
  const prefix = config.redisPrefix;
  // Without an error listener, a connection error would crash the process.
  let lastErrorLog = 0;
  client.on('error', (err: Error) => {
    if (Date.now() - lastErrorLog > 10_000) {
      lastErrorLog = Date.now();
      logger.error({ error: { message: err.message } }, 'session store (Redis) error');
    }
  });
  let connected!: () => void;
  const ready = new Promise<void>((resolve) => (connected = resolve));
  client.on('ready', () => {
    connected();
    logger.info('session store (Redis) connected');
  });
  client.connect().catch((err: Error) => logger.error({ error: { message: err.message } }, 'session store (Redis) connect failed'));

  const guarded = <T>(work: Promise<T>) => work.catch((err: unknown) => Promise.reject(storeUnavailable(err)));
  const hashed = (kind: string, value: string) => `${prefix}idx:${kind}:${createHash('sha256').update(value).digest('base64url')}`;
  const indexKeys = (entry: { sub: string; opSid: string | undefined }) => [hashed('sub', entry.sub), ...(entry.opSid ? [hashed('sid', entry.opSid)] : [])];

  return {
    kind: 'redis',
    sessions: new RedisStore({ client, prefix: `${prefix}sess:` }),
    loginTransactions: new RedisLoginTransactionStore(client, `${prefix}login:`),
    sessionIndex: {
      add: (entry, sessionId, ttl) =>
        guarded(
          Promise.all(
            indexKeys(entry).map(async (key) => {
              await client.sAdd(key, sessionId);
              await client.expire(key, ttl);
            }),
          ).then(() => {}),
        ),
      find: (entry) =>
        guarded(entry.opSid ? client.sMembers(hashed('sid', entry.opSid)) : entry.sub ? client.sMembers(hashed('sub', entry.sub)) : Promise.resolve([])),
      remove: (entry, sessionId) =>
        guarded(
          Promise.all(indexKeys(entry).map((key) => client.sRem(key, sessionId))).then(() => {}),
        ),
    },
    locks: {
      acquire: async (name, leaseMs) => {
        const token = randomBytes(16).toString('base64url');
        const ok = await guarded(client.set(`${prefix}lock:${name}`, token, { PX: leaseMs, NX: true }));
        return ok === 'OK' ? token : undefined;
      },
      release: async (name, token) => {
        // Delete only our own lease: after expiry someone else may hold the lock.
        await guarded(
          client.eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end", {
            keys: [`${prefix}lock:${name}`],
            arguments: [token],
          }),
        );
      },
    },
    replay: {
      firstUse: async (value, ttl) => {
        const key = hashed('seen', value);
        const set = await guarded(client.set(key, '1', { EX: Math.max(1, ttl), NX: true })).catch(async (err: unknown) => {
          // A SET that timed out may still land later: queue its undo behind it on the same connection,
          // or the caller's retry of the same value would count as a replay.
          await client.del(key).catch(() => {});
          throw err;
        });
        return set === 'OK';
      },
      forget: async (value) => void (await guarded(client.del(hashed('seen', value)))),
    },
    updateSession: async (sessionId, change) => {
      const key = `${prefix}sess:${sessionId}`;
      const value = await guarded(client.get(key));
      if (value === null) return false;
      // connect-redis would derive the TTL from the stored cookie's (stale) expiry: keep the key's own TTL instead.
      return (await guarded(client.set(key, JSON.stringify(change(JSON.parse(value))), { XX: true, KEEPTTL: true }))) === 'OK';
    },
    loadSessionSliding: async (sessionId, idleSeconds) => {
      const value = await guarded(client.getEx(`${prefix}sess:${sessionId}`, { type: 'EX', value: idleSeconds }));
      return value === null ? undefined : (JSON.parse(value) as session.SessionData);
    },
    sessionTtlMs: async (sessionId) => {
      const ttl = await guarded(client.pTTL(`${prefix}sess:${sessionId}`));
      return ttl > 0 ? ttl : undefined;
    },
    ping: () => guarded(ping()),
    ready: () => ready,
    close: async () => {
      if (isOpen()) await client.close();
    },
  };
}

function createMemoryStores(): Stores {
  const sets = new Map<string, Set<string>>();
  const locks = new Map<string, { token: string; until: number }>();
  const seen = new Map<string, number>();
  const keysOf = (entry: { sub?: string; opSid?: string | undefined }) => [
    ...(entry.sub ? [`sub:${entry.sub}`] : []),
    ...(entry.opSid ? [`sid:${entry.opSid}`] : []),
  ];
  const sessions = new session.MemoryStore();
  return {
    kind: 'memory',
    sessions,
    loginTransactions: new MemoryLoginTransactionStore(),
    sessionIndex: {
      add: async (entry, sessionId) => {
        for (const key of keysOf(entry)) sets.set(key, (sets.get(key) ?? new Set()).add(sessionId));
      },
      find: async (entry) => [...(sets.get(keysOf(entry.opSid ? { opSid: entry.opSid } : entry)[0] ?? '') ?? [])],
      remove: async (entry, sessionId) => {
        for (const key of keysOf(entry)) sets.get(key)?.delete(sessionId);
      },
    },
    locks: {
      acquire: async (name, leaseMs) => {
        const held = locks.get(name);
        if (held && held.until > Date.now()) return undefined;
        const token = randomBytes(16).toString('base64url');
        locks.set(name, { token, until: Date.now() + leaseMs });
        return token;
      },
      release: async (name, token) => {
        if (locks.get(name)?.token === token) locks.delete(name);
      },
    },
    replay: {
      firstUse: async (value, ttl) => {
        const now = Date.now();
        for (const [v, until] of seen) if (until <= now) seen.delete(v);
        if (seen.has(value)) return false;
        seen.set(value, now + ttl * 1000);
        return true;
      },
      forget: async (value) => void seen.delete(value),
    },
    // MemoryStore keeps each session's cookie (and so its expiry) current on every touch.
    updateSession: async (sessionId, change) => {
      const stored = await storeCall<session.SessionData | null | undefined>((cb) => sessions.get(sessionId, cb));
      if (!stored) return false;
      await storeCall<void>((cb) => sessions.set(sessionId, change(stored), cb));
      return true;
    },
    loadSessionSliding: async (sessionId, idleSeconds) => {
      const stored = await storeCall<session.SessionData | null | undefined>((cb) => sessions.get(sessionId, cb));
      if (!stored) return undefined;
      stored.cookie.expires = new Date(Date.now() + idleSeconds * 1000);
      await storeCall<void>((cb) => sessions.touch(sessionId, stored, () => cb(undefined)));
      return stored;
    },
    sessionTtlMs: async () => undefined,
    ping: async () => {},
    ready: async () => {},
    close: async () => {},
  };
}
