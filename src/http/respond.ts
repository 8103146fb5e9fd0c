// Writing a complete answer on Node's own response, for every endpoint and
// the error responses alike.
import type { ServerResponse } from 'node:http';
import encodeUrl from 'encodeurl';

/** Answers with `body`, which no cache may keep (per-user data, errors). */
export function sendNoStore(res: ServerResponse, contentType: string, body: string): void {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

export function sendJson(res: ServerResponse, value: unknown): void {
  sendNoStore(res, 'application/json; charset=utf-8', JSON.stringify(value));
}

/** 302 to `location` (an absolute URL or a path this BFF built or validated), never cached; encoded as Express's res.redirect does. */
export function redirect(res: ServerResponse, location: string): void {
  res.statusCode = 302;
  res.setHeader('Location', encodeUrl(location));
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Length', 0);
  res.end();
}
