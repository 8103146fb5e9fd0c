// The BFF's CSRF defence for API-style endpoints: a custom header that a
// cross-site form or link cannot send, and that cross-site fetch() can only
// send after a CORS preflight the BFF does not grant.
import type { IncomingMessage } from 'node:http';
import { BffError } from '../errors.js';

export function requireCsrfHeader(req: IncomingMessage): void {
  if (req.headers['x-csrf'] !== '1') throw new BffError(403, 'csrf_header_missing', 'The request must carry the header "X-CSRF: 1".');
}
