// The signed-in session of a read-only request (/bff/user, /bff/api/…),
// read without express-session. These are the BFF's hot paths and never
// change the session, so this does only what they need: verify the signed
// cookie, read the session and restart its idle timeout in one store round
// trip (Redis GETEX), and send the cookie back with its new expiry, as
// express-session (rolling) would. It skips express-session's per-request
// hashing, re-signing and second (touch) round trip. Refreshes go to the
// store directly (access-tokens.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseCookies, serialize as serializeCookie } from 'cookie';
import { sign, unsign } from 'cookie-signature';
import type { Config } from '../config.js';
import { endStoredSession, loadStoredSession, type Stores } from './stores.js';
import { isSignedIn, pastAbsoluteLifetime, sessionCookieAttributes, type SignedInData } from './session.js';

export interface ReadSession {
  id: string;
  data: SignedInData;
  /** Epoch milliseconds when the session ends if idle from now on. */
  idleExpiresAt: number;
}

export interface ReadOptions {
  /** Restart the idle timeout (default). false: read only, the timeout runs on (`/bff/user?slide=false`). */
  slide?: boolean;
}

export class SessionReader {
  constructor(
    private readonly config: Config,
    private readonly stores: Stores,
    private readonly cookieName: string,
  ) {}

  /**
   * The request's signed-in session, or undefined. A session past its
   * absolute lifetime is ended here. Store failures throw 503.
   */
  async load(req: IncomingMessage, res: ServerResponse, { slide = true }: ReadOptions = {}): Promise<ReadSession | undefined> {
    const { config } = this;
    const header = req.headers.cookie;
    const value = header === undefined ? undefined : parseCookies(header)[this.cookieName];
    // express-session's format: "s:" + id + "." + HMAC-SHA256 signature with one of the secrets.
    if (value === undefined || !value.startsWith('s:')) return undefined;
    const signed = value.slice(2);
    const secret = config.sessionSecrets.findIndex((candidate) => unsign(signed, candidate) !== false);
    if (secret === -1) return undefined;
    const id = signed.slice(0, signed.lastIndexOf('.'));

    const { data, idleExpiresAt } = slide ? await this.readSliding(id) : await this.readHeld(id);
    if (!isSignedIn(data)) return undefined;
    if (pastAbsoluteLifetime(data, config)) {
      await endStoredSession(this.stores, id, data.user);
      return undefined;
    }
    // The cookie's expiry follows the store's; a cookie signed with an older secret is re-signed.
    if (slide || secret !== 0) {
      const cookieValue = `s:${secret === 0 ? signed : sign(id, config.sessionSecrets[0]!)}`;
      res.appendHeader('Set-Cookie', serializeCookie(this.cookieName, cookieValue, { ...sessionCookieAttributes(config), expires: new Date(idleExpiresAt) }));
    }
    return { id, data, idleExpiresAt };
  }

  private async readSliding(id: string) {
    const data = await this.stores.loadSessionSliding(id, this.config.sessionIdleSeconds);
    return { data, idleExpiresAt: Date.now() + this.config.sessionIdleSeconds * 1000 };
  }

  private async readHeld(id: string) {
    // Both commands leave in one round trip (node-redis pipelines what is sent in the same tick).
    const [data, ttlMs] = await Promise.all([loadStoredSession(this.stores, id), this.stores.sessionTtlMs(id)]);
    // The key's TTL is the truth; the stored cookie's expiry is the last full save's (the memory store keeps it current).
    const idleExpiresAt = ttlMs !== undefined ? Date.now() + ttlMs : new Date(data?.cookie?.expires ?? Date.now()).getTime();
    return { data: data ?? undefined, idleExpiresAt };
  }
}
