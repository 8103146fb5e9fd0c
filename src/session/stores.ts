// Where sessions and login transactions live: Redis when REDIS_URL is set,
// process memory otherwise (development only; config.ts refuses it in production).
import session from 'express-session';
import { RedisStore } from 'connect-redis';
import { createClient, type RedisClientType } from 'redis';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import {
  MemoryLoginTransactionStore,
  RedisLoginTransactionStore,
  type LoginTransactionStore,
} from './login-transactions.js';

export interface Stores {
  kind: 'redis' | 'memory';
  sessions: session.Store;
  loginTransactions: LoginTransactionStore;
  /** Resolves when the store answers; rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export function createStores(config: Config, logger: Logger): Stores {
  if (config.redisUrl === undefined) return createMemoryStores();
  return createRedisStores(config.redisUrl, config.redisPrefix, logger);
}

function createMemoryStores(): Stores {
  return {
    kind: 'memory',
    sessions: new session.MemoryStore(),
    loginTransactions: new MemoryLoginTransactionStore(),
    ping: async () => {},
    close: async () => {},
  };
}

function createRedisStores(url: string, prefix: string, logger: Logger): Stores {
  const client: RedisClientType = createClient({
    url,
    socket: {
      connectTimeout: 5000,
      reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 3000),
    },
  });
  // Without a listener, a connection error would crash the process.
  let lastErrorLog = 0;
  client.on('error', (err: Error) => {
    if (Date.now() - lastErrorLog > 10_000) {
      lastErrorLog = Date.now();
      logger.error({ error: { message: err.message } }, 'session store (Redis) error');
    }
  });
  client.on('ready', () => logger.info('session store (Redis) connected'));
  client.connect().catch((err: Error) => logger.error({ error: { message: err.message } }, 'session store (Redis) connect failed'));

  return {
    kind: 'redis',
    sessions: new RedisStore({ client, prefix: `${prefix}sess:` }),
    loginTransactions: new RedisLoginTransactionStore(client, `${prefix}login:`),
    ping: async () => {
      if (!client.isReady) throw new Error('Redis is not connected');
      await client.ping();
    },
    close: async () => {
      if (client.isOpen) await client.close();
    },
  };
}
