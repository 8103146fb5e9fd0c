// The BFF's CSRF defence for API-style endpoints: a custom header that a
// cross-site form or link cannot send, and that cross-site fetch() can only
// send after a CORS preflight the BFF does not grant.
import type { RequestHandler } from 'express';
import { BffError } from '../errors.js';

export const requireCsrfHeader: RequestHandler = (req, _res, next) => {
  if (req.get('x-csrf') !== '1') {
    next(new BffError(403, 'csrf_header_missing', 'The request must carry the header "X-CSRF: 1".'));
    return;
  }
  next();
};
