// GET /.well-known/jwks.json: the public halves of the BFF's keys, for OPs
// that read a jwks_uri (to verify client assertions and request objects, and
// to encrypt id_tokens and userinfo). Never a private member.
import type { Handler } from '../http/endpoints.js';
import type { KeyStore } from '../keys.js';

export function jwksRoute({ keys }: { keys: KeyStore }): Handler {
  return async (_req, res) => {
    const body = JSON.stringify(keys.current.publicJwks);
    // Short caching: a key added on SIGHUP must reach the OP soon.
    res.setHeader('Cache-Control', 'public, max-age=60');
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.end(body);
  };
}
