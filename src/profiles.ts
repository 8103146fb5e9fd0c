// BFF_PROFILE presets. A profile sets safe defaults for its ecosystem and then
// refuses, at start, any explicit setting that is weaker, naming the variable.
import { ConfigError, type Config, type Env, type Profile } from './config.js';

export const FTN_ACR_VALUES = ['http://ftn.ficora.fi/2017/loa2', 'http://ftn.ficora.fi/2017/loa3'];
const FTN_JWE_ALGS = ['RSA-OAEP', 'RSA-OAEP-256'];
const FAPI2_JWS_ALGS = ['PS256', 'ES256'];

export function profileDefaults(profile: Profile): Env {
  switch (profile) {
    case 'ftn':
      // Finnish Trust Network: private_key_jwt, signed request object,
      // encrypted id_token and userinfo with RSA-OAEP(-256), loa2/loa3.
      return {
        BFF_CLIENT_AUTH: 'private_key_jwt',
        BFF_REQUEST_OBJECT: 'signed',
        BFF_REQUIRE_ENCRYPTION: 'true',
        BFF_JWE_ALGS: FTN_JWE_ALGS.join(','),
        BFF_AUTH_PARAMS: JSON.stringify({ acr_values: FTN_ACR_VALUES[1] }),
      };
    case 'fapi2':
      // FAPI 2.0 Security Profile: PAR, PKCE (always on), PS256/ES256, RFC 9207 iss,
      // sender-constrained access tokens (DPoP; this BFF does not do mTLS).
      return {
        BFF_CLIENT_AUTH: 'private_key_jwt',
        BFF_PAR: 'on',
        BFF_DPOP: 'on',
        BFF_JWS_ALGS: FAPI2_JWS_ALGS.join(','),
      };
    case 'none':
      return {};
  }
}

export function checkProfile(config: Config, env: Env): void {
  const refuse = (variable: string, what: string) => {
    throw new ConfigError(variable, `${what} is weaker than BFF_PROFILE=${config.profile} allows`);
  };
  if (config.profile === 'none') return;

  if (config.clientAuth !== 'private_key_jwt') refuse('BFF_CLIENT_AUTH', config.clientAuth);

  if (config.profile === 'ftn') {
    if (config.requestObject === 'none') refuse('BFF_REQUEST_OBJECT', 'none (unsigned authorization requests)');
    if (!config.jose.requireEncryption) refuse('BFF_REQUIRE_ENCRYPTION', 'false');
    const weakAlgs = config.jose.jweAlgs.filter((alg) => !FTN_JWE_ALGS.includes(alg));
    if (weakAlgs.length > 0) refuse('BFF_JWE_ALGS', weakAlgs.join(', '));
    const ecKeys = config.keys.decryption.filter((k) => k.key.algorithm.name !== 'RSA-OAEP');
    if (ecKeys.length > 0) refuse(env.BFF_KEYS_FILE ? 'BFF_KEYS_FILE' : 'BFF_KEYS', 'an ECDH "enc" key (FTN uses RSA-OAEP)');
    const acr = (config.authParams.acr_values ?? '').split(' ').filter(Boolean);
    if (acr.length === 0 || acr.some((value) => !FTN_ACR_VALUES.includes(value))) {
      refuse('BFF_AUTH_PARAMS', `acr_values "${config.authParams.acr_values ?? ''}" (FTN needs ${FTN_ACR_VALUES.join(' or ')})`);
    }
  }

  if (config.profile === 'fapi2') {
    if (config.par !== 'on') refuse('BFF_PAR', config.par);
    if (config.dpop !== 'on') refuse('BFF_DPOP', `${config.dpop} (FAPI 2.0 needs sender-constrained tokens)`);
    const weakJws = config.jose.jwsAlgs.filter((alg) => !FAPI2_JWS_ALGS.includes(alg));
    if (weakJws.length > 0) refuse('BFF_JWS_ALGS', weakJws.join(', '));
    const weakKeys = config.keys.signing.filter((k) => !FAPI2_JWS_ALGS.includes(k.alg));
    if (weakKeys.length > 0) refuse(env.BFF_KEYS_FILE ? 'BFF_KEYS_FILE' : 'BFF_KEYS', `a ${weakKeys[0]!.alg} signing key`);
  }
}

/** acr values a login may ask for under the profile (undefined: any). */
export function allowedAcrValues(profile: Profile): string[] | undefined {
  return profile === 'ftn' ? FTN_ACR_VALUES : undefined;
}
