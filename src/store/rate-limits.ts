// Fixed-window counters shared by every instance (Redis) or kept in one
// process (memory): how many logins a client address started lately.
import { createHash } from 'node:crypto';
import { storeFailure, type Redis } from './redis.js';

export interface RateLimiter {
  /** Counts one event for `key`; `allowed` is false once more than `limit` fell in the current window. */
  hit(key: string, limit: number, windowSeconds: number): Promise<{ allowed: boolean; retryAfterSeconds: number }>;
}

// Hashed: the key is a client address, and need not be readable in Redis.
const hashed = (key: string) => createHash('sha256').update(key).digest('base64url').slice(0, 22);

const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return { count, redis.call('TTL', KEYS[1]) }`;

export function redisRateLimiter(client: Redis, prefix: string): RateLimiter {
  return {
    hit: async (key, limit, windowSeconds) => {
      const redisKey = `${prefix}${hashed(key)}`;
      // One atomic round trip: the first hit starts the window, later hits never extend it.
      const [count, ttl] = (await storeFailure(client.eval(HIT_SCRIPT, { keys: [redisKey], arguments: [String(windowSeconds)] }))) as [
        number,
        number,
      ];
      return { allowed: count <= limit, retryAfterSeconds: Math.max(1, ttl) };
    },
  };
}

export function memoryRateLimiter(): RateLimiter {
  const windows = new Map<string, { count: number; until: number }>();
  return {
    hit: async (key, limit, windowSeconds) => {
      const now = Date.now();
      for (const [k, w] of windows) if (w.until <= now) windows.delete(k);
      const window = windows.get(key) ?? { count: 0, until: now + windowSeconds * 1000 };
      window.count++;
      windows.set(key, window);
      return { allowed: window.count <= limit, retryAfterSeconds: Math.max(1, Math.ceil((window.until - now) / 1000)) };
    },
  };
}
