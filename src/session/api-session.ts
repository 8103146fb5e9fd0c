// The session of an API call (/bff/api/…), read without express-session.
// API calls are the BFF's hot path and never change the session, so this
// does only what they need: verify the signed cookie, read the session and
// restart its idle timeout in one store round trip (Redis GETEX), and send
// the cookie back with its new expiry, as express-session (rolling) would.
// It skips express-session's per-request hashing, re-signing and second
// (touch) round trip. Refreshes go to the store directly (access-tokens.ts).
import type { Request, Response } from 'express';
import { parse as parseCookies, serialize as serializeCookie } from 'cookie';
import { sign, unsign } from 'cookie-signature';
import type { Config } from '../config.js';
import { endStoredSession, type Stores } from './stores.js';
import { isSignedIn, pastAbsoluteLifetime, sessionCookieAttributes, type SignedInData } from './session.js';

export interface ApiSession {
  id: string;
  data: SignedInData;
}

export class ApiSessions {
  constructor(
    private readonly config: Config,
    private readonly stores: Stores,
    private readonly cookieName: string,
  ) {}

  /**
   * The request's signed-in session, its idle timeout restarted, or undefined.
   * A session past its absolute lifetime is ended here. Store failures throw 503.
   */
  async load(req: Request, res: Response): Promise<ApiSession | undefined> {
    const { config } = this;
    const header = req.headers.cookie;
    const value = header === undefined ? undefined : parseCookies(header)[this.cookieName];
    // express-session's format: "s:" + id + "." + HMAC-SHA256 signature with one of the secrets.
    if (value === undefined || !value.startsWith('s:')) return undefined;
    const signed = value.slice(2);
    const secret = config.sessionSecrets.findIndex((candidate) => unsign(signed, candidate) !== false);
    if (secret === -1) return undefined;
    const id = signed.slice(0, signed.lastIndexOf('.'));

    const data = await this.stores.loadSessionSliding(id, config.sessionIdleSeconds);
    if (!isSignedIn(data)) return undefined;
    if (pastAbsoluteLifetime(data, config)) {
      await endStoredSession(this.stores, id, data.user);
      return undefined;
    }
    // The cookie's expiry slides with the store's; a cookie signed with an older secret is re-signed.
    const cookieValue = `s:${secret === 0 ? signed : sign(id, config.sessionSecrets[0]!)}`;
    res.append(
      'Set-Cookie',
      serializeCookie(this.cookieName, cookieValue, {
        ...sessionCookieAttributes(config),
        expires: new Date(Date.now() + config.sessionIdleSeconds * 1000),
      }),
    );
    return { id, data };
  }
}
