// Login transactions: what /bff/login must remember for /bff/callback
// (PKCE verifier, nonce, returnTo). Each is stored under its own `state`, so
// two tabs logging in at once never overwrite each other, and is taken
// (read and deleted at once) by the callback, so a replayed callback finds nothing.
import { storeUnavailable } from '../errors.js';
import type { Redis } from './stores.js';

export interface LoginTransaction {
  /** Random value also held in the browser's login cookie: ties the callback to the browser that started the login. */
  binding: string;
  codeVerifier: string;
  nonce: string;
  returnTo: string;
  /** acr values requested; the id_token's acr must be one of them. */
  acrValues: string[] | undefined;
  /** max_age requested; the id_token's auth_time must honour it. */
  maxAge: number | undefined;
}

export interface LoginTransactionStore {
  save(state: string, tx: LoginTransaction, ttlSeconds: number): Promise<void>;
  /** Returns the transaction and deletes it, atomically. */
  take(state: string): Promise<LoginTransaction | undefined>;
}

export class RedisLoginTransactionStore implements LoginTransactionStore {
  constructor(
    private readonly client: Pick<Redis, 'set' | 'getDel'>,
    private readonly prefix: string,
  ) {}

  async save(state: string, tx: LoginTransaction, ttlSeconds: number): Promise<void> {
    await this.client.set(this.prefix + state, JSON.stringify(tx), { EX: ttlSeconds }).catch((err: unknown) => Promise.reject(storeUnavailable(err)));
  }

  async take(state: string): Promise<LoginTransaction | undefined> {
    const value = await this.client.getDel(this.prefix + state).catch((err: unknown) => Promise.reject(storeUnavailable(err)));
    return value === null ? undefined : (JSON.parse(value) as LoginTransaction);
  }
}

export class MemoryLoginTransactionStore implements LoginTransactionStore {
  private readonly entries = new Map<string, { tx: LoginTransaction; expiresAt: number }>();

  async save(state: string, tx: LoginTransaction, ttlSeconds: number): Promise<void> {
    this.sweep();
    this.entries.set(state, { tx, expiresAt: Date.now() + ttlSeconds * 1000 });
  }

  async take(state: string): Promise<LoginTransaction | undefined> {
    const entry = this.entries.get(state);
    this.entries.delete(state);
    return entry !== undefined && entry.expiresAt > Date.now() ? entry.tx : undefined;
  }

  // Abandoned logins must not accumulate for ever.
  private sweep(): void {
    const now = Date.now();
    for (const [state, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(state);
  }
}
