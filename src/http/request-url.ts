// The parts of a request URL (`/path?query`) that routes read without Express.

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
