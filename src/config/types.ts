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
/** BFF_RESPONSE_MODE: `query`, or JARM (`jwt` lets the OP's metadata pick query.jwt or form_post.jwt when it lacks plain jwt). */
export type ResponseMode = 'query' | 'jwt' | 'query.jwt' | 'form_post.jwt';
/** What BFF_REQUIRE_ENCRYPTION can require to arrive encrypted, item by item. */
export type EncryptedItem = 'id_token' | 'userinfo' | 'authorization_response' | 'logout_token';

/** What the BFF accepts from the OP: see src/oidc/jose-policy.ts. */
export interface JoseConfig {
  /** The items refused in plaintext (BFF_REQUIRE_ENCRYPTION); each is judged on its own. */
  requireEncryption: readonly EncryptedItem[];
  /** JWE key management algorithms accepted. */
  jweAlgs: string[];
  /** JWE content encryption algorithms accepted. */
  jweEncs: string[];
  /** JWS algorithms accepted for the OP's signatures. */
  jwsAlgs: string[];
  /** Upper bound of a token or response body, in bytes, checked before any crypto. */
  maxTokenBytes: number;
  /** Audiences besides the client_id an id_token or logout token may name (OIDC Core 3.1.3.7). */
  trustedAudiences: string[];
  /** Oldest `iat` accepted, seconds before now; also how long a logout token's jti is remembered. */
  maxTokenAgeSeconds: number;
  /** Clock difference tolerated with the OP, seconds (iat, exp, nbf). */
  clockToleranceSeconds: number;
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
  /** NODE_ENV=development: serves GET /bff/diagnostics (how the OP protected the sign-in). */
  development: boolean;
  port: number;
  logLevel: LogLevel;
  /** Passed to Express' `trust proxy` setting; undefined leaves it off. */
  trustProxy: boolean | number | string | undefined;
  /** Timeout for every request the BFF makes to the OP, seconds. */
  opTimeoutSeconds: number;
  profile: Profile;
  jose: JoseConfig;
  requestObject: RequestObjectMode;
  /** JWE alg/enc for encrypted request objects; undefined: taken from the OP (its enc key, its metadata). */
  requestObjectEncryption: { alg: string | undefined; enc: string | undefined };
  par: ParMode;
  /** How the authorization response comes back: plain query, or a JWT (JARM). */
  responseMode: ResponseMode;
  /**
   * DPoP (RFC 9449) sender-constrained access tokens: `auto` when the OP
   * advertises ES256 DPoP proofs, `on` (required), `off` (bearer tokens).
   */
  dpop: DpopMode;
  /** A signed userinfo's iss and aud: `required`, or checked `when_present` (src/oidc/op-fetch.ts says why that is safe). */
  userinfoIssAud: 'required' | 'when_present';
  /** With a request object, also send response_type, scope and client_id in the query (OIDC Core 6.1), or `minimal`: client_id and request only (RFC 9101). */
  requestObjectQuery: 'full' | 'minimal';
  /** The `aud` of private_key_jwt client assertions; `endpoint`: the exact URL each is posted to. */
  assertionAudience: 'issuer' | 'token_endpoint' | 'endpoint';
  /** Extra authorization request parameters sent on every login. */
  authParams: Record<string, string>;
  /** Names of authorization parameters /bff/login may take from its query. */
  loginParams: string[];
  /** At most `count` logins per client address in `windowSeconds`; undefined: no limit (BFF_LOGIN_RATE_LIMIT=off). */
  loginRateLimit: { count: number; windowSeconds: number } | undefined;
  /** id_token and userinfo claims kept from /bff/user (BFF_DROP_CLAIMS). */
  droppedClaims: string[];
  /** OpenTelemetry traces, asked for by the standard OTEL_* variables (off by default). */
  tracing: boolean;
  /** BFF_STATIC_DIR: the SPA's files, served at / with index.html for its routes; undefined: none. */
  staticDir: string | undefined;
  /** /metrics: on its own port, and/or on the main port behind a bearer token; neither: not served. */
  metrics: { port: number | undefined; token: string | undefined };
  api: {
    routes: ApiRoute[];
    /** Upstream response timeout (until the response headers), ms. */
    timeoutMs: number;
    connectTimeoutMs: number;
    /** Largest request body proxied, bytes. */
    maxBodyBytes: number;
    /** Longest silence within a request body being proxied, ms. */
    bodyIdleTimeoutMs: number;
    /** Upstream connections per origin. */
    maxSockets: number;
    /** Calls one client (address; session) may have in flight. */
    maxInFlight: number;
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
