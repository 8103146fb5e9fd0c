// Renders every error the same way: JSON {error, error_description} for
// fetch/XHR callers, a short HTML page for top-level navigations. Unknown
// errors become a generic 500 that reveals nothing. Works on Node's own
// request and response, for both stages of http/endpoints.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import accepts from 'accepts';
import type { ErrorRequestHandler } from 'express';
import { BffError } from '../errors.js';
import { describe } from '../logger.js';
import type { BffMetrics } from '../metrics.js';
import { pathOf, type LoggedRequest } from './request-log.js';
import { errorPage } from './error-page.js';
import { sendJson, sendNoStore } from './respond.js';

// What a signed-out page load (/bff/user: 401) and a browser's guesses (/favicon.ico: 404) cause
// every day: the access log line has their status; a warning would only drown the real ones.
const ROUTINE: readonly string[] = ['not_authenticated', 'not_found'];

function sendError(req: IncomingMessage, res: ServerResponse, error: BffError): void {
  res.statusCode = error.status;
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  if (wantsHtml(req)) sendNoStore(res, 'text/html; charset=utf-8', errorPage(error));
  else sendJson(res, { error: error.code, error_description: error.description });
}

/** Logs a failed request, counts it, and answers with the error (unless the response has begun). */
export function failRequest(metrics: BffMetrics, err: unknown, req: LoggedRequest, res: ServerResponse): void {
  const error = asBffError(err);
  const path = pathOf(req);
  const log = { code: error.code, status: error.status, method: req.method, path, error: describe(error.cause ?? err) };
  if (error.status >= 500) req.log.error(log, 'request failed');
  else if (ROUTINE.includes(error.code)) req.log.debug(log, 'request refused');
  else req.log.warn(log, 'request refused');
  if (path === '/bff/callback') metrics.callbackFailures.inc({ code: error.code });
  if (error.code === 'session_store_unavailable') metrics.storeErrors.inc();
  if (res.headersSent) res.destroy();
  else sendError(req, res, error);
}

export function errorHandler(metrics: BffMetrics): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    // Every request got its id and logger before Express saw it (http/endpoints.ts).
    failRequest(metrics, err, req as unknown as LoggedRequest, res);
  };
}

function asBffError(err: unknown): BffError {
  if (err instanceof BffError) return err;
  // Errors body-parser and friends raise for malformed requests carry a 4xx status.
  const status = typeof err === 'object' && err !== null ? (err as { status?: unknown }).status : undefined;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new BffError(status, 'invalid_request', 'The request is malformed.', { cause: err });
  }
  return new BffError(500, 'server_error', 'The BFF could not complete the request.', { cause: err });
}

// A top-level navigation (the browser following a link or a redirect) gets a page;
// fetch() and XHR get JSON. Sec-Fetch-Mode is authoritative where browsers send it.
function wantsHtml(req: IncomingMessage): boolean {
  const mode = req.headers['sec-fetch-mode'];
  if (typeof mode === 'string') return mode === 'navigate';
  return accepts(req).type(['json', 'html']) === 'html';
}
