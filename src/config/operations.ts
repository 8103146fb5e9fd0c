// Running the process: the deployment flags (BFF_ALLOW_HTTP, NODE_ENV) other
// areas consult, the listening port, logging, the reverse proxy in front, and
// where /metrics is served.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, optional, parseEnum, parseFlag, parseInteger, type Env } from './env.js';
import type { Config, LogLevel } from './types.js';

export type Deployment = Pick<Config, 'allowHttp' | 'production' | 'development'>;
export type OperationsConfig = Pick<Config, 'port' | 'logLevel' | 'trustProxy' | 'metrics' | 'loginRateLimit' | 'staticDir' | 'tracing'>;

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Read first: the URL checks (http allowed?) and the session store (memory allowed?) depend on them. */
export function parseDeployment(env: Env): Deployment {
  const production = env.NODE_ENV === 'production';
  const allowHttp = parseFlag(env, 'BFF_ALLOW_HTTP');
  if (production && allowHttp) {
    throw new ConfigError('BFF_ALLOW_HTTP', 'is for local development only and is refused with NODE_ENV=production');
  }
  // development only when said so: a deployment that forgot NODE_ENV must not serve development-only endpoints.
  return { allowHttp, production, development: env.NODE_ENV === 'development' };
}

export function parseOperations(env: Env): OperationsConfig {
  return {
    port: parseInteger(env, 'PORT', 3000, 0, 65535),
    logLevel: parseEnum(env, 'BFF_LOG_LEVEL', LOG_LEVELS, 'info'),
    trustProxy: parseTrustProxy(env),
    loginRateLimit: parseLoginRateLimit(env),
    staticDir: parseStaticDir(env),
    tracing: parseTracing(env),
    metrics: {
      port: optional(env, 'BFF_METRICS_PORT') === undefined ? undefined : parseInteger(env, 'BFF_METRICS_PORT', 0, 0, 65535),
      token: parseMetricsToken(env),
    },
  };
}

/** BFF_LOGIN_RATE_LIMIT: `<logins>/<seconds>` per client address, or `off`. */
function parseLoginRateLimit(env: Env): Config['loginRateLimit'] {
  const value = optional(env, 'BFF_LOGIN_RATE_LIMIT') ?? '60/60';
  if (value === 'off') return undefined;
  const match = /^(\d{1,6})\/(\d{1,6})$/.exec(value);
  const count = Number(match?.[1]);
  const windowSeconds = Number(match?.[2]);
  if (!match || count < 1 || windowSeconds < 1 || windowSeconds > 86400) {
    throw new ConfigError('BFF_LOGIN_RATE_LIMIT', 'must be <logins>/<seconds> (e.g. 60/60, at most a day) or off');
  }
  return { count, windowSeconds };
}

function parseTrustProxy(env: Env): Config['trustProxy'] {
  const value = optional(env, 'BFF_TRUST_PROXY');
  if (value === undefined || value === 'false') return undefined;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  if (/^[\w.:/, -]+$/.test(value)) return value; // addresses, CIDRs or loopback/linklocal/uniquelocal
  throw new ConfigError('BFF_TRUST_PROXY', 'must be true, a hop count, or a comma-separated list of addresses/subnets');
}

/**
 * Traces when OTEL_TRACES_EXPORTER names an exporter (OpenTelemetry's own
 * variable; its SDKs default to otlp, the BFF to off), unless OTEL_SDK_DISABLED=true.
 */
function parseTracing(env: Env): boolean {
  if (optional(env, 'OTEL_SDK_DISABLED')?.toLowerCase() === 'true') return false;
  const exporter = optional(env, 'OTEL_TRACES_EXPORTER');
  return exporter !== undefined && exporter.toLowerCase() !== 'none';
}

function parseStaticDir(env: Env): string | undefined {
  const dir = optional(env, 'BFF_STATIC_DIR');
  if (dir === undefined) return undefined;
  let folder = false;
  try {
    folder = statSync(dir).isDirectory();
  } catch {
    // missing or unreadable: said below
  }
  if (!folder) throw new ConfigError('BFF_STATIC_DIR', `${dir} is not a folder this process can read`);
  return resolve(dir);
}

function parseMetricsToken(env: Env): string | undefined {
  const token = optional(env, 'BFF_METRICS_TOKEN');
  // A scrape token is a password: too short to resist guessing is a mistake.
  if (token !== undefined && token.length < 16) throw new ConfigError('BFF_METRICS_TOKEN', 'must be at least 16 characters');
  return token;
}
