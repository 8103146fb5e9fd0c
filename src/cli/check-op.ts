// `sealed-bff check`, the OP's side: what the BFF will use with this OP
// (from its discovery metadata and this configuration, by the same rules the
// BFF applies when it runs), and what to register there for this client.
import type * as oidc from 'openid-client';
import { DPOP_ALG, ECDH_ES_ALGS } from '../algorithms.js';
import type { Config } from '../config.js';
import { jarmResponseMode } from '../oidc/jarm.js';

const list = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);

/** The first of `ours` the OP offers; an OP that publishes no list is taken to accept ours. */
function firstShared(ours: readonly string[], advertised: unknown): string | undefined {
  return Array.isArray(advertised) ? ours.find((value) => list(advertised).includes(value)) : ours[0];
}

/** The key management algorithms the BFF's "enc" keys can decrypt, within BFF_JWE_ALGS. */
function decryptionAlgs(config: Config): string[] {
  const algs = config.keys.decryption.flatMap((k) => (k.alg ? [k.alg] : ECDH_ES_ALGS));
  return [...new Set(algs)].filter((alg) => config.jose.jweAlgs.includes(alg));
}

export interface Negotiated {
  /** One line per feature: "name: what". */
  lines: string[];
  /** The client metadata to register at the OP (RFC 7591 names). */
  registration: Record<string, unknown>;
}

/**
 * `requestObjects`: the request-object encryption chosen at discovery (BFF_REQUEST_OBJECT_ALG/_ENC, or taken
 * from the OP), when BFF_REQUEST_OBJECT=encrypted.
 */
export function negotiate(meta: oidc.ServerMetadata, config: Config, requestObjects?: { alg: string; enc: string }): Negotiated {
  const signingKey = config.keys.signing[0];
  const par = config.par === 'on' || (config.par === 'auto' && Boolean(meta.pushed_authorization_request_endpoint));
  const dpop = config.dpop === 'on' || (config.dpop === 'auto' && list(meta.dpop_signing_alg_values_supported).includes(DPOP_ALG));
  const idTokenSig = list(meta.id_token_signing_alg_values_supported).filter((alg) => config.jose.jwsAlgs.includes(alg));
  const registration: Record<string, unknown> = {
    client_id: config.clientId,
    redirect_uris: [config.redirectUri],
    post_logout_redirect_uris: [config.postLogoutRedirectUri],
    response_types: ['code'],
    grant_types: ['authorization_code', 'refresh_token'],
    token_endpoint_auth_method: config.clientAuth,
  };
  const lines = [
    `client authentication: ${config.clientAuth}${signingKey && config.clientAuth === 'private_key_jwt' ? ` (${signingKey.alg}, kid ${signingKey.kid ?? '-'}; aud ${config.assertionAudience})` : ''}`,
    `id_token signatures accepted: ${idTokenSig.length > 0 ? idTokenSig.join(', ') : config.jose.jwsAlgs.join(', ')}`,
  ];
  if (signingKey && config.clientAuth === 'private_key_jwt') registration.token_endpoint_auth_signing_alg = signingKey.alg;
  if (config.keys.publicJwks.keys.length > 0) {
    registration.jwks_uri = `${config.publicUrl.origin}/.well-known/jwks.json`;
  }

  const ourAlgs = decryptionAlgs(config);
  const jarmMode = jarmResponseMode(config, meta);
  const targets = ['id_token', ...(meta.userinfo_endpoint ? ['userinfo'] : []), ...(jarmMode ? ['authorization'] : [])] as Array<
    'id_token' | 'userinfo' | 'authorization'
  >;
  for (const target of targets) {
    const item = target === 'authorization' ? 'authorization_response' : target;
    const required = config.jose.requireEncryption.includes(item);
    const alg = firstShared(ourAlgs, meta[`${target}_encryption_alg_values_supported`]);
    const enc = firstShared(config.jose.jweEncs, meta[`${target}_encryption_enc_values_supported`]);
    if (required && alg && enc) {
      lines.push(`${item}: encrypted (${alg} + ${enc}), required`);
      registration[`${target}_encrypted_response_alg`] = alg;
      registration[`${target}_encrypted_response_enc`] = enc;
    } else {
      lines.push(
        `${item}: ${required ? 'encryption required, but no shared algorithm' : `plaintext accepted (not in BFF_REQUIRE_ENCRYPTION)`}`,
      );
    }
  }

  const encrypted =
    config.requestObject === 'encrypted' && requestObjects ? `, then encrypted ${requestObjects.alg} + ${requestObjects.enc}` : '';
  lines.push(`request object: ${config.requestObject === 'none' || !signingKey ? 'none' : `signed ${signingKey.alg}${encrypted}`}`);
  if (config.requestObject !== 'none' && signingKey) registration.request_object_signing_alg = signingKey.alg;
  if (config.requestObject === 'encrypted' && requestObjects) {
    registration.request_object_encryption_alg = requestObjects.alg;
    registration.request_object_encryption_enc = requestObjects.enc;
  }
  lines.push(
    `PAR: ${par ? 'used' : 'not used'} (BFF_PAR=${config.par}; the OP ${meta.pushed_authorization_request_endpoint ? 'offers' : 'does not offer'} it)`,
  );
  lines.push(
    `DPoP: ${dpop ? `used (${DPOP_ALG} proofs, one key per session)` : 'not used: bearer access tokens'} (BFF_DPOP=${config.dpop})`,
  );
  if (dpop) registration.dpop_bound_access_tokens = true;
  const offersJarm = list(meta.response_modes_supported).some((mode) => mode === 'jwt' || mode.endsWith('.jwt'));
  if (jarmMode) {
    lines.push(`JARM (signed authorization response): used, response_mode ${jarmMode} (BFF_RESPONSE_MODE=${config.responseMode})`);
    const signed = firstShared(config.jose.jwsAlgs, meta.authorization_signing_alg_values_supported);
    if (signed) registration.authorization_signed_response_alg = signed;
  } else {
    lines.push(`JARM (signed/encrypted authorization response): not used; response_mode query${offersJarm ? ' (the OP offers jwt)' : ''}`);
  }
  lines.push(
    `RFC 9207 iss in the authorization response: ${meta.authorization_response_iss_parameter_supported === true ? 'checked' : 'not offered by the OP (mix-up defence rests on distinct redirect URIs)'}`,
  );
  lines.push(
    `logout: ${meta.end_session_endpoint ? 'RP-initiated at the OP, without id_token_hint' : 'local only (the OP has no end_session_endpoint)'}`,
  );
  if (meta.backchannel_logout_supported === true) {
    lines.push('back-channel logout: offered by the OP; register the backchannel_logout_uri below');
    registration.backchannel_logout_uri = `${config.publicUrl.origin}/bff/backchannel-logout`;
    registration.backchannel_logout_session_required = true;
  }
  lines.push(`refresh token revocation at logout: ${meta.revocation_endpoint ? 'yes' : 'no (the OP has no revocation_endpoint)'}`);
  if (config.authParams.acr_values) registration.default_acr_values = config.authParams.acr_values.split(' ');
  return { lines, registration };
}
