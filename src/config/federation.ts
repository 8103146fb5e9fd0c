// OpenID Federation settings: the BFF's own federation keys and entity
// (BFF_FEDERATION_KEYS(_FILE), BFF_ENTITY_ID, BFF_AUTHORITY_HINTS,
// BFF_FEDERATION_LIFETIME), the OP's pinned federation keys
// (BFF_OP_FEDERATION_KEYS), and the scheduled-rollover timings of every key
// set (BFF_KEY_GRACE, BFF_KEY_EXPIRY_WARNING).
import { calculateJwkThumbprint, type JWK } from 'jose';
import { keysAt } from '../key-schedule.js';
import { importKeySet, KeySetError, type KeySet } from '../keys.js';
import { ConfigError, optional, parseInteger, parseJsonSetting, parseUrl, readSettingFile, type Env } from './env.js';
import type { FederationConfig, OpFederationConfig } from './types.js';

const DAY = 86_400;

export function parseKeySchedule(env: Env): { graceSeconds: number; warningSeconds: number } {
  return {
    graceSeconds: parseInteger(env, 'BFF_KEY_GRACE', DAY, 0, 30 * DAY),
    warningSeconds: parseInteger(env, 'BFF_KEY_EXPIRY_WARNING', 14 * DAY, 0, 365 * DAY),
  };
}

/** The BFF as a federation entity; undefined unless BFF_FEDERATION_KEYS(_FILE) is set. */
export async function parseFederation(env: Env, publicUrl: URL, allowHttp: boolean, keys: KeySet): Promise<FederationConfig | undefined> {
  const file = optional(env, 'BFF_FEDERATION_KEYS_FILE');
  const inline = optional(env, 'BFF_FEDERATION_KEYS');
  if (file !== undefined && inline !== undefined) {
    throw new ConfigError('BFF_FEDERATION_KEYS', 'set either BFF_FEDERATION_KEYS or BFF_FEDERATION_KEYS_FILE, not both');
  }
  for (const name of ['BFF_ENTITY_ID', 'BFF_AUTHORITY_HINTS', 'BFF_FEDERATION_LIFETIME']) {
    if (file === undefined && inline === undefined && optional(env, name) !== undefined) {
      throw new ConfigError(name, 'needs BFF_FEDERATION_KEYS_FILE (or BFF_FEDERATION_KEYS): there is no federation key to sign with');
    }
  }
  if (file === undefined && inline === undefined) return undefined;
  const variable = file !== undefined ? 'BFF_FEDERATION_KEYS_FILE' : 'BFF_FEDERATION_KEYS';
  const federationKeys = await importFederationKeys(variable, file !== undefined ? readSettingFile(variable, file) : inline!, keys);
  const entityId = optional(env, 'BFF_ENTITY_ID') === undefined ? publicUrl.origin : entityIdentifier(env, 'BFF_ENTITY_ID', allowHttp);
  const hints = (optional(env, 'BFF_AUTHORITY_HINTS') ?? '').split(',').map((hint) => hint.trim());
  return {
    keys: federationKeys,
    keysFile: file,
    entityId,
    authorityHints: hints.filter(Boolean).map((hint) => entityIdentifier({ BFF_AUTHORITY_HINTS: hint }, 'BFF_AUTHORITY_HINTS', allowHttp)),
    lifetimeSeconds: parseInteger(env, 'BFF_FEDERATION_LIFETIME', DAY, 60, 30 * DAY),
  };
}

async function importFederationKeys(variable: string, text: string, keys: KeySet): Promise<KeySet> {
  let set: KeySet;
  try {
    set = await importKeySet(parseJsonSetting(variable, text));
  } catch (err) {
    if (err instanceof KeySetError) throw new ConfigError(variable, err.message);
    throw err;
  }
  await checkFederationKeys(set, keys, variable);
  return set;
}

/**
 * The rules of a federation key set, at start and on reload: "sig" keys only,
 * each with a kid (Entity Statements name their key), none shared with
 * BFF_KEYS (`operational`): a federation key signs nothing else.
 */
export async function checkFederationKeys(
  set: KeySet,
  operational: KeySet,
  variable = 'BFF_FEDERATION_KEYS_FILE',
  now = Date.now() / 1000,
): Promise<void> {
  if (set.decryption.length > 0) throw new ConfigError(variable, 'holds a "use":"enc" key; federation keys only sign');
  if (set.signing.length === 0) throw new ConfigError(variable, 'holds no signing key');
  if (keysAt(set, now, 0).set.signing.length === 0) {
    throw new ConfigError(variable, 'has no key in effect now (every one is before its nbf or past its exp)');
  }
  const unnamed = set.signing.find((k) => k.kid === undefined);
  if (unnamed) throw new ConfigError(variable, 'every federation key needs a kid');
  const thumbprint = (k: { publicJwk: JWK }) => calculateJwkThumbprint(k.publicJwk);
  const shared = new Set(await Promise.all([...operational.signing, ...operational.decryption].map(thumbprint)));
  for (const key of set.signing) {
    if (shared.has(await thumbprint(key))) {
      throw new ConfigError(variable, `key "${key.kid}" is also in BFF_KEYS/BFF_KEYS_FILE; a federation key must be used for nothing else`);
    }
  }
}

/** BFF_OP_FEDERATION_KEYS: a public JWKS (JSON) or comma-separated RFC 7638 SHA-256 thumbprints; kept as thumbprints. */
export async function parseOpFederation(env: Env): Promise<OpFederationConfig | undefined> {
  const name = 'BFF_OP_FEDERATION_KEYS';
  const value = optional(env, name);
  if (value === undefined) return undefined;
  if (!value.startsWith('{')) {
    const thumbprints = value.split(',').map((t) => t.trim());
    const bad = thumbprints.find((t) => !/^[A-Za-z0-9_-]{43}$/.test(t));
    if (bad !== undefined) throw new ConfigError(name, `"${bad}" is not an RFC 7638 SHA-256 thumbprint (43 base64url characters)`);
    return { thumbprints };
  }
  const jwks = parseJsonSetting(name, value) as { keys?: unknown };
  if (!Array.isArray(jwks.keys) || jwks.keys.length === 0) throw new ConfigError(name, 'must be a JWKS {"keys":[...]} with a key');
  const thumbprints: string[] = [];
  for (const [index, jwk] of (jwks.keys as unknown[]).entries()) {
    if (typeof jwk !== 'object' || jwk === null || 'd' in jwk || 'k' in jwk) {
      throw new ConfigError(name, `key ${index} must be a public key (no private members)`);
    }
    try {
      thumbprints.push(await calculateJwkThumbprint(jwk));
    } catch {
      throw new ConfigError(name, `key ${index} is not a valid public JWK`);
    }
  }
  return { thumbprints };
}

/** An entity identifier: an https URL (http with BFF_ALLOW_HTTP) without query or fragment (OpenID Federation 1.0, 1.2). */
function entityIdentifier(env: Env, name: string, allowHttp: boolean): string {
  const url = parseUrl(env, name, allowHttp);
  if (url.search !== '') throw new ConfigError(name, 'an entity identifier has no query');
  // Kept as written (minus a lone trailing slash): an entity id is compared as a string.
  const text = env[name]!.trim();
  return url.pathname === '/' && text.endsWith('/') ? text.slice(0, -1) : text;
}
