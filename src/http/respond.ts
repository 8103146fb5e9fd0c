// Writing a complete answer on Node's own response, for the hot paths and the
// error responses alike: no Express needed.
import type { ServerResponse } from 'node:http';

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
