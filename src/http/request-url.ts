// The parts of a request URL that routes read, as Express reads them
// (parseurl, which caches its result on the request).
import type { IncomingMessage } from 'node:http';
import parseurl from 'parseurl';

/**
 * The request's path, as Express's router and serve-static read it: without
 * the query, and for an absolute-form target (`GET http://host/path`)
 * without the scheme and host. Relative to where the BFF is mounted.
 */
export function requestPath(req: IncomingMessage): string {
  return parseurl(req)?.pathname ?? '/';
}

/** The request's full path (`originalUrl` when mounted), for logs. */
export function originalPath(req: IncomingMessage): string {
  return parseurl.original(req)?.pathname ?? '/';
}

/** The request's query string, with its `?`, or ''. */
export function requestQuery(req: IncomingMessage): string {
  return parseurl(req)?.search ?? '';
}

/** The request's query parameters, parsed once for the caller. */
export function queryOf(req: IncomingMessage): URLSearchParams {
  return new URLSearchParams(requestQuery(req));
}

/** One query parameter as Express's simple parser gives it: undefined, one string, or an array when repeated. */
export function queryParam(query: URLSearchParams, name: string): string | string[] | undefined {
  const values = query.getAll(name);
  return values.length > 1 ? values : values[0];
}
