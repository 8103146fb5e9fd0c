// A lease-based lock shared by all instances (Redis), or by one process (memory).
// The refresh of a session's tokens runs under it: see session/refresh.ts.
import { randomBytes } from 'node:crypto';
import { storeFailure, type Redis } from './redis.js';

export interface Locks {
  /** Returns a token when acquired, undefined when someone else holds the lock. */
  acquire(name: string, leaseMs: number): Promise<string | undefined>;
  release(name: string, token: string): Promise<void>;
}

const newToken = () => randomBytes(16).toString('base64url');

export function redisLocks(client: Redis, prefix: string): Locks {
  return {
    acquire: async (name, leaseMs) => {
      const token = newToken();
      const ok = await storeFailure(client.set(`${prefix}${name}`, token, { expiration: { type: 'PX', value: leaseMs }, condition: 'NX' }));
      return ok === 'OK' ? token : undefined;
    },
    release: async (name, token) => {
      // Delete only our own lease: after expiry someone else may hold the lock.
      await storeFailure(
        client.eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end", {
          keys: [`${prefix}${name}`],
          arguments: [token],
        }),
      );
    },
  };
}

export function memoryLocks(): Locks {
  const held = new Map<string, { token: string; until: number }>();
  return {
    acquire: async (name, leaseMs) => {
      const current = held.get(name);
      if (current && current.until > Date.now()) return undefined;
      const token = newToken();
      held.set(name, { token, until: Date.now() + leaseMs });
      return token;
    },
    release: async (name, token) => {
      if (held.get(name)?.token === token) held.delete(name);
    },
  };
}
