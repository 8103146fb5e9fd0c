// The API proxy: routes below /bff/api to upstream APIs (BFF_API_ROUTES or
// BFF_API_ROUTES_FILE), and the upstream timeouts and body cap.
import { ConfigError, optional, parseInteger, parseJsonSetting, readSettingFile, type Env } from './env.js';
import type { ApiRoute, Config } from './types.js';

export function parseApi(env: Env, allowHttp: boolean): Config['api'] {
  return {
    routes: parseApiRoutes(env, allowHttp),
    timeoutMs: parseInteger(env, 'BFF_API_TIMEOUT', 30000, 100, 600000),
    connectTimeoutMs: parseInteger(env, 'BFF_API_CONNECT_TIMEOUT', 5000, 100, 60000),
    maxBodyBytes: parseInteger(env, 'BFF_API_MAX_BODY', 10 * 1024 * 1024, 0, 1024 * 1024 * 1024),
    bodyIdleTimeoutMs: parseInteger(env, 'BFF_API_BODY_TIMEOUT', 10000, 100, 600000),
    maxSockets: parseInteger(env, 'BFF_API_MAX_SOCKETS', 256, 1, 65536),
    maxInFlight: parseInteger(env, 'BFF_API_MAX_IN_FLIGHT', 64, 1, 65536),
  };
}

function parseApiRoutes(env: Env, allowHttp: boolean): ApiRoute[] {
  const inline = optional(env, 'BFF_API_ROUTES');
  const file = optional(env, 'BFF_API_ROUTES_FILE');
  if (inline !== undefined && file !== undefined)
    throw new ConfigError('BFF_API_ROUTES', 'set either BFF_API_ROUTES or BFF_API_ROUTES_FILE, not both');
  const variable = file !== undefined ? 'BFF_API_ROUTES_FILE' : 'BFF_API_ROUTES';
  const text = file !== undefined ? readSettingFile(variable, file) : inline;
  if (text === undefined) return [];
  const parsed = parseJsonSetting(variable, text);
  if (!Array.isArray(parsed)) throw new ConfigError(variable, 'must be a JSON array of routes');
  const routes = parsed.map((entry: unknown, index) =>
    parseRoute(entry, (what) => new ConfigError(variable, `route ${index}: ${what}`), allowHttp),
  );
  const seen = new Set<string>();
  for (const route of routes) {
    // Routes are matched in any case (http/endpoints.ts): /bff/api/Admin and /bff/api/admin are one path.
    const key = route.path.toLowerCase();
    if (seen.has(key)) throw new ConfigError(variable, `path ${route.path} appears twice`);
    seen.add(key);
  }
  // Longest path first: /bff/api/a/b wins over /bff/api/a.
  return routes.sort((a, b) => b.path.length - a.path.length);
}

function parseRoute(entry: unknown, bad: (what: string) => ConfigError, allowHttp: boolean): ApiRoute {
  if (typeof entry !== 'object' || entry === null) throw bad('must be an object');
  const { path, target, token } = entry as Record<string, unknown>;
  // Plain segments only: the proxy matches paths as strings, so dot segments or odd characters could escape a route.
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
}
