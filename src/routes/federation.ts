// GET /.well-known/openid-federation (the Entity Configuration) and the
// signed JWKS at its signed_jwks_uri: see federation/entity.ts. Served only
// with BFF_FEDERATION_KEYS(_FILE).
import { BffError } from '../errors.js';
import type { Handler } from '../http/endpoints.js';
import type { FederationEntity } from '../federation/entity.js';

function send(produce: () => Promise<string>, contentType: string, maxAge: () => number): Handler {
  return async (_req, res) => {
    let body: string;
    try {
      body = await produce();
    } catch (err) {
      throw new BffError(503, 'federation_key_unavailable', 'No federation signing key is in effect.', { cause: err });
    }
    // Short caching: a rollover must reach relying OPs and trust anchors soon.
    res.setHeader('Cache-Control', `public, max-age=${maxAge()}`);
    res.setHeader('Content-Type', contentType);
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.end(body);
  };
}

export function entityConfigurationRoute(entity: FederationEntity): Handler {
  return send(
    () => entity.entityConfiguration(),
    'application/entity-statement+jwt',
    () => entity.maxAgeSeconds(),
  );
}

export function signedJwksRoute(entity: FederationEntity): Handler {
  return send(
    () => entity.signedJwks(),
    'application/jwk-set+jwt',
    () => entity.maxAgeSeconds(),
  );
}
