// The server-side session: its shape, its cookie, and the express-session
// middleware that keeps it in the store. The browser only ever holds the
// opaque, signed session id.
import session from 'express-session';
import type { RequestHandler, Request } from 'express';
import type { Config, SameSite } from '../config.js';
import { BffError, storeUnavailable } from '../errors.js';
import type { DpopPrivateJwk } from '../oidc/dpop.js';

/** What /bff/user may show: the verified claims, never a raw token. */
export interface SessionUser {
  sub: string;
  /** id_token claims merged with userinfo claims (id_token wins on conflicts). */
  claims: Record<string, unknown>;
  /** The OP's session id (`sid` claim), for back-channel logout. */
  opSid: string | undefined;
}

/** Tokens stay here, on the server. The id_token itself is not kept. */
export interface SessionTokens {
  accessToken: string;
  tokenType: string;
  /** Epoch seconds. */
  expiresAt: number | undefined;
  /** Epoch seconds of the refresh that produced these tokens (undefined: from the login). */
  refreshedAt?: number;
  refreshToken: string | undefined;
  scope: string | undefined;
  /** The session's DPoP key, when the access token is bound to it (tokenType DPoP). */
  dpopKey?: DpopPrivateJwk;
}

declare module 'express-session' {
  interface SessionData {
    user: SessionUser;
    tokens: SessionTokens;
    /** The `sid` a logout link must carry: proves the request came from our SPA. */
    logoutId: string;
    /** Epoch seconds of the login; the absolute timeout counts from here. */
    createdAt: number;
  }
}

/** Stored session data of a completed login. */
export type SignedInData = Partial<session.SessionData> & Pick<session.SessionData, 'user' | 'tokens' | 'logoutId' | 'createdAt'>;

export type AuthenticatedSession = session.Session & SignedInData;

export function cookieNames(config: Config): { session: string; login: string } {
  // The __Host- prefix pins a cookie to this exact origin, over https, Path=/.
  return isHttps(config)
    ? { session: '__Host-bff-session', login: '__Host-bff-login' }
    : { session: 'bff-session', login: 'bff-login' };
}

export function isHttps(config: Config): boolean {
  return config.publicUrl.protocol === 'https:';
}

/** The session cookie's attributes, wherever it is set or cleared (its expiry aside). */
export function sessionCookieAttributes(config: Config): { httpOnly: true; secure: boolean; sameSite: SameSite; path: '/' } {
  return { httpOnly: true, secure: isHttps(config), sameSite: config.cookieSameSite, path: '/' };
}

export function createSessionMiddleware(config: Config, store: session.Store): RequestHandler {
  const secure = isHttps(config);
  const sessionMiddleware = session({
    name: cookieNames(config).session,
    secret: config.sessionSecrets,
    store,
    resave: false,
    saveUninitialized: false, // no session (and no store write) until a login succeeds
    rolling: true, // every response renews the idle timeout
    // unset stays 'keep': with 'destroy', a request whose session failed to load (Redis slow or down)
    // would delete that session when the response ends.
    cookie: { ...sessionCookieAttributes(config), maxAge: config.sessionIdleSeconds * 1000 },
  });
  return (req, res, next) => {
    // BFF_PUBLIC_URL says browsers reach us over https, through a TLS-terminating
    // proxy. express-session only writes Secure cookies on requests it believes
    // are https, so tell it so, whatever BFF_TRUST_PROXY says about client IPs.
    if (secure) Object.defineProperty(req, 'secure', { value: true, configurable: true });
    // A session that cannot be loaded is the store's failure: 503, not 500.
    sessionMiddleware(req, res, (err?: unknown) => next(err === undefined ? undefined : err instanceof BffError ? err : storeUnavailable(err)));
  };
}

/** Whether stored session data is a completed login's. */
export function isSignedIn(s: Partial<session.SessionData> | null | undefined): s is SignedInData {
  return s?.user !== undefined && s.tokens !== undefined && s.logoutId !== undefined && s.createdAt !== undefined;
}

/** Epoch seconds when the session ends, whatever its activity (BFF_SESSION_ABSOLUTE after login). */
export function absoluteExpiry(s: SignedInData, config: Config): number {
  return s.createdAt + config.sessionAbsoluteSeconds;
}

/** Past its absolute lifetime: ended whatever its idle timer says. */
export function pastAbsoluteLifetime(s: SignedInData, config: Config): boolean {
  return nowSeconds() >= absoluteExpiry(s, config);
}

/**
 * The session of a signed-in user, or undefined. A session past its absolute
 * lifetime is destroyed here, whatever its idle timer says.
 */
export async function authenticatedSession(req: Request, config: Config): Promise<AuthenticatedSession | undefined> {
  const s = req.session as (Partial<session.SessionData> & session.Session) | undefined;
  if (!isSignedIn(s)) return undefined;
  if (pastAbsoluteLifetime(s, config)) {
    await destroySession(req);
    return undefined;
  }
  return s as AuthenticatedSession;
}

export function destroySession(req: Request): Promise<void> {
  return new Promise((resolve, reject) => {
    req.session.destroy((err: unknown) => (err ? reject(err) : resolve()));
  });
}

export function regenerateSession(req: Request): Promise<void> {
  return new Promise((resolve, reject) => {
    req.session.regenerate((err: unknown) => (err ? reject(err) : resolve()));
  });
}

export function saveSession(req: Request): Promise<void> {
  return new Promise((resolve, reject) => {
    req.session.save((err: unknown) => (err ? reject(err) : resolve()));
  });
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);
