// The SPA's files (BFF_STATIC_DIR), served after every BFF endpoint. What a
// single-page app needs from its server: its files as they are, and for a
// browser navigation to one of its client-side routes (/orders/42, after a
// login's returnTo or a reload) its index.html, while a missing asset
// (/app.3f9c.js, /favicon.ico) stays a 404. The BFF's own paths never reach
// the folder or the fallback, however they are spelled (/%62ff/user is
// /bff/user once decoded, as the static file server would decode it).
import { join } from 'node:path';
import express, { type RequestHandler } from 'express';
import { requestPath } from './request-url.js';

const RESERVED = /^\/(bff|\.well-known)(\/|$)/i;

export function spaFiles(staticDir: string): RequestHandler[] {
  const files = express.static(staticDir, { index: 'index.html' });
  const index = join(staticDir, 'index.html');
  return [
    (req, res, next) => {
      if (reservedPath(requestPath(req))) next();
      else void files(req, res, next);
    },
    (req, res, next) => {
      if (!isNavigationToRoute(req)) return next();
      // The document changes with every deployment: revalidate, never serve a stale one.
      res.setHeader('Cache-Control', 'no-cache');
      res.sendFile(index, (err?: Error) => err && next());
    },
  ];
}

/** A path under /bff or /.well-known, decoded as the file server would; a path that does not decode is not served either. */
function reservedPath(path: string): boolean {
  try {
    return RESERVED.test(decodeURIComponent(path));
  } catch {
    return true;
  }
}

/**
 * A GET or HEAD whose Accept names text/html (a browser navigation; fetch and
 * script or image loads do not), for a path outside the BFF's own whose last
 * segment has no file extension (a route, not a missing asset).
 */
function isNavigationToRoute(req: Parameters<RequestHandler>[0]): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  if (!(req.headers.accept ?? '').includes('text/html')) return false;
  const path = requestPath(req);
  if (reservedPath(path)) return false;
  const last = path.slice(path.lastIndexOf('/') + 1);
  return !last.includes('.');
}
