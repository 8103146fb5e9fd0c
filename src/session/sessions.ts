// The session, in one place: created at login (fresh id), read on every
// request that needs it (sliding the idle timeout, ending it past its absolute
// lifetime), its tokens updated after a refresh, ended at logout, and all of an
// OP session's (or user's) sessions ended by back-channel logout.
//
// express-session and connect-redis are the session layer: a login's session
// is created by express-session (regenerate + save) through connect-redis.
// Reads are on every /bff/user and /bff/api call, so they skip
// express-session's per-request work and use its public contracts instead:
// the cookie is express-session's signed id ("s:" + id + "." + HMAC-SHA256
// with one of the secrets, cookie-signature), the data is read from the same
// store keys (session-store.ts), and one Redis GETEX both reads the session and
// restarts its idle timeout, as express-session's rolling touch would.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseCookies, serialize as serializeCookie } from 'cookie';
import { sign, unsign } from 'cookie-signature';
import session from 'express-session';
import type { Config, SameSite } from '../config.js';
import { cookieName, isHttps } from '../http/cookies.js';
import type { Stores } from '../store/stores.js';
import type { SessionTokens, SessionUser, SignedInData, StoredSession } from './data.js';
import { memorySessionStore, redisSessionStore, storeCall, type SessionStore } from './session-store.js';

export interface ActiveSession {
  id: string;
  data: SignedInData;
  /** Epoch milliseconds when the session ends if idle from now on. */
  idleExpiresAt: number;
}

export interface ReadOptions {
  /** Restart the idle timeout (default). false: read only, the timeout runs on (`/bff/user?slide=false`). */
  slide?: boolean;
  /** Send the cookie again (default): with its new expiry, or re-signed with the current secret. false: the caller sets or clears it. */
  resendCookie?: boolean;
}

type CookieAttributes = { httpOnly: true; secure: boolean; sameSite: SameSite; path: '/' };
type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: Error | null) => void) => void;
/** The request once express-session has run on it. */
type WithSession = IncomingMessage & { session: session.Session & Partial<SignedInData>; sessionID: string };

export class Sessions {
  /** The session cookie's name: `__Host-bff-session` over https. */
  readonly cookieName: string;
  /** The session cookie's attributes, wherever it is set or cleared (its expiry aside). */
  private readonly cookieAttributes: CookieAttributes;
  private readonly store: SessionStore;
  private readonly expressSession: Middleware;

  constructor(
    private readonly config: Config,
    stores: Stores,
  ) {
    this.cookieName = cookieName(config, 'bff-session');
    this.cookieAttributes = { httpOnly: true, secure: isHttps(config), sameSite: config.cookieSameSite, path: '/' };
    this.store = stores.redis === undefined ? memorySessionStore() : redisSessionStore(stores.redis, stores.prefix);
    this.expressSession = session({
      name: this.cookieName,
      secret: config.sessionSecrets,
      store: this.store.express,
      resave: false,
      saveUninitialized: false, // no session (and no store write) until a login succeeds
      // unset stays 'keep': with 'destroy', a request whose session failed to load (Redis slow or down)
      // would delete that session when the response ends.
      cookie: { ...this.cookieAttributes, maxAge: config.sessionIdleSeconds * 1000 },
    }) as Middleware;
  }

  /**
   * The request's signed-in session, or undefined. A session past its
   * absolute lifetime is ended here, for every route. Store failures throw 503.
   * The cookie is sent again with its new expiry (and re-signed when an older
   * secret signed it).
   */
  async read(
    req: IncomingMessage,
    res: ServerResponse,
    { slide = true, resendCookie = true }: ReadOptions = {},
  ): Promise<ActiveSession | undefined> {
    const cookie = this.signedCookie(req);
    if (cookie === undefined) return undefined;
    const { id, secret, signed } = cookie;
    const { data, idleExpiresAt } = slide ? await this.readSliding(id) : await this.readHeld(id);
    if (!isSignedIn(data)) return undefined;
    if (nowSeconds() >= this.absoluteExpiry(data)) {
      await this.end(id, data.user);
      return undefined;
    }
    if (resendCookie && (slide || secret !== 0)) {
      // Signed with the current secret already: the same value (no second HMAC); else re-signed with it.
      const value = `s:${secret === 0 ? signed : sign(id, this.config.sessionSecrets[0]!)}`;
      res.appendHeader(
        'Set-Cookie',
        serializeCookie(this.cookieName, value, { ...this.cookieAttributes, expires: new Date(idleExpiresAt) }),
      );
    }
    return { id, data, idleExpiresAt };
  }

  /**
   * Starts the session of a completed login under a brand-new id (no
   * fixation; a session the browser had is ended), indexed for back-channel
   * logout. The cookie goes out with the response.
   */
  async create(req: IncomingMessage, res: ServerResponse, login: Omit<SignedInData, 'createdAt'>): Promise<void> {
    const withSession = await this.runExpressSession(req, res);
    await storeCall<void>((cb) => withSession.session.regenerate(cb));
    const data: SignedInData = { ...login, createdAt: nowSeconds() };
    Object.assign(withSession.session, data);
    const id = withSession.sessionID;
    try {
      // Indexed first: a session back-channel logout cannot find must never exist.
      await this.store.indexAdd(login.user, id, this.config.sessionAbsoluteSeconds);
      await storeCall<void>((cb) => withSession.session.save(cb));
    } catch (err) {
      // No half-made session: without req.session, express-session neither saves it again
      // when the response ends nor sends its cookie.
      (req as { session?: unknown }).session = undefined;
      await this.store.destroy(id).catch(() => {});
      throw err;
    }
  }

  /** A session's stored data by id (the refresh reads the store's copy: the only one that counts). */
  async load(id: string): Promise<SignedInData | undefined> {
    const data = await this.store.get(id);
    return isSignedIn(data) ? data : undefined;
  }

  /** Replaces a session's tokens, keeping its expiry; false when the session has ended meanwhile. */
  updateTokens(id: string, tokens: SessionTokens): Promise<boolean> {
    return this.store.update(id, (stored) => ({ ...stored, tokens }));
  }

  /** Ends one session: its data and its index entries. */
  async end(id: string, user: SessionUser | undefined): Promise<void> {
    await this.store.destroy(id);
    // A stale index entry is harmless: back-channel logout checks each session it finds.
    if (user) await this.store.indexRemove(user, id).catch(() => {});
  }

  /** Ends every session of an OP session (`sid`) or, without one, of a user (`sub`); returns how many. */
  async endAll(target: { sub: string | undefined; sid: string | undefined }): Promise<number> {
    let ended = 0;
    for (const id of await this.store.indexFind({ sub: target.sub, opSid: target.sid })) {
      const user = (await this.store.get(id))?.user;
      if (user && (target.sub === undefined || user.sub === target.sub) && (target.sid === undefined || user.opSid === target.sid)) {
        await this.end(id, user);
        ended++;
      }
    }
    return ended;
  }

  /** Epoch seconds when the session ends, whatever its activity (BFF_SESSION_ABSOLUTE after login). */
  absoluteExpiry(data: SignedInData): number {
    return data.createdAt + this.config.sessionAbsoluteSeconds;
  }

  /** Whether the request carries a session cookie at all (signed or not). */
  hasCookie(req: IncomingMessage): boolean {
    const header = req.headers.cookie;
    return header !== undefined && parseCookies(header)[this.cookieName] !== undefined;
  }

  /** Tells the browser to drop its session cookie. */
  clearCookie(res: ServerResponse): void {
    res.appendHeader('Set-Cookie', serializeCookie(this.cookieName, '', { ...this.cookieAttributes, expires: new Date(0) }));
  }

  /** The session id of a cookie signed with one of the secrets (`secret`: which one; `signed`: id + signature), or undefined. */
  private signedCookie(req: IncomingMessage): { id: string; secret: number; signed: string } | undefined {
    const header = req.headers.cookie;
    const value = header === undefined ? undefined : parseCookies(header)[this.cookieName];
    if (value === undefined || !value.startsWith('s:')) return undefined;
    const signed = value.slice(2);
    const secret = this.config.sessionSecrets.findIndex((candidate) => unsign(signed, candidate) !== false);
    return secret === -1 ? undefined : { id: signed.slice(0, signed.lastIndexOf('.')), secret, signed };
  }

  private async readSliding(id: string): Promise<{ data: StoredSession | undefined; idleExpiresAt: number }> {
    const data = await this.store.getSliding(id, this.config.sessionIdleSeconds);
    return { data, idleExpiresAt: Date.now() + this.config.sessionIdleSeconds * 1000 };
  }

  private async readHeld(id: string): Promise<{ data: StoredSession | undefined; idleExpiresAt: number }> {
    // Both commands leave in one round trip (node-redis pipelines what is sent in the same tick).
    const [data, ttlMs] = await Promise.all([this.store.get(id), this.store.ttlMs(id)]);
    // The key's TTL is the truth; the stored cookie's expiry is the last full save's (the memory store keeps it current).
    const idleExpiresAt = ttlMs !== undefined ? Date.now() + ttlMs : new Date(data?.cookie?.expires ?? Date.now()).getTime();
    return { data, idleExpiresAt };
  }

  private runExpressSession(req: IncomingMessage, res: ServerResponse): Promise<WithSession> {
    // BFF_PUBLIC_URL says browsers reach us over https, through a TLS-terminating
    // proxy. express-session only writes Secure cookies on requests it believes
    // are https, so tell it so, whatever BFF_TRUST_PROXY says about client IPs.
    if (this.cookieAttributes.secure) Object.defineProperty(req, 'secure', { value: true, configurable: true });
    // A session that cannot be loaded is the store's failure: 503, not 500.
    return storeCall<void>((cb) => this.expressSession(req, res, cb)).then(() => req as WithSession);
  }
}

/** Whether stored session data is a completed login's. */
function isSignedIn(s: StoredSession | undefined): s is StoredSession & SignedInData {
  return s?.user !== undefined && s.tokens !== undefined && s.logoutId !== undefined && s.createdAt !== undefined;
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);
