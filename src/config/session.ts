// Sessions: the cookie's signing secrets and timeouts, and where sessions
// live (Redis single, Cluster or Sentinel; process memory only outside
// production).
import { ConfigError, optional, parseEnum, parseInteger, readSettingFile, required, type Env } from './env.js';
import type { Config, RedisConfig } from './types.js';

export type SessionConfig = Pick<
  Config,
  | 'sessionSecrets'
  | 'sessionIdleSeconds'
  | 'sessionAbsoluteSeconds'
  | 'cookieSameSite'
  | 'redis'
  | 'redisCommandTimeoutMs'
  | 'redisPrefix'
  | 'droppedClaims'
>;

/** Protocol claims that mean nothing to an SPA; BFF_DROP_CLAIMS replaces the list. */
export const DEFAULT_DROPPED_CLAIMS = ['iss', 'aud', 'azp', 'sid', 'exp', 'iat', 'nbf', 'jti'];

const REDIS_URL_FORMAT = /^rediss?:\/\/[^\s,]+$/;

export function parseSession(env: Env, production: boolean): SessionConfig {
  const redis = parseRedis(env);
  if (redis === undefined && production) {
    throw new ConfigError(
      'REDIS_URL',
      'is required with NODE_ENV=production (the in-memory store loses sessions); or set BFF_REDIS_CLUSTER or BFF_REDIS_SENTINELS',
    );
  }
  const sessionIdleSeconds = parseInteger(env, 'BFF_SESSION_IDLE', 1800, 60, 7 * 86400);
  const sessionAbsoluteSeconds = parseInteger(env, 'BFF_SESSION_ABSOLUTE', 43200, 60, 90 * 86400);
  if (sessionAbsoluteSeconds < sessionIdleSeconds) {
    throw new ConfigError('BFF_SESSION_ABSOLUTE', 'must not be shorter than BFF_SESSION_IDLE');
  }
  return {
    redis,
    sessionIdleSeconds,
    sessionAbsoluteSeconds,
    sessionSecrets: parseSessionSecrets(env),
    cookieSameSite: parseEnum(env, 'BFF_COOKIE_SAMESITE', ['strict', 'lax'] as const, 'strict'),
    redisCommandTimeoutMs: parseInteger(env, 'BFF_REDIS_TIMEOUT', 2000, 50, 60000),
    redisPrefix: parseRedisPrefix(env),
    droppedClaims: parseDroppedClaims(env),
  };
}

/** BFF_DROP_CLAIMS: comma-separated claim names, or `none`. */
function parseDroppedClaims(env: Env): string[] {
  const value = optional(env, 'BFF_DROP_CLAIMS');
  if (value === undefined) return DEFAULT_DROPPED_CLAIMS;
  if (value === 'none') return [];
  const names = value
    .split(',')
    .map((n) => n.trim())
    .filter(Boolean);
  for (const name of names) {
    if (!/^[\w.:-]{1,128}$/.test(name)) throw new ConfigError('BFF_DROP_CLAIMS', `"${name.slice(0, 40)}" is not a claim name`);
  }
  return names;
}

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
  if (sentinels !== undefined) return parseSentinels(env, sentinels);
  return undefined;
}

function parseSentinels(env: Env, sentinels: string): RedisConfig {
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

function parseRedisPrefix(env: Env): string {
  const prefix = optional(env, 'BFF_REDIS_PREFIX') ?? 'sbff:';
  if (!/^[\w:.-]{1,64}$/.test(prefix)) {
    throw new ConfigError('BFF_REDIS_PREFIX', 'must be 1 to 64 letters, digits, or _ : . -');
  }
  return prefix;
}

/** BFF_SESSION_SECRET, or the file BFF_SESSION_SECRET_FILE names (a mounted secret: one line, or comma-separated for rotation). */
function parseSessionSecrets(env: Env): string[] {
  const file = optional(env, 'BFF_SESSION_SECRET_FILE');
  if (file !== undefined && optional(env, 'BFF_SESSION_SECRET') !== undefined) {
    throw new ConfigError('BFF_SESSION_SECRET', 'set either BFF_SESSION_SECRET or BFF_SESSION_SECRET_FILE, not both');
  }
  const variable = file !== undefined ? 'BFF_SESSION_SECRET_FILE' : 'BFF_SESSION_SECRET';
  const value = file !== undefined ? readSettingFile(variable, file).trim() : required(env, 'BFF_SESSION_SECRET');
  const secrets = value.split(',').map((s) => s.trim());
  if (secrets.some((s) => s.length < 32)) {
    throw new ConfigError(variable, 'each secret must be at least 32 characters');
  }
  return secrets;
}
