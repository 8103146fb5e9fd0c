// Login transactions: what /bff/login must remember for /bff/callback
// (PKCE verifier, nonce, returnTo). Each is stored under its own `state`, so
// two tabs logging in at once never overwrite each other, and is taken
// (read and deleted at once) by the callback, so a replayed callback finds nothing.
import { timingSafeEqual } from 'node:crypto';
import type { DpopPrivateJwk } from '../keys.js';
import { storeFailure, type Redis } from './redis.js';

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
  /** The DPoP key the authorization code is bound to (dpop_jkt), when DPoP is used. */
  dpopKey?: DpopPrivateJwk;
}

export type TakeResult = { status: 'taken'; tx: LoginTransaction } | { status: 'unknown' } | { status: 'wrong_browser' };

export interface LoginTransactionStore {
  save(state: string, tx: LoginTransaction, ttlSeconds: number): Promise<void>;
  /**
   * Deletes and returns the transaction, if `binding` (the browser's login
   * cookie) is its own. A callback replayed in another browser leaves it in
   * place, so it cannot cancel the real user's login.
   */
  take(state: string, binding: string | undefined): Promise<TakeResult>;
}

const MAX_MEMORY_TRANSACTIONS = 10_000;

function sameSecret(a: string | undefined, b: string): boolean {
  return a !== undefined && a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

export class RedisLoginTransactionStore implements LoginTransactionStore {
  constructor(
    private readonly client: Pick<Redis, 'set' | 'get' | 'getDel'>,
    private readonly prefix: string,
  ) {}

  async save(state: string, tx: LoginTransaction, ttlSeconds: number): Promise<void> {
    await storeFailure(this.client.set(this.prefix + state, JSON.stringify(tx), { expiration: { type: 'EX', value: ttlSeconds } }));
  }

  async take(state: string, binding: string | undefined): Promise<TakeResult> {
    const value = await storeFailure(this.client.get(this.prefix + state));
    if (value === null) return { status: 'unknown' };
    const tx = JSON.parse(value) as LoginTransaction;
    if (!sameSecret(binding, tx.binding)) return { status: 'wrong_browser' };
    // GETDEL: of two concurrent callbacks, only one gets the transaction.
    return (await storeFailure(this.client.getDel(this.prefix + state))) === null ? { status: 'unknown' } : { status: 'taken', tx };
  }
}

export class MemoryLoginTransactionStore implements LoginTransactionStore {
  private readonly entries = new Map<string, { tx: LoginTransaction; expiresAt: number }>();

  async save(state: string, tx: LoginTransaction, ttlSeconds: number): Promise<void> {
    this.sweep();
    // Development store: bounded, the oldest abandoned login goes first.
    if (this.entries.size >= MAX_MEMORY_TRANSACTIONS) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(state, { tx, expiresAt: Date.now() + ttlSeconds * 1000 });
  }

  async take(state: string, binding: string | undefined): Promise<TakeResult> {
    const entry = this.entries.get(state);
    if (entry === undefined || entry.expiresAt <= Date.now()) return { status: 'unknown' };
    if (!sameSecret(binding, entry.tx.binding)) return { status: 'wrong_browser' };
    this.entries.delete(state);
    return { status: 'taken', tx: entry.tx };
  }

  // Abandoned logins must not accumulate for ever.
  private sweep(): void {
    const now = Date.now();
    for (const [state, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(state);
  }
}
