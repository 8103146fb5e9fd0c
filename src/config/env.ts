// Typed reading of environment variables. Every helper names the variable in
// its ConfigError, so that a bad deployment fails at start with one readable
// line (see server.ts), never on the first login.
import { readFileSync } from 'node:fs';

export type Env = Record<string, string | undefined>;

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

/** An empty or blank variable counts as unset (deployment templates often leave them so). */
export function withoutEmpty(env: Env): Env {
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
}

export function optional(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

export function required(env: Env, name: string): string {
  const value = optional(env, name);
  if (value === undefined) throw new ConfigError(name, 'is required');
  return value;
}

export function parseFlag(env: Env, name: string): boolean {
  const value = optional(env, name);
  if (value === undefined || value === '0' || value === 'false') return false;
  if (value === '1' || value === 'true') return true;
  throw new ConfigError(name, 'must be 1/true or 0/false');
}

/** A flag whose default depends on other settings: undefined when unset. */
export function parseOptionalFlag(env: Env, name: string): boolean | undefined {
  return optional(env, name) === undefined ? undefined : parseFlag(env, name);
}

export function parseEnum<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const value = optional(env, name);
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}

export function parseInteger(env: Env, name: string, fallback: number, min: number, max: number): number {
  const value = optional(env, name);
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new ConfigError(name, `must be a whole number from ${min} to ${max}`);
  }
  return Number(value);
}

/** A comma-separated list, each item one of `supported`. */
export function parseList(env: Env, name: string, supported: readonly string[], fallback: readonly string[]): string[] {
  const value = optional(env, name);
  if (value === undefined) return [...fallback];
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unsupported = items.filter((item) => !supported.includes(item));
  if (unsupported.length > 0 || items.length === 0) {
    throw new ConfigError(
      name,
      `${unsupported.length ? `does not support ${unsupported.join(', ')}` : 'is empty'}; choose from ${supported.join(', ')}`,
    );
  }
  return items;
}

/** An https URL (http only with BFF_ALLOW_HTTP), without credentials or fragment. */
export function parseUrl(env: Env, name: string, allowHttp: boolean): URL {
  const value = required(env, name);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(name, 'must be an absolute URL');
  }
  if (url.protocol !== 'https:' && !(allowHttp && url.protocol === 'http:')) {
    throw new ConfigError(
      name,
      allowHttp ? 'must be an http(s) URL' : 'must be an https URL (BFF_ALLOW_HTTP=1 permits http for local development)',
    );
  }
  if (url.username || url.password || url.hash) {
    throw new ConfigError(name, 'must not carry credentials or a fragment');
  }
  return url;
}

/** The text of a file a variable names (BFF_KEYS_FILE, BFF_API_ROUTES_FILE); the error says why it cannot be read. */
export function readSettingFile(variable: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(variable, `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

export function parseJsonSetting(variable: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ConfigError(variable, 'is not valid JSON');
  }
}
