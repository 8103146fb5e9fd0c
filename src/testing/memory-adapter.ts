// oidc-provider's storage for the test OP (src/testing/op.ts).
import type { Adapter } from 'oidc-provider';

/**
 * oidc-provider's built-in memory adapter is an LRU of 1000 entries shared by
 * every OP in the process: under load it evicts authorization codes. This one
 * is unbounded and per OP (tests are short-lived).
 */
export function memoryAdapter(): new (name: string) => Adapter {
  const items = new Map<string, { payload: Record<string, unknown>; expiresAt: number }>();
  const live = (key: string) => {
    const item = items.get(key);
    if (item && item.expiresAt < Date.now()) items.delete(key);
    return items.get(key)?.payload;
  };
  return class MemoryAdapter {
    constructor(private readonly name: string) {}
    private key(id: string) {
      return `${this.name}:${id}`;
    }
    async upsert(id: string, payload: Record<string, unknown>, expiresIn: number) {
      items.set(this.key(id), { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : Infinity });
      if (typeof payload.grantId === 'string')
        items.set(`grant:${payload.grantId}:${this.key(id)}`, { payload: { key: this.key(id) }, expiresAt: Infinity });
      if (typeof payload.uid === 'string') items.set(`uid:${this.name}:${payload.uid}`, { payload: { id }, expiresAt: Infinity });
      if (typeof payload.userCode === 'string') items.set(`userCode:${payload.userCode}`, { payload: { id }, expiresAt: Infinity });
    }
    async find(id: string) {
      return live(this.key(id));
    }
    async findByUid(uid: string) {
      const ref = items.get(`uid:${this.name}:${uid}`)?.payload;
      return ref ? live(this.key(ref.id as string)) : undefined;
    }
    async findByUserCode(userCode: string) {
      const ref = items.get(`userCode:${userCode}`)?.payload;
      return ref ? live(this.key(ref.id as string)) : undefined;
    }
    async consume(id: string) {
      const payload = live(this.key(id));
      if (payload) payload.consumed = Math.floor(Date.now() / 1000);
    }
    async destroy(id: string) {
      items.delete(this.key(id));
    }
    async revokeByGrantId(grantId: string) {
      for (const [key, item] of items) {
        if (key.startsWith(`grant:${grantId}:`)) {
          items.delete(item.payload.key as string);
          items.delete(key);
        }
      }
    }
  };
}
