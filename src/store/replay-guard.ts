// Remembers values (logout token jtis) to refuse their second use, across
// instances (Redis) or in one process (memory).
import { createHash } from 'node:crypto';
import { storeFailure, type Redis } from './redis.js';

export interface ReplayGuard {
  /** True the first time `value` is seen within `ttlSeconds`. When it fails (503), `value` is not counted as seen. */
  firstUse(value: string, ttlSeconds: number): Promise<boolean>;
  /** Forgets `value`, so that a request that failed half-way can be retried. */
  forget(value: string): Promise<void>;
}

export function redisReplayGuard(client: Redis, prefix: string): ReplayGuard {
  // Hashed: a jti is the OP's text, of any length and alphabet.
  const keyOf = (value: string) => `${prefix}${createHash('sha256').update(value).digest('base64url')}`;
  return {
    firstUse: async (value, ttl) => {
      const key = keyOf(value);
      const set = await storeFailure(client.set(key, '1', { expiration: { type: 'EX', value: Math.max(1, ttl) }, condition: 'NX' })).catch(
        async (err: unknown) => {
          // A SET that timed out may still land later: queue its undo behind it on the same connection,
          // or the caller's retry of the same value would count as a replay.
          await client.del(key).catch(() => {});
          throw err;
        },
      );
      return set === 'OK';
    },
    forget: async (value) => void (await storeFailure(client.del(keyOf(value)))),
  };
}

export function memoryReplayGuard(): ReplayGuard {
  const seen = new Map<string, number>();
  return {
    firstUse: async (value, ttl) => {
      const now = Date.now();
      for (const [v, until] of seen) if (until <= now) seen.delete(v);
      if (seen.has(value)) return false;
      seen.set(value, now + ttl * 1000);
      return true;
    },
    forget: async (value) => void seen.delete(value),
  };
}
