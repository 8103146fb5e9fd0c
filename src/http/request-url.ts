// The parts of a request URL (`/path?query`) that routes read.

/** The path, without the query. */
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
