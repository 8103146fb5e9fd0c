// The BFF as the OP's client: who it is (issuer, client_id, its URLs), how it
// authenticates, what it asks for (scope, request objects, PAR, DPoP, extra
// parameters) and what it accepts back (the JOSE policy).
import { DEFAULT_JWE_ALGS, DEFAULT_JWS_ALGS, SUPPORTED_JWE_ALGS, SUPPORTED_JWE_ENCS, SUPPORTED_JWS_ALGS } from '../algorithms.js';
import type { KeySet } from '../keys.js';
import {
  ConfigError,
  optional,
  parseEnum,
  parseInteger,
  parseJsonSetting,
  parseList,
  parseOptionalFlag,
  parseUrl,
  required,
  type Env,
} from './env.js';
import { defaultClientAuth, lacksDecryptionKey, lacksSigningKey } from './keys.js';
import type { ClientAuthMethod, Config, EncryptedItem, JoseConfig } from './types.js';

const CLIENT_AUTH_METHODS: readonly ClientAuthMethod[] = ['private_key_jwt', 'client_secret_basic', 'client_secret_post'];
// Parameters the BFF sets itself; configuration must not override them.
const RESERVED_AUTH_PARAMS = [
  'client_id',
  'redirect_uri',
  'response_type',
  'response_mode',
  'scope',
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'request',
  'request_uri',
  'client_assertion',
  'client_assertion_type',
  'dpop_jkt',
];

export type ClientIdentity = Pick<Config, 'issuer' | 'clientId' | 'publicUrl' | 'redirectUri' | 'postLogoutRedirectUri'>;

export type OpClientConfig = Pick<
  Config,
  | 'clientAuth'
  | 'clientSecret'
  | 'scope'
  | 'jose'
  | 'requestObject'
  | 'requestObjectEncryption'
  | 'par'
  | 'responseMode'
  | 'dpop'
  | 'assertionAudience'
  | 'userinfoIssAud'
  | 'requestObjectQuery'
  | 'authParams'
  | 'loginParams'
  | 'opTimeoutSeconds'
>;

/** What does not depend on the keys; read before them. */
export function parseClientIdentity(env: Env, allowHttp: boolean): ClientIdentity {
  const issuer = parseUrl(env, 'BFF_ISSUER', allowHttp);
  const publicUrl = parsePublicUrl(env, allowHttp);
  const clientId = required(env, 'BFF_CLIENT_ID');
  return {
    issuer,
    clientId,
    publicUrl,
    redirectUri: `${publicUrl.origin}/bff/callback`,
    postLogoutRedirectUri: `${publicUrl.origin}/`,
  };
}

/** Everything else about the client; several defaults depend on which keys exist. */
export function parseOpClient(env: Env, keys: KeySet): OpClientConfig {
  const clientAuth = parseClientAuth(env, keys);
  const clientSecret = parseClientSecret(env, clientAuth);
  const scope = optional(env, 'BFF_SCOPE') ?? 'openid profile email';
  if (!scope.split(' ').includes('openid')) {
    throw new ConfigError('BFF_SCOPE', 'must include "openid"');
  }
  const responseMode = parseEnum(env, 'BFF_RESPONSE_MODE', ['query', 'jwt', 'query.jwt', 'form_post.jwt'] as const, 'query');
  const jose = parseJose(env, keys, responseMode !== 'query');
  const requestObject = parseEnum(env, 'BFF_REQUEST_OBJECT', ['none', 'signed', 'encrypted'] as const, 'none');
  if (lacksSigningKey(keys, { requestObject })) {
    throw new ConfigError('BFF_REQUEST_OBJECT', `${requestObject} request objects need a "use":"sig" key in BFF_KEYS/BFF_KEYS_FILE`);
  }
  return {
    clientAuth,
    clientSecret,
    scope,
    jose,
    requestObject,
    opTimeoutSeconds: parseInteger(env, 'BFF_OP_TIMEOUT', 10, 1, 120),
    // Unset: taken from the OP at discovery (oidc/request-object.ts: negotiate).
    requestObjectEncryption: {
      alg: optionalEnum(env, 'BFF_REQUEST_OBJECT_ALG', SUPPORTED_JWE_ALGS),
      enc: optionalEnum(env, 'BFF_REQUEST_OBJECT_ENC', SUPPORTED_JWE_ENCS),
    },
    par: parseEnum(env, 'BFF_PAR', ['auto', 'on', 'off'] as const, 'auto'),
    responseMode,
    dpop: parseEnum(env, 'BFF_DPOP', ['auto', 'on', 'off'] as const, 'auto'),
    assertionAudience: parseEnum(env, 'BFF_ASSERTION_AUDIENCE', ['issuer', 'token_endpoint', 'endpoint'] as const, 'issuer'),
    userinfoIssAud: parseEnum(env, 'BFF_USERINFO_ISS_AUD', ['required', 'when_present'] as const, 'when_present'),
    requestObjectQuery: parseEnum(env, 'BFF_REQUEST_OBJECT_QUERY', ['full', 'minimal'] as const, 'full'),
    authParams: parseAuthParams(env),
    loginParams: parseLoginParams(env),
  };
}

function optionalEnum(env: Env, name: string, allowed: readonly string[]): string | undefined {
  return optional(env, name) === undefined ? undefined : parseEnum(env, name, allowed, '');
}

function parsePublicUrl(env: Env, allowHttp: boolean): URL {
  const url = parseUrl(env, 'BFF_PUBLIC_URL', allowHttp);
  if ((url.pathname !== '/' && url.pathname !== '') || url.search) {
    throw new ConfigError('BFF_PUBLIC_URL', 'must be an origin only, e.g. https://app.example.com (no path or query)');
  }
  return url;
}

function parseClientAuth(env: Env, keys: KeySet): ClientAuthMethod {
  const method = parseEnum(env, 'BFF_CLIENT_AUTH', CLIENT_AUTH_METHODS, defaultClientAuth(keys));
  if (lacksSigningKey(keys, { clientAuth: method })) {
    throw new ConfigError('BFF_CLIENT_AUTH', 'private_key_jwt needs a "use":"sig" key in BFF_KEYS or BFF_KEYS_FILE');
  }
  return method;
}

function parseClientSecret(env: Env, clientAuth: ClientAuthMethod): string | undefined {
  const clientSecret = optional(env, 'BFF_CLIENT_SECRET');
  if (clientAuth !== 'private_key_jwt' && clientSecret === undefined) {
    // No keys and no secret at all: the BFF has no way to authenticate; the keys are the usual way.
    if (['BFF_CLIENT_AUTH', 'BFF_KEYS', 'BFF_KEYS_FILE'].every((name) => optional(env, name) === undefined)) {
      throw new ConfigError(
        'BFF_KEYS_FILE',
        'is required: the private JWKS the BFF signs and decrypts with (`sealed-bff keys` writes one); or BFF_KEYS inline; ' +
          'or, for a shared secret instead, BFF_CLIENT_AUTH=client_secret_basic and BFF_CLIENT_SECRET',
      );
    }
    // Without BFF_CLIENT_AUTH the secret methods are only the default because there is no key to sign with (defaultClientAuth).
    const why = optional(env, 'BFF_CLIENT_AUTH')
      ? `with BFF_CLIENT_AUTH=${clientAuth}`
      : 'when no "use":"sig" key is in BFF_KEYS/BFF_KEYS_FILE (private_key_jwt needs one)';
    throw new ConfigError('BFF_CLIENT_SECRET', `is required ${why}`);
  }
  return clientSecret;
}

/** Every item BFF_REQUIRE_ENCRYPTION may name, in the order the README lists them. */
export const ENCRYPTED_ITEMS: readonly EncryptedItem[] = ['id_token', 'userinfo', 'authorization_response', 'logout_token'];

/**
 * BFF_REQUIRE_ENCRYPTION: `true`, `false` or a list of items. `true` means every
 * item this configuration receives: the authorization response only with JARM.
 */
export function parseRequireEncryption(env: Env, keys: KeySet, jarm: boolean): EncryptedItem[] {
  const received = ENCRYPTED_ITEMS.filter((item) => item !== 'authorization_response' || jarm);
  const value = optional(env, 'BFF_REQUIRE_ENCRYPTION');
  let items: EncryptedItem[];
  if (value === undefined) {
    // Holding an enc key means the OP was told to encrypt: plaintext would then be a downgrade.
    items = keys.decryption.length > 0 ? received : [];
  } else if (/^(1|true|0|false)$/.test(value)) {
    items = parseOptionalFlag(env, 'BFF_REQUIRE_ENCRYPTION') ? received : [];
  } else {
    items = parseList(env, 'BFF_REQUIRE_ENCRYPTION', ENCRYPTED_ITEMS, []) as EncryptedItem[];
    if (items.includes('authorization_response') && !jarm) {
      throw new ConfigError('BFF_REQUIRE_ENCRYPTION', 'names authorization_response, which is only received with BFF_RESPONSE_MODE=jwt');
    }
  }
  if (lacksDecryptionKey(keys, { requireEncryption: items })) {
    throw new ConfigError(
      'BFF_REQUIRE_ENCRYPTION',
      `requires ${items.join(', ')} encrypted, but BFF_KEYS/BFF_KEYS_FILE holds no "use":"enc" key to decrypt with`,
    );
  }
  return items;
}

function parseJose(env: Env, keys: KeySet, jarm: boolean): JoseConfig {
  const requireEncryption = parseRequireEncryption(env, keys, jarm);
  return {
    requireEncryption,
    jweAlgs: parseList(env, 'BFF_JWE_ALGS', SUPPORTED_JWE_ALGS, DEFAULT_JWE_ALGS),
    jweEncs: parseList(env, 'BFF_JWE_ENCS', SUPPORTED_JWE_ENCS, SUPPORTED_JWE_ENCS),
    jwsAlgs: parseList(env, 'BFF_JWS_ALGS', SUPPORTED_JWS_ALGS, DEFAULT_JWS_ALGS),
    maxTokenBytes: parseInteger(env, 'BFF_MAX_TOKEN_BYTES', 65536, 1024, 1048576),
    trustedAudiences: parseAudiences(env),
    maxTokenAgeSeconds: parseInteger(env, 'BFF_MAX_TOKEN_AGE', 600, 60, 86400),
    clockToleranceSeconds: parseInteger(env, 'BFF_CLOCK_TOLERANCE', 30, 0, 300),
  };
}

/** BFF_TRUSTED_AUDIENCES: comma- or space-separated audience values. */
function parseAudiences(env: Env): string[] {
  const audiences = (optional(env, 'BFF_TRUSTED_AUDIENCES') ?? '').split(/[\s,]+/).filter(Boolean);
  for (const aud of audiences) {
    if (/[\x00-\x1f\x7f]/.test(aud) || aud.length > 256)
      throw new ConfigError('BFF_TRUSTED_AUDIENCES', `"${aud.slice(0, 40)}" is not an audience value`);
  }
  return audiences;
}

function parseAuthParams(env: Env): Record<string, string> {
  const value = optional(env, 'BFF_AUTH_PARAMS');
  if (value === undefined) return {};
  const parsed = parseJsonSetting('BFF_AUTH_PARAMS', value);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError('BFF_AUTH_PARAMS', 'must be a JSON object of strings');
  }
  for (const [name, v] of Object.entries(parsed)) {
    if (typeof v !== 'string') throw new ConfigError('BFF_AUTH_PARAMS', `${name} must be a string`);
    if (RESERVED_AUTH_PARAMS.includes(name)) throw new ConfigError('BFF_AUTH_PARAMS', `must not set ${name} (the BFF sets it)`);
  }
  return parsed as Record<string, string>;
}

function parseLoginParams(env: Env): string[] {
  const value = optional(env, 'BFF_LOGIN_PARAMS');
  if (value === undefined) return [];
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const name of names) {
    if (!/^[a-z][a-z0-9_]*$/.test(name)) throw new ConfigError('BFF_LOGIN_PARAMS', `${name} is not a parameter name`);
    if (RESERVED_AUTH_PARAMS.includes(name) || name === 'returnTo') {
      throw new ConfigError('BFF_LOGIN_PARAMS', `must not include ${name} (the BFF sets it)`);
    }
  }
  return names;
}
