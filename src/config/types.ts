// The typed configuration every part of the BFF reads. Types only, so that
// the parsers in this folder and src/profiles.ts can share them without
// importing src/config.ts (which imports them: no cycle).
import type { KeySet } from '../keys.js';

export type ClientAuthMethod = 'private_key_jwt' | 'client_secret_basic' | 'client_secret_post';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export type SameSite = 'strict' | 'lax';
export type Profile = 'none' | 'ftn' | 'fapi2';
export type RequestObjectMode = 'none' | 'signed' | 'encrypted';
export type ParMode = 'auto' | 'on' | 'off';
export type DpopMode = 'auto' | 'on' | 'off';

/** What the BFF accepts from the OP: see src/oidc/jose-policy.ts. */
export interface JoseConfig {
  /** Refuse plaintext id_tokens and userinfo. */
  requireEncryption: boolean;
  /** JWE key management algorithms accepted. */
  jweAlgs: string[];
  /** JWE content encryption algorithms accepted. */
  jweEncs: string[];
  /** JWS algorithms accepted for the OP's signatures. */
  jwsAlgs: string[];
  /** Upper bound of a token or response body, in bytes, checked before any crypto. */
  maxTokenBytes: number;
}

export interface Config {
  issuer: URL;
  clientId: string;
  /** The origin browsers use to reach the BFF (no path, no trailing slash). */
  publicUrl: URL;
  redirectUri: string;
  postLogoutRedirectUri: string;
  keys: KeySet;
  /** BFF_KEYS_FILE, for reloading on SIGHUP; undefined with inline BFF_KEYS. */
  keysFile: string | undefined;
  /** Scheduled rollover (JWK nbf/exp, src/key-schedule.ts): BFF_KEY_GRACE and BFF_KEY_EXPIRY_WARNING, seconds. */
  keySchedule: { graceSeconds: number; warningSeconds: number };
  /** The BFF as an OpenID Federation entity; undefined without BFF_FEDERATION_KEYS(_FILE). */
  federation: FederationConfig | undefined;
  /** The OP's federation keys trusted at first contact (BFF_OP_FEDERATION_KEYS); undefined: plain discovery. */
  opFederation: OpFederationConfig | undefined;
  clientAuth: ClientAuthMethod;
  clientSecret: string | undefined;
  scope: string;
  /** The first signs session cookies; all of them verify. */
  sessionSecrets: string[];
  /** Sliding idle timeout, seconds. */
  sessionIdleSeconds: number;
  /** Hard cap on a session's life from login, seconds. */
  sessionAbsoluteSeconds: number;
  cookieSameSite: SameSite;
  /** Where sessions live; undefined: process memory (development only). */
  redis: RedisConfig | undefined;
  /** Upper bound of one Redis command, milliseconds. */
  redisCommandTimeoutMs: number;
  /** Prefix of every Redis key the BFF writes, so deployments can share a Redis. */
  redisPrefix: string;
  allowHttp: boolean;
  production: boolean;
  port: number;
  logLevel: LogLevel;
  /** Passed to Express' `trust proxy` setting; undefined leaves it off. */
  trustProxy: boolean | number | string | undefined;
  /** Timeout for every request the BFF makes to the OP, seconds. */
  opTimeoutSeconds: number;
  profile: Profile;
  jose: JoseConfig;
  requestObject: RequestObjectMode;
  /** JWE alg/enc for encrypted request objects. */
  requestObjectEncryption: { alg: string; enc: string };
  par: ParMode;
  /**
   * DPoP (RFC 9449) sender-constrained access tokens: `auto` when the OP
   * advertises ES256 DPoP proofs, `on` (required), `off` (bearer tokens).
   */
  dpop: DpopMode;
  /** The `aud` of private_key_jwt client assertions. */
  assertionAudience: 'issuer' | 'token_endpoint';
  /** Extra authorization request parameters sent on every login. */
  authParams: Record<string, string>;
  /** Names of authorization parameters /bff/login may take from its query. */
  loginParams: string[];
  /** /metrics: on its own port, and/or on the main port behind a bearer token; neither: not served. */
  metrics: { port: number | undefined; token: string | undefined };
  api: {
    routes: ApiRoute[];
    /** Upstream response timeout (until the response headers), ms. */
    timeoutMs: number;
    connectTimeoutMs: number;
    /** Largest request body proxied, bytes. */
    maxBodyBytes: number;
  };
}

export interface ApiRoute {
  /** e.g. /bff/api/orders: requests below it are proxied. */
  path: string;
  /** e.g. https://orders.internal/v1: the path below `path` is appended to it. */
  target: URL;
  /** required: no session, 401; optional: attach when signed in; none: never. */
  token: 'required' | 'optional' | 'none';
}

export type RedisConfig =
  | { mode: 'single'; url: string }
  | { mode: 'cluster'; nodes: string[] }
  | { mode: 'sentinel'; masterName: string; nodes: Array<{ host: string; port: number }> };

export interface FederationConfig {
  /** Signs the Entity Configuration and the signed JWKS, nothing else. */
  keys: KeySet;
  /** BFF_FEDERATION_KEYS_FILE, reloaded with BFF_KEYS_FILE on SIGHUP. */
  keysFile: string | undefined;
  entityId: string;
  authorityHints: string[];
  /** exp - iat of the Entity Configuration and the signed JWKS, seconds. */
  lifetimeSeconds: number;
}

export interface OpFederationConfig {
  /** RFC 7638 SHA-256 thumbprints of the OP federation keys trusted at first contact. */
  thumbprints: string[];
}
