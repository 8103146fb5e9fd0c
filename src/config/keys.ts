// The BFF's private keys (BFF_KEYS / BFF_KEYS_FILE) and the rules a key set
// must meet to serve the configuration. checkKeySet is the one function for
// both moments keys arrive: at start, and when BFF_KEYS_FILE is reloaded on
// SIGHUP. A reload can therefore never accept a key set that start refuses.
import { keysAt } from '../key-schedule.js';
import { importKeySet, KeySetError, type KeySet } from '../keys.js';
import { checkProfileKeys } from './profiles.js';
import { ConfigError, optional, parseJsonSetting, readSettingFile, type Env } from './env.js';
import type { ClientAuthMethod, Config } from './types.js';

/** The settings the key rules depend on. */
export type KeyRuleSettings = Pick<Config, 'clientAuth' | 'requestObject' | 'jose' | 'keysFile' | 'profile' | 'keySchedule'>;

export async function loadKeys(env: Env): Promise<KeySet> {
  const file = optional(env, 'BFF_KEYS_FILE');
  const inline = optional(env, 'BFF_KEYS');
  if (file !== undefined && inline !== undefined) {
    throw new ConfigError('BFF_KEYS', 'set either BFF_KEYS or BFF_KEYS_FILE, not both');
  }
  const variable = file !== undefined ? 'BFF_KEYS_FILE' : 'BFF_KEYS';
  const text = file !== undefined ? readSettingFile(variable, file) : inline;
  if (text === undefined) return importKeySet({ keys: [] });
  const json = parseJsonSetting(variable, text);
  try {
    return await importKeySet(json);
  } catch (err) {
    if (err instanceof KeySetError) throw new ConfigError(variable, err.message);
    throw err;
  }
}

/** The variable a key-set refusal names: where the keys came from. */
export function keyVariable(config: Pick<Config, 'keysFile'>): 'BFF_KEYS_FILE' | 'BFF_KEYS' {
  return config.keysFile !== undefined ? 'BFF_KEYS_FILE' : 'BFF_KEYS';
}

/**
 * The signing-key rule: private_key_jwt client assertions and request objects
 * are signed with the first "use":"sig" key, so either needs one. Start names
 * the setting that asked for the key as soon as it is read (BFF_CLIENT_AUTH,
 * BFF_REQUEST_OBJECT); checkKeySet applies the same rule to the whole set.
 */
export function lacksSigningKey(keys: KeySet, uses: Partial<Pick<Config, 'clientAuth' | 'requestObject'>>): boolean {
  const needed = uses.clientAuth === 'private_key_jwt' || (uses.requestObject !== undefined && uses.requestObject !== 'none');
  return needed && keys.signing.length === 0;
}

/** Without BFF_CLIENT_AUTH: private_key_jwt when there is a key to sign with (the rule above), else a client secret. */
export function defaultClientAuth(keys: KeySet): ClientAuthMethod {
  return lacksSigningKey(keys, { clientAuth: 'private_key_jwt' }) ? 'client_secret_basic' : 'private_key_jwt';
}

/** The decryption-key rule: required encryption needs a "use":"enc" key to decrypt with. */
export function lacksDecryptionKey(keys: KeySet, jose: Pick<Config['jose'], 'requireEncryption'>): boolean {
  return jose.requireEncryption.length > 0 && keys.decryption.length === 0;
}

/**
 * Every rule a key set must meet to serve `config`, the profile's included;
 * throws ConfigError. At start the settings have been checked one by one
 * already, so only what depends on the keys can fail here.
 */
export function checkKeySet(keys: KeySet, config: KeyRuleSettings, now = Date.now() / 1000): void {
  const variable = keyVariable(config);
  // What must hold now holds for the keys in effect now (a successor with a later nbf does not sign yet).
  const inEffect = keysAt(keys, now, config.keySchedule.graceSeconds).set;
  if (lacksSigningKey(inEffect, config)) {
    throw new ConfigError(
      variable,
      keys.signing.length === 0
        ? 'has no "use":"sig" key, needed for private_key_jwt and request objects'
        : 'has no "use":"sig" key in effect now (every one is before its nbf or past its exp), needed for private_key_jwt and request objects',
    );
  }
  if (lacksDecryptionKey(inEffect, config.jose)) {
    throw new ConfigError(variable, 'has no "use":"enc" key, and encryption is required (BFF_REQUIRE_ENCRYPTION)');
  }
  // A key declared for an algorithm the policy refuses could never decrypt anything: a configuration mistake.
  for (const key of keys.decryption) {
    if (key.alg !== undefined && !config.jose.jweAlgs.includes(key.alg)) {
      throw new ConfigError('BFF_JWE_ALGS', `does not allow ${key.alg}, the alg of enc key ${key.kid ?? '(no kid)'}`);
    }
  }
  checkProfileKeys(keys, config.profile, variable);
}
