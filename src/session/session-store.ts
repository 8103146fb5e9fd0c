// Where sessions are kept, and the index that finds them by the OP's `sid` or
// the user's `sub` (back-channel logout). Only sessions.ts uses this module.
//
// express-session writes new sessions through its store (connect-redis on
// Redis, its MemoryStore in development); the fast reads and the token updates
// go to the same keys directly, through connect-redis's public contract,
// written down once here: the key is `<BFF_REDIS_PREFIX>sess:<id>`, the value
// is the session serialized with `serializer`, the key's TTL is the idle timeout.
import { createHash } from 'node:crypto';
import session from 'express-session';
import { RedisStore } from 'connect-redis';
import { storeFailure, type Redis } from '../store/redis.js';
import type { SessionUser, StoredSession } from './data.js';

/** The index entry of a session: its user and, when the OP sent one, the OP's session id. */
export type IndexEntry = Pick<SessionUser, 'sub' | 'opSid'>;

export interface SessionStore {
  /** The store express-session writes through (sessions.ts creates sessions with it). */
  express: session.Store;
  get(id: string): Promise<StoredSession | undefined>;
  /** Reads a session and restarts its idle timeout in one step: what express-session's rolling touch does. */
  getSliding(id: string, idleSeconds: number): Promise<StoredSession | undefined>;
  /** Milliseconds until the session expires if idle; undefined when the store cannot tell. */
  ttlMs(id: string): Promise<number | undefined>;
  /** Changes a stored session without touching its expiry, and only if it still exists. */
  update(id: string, change: (stored: StoredSession) => StoredSession): Promise<boolean>;
  destroy(id: string): Promise<void>;
  indexAdd(entry: IndexEntry, id: string, ttlSeconds: number): Promise<void>;
  /** The session ids of an OP session (`opSid`, when given) or else of a user (`sub`). */
  indexFind(entry: { sub?: string | undefined; opSid?: string | undefined }): Promise<string[]>;
  indexRemove(entry: IndexEntry, id: string): Promise<void>;
}

export function redisSessionStore(client: Redis, prefix: string): SessionStore {
  const keyPrefix = `${prefix}sess:`;
  const serializer = {
    parse: (text: string) => JSON.parse(text) as session.SessionData,
    stringify: (data: unknown) => JSON.stringify(data),
  };
  const key = (id: string) => keyPrefix + id;
  const parse = (value: string | null) => (value === null ? undefined : (serializer.parse(value) as StoredSession));
  // Hashed: `sub` and `sid` are the OP's text, of any length and alphabet.
  const indexKey = (kind: 'sub' | 'sid', value: string) => `${prefix}idx:${kind}:${createHash('sha256').update(value).digest('base64url')}`;
  const indexKeys = (entry: IndexEntry) => [indexKey('sub', entry.sub), ...(entry.opSid ? [indexKey('sid', entry.opSid)] : [])];
  return {
    express: new RedisStore({ client, prefix: keyPrefix, serializer }),
    get: async (id) => parse(await storeFailure(client.get(key(id)))),
    getSliding: async (id, idleSeconds) => parse(await storeFailure(client.getEx(key(id), { type: 'EX', value: idleSeconds }))),
    ttlMs: async (id) => {
      const ttl = await storeFailure(client.pTTL(key(id)));
      return ttl > 0 ? ttl : undefined;
    },
    update: async (id, change) => {
      const stored = parse(await storeFailure(client.get(key(id))));
      if (stored === undefined) return false;
      // connect-redis would derive the TTL from the stored cookie's (stale) expiry: keep the key's own TTL instead.
      return (
        (await storeFailure(client.set(key(id), serializer.stringify(change(stored)), { expiration: 'KEEPTTL', condition: 'XX' }))) === 'OK'
      );
    },
    destroy: async (id) => void (await storeFailure(client.del(key(id)))),
    indexAdd: async (entry, id, ttlSeconds) => {
      await storeFailure(
        Promise.all(
          indexKeys(entry).map(async (k) => {
            await client.sAdd(k, id);
            await client.expire(k, ttlSeconds);
          }),
        ),
      );
    },
    indexFind: async (entry) =>
      entry.opSid
        ? storeFailure(client.sMembers(indexKey('sid', entry.opSid)))
        : entry.sub
          ? storeFailure(client.sMembers(indexKey('sub', entry.sub)))
          : [],
    indexRemove: async (entry, id) => void (await storeFailure(Promise.all(indexKeys(entry).map((k) => client.sRem(k, id))))),
  };
}

export function memorySessionStore(): SessionStore {
  const express = new session.MemoryStore();
  const sets = new Map<string, Set<string>>();
  const indexKeys = (entry: { sub?: string | undefined; opSid?: string | undefined }) => [
    ...(entry.sub ? [`sub:${entry.sub}`] : []),
    ...(entry.opSid ? [`sid:${entry.opSid}`] : []),
  ];
  const get = (id: string) => storeCall<StoredSession | null | undefined>((cb) => express.get(id, cb)).then((s) => s ?? undefined);
  const set = (id: string, data: StoredSession) => storeCall<void>((cb) => express.set(id, data as session.SessionData, cb));
  return {
    express,
    get,
    getSliding: async (id, idleSeconds) => {
      const stored = await get(id);
      if (stored?.cookie === undefined) return stored;
      // MemoryStore keeps each session's expiry in its cookie: a touch with a later expiry slides it.
      stored.cookie.expires = new Date(Date.now() + idleSeconds * 1000);
      await storeCall<void>((cb) => express.touch(id, stored as session.SessionData, () => cb(undefined)));
      return stored;
    },
    ttlMs: async () => undefined,
    update: async (id, change) => {
      const stored = await get(id);
      if (stored === undefined) return false;
      await set(id, change(stored));
      return true;
    },
    destroy: (id) => storeCall<void>((cb) => express.destroy(id, cb)),
    indexAdd: async (entry, id) => {
      for (const k of indexKeys(entry)) sets.set(k, (sets.get(k) ?? new Set()).add(id));
    },
    indexFind: async (entry) => [...(sets.get(indexKeys(entry.opSid ? { opSid: entry.opSid } : entry)[0] ?? '') ?? [])],
    indexRemove: async (entry, id) => {
      for (const k of indexKeys(entry)) sets.get(k)?.delete(id);
    },
  };
}

/** express-session's callback-style API (its stores, its Session's regenerate and save) as a promise; failures become 503s. */
export function storeCall<T>(call: (cb: (err: Error | null | undefined, value?: T) => void) => void): Promise<T> {
  return storeFailure(new Promise((resolve, reject) => call((err, value) => (err ? reject(err) : resolve(value as T)))));
}
