// Compares the OP's discovery metadata with what this BFF is configured to
// do, so that a mismatch is named at start instead of failing every login.
import type * as oidc from 'openid-client';
import { DPOP_ALG, ECDH_ES_ALGS } from '../algorithms.js';
import type { Config } from '../config.js';
import type { KeySet } from '../keys.js';
import { jarmProblems } from './jarm.js';

export class OpMetadataError extends Error {
  readonly code = 'ERR_BFF_OP_METADATA';
  constructor(readonly problems: string[]) {
    super(`the OP does not support this configuration: ${problems.join('; ')}`);
    this.name = 'OpMetadataError';
  }
}

export function metadataProblems(meta: oidc.ServerMetadata, config: Config, keys: KeySet): string[] {
  const problems: string[] = [];
  const lacks = (field: string, wanted: string, setting: string) => problems.push(`${field} lacks ${wanted} (${setting})`);
  const supports = (field: keyof oidc.ServerMetadata, value: string) => {
    const advertised = meta[field];
    return !Array.isArray(advertised) || advertised.includes(value);
  };

  if (!supports('token_endpoint_auth_methods_supported', config.clientAuth)) {
    lacks('token_endpoint_auth_methods_supported', config.clientAuth, 'BFF_CLIENT_AUTH');
  }
  const signingKey = keys.signing[0];
  if (
    config.clientAuth === 'private_key_jwt' &&
    signingKey &&
    !supports('token_endpoint_auth_signing_alg_values_supported', signingKey.alg)
  ) {
    lacks('token_endpoint_auth_signing_alg_values_supported', signingKey.alg, 'the "sig" key in BFF_KEYS');
  }
  if (!supports('code_challenge_methods_supported', 'S256')) lacks('code_challenge_methods_supported', 'S256', 'PKCE');
  if (
    Array.isArray(meta.id_token_signing_alg_values_supported) &&
    !meta.id_token_signing_alg_values_supported.some((alg) => config.jose.jwsAlgs.includes(alg))
  ) {
    lacks('id_token_signing_alg_values_supported', `any of ${config.jose.jwsAlgs.join(', ')}`, 'BFF_JWS_ALGS');
  }

  problems.push(...encryptionProblems(meta, config, keys));

  if (config.requestObject !== 'none') {
    // OpenID Connect Discovery: silence means no, for both (request_parameter_supported defaults to false).
    if (meta.request_parameter_supported !== true)
      problems.push(
        `request_parameter_supported is not true: the OP does not say it accepts request objects (BFF_REQUEST_OBJECT=${config.requestObject})`,
      );
    const algs = meta.request_object_signing_alg_values_supported;
    if (signingKey && !(Array.isArray(algs) && algs.includes(signingKey.alg))) {
      lacks(
        'request_object_signing_alg_values_supported',
        signingKey.alg,
        `the "sig" key in BFF_KEYS, for BFF_REQUEST_OBJECT=${config.requestObject}`,
      );
    }
  }
  // Encrypted request objects: their alg/enc are checked when chosen (request-object.ts: negotiate); a missing
  // jwks_uri (no OP key to encrypt to either) is named once, below.
  problems.push(...jarmProblems(config, meta));
  if (config.par === 'on' && !meta.pushed_authorization_request_endpoint) {
    problems.push('pushed_authorization_request_endpoint is missing (BFF_PAR=on)');
  }
  if (config.dpop === 'on') {
    // Unlike most lists here, silence means no: an OP without DPoP says nothing.
    const algs = meta.dpop_signing_alg_values_supported;
    if (!Array.isArray(algs))
      problems.push('dpop_signing_alg_values_supported is not advertised: the OP does not say it supports DPoP (BFF_DPOP=on)');
    else if (!algs.includes(DPOP_ALG)) lacks('dpop_signing_alg_values_supported', DPOP_ALG, 'BFF_DPOP=on');
  }
  if (config.profile === 'fapi2' && meta.authorization_response_iss_parameter_supported !== true) {
    problems.push('authorization_response_iss_parameter_supported is not true (BFF_PROFILE=fapi2 requires RFC 9207)');
  }
  if (!meta.jwks_uri) problems.push("jwks_uri is missing: the OP's signatures cannot be verified");
  return problems;
}

// Each item BFF_REQUIRE_ENCRYPTION lists must be one the OP says it can encrypt, to a key this BFF holds.
// Logout tokens have no such metadata; the authorization response's is JARM's (authorization_encryption_*).
const ENCRYPTION_METADATA = {
  id_token: 'id_token_encryption',
  userinfo: 'userinfo_encryption',
  authorization_response: 'authorization_encryption',
} as const;

function encryptionProblems(meta: oidc.ServerMetadata, config: Config, keys: KeySet): string[] {
  const problems: string[] = [];
  const required = config.jose.requireEncryption;
  const keyAlgs = new Set(
    keys.decryption.flatMap((k) => (k.alg ? [k.alg] : config.jose.jweAlgs.filter((alg) => ECDH_ES_ALGS.includes(alg)))),
  );
  const usableAlgs = [...keyAlgs].filter((alg) => config.jose.jweAlgs.includes(alg));
  for (const item of ['id_token', 'userinfo', 'authorization_response'] as const) {
    if (!required.includes(item) || (item === 'userinfo' && !meta.userinfo_endpoint)) continue;
    const algField = `${ENCRYPTION_METADATA[item]}_alg_values_supported`;
    const encField = `${ENCRYPTION_METADATA[item]}_enc_values_supported`;
    const algs = meta[algField];
    if (!Array.isArray(algs)) {
      // Name the setting that would fit: the same list without this item.
      const others = required.filter((other) => other !== item);
      const fitting = others.length > 0 ? others.join(',') : 'false';
      problems.push(
        `${algField} is not advertised: the OP does not say it can encrypt ${item} (BFF_REQUIRE_ENCRYPTION requires it; ` +
          `if the OP sends ${item} unencrypted, set BFF_REQUIRE_ENCRYPTION=${fitting})`,
      );
      continue;
    }
    if (!algs.some((alg) => usableAlgs.includes(alg as string))) {
      problems.push(`${algField} lacks any of ${usableAlgs.join(', ')} (the "enc" keys in BFF_KEYS and BFF_JWE_ALGS, for ${item})`);
    }
    const encs = meta[encField];
    if (Array.isArray(encs) && !encs.some((enc) => config.jose.jweEncs.includes(enc as string))) {
      problems.push(`${encField} lacks any of ${config.jose.jweEncs.join(', ')} (BFF_JWE_ENCS, for ${item})`);
    }
  }
  return problems;
}
