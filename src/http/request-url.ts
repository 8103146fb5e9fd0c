// The parts of a request URL that routes read.
import type { IncomingMessage } from 'node:http';
import parseurl from 'parseurl';

/**
 * The request's path, as Express's router and serve-static read it (parseurl,
 * cached on the request): without the query, and for an absolute-form target
 * (`GET http://host/path`) without the scheme and host.
 */
export function requestPath(req: IncomingMessage): string {
  return parseurl(req)?.pathname ?? '/';
}

/** The request's query string, with its `?`, or ''. */
export function requestQuery(req: IncomingMessage): string {
  return parseurl(req)?.search ?? '';
}

/** The path of a URL (`/path?query`), without the query. */
export function pathOfUrl(url: string): string {
  const queryStart = url.indexOf('?');
  return queryStart === -1 ? url : url.slice(0, queryStart);
}

/** The values of one query parameter. */
export function queryValues(url: string, name: string): string[] {
  const queryStart = url.indexOf('?');
  return queryStart === -1 ? [] : new URLSearchParams(url.slice(queryStart + 1)).getAll(name);
}

/** One query parameter as Express's simple parser gives it: undefined, one string, or an array when repeated. */
export function queryParam(url: string, name: string): string | string[] | undefined {
  const values = queryValues(url, name);
  return values.length > 1 ? values : values[0];
}
