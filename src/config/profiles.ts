// BFF_PROFILE presets. A profile sets safe defaults for its ecosystem and then
// refuses, at start, any explicit setting that is weaker, naming the variable.
// The key rules of a profile are apart (checkProfileKeys) because a key file
// reloaded on SIGHUP must meet them too (src/config/keys.ts: checkKeySet).
// Imports only the config's leaves (env, types), never src/config.ts, which
// imports this module.
import { FAPI2_JWS_ALGS, FTN_JWE_ALGS } from '../algorithms.js';
import { ConfigError, type Env } from './env.js';
import type { Config, Profile } from './types.js';
import type { KeySet } from '../keys.js';

/** What FTN requires encrypted, whatever BFF_REQUIRE_ENCRYPTION lists besides. */
const FTN_ENCRYPTED_ITEMS = ['id_token', 'userinfo'] as const;

export const FTN_ACR_VALUES = ['http://ftn.ficora.fi/2017/loa2', 'http://ftn.ficora.fi/2017/loa3'];

export function profileDefaults(profile: Profile): Env {
  switch (profile) {
    case 'ftn':
      // Finnish Trust Network: private_key_jwt, signed request object,
      // encrypted id_token and userinfo with RSA-OAEP(-256), loa2/loa3.
      return {
        BFF_CLIENT_AUTH: 'private_key_jwt',
        BFF_REQUEST_OBJECT: 'signed',
        BFF_REQUIRE_ENCRYPTION: 'true',
        BFF_USERINFO_ISS_AUD: 'required',
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
        BFF_USERINFO_ISS_AUD: 'required',
      };
    case 'none':
      return {};
  }
}

const weaker = (profile: Profile, variable: string, what: string) =>
  new ConfigError(variable, `${what} is weaker than BFF_PROFILE=${profile} allows`);

/** The profile's rules for the settings (the keys: checkProfileKeys). */
export function checkProfile(config: Config): void {
  const refuse = (variable: string, what: string) => {
    throw weaker(config.profile, variable, what);
  };
  if (config.profile === 'none') return;

  if (config.clientAuth !== 'private_key_jwt') refuse('BFF_CLIENT_AUTH', config.clientAuth);
  if (config.userinfoIssAud !== 'required')
    refuse('BFF_USERINFO_ISS_AUD', `${config.userinfoIssAud} (a signed userinfo must name its issuer and audience)`);

  if (config.profile === 'ftn') {
    if (config.requestObject === 'none') refuse('BFF_REQUEST_OBJECT', 'none (unsigned authorization requests)');
    // FTN's floor: id_tokens and userinfo encrypted (logout tokens and JARM as configured).
    const plaintext = FTN_ENCRYPTED_ITEMS.filter((item) => !config.jose.requireEncryption.includes(item));
    if (plaintext.length > 0) refuse('BFF_REQUIRE_ENCRYPTION', `accepting ${plaintext.join(' and ')} in plaintext`);
    const weakAlgs = config.jose.jweAlgs.filter((alg) => !FTN_JWE_ALGS.includes(alg));
    if (weakAlgs.length > 0) refuse('BFF_JWE_ALGS', weakAlgs.join(', '));
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
  }
}

/** The profile's rules for the BFF's own keys; `variable` is where the keys came from (BFF_KEYS or BFF_KEYS_FILE). */
export function checkProfileKeys(keys: KeySet, profile: Profile, variable: string): void {
  if (profile === 'ftn') {
    // WebCrypto names every RSA-OAEP variant 'RSA-OAEP'; anything else is an ECDH key.
    const ecKeys = keys.decryption.filter((k) => k.key.algorithm.name !== 'RSA-OAEP');
    if (ecKeys.length > 0) throw weaker(profile, variable, 'an ECDH "enc" key (FTN uses RSA-OAEP)');
  }
  if (profile === 'fapi2') {
    const weakKeys = keys.signing.filter((k) => !FAPI2_JWS_ALGS.includes(k.alg));
    if (weakKeys.length > 0) throw weaker(profile, variable, `a ${weakKeys[0]!.alg} signing key`);
  }
}

/** acr values a login may ask for under the profile (undefined: any). */
export function allowedAcrValues(profile: Profile): string[] | undefined {
  return profile === 'ftn' ? FTN_ACR_VALUES : undefined;
}
