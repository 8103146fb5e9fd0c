// GET /.well-known/jwks.json: the public halves of the BFF's keys, for OPs
// that read a jwks_uri (to verify client assertions and request objects, and
// to encrypt id_tokens and userinfo). Never a private member.
import type { RequestHandler } from 'express';
import type { BffContext } from '../context.js';

export function jwksRoute({ keys }: BffContext): RequestHandler {
  return (_req, res) => {
    // Short caching: a key added on SIGHUP must reach the OP soon.
    res.set('Cache-Control', 'public, max-age=60').json(keys.current.publicJwks);
  };
}
