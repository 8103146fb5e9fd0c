// Which upstream URL an API call goes to: the configured route its path falls
// under (matched in any case, as every endpoint is), and the rest of the path
// appended to the route's target, which a request can never leave.
import type { ApiRoute } from '../config.js';
import { badRequest } from '../errors.js';

/** The route and upstream URL for a request, or undefined; BffError(400) for traversal attempts. */
export function resolveTarget(rawPath: string, query: string, routes: readonly ApiRoute[]): { route: ApiRoute; url: URL } | undefined {
  // Matched as every endpoint is (http/endpoints.ts): in any case. The rest of the path keeps its case.
  const lowerPath = rawPath.toLowerCase();
  const route = routes.find((r) => lowerPath === r.path.toLowerCase() || lowerPath.startsWith(`${r.path.toLowerCase()}/`));
  if (route === undefined) return undefined;
  const rest = rawPath.slice(route.path.length);
  for (const segment of rest.split('/').slice(1)) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      throw badRequest('invalid_path', 'The API path is malformed.');
    }
    // No way out of the route's target: no dot segments (also "..;x", which some servers read as ".."),
    // no (encoded) slashes or backslashes, no control characters, no empty segments.
    const withoutParams = decoded.split(';')[0]!;
    if (withoutParams === '.' || withoutParams === '..' || /[/\\\u0000-\u001f\u007f]/.test(decoded) || (segment === '' && rest !== '/')) {
      throw badRequest('invalid_path', 'The API path may not contain dot segments, empty segments or encoded slashes.');
    }
  }
  const url = new URL(route.target.href);
  url.pathname = `${route.target.pathname}${rest}`;
  url.search = query;
  return { route, url };
}

/**
 * An upstream's `Location` as the browser may see it: under a route's target,
 * rewritten to the BFF's path for it; elsewhere on an upstream's (internal)
 * origin, undefined (dropped: the browser cannot reach it, and it names
 * internal hosts); on any other site, as it came. Relative ones are resolved
 * against the upstream request's URL first.
 */
export function publicLocation(location: string, upstreamUrl: URL, routes: readonly ApiRoute[]): string | undefined {
  let url: URL;
  try {
    url = new URL(location, upstreamUrl);
  } catch {
    return undefined;
  }
  for (const route of routes) {
    const base = route.target.pathname;
    if (url.origin === route.target.origin && (url.pathname === base || url.pathname.startsWith(`${base}/`))) {
      return `${route.path}${url.pathname.slice(base.length)}${url.search}${url.hash}`;
    }
  }
  return routes.some((route) => route.target.origin === url.origin) ? undefined : location;
}
