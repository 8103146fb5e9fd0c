// What a session holds (types only; sessions.ts is the session's code). The browser only ever holds the opaque, signed
// session id; tokens and claims stay here, on the server.
import type { DpopPrivateJwk } from '../keys.js';

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

/** A completed login's session, as stored (express-session adds its `cookie`). */
export interface SignedInData {
  user: SessionUser;
  tokens: SessionTokens;
  /** The `sid` a logout link must carry: proves the request came from our SPA. */
  logoutId: string;
  /** Epoch seconds of the login; the absolute timeout counts from here. */
  createdAt: number;
  /** With NODE_ENV=development only: how the OP protected the sign-in's artefacts (headers, never content). */
  protection?: SignInProtection;
}

/** Stored session data as read back: anything a store may hold under a session key. */
export type StoredSession = Partial<SignedInData> & { cookie?: { expires?: string | Date | null } };

/** How the OP protected one artefact of a sign-in (oidc/protection.ts records it; headers only). */
export interface Protection {
  /** The JWS header's alg and kid; null: not signed (plain JSON, a query string). */
  signed: { alg: string; kid?: string } | null;
  /** The JWE header's alg, enc and kid; null: not encrypted. */
  encrypted: { alg: string; enc: string; kid?: string } | null;
}

export type Artefact = 'authorization_response' | 'id_token' | 'userinfo';
export type SignInProtection = Partial<Record<Artefact, Protection>>;
