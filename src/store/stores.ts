// Where server-side state lives: Redis in production, process memory
// otherwise (development only; config.ts refuses it in production). This
// module makes the connection and the small stores that are not the session:
// login transactions, locks, the replay guard, rate limits. The session's own data and
// index are session/session-store.ts's, on the same connection.
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { Tracing } from '../tracing.js';
import { memoryLocks, redisLocks, type Locks } from './locks.js';
import { MemoryLoginTransactionStore, RedisLoginTransactionStore, type LoginTransactionStore } from './login-transactions.js';
import { connectRedis, storeFailure, withCommandTimeout, withinTimeout, type Redis } from './redis.js';
import { memoryRateLimiter, redisRateLimiter, type RateLimiter } from './rate-limits.js';
import { memoryReplayGuard, redisReplayGuard, type ReplayGuard } from './replay-guard.js';

export interface Stores {
  /** The Redis client (every command bounded by BFF_REDIS_TIMEOUT); undefined: process memory. */
  redis: Redis | undefined;
  /** BFF_REDIS_PREFIX: every key the BFF writes starts with it. */
  prefix: string;
  loginTransactions: LoginTransactionStore;
  locks: Locks;
  replay: ReplayGuard;
  rateLimits: RateLimiter;
  /** Resolves when the store answers; rejects (503) otherwise. */
  ping(): Promise<void>;
  /** Resolves once the store is connected (at once for memory). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

export function createStores(config: Config, logger: Logger, tracing?: Tracing): Stores {
  return config.redis === undefined ? memoryStores(config.redisPrefix) : redisStores(config, logger, tracing);
}

function redisStores(config: Config, logger: Logger, tracing: Tracing | undefined): Stores {
  const connection = connectRedis(config.redis!);
  const client = withCommandTimeout(connection.client, config.redisCommandTimeoutMs, tracing);
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
  // A single node says 'ready' (also after each reconnect); a Cluster or Sentinel connection only resolves connect().
  client.on('ready', () => logger.info('session store (Redis) connected'));
  client
    .connect()
    .then(connected, (err: Error) => logger.error({ error: { message: err.message } }, 'session store (Redis) connect failed'));

  return {
    redis: client,
    prefix,
    loginTransactions: new RedisLoginTransactionStore(client, `${prefix}login:`),
    locks: redisLocks(client, `${prefix}lock:`),
    replay: redisReplayGuard(client, `${prefix}idx:seen:`),
    rateLimits: redisRateLimiter(client, `${prefix}rate:`),
    ping: () => storeFailure(withinTimeout(connection.ping(), config.redisCommandTimeoutMs, 'Redis PING')),
    ready: () => ready,
    close: async () => {
      if (connection.isOpen()) await client.close();
    },
  };
}

function memoryStores(prefix: string): Stores {
  return {
    redis: undefined,
    prefix,
    loginTransactions: new MemoryLoginTransactionStore(),
    locks: memoryLocks(),
    replay: memoryReplayGuard(),
    rateLimits: memoryRateLimiter(),
    ping: async () => {},
    ready: async () => {},
    close: async () => {},
  };
}
