// Environment variables -> a typed, validated Config.
// Every check names the variable it is about, so that a bad deployment fails
// at start with one readable line (see server.ts), never on the first login.
import { readFileSync } from 'node:fs';
import { importKeySet, KeySetError, type KeySet } from './keys.js';
import { checkProfile, profileDefaults } from './profiles.js';

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

export type Env = Record<string, string | undefined>;

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

/** A configuration problem, tied to the one variable that causes it. */
export class ConfigError extends Error {
  readonly code = 'ERR_BFF_CONFIG';
  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super(`${variable}: ${reason}`);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const CLIENT_AUTH_METHODS: readonly ClientAuthMethod[] = [
  'private_key_jwt',
  'client_secret_basic',
  'client_secret_post',
];

// Algorithms the BFF can use at all. RSA1_5, dir, PBES2 and shared-secret key
// wrapping are deliberately absent: no setting turns them on.
export const SUPPORTED_JWE_ALGS = ['RSA-OAEP', 'RSA-OAEP-256', 'RSA-OAEP-384', 'RSA-OAEP-512', 'ECDH-ES', 'ECDH-ES+A128KW', 'ECDH-ES+A192KW', 'ECDH-ES+A256KW'];
export const SUPPORTED_JWE_ENCS = ['A128GCM', 'A192GCM', 'A256GCM', 'A128CBC-HS256', 'A192CBC-HS384', 'A256CBC-HS512'];
export const SUPPORTED_JWS_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
const DEFAULT_JWE_ALGS = SUPPORTED_JWE_ALGS.filter((a) => !/^RSA-OAEP-(384|512)$/.test(a));
const DEFAULT_JWS_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'];
// Parameters the BFF sets itself; configuration must not override them.
const RESERVED_AUTH_PARAMS = [
  'client_id', 'redirect_uri', 'response_type', 'response_mode', 'scope', 'state', 'nonce',
  'code_challenge', 'code_challenge_method', 'request', 'request_uri', 'client_assertion', 'client_assertion_type', 'dpop_jkt',
];

/** Reads and validates the whole configuration; throws ConfigError. */
export async function loadConfig(rawEnv: Env): Promise<Config> {
  const profile = parseEnum(rawEnv, 'BFF_PROFILE', ['none', 'ftn', 'fapi2'] as const, 'none');
  // A profile supplies defaults; what the environment says explicitly wins, and is then checked against the profile.
  const env: Env = { ...profileDefaults(profile), ...withoutEmpty(rawEnv) };
  const allowHttp = parseFlag(env, 'BFF_ALLOW_HTTP');
  const production = env.NODE_ENV === 'production';
  const issuer = parseUrl(env, 'BFF_ISSUER', allowHttp);
  const publicUrl = parsePublicUrl(env, allowHttp);
  const clientId = required(env, 'BFF_CLIENT_ID');
  const keys = await loadKeys(env);

  const clientAuth = parseClientAuth(env, keys);
  const clientSecret = optional(env, 'BFF_CLIENT_SECRET');
  if (clientAuth !== 'private_key_jwt' && clientSecret === undefined) {
    const why = optional(env, 'BFF_CLIENT_AUTH')
      ? `with BFF_CLIENT_AUTH=${clientAuth}`
      : 'when no "use":"sig" key is in BFF_KEYS/BFF_KEYS_FILE (private_key_jwt needs one)';
    throw new ConfigError('BFF_CLIENT_SECRET', `is required ${why}`);
  }

  const scope = optional(env, 'BFF_SCOPE') ?? 'openid profile email';
  if (!scope.split(' ').includes('openid')) {
    throw new ConfigError('BFF_SCOPE', 'must include "openid"');
  }

  const redis = parseRedis(env);
  if (redis === undefined && production) {
    throw new ConfigError('REDIS_URL', 'is required with NODE_ENV=production (the in-memory store loses sessions); or set BFF_REDIS_CLUSTER or BFF_REDIS_SENTINELS');
  }

  const sessionIdleSeconds = parseInteger(env, 'BFF_SESSION_IDLE', 1800, 60, 7 * 86400);
  const sessionAbsoluteSeconds = parseInteger(env, 'BFF_SESSION_ABSOLUTE', 43200, 60, 90 * 86400);
  if (sessionAbsoluteSeconds < sessionIdleSeconds) {
    throw new ConfigError('BFF_SESSION_ABSOLUTE', 'must not be shorter than BFF_SESSION_IDLE');
  }

  const requireEncryption = parseOptionalFlag(env, 'BFF_REQUIRE_ENCRYPTION') ?? keys.decryption.length > 0;
  if (requireEncryption && keys.decryption.length === 0) {
    throw new ConfigError('BFF_REQUIRE_ENCRYPTION', 'is true, but BFF_KEYS/BFF_KEYS_FILE holds no "use":"enc" key to decrypt with');
  }
  const jose: JoseConfig = {
    requireEncryption,
    jweAlgs: parseList(env, 'BFF_JWE_ALGS', SUPPORTED_JWE_ALGS, DEFAULT_JWE_ALGS),
    jweEncs: parseList(env, 'BFF_JWE_ENCS', SUPPORTED_JWE_ENCS, SUPPORTED_JWE_ENCS),
    jwsAlgs: parseList(env, 'BFF_JWS_ALGS', SUPPORTED_JWS_ALGS, DEFAULT_JWS_ALGS),
    maxTokenBytes: parseInteger(env, 'BFF_MAX_TOKEN_BYTES', 65536, 1024, 1048576),
  };

  const requestObject = parseEnum(env, 'BFF_REQUEST_OBJECT', ['none', 'signed', 'encrypted'] as const, 'none');
  if (requestObject !== 'none' && keys.signing.length === 0) {
    throw new ConfigError('BFF_REQUEST_OBJECT', `${requestObject} request objects need a "use":"sig" key in BFF_KEYS/BFF_KEYS_FILE`);
  }

  const config: Config = {
    issuer,
    clientId,
    publicUrl,
    redirectUri: `${publicUrl.origin}/bff/callback`,
    postLogoutRedirectUri: `${publicUrl.origin}/`,
    keys,
    keysFile: optional(env, 'BFF_KEYS_FILE'),
    clientAuth,
    clientSecret,
    scope,
    sessionSecrets: parseSessionSecrets(env),
    sessionIdleSeconds,
    sessionAbsoluteSeconds,
    cookieSameSite: parseEnum(env, 'BFF_COOKIE_SAMESITE', ['strict', 'lax'] as const, 'strict'),
    redis,
    redisCommandTimeoutMs: parseInteger(env, 'BFF_REDIS_TIMEOUT', 2000, 50, 60000),
    redisPrefix: parseRedisPrefix(env),
    allowHttp,
    production,
    port: parseInteger(env, 'PORT', 3000, 0, 65535),
    logLevel: parseEnum(env, 'BFF_LOG_LEVEL', LOG_LEVELS, 'info'),
    trustProxy: parseTrustProxy(env),
    opTimeoutSeconds: parseInteger(env, 'BFF_OP_TIMEOUT', 10, 1, 120),
    profile,
    jose,
    requestObject,
    requestObjectEncryption: {
      alg: parseEnum(env, 'BFF_REQUEST_OBJECT_ALG', SUPPORTED_JWE_ALGS, 'RSA-OAEP-256'),
      enc: parseEnum(env, 'BFF_REQUEST_OBJECT_ENC', SUPPORTED_JWE_ENCS, 'A128CBC-HS256'),
    },
    par: parseEnum(env, 'BFF_PAR', ['auto', 'on', 'off'] as const, 'auto'),
    dpop: parseEnum(env, 'BFF_DPOP', ['auto', 'on', 'off'] as const, 'auto'),
    assertionAudience: parseEnum(env, 'BFF_ASSERTION_AUDIENCE', ['issuer', 'token_endpoint'] as const, 'issuer'),
    authParams: parseAuthParams(env),
    loginParams: parseLoginParams(env),
    metrics: {
      port: optional(env, 'BFF_METRICS_PORT') === undefined ? undefined : parseInteger(env, 'BFF_METRICS_PORT', 0, 0, 65535),
      token: parseMetricsToken(env),
    },
    api: {
      routes: parseApiRoutes(env, allowHttp),
      timeoutMs: parseInteger(env, 'BFF_API_TIMEOUT', 30000, 100, 600000),
      connectTimeoutMs: parseInteger(env, 'BFF_API_CONNECT_TIMEOUT', 5000, 100, 60000),
      maxBodyBytes: parseInteger(env, 'BFF_API_MAX_BODY', 10 * 1024 * 1024, 0, 1024 * 1024 * 1024),
    },
  };
  assertKeysFit(keys, config);
  checkProfile(config, env);
  return config;
}

/**
 * The key set must serve the configuration: at start, and again for a key set
 * reloaded on SIGHUP (which is refused, keeping the old keys, if it does not).
 */
export function assertKeysFit(keys: KeySet, config: Pick<Config, 'clientAuth' | 'jose' | 'requestObject' | 'keysFile'>): void {
  const variable = config.keysFile !== undefined ? 'BFF_KEYS_FILE' : 'BFF_KEYS';
  if ((config.clientAuth === 'private_key_jwt' || config.requestObject !== 'none') && keys.signing.length === 0) {
    throw new ConfigError(variable, 'has no "use":"sig" key, needed for private_key_jwt and request objects');
  }
  if (config.jose.requireEncryption && keys.decryption.length === 0) {
    throw new ConfigError(variable, 'has no "use":"enc" key, and encryption is required (BFF_REQUIRE_ENCRYPTION)');
  }
  for (const key of keys.decryption) {
    if (key.alg !== undefined && !config.jose.jweAlgs.includes(key.alg)) {
      throw new ConfigError('BFF_JWE_ALGS', `does not allow ${key.alg}, the alg of enc key ${key.kid ?? '(no kid)'}`);
    }
  }
}

function withoutEmpty(env: Env): Env {
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
}

function parseOptionalFlag(env: Env, name: string): boolean | undefined {
  return optional(env, name) === undefined ? undefined : parseFlag(env, name);
}

function parseList(env: Env, name: string, supported: readonly string[], fallback: string[]): string[] {
  const value = optional(env, name);
  if (value === undefined) return fallback;
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  const unsupported = items.filter((item) => !supported.includes(item));
  if (unsupported.length > 0 || items.length === 0) {
    throw new ConfigError(name, `${unsupported.length ? `does not support ${unsupported.join(', ')}` : 'is empty'}; choose from ${supported.join(', ')}`);
  }
  return items;
}

function parseAuthParams(env: Env): Record<string, string> {
  const value = optional(env, 'BFF_AUTH_PARAMS');
  if (value === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new ConfigError('BFF_AUTH_PARAMS', 'is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError('BFF_AUTH_PARAMS', 'must be a JSON object of strings');
  }
  for (const [name, v] of Object.entries(parsed)) {
    if (typeof v !== 'string') throw new ConfigError('BFF_AUTH_PARAMS', `${name} must be a string`);
    if (RESERVED_AUTH_PARAMS.includes(name)) throw new ConfigError('BFF_AUTH_PARAMS', `must not set ${name} (the BFF sets it)`);
  }
  return parsed as Record<string, string>;
}

function parseMetricsToken(env: Env): string | undefined {
  const token = optional(env, 'BFF_METRICS_TOKEN');
  if (token !== undefined && token.length < 16) throw new ConfigError('BFF_METRICS_TOKEN', 'must be at least 16 characters');
  return token;
}

function parseApiRoutes(env: Env, allowHttp: boolean): ApiRoute[] {
  const inline = optional(env, 'BFF_API_ROUTES');
  const file = optional(env, 'BFF_API_ROUTES_FILE');
  if (inline !== undefined && file !== undefined) throw new ConfigError('BFF_API_ROUTES', 'set either BFF_API_ROUTES or BFF_API_ROUTES_FILE, not both');
  const variable = file !== undefined ? 'BFF_API_ROUTES_FILE' : 'BFF_API_ROUTES';
  let text: string | undefined = inline;
  if (file !== undefined) {
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(variable, `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  if (text === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError(variable, 'is not valid JSON');
  }
  if (!Array.isArray(parsed)) throw new ConfigError(variable, 'must be a JSON array of routes');
  const routes = parsed.map((entry: unknown, index): ApiRoute => {
    const bad = (what: string) => new ConfigError(variable, `route ${index}: ${what}`);
    if (typeof entry !== 'object' || entry === null) throw bad('must be an object');
    const { path, target, token } = entry as Record<string, unknown>;
    if (typeof path !== 'string' || !/^\/bff\/api(\/[A-Za-z0-9._~-]+)+$/.test(path) || /\/\.\.?(\/|$)/.test(path)) {
      throw bad('path must look like /bff/api/<name>[/<name>…] (no trailing slash, no dot segments)');
    }
    let url: URL;
    try {
      url = new URL(String(target));
    } catch {
      throw bad('target must be an absolute URL');
    }
    if (url.protocol !== 'https:' && !(allowHttp && url.protocol === 'http:')) {
      throw bad('target must be https (BFF_ALLOW_HTTP=1 permits http)');
    }
    if (url.search || url.hash || url.username || url.password) throw bad('target must not carry a query, fragment or credentials');
    if (token !== 'required' && token !== 'optional' && token !== 'none') throw bad('token must be required, optional or none');
    url.pathname = url.pathname.replace(/\/+$/, '');
    return { path, target: url, token };
  });
  const seen = new Set<string>();
  for (const route of routes) {
    if (seen.has(route.path)) throw new ConfigError(variable, `path ${route.path} appears twice`);
    seen.add(route.path);
  }
  // Longest path first: /bff/api/a/b wins over /bff/api/a.
  return routes.sort((a, b) => b.path.length - a.path.length);
}

function parseLoginParams(env: Env): string[] {
  const value = optional(env, 'BFF_LOGIN_PARAMS');
  if (value === undefined) return [];
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const name of names) {
    if (!/^[a-z][a-z0-9_]*$/.test(name)) throw new ConfigError('BFF_LOGIN_PARAMS', `${name} is not a parameter name`);
    if (RESERVED_AUTH_PARAMS.includes(name) || name === 'returnTo') {
      throw new ConfigError('BFF_LOGIN_PARAMS', `must not include ${name} (the BFF sets it)`);
    }
  }
  return names;
}

function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function required(env: Env, name: string): string {
  const value = optional(env, name);
  if (value === undefined) throw new ConfigError(name, 'is required');
  return value;
}

function parseFlag(env: Env, name: string): boolean {
  const value = optional(env, name);
  if (value === undefined || value === '0' || value === 'false') return false;
  if (value === '1' || value === 'true') return true;
  throw new ConfigError(name, 'must be 1/true or 0/false');
}

function parseEnum<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const value = optional(env, name);
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}

function parseInteger(env: Env, name: string, fallback: number, min: number, max: number): number {
  const value = optional(env, name);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new ConfigError(name, `must be a whole number from ${min} to ${max}`);
  }
  return Number(value);
}

function parseUrl(env: Env, name: string, allowHttp: boolean): URL {
  const value = required(env, name);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(name, 'must be an absolute URL');
  }
  if (url.protocol !== 'https:' && !(allowHttp && url.protocol === 'http:')) {
    throw new ConfigError(name, allowHttp ? 'must be an http(s) URL' : 'must be an https URL (BFF_ALLOW_HTTP=1 permits http for local development)');
  }
  if (url.username || url.password || url.hash) {
    throw new ConfigError(name, 'must not carry credentials or a fragment');
  }
  return url;
}

function parsePublicUrl(env: Env, allowHttp: boolean): URL {
  const url = parseUrl(env, 'BFF_PUBLIC_URL', allowHttp);
  if ((url.pathname !== '/' && url.pathname !== '') || url.search) {
    throw new ConfigError('BFF_PUBLIC_URL', 'must be an origin only, e.g. https://app.example.com (no path or query)');
  }
  return url;
}

async function loadKeys(env: Env): Promise<KeySet> {
  const file = optional(env, 'BFF_KEYS_FILE');
  const inline = optional(env, 'BFF_KEYS');
  if (file !== undefined && inline !== undefined) {
    throw new ConfigError('BFF_KEYS', 'set either BFF_KEYS or BFF_KEYS_FILE, not both');
  }
  const variable = file !== undefined ? 'BFF_KEYS_FILE' : 'BFF_KEYS';
  let text: string;
  if (file !== undefined) {
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(variable, `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  } else if (inline !== undefined) {
    text = inline;
  } else {
    return importKeySet({ keys: [] });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError(variable, 'is not valid JSON');
  }
  try {
    return await importKeySet(json);
  } catch (err) {
    if (err instanceof KeySetError) throw new ConfigError(variable, err.message);
    throw err;
  }
}

function parseClientAuth(env: Env, keys: KeySet): ClientAuthMethod {
  const fallback = keys.signing.length > 0 ? 'private_key_jwt' : 'client_secret_basic';
  const method = parseEnum(env, 'BFF_CLIENT_AUTH', CLIENT_AUTH_METHODS, fallback);
  if (method === 'private_key_jwt' && keys.signing.length === 0) {
    throw new ConfigError('BFF_CLIENT_AUTH', 'private_key_jwt needs a "use":"sig" key in BFF_KEYS or BFF_KEYS_FILE');
  }
  return method;
}

const REDIS_URL_FORMAT = /^rediss?:\/\/[^\s,]+$/;

function parseRedis(env: Env): RedisConfig | undefined {
  const url = optional(env, 'REDIS_URL');
  const cluster = optional(env, 'BFF_REDIS_CLUSTER');
  const sentinels = optional(env, 'BFF_REDIS_SENTINELS');
  if ([url, cluster, sentinels].filter((v) => v !== undefined).length > 1) {
    throw new ConfigError('REDIS_URL', 'set only one of REDIS_URL, BFF_REDIS_CLUSTER and BFF_REDIS_SENTINELS');
  }
  if (url !== undefined) {
    if (!REDIS_URL_FORMAT.test(url)) throw new ConfigError('REDIS_URL', 'must be a redis:// or rediss:// URL');
    return { mode: 'single', url };
  }
  if (cluster !== undefined) {
    const nodes = cluster.split(',').map((n) => n.trim());
    if (!nodes.every((n) => REDIS_URL_FORMAT.test(n))) {
      throw new ConfigError('BFF_REDIS_CLUSTER', 'must be a comma-separated list of redis:// URLs of cluster nodes');
    }
    return { mode: 'cluster', nodes };
  }
  if (sentinels !== undefined) {
    const nodes = sentinels.split(',').map((n) => n.trim());
    if (!nodes.every((n) => /^[\w.-]+:\d{1,5}$/.test(n))) {
      throw new ConfigError('BFF_REDIS_SENTINELS', 'must be a comma-separated list of host:port of Sentinels');
    }
    const masterName = optional(env, 'BFF_REDIS_SENTINEL_MASTER');
    if (masterName === undefined) throw new ConfigError('BFF_REDIS_SENTINEL_MASTER', 'is required with BFF_REDIS_SENTINELS');
    return {
      mode: 'sentinel',
      masterName,
      nodes: nodes.map((n) => ({ host: n.slice(0, n.lastIndexOf(':')), port: Number(n.slice(n.lastIndexOf(':') + 1)) })),
    };
  }
  return undefined;
}

function parseRedisPrefix(env: Env): string {
  const prefix = optional(env, 'BFF_REDIS_PREFIX') ?? 'sbff:';
  if (!/^[\w:.-]{1,64}$/.test(prefix)) {
    throw new ConfigError('BFF_REDIS_PREFIX', 'must be 1 to 64 letters, digits, or _ : . -');
  }
  return prefix;
}

function parseSessionSecrets(env: Env): string[] {
  const secrets = required(env, 'BFF_SESSION_SECRET')
    .split(',')
    .map((s) => s.trim());
  if (secrets.some((s) => s.length < 32)) {
    throw new ConfigError('BFF_SESSION_SECRET', 'each secret must be at least 32 characters');
  }
  return secrets;
}

function parseTrustProxy(env: Env): Config['trustProxy'] {
  const value = optional(env, 'BFF_TRUST_PROXY');
  if (value === undefined || value === 'false') return undefined;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  if (/^[\w.:/, -]+$/.test(value)) return value; // addresses, CIDRs or loopback/linklocal/uniquelocal
  throw new ConfigError('BFF_TRUST_PROXY', 'must be true, a hop count, or a comma-separated list of addresses/subnets');
}
