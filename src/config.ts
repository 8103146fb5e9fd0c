// Environment variables -> a typed, validated Config. The entry point every
// other file imports; the parsing lives in src/config/, one file per area:
// env.ts (typed variable helpers), op-client.ts (the BFF as the OP's client
// and its JOSE policy), keys.ts (BFF_KEYS and the key rules), session.ts
// (secrets, timeouts, cookie, Redis), proxy.ts (API routes), operations.ts
// (port, logging, trust proxy, metrics). Every check names the variable it is
// about, so that a bad deployment fails at start with one readable line
// (see server.ts), never on the first login.
import { optional, parseEnum, withoutEmpty, type Env } from './config/env.js';
import { checkKeySet, loadKeys } from './config/keys.js';
import { parseFederation, parseKeySchedule, parseOpFederation } from './config/federation.js';
import { parseClientIdentity, parseOpClient } from './config/op-client.js';
import { parseDeployment, parseOperations } from './config/operations.js';
import { parseApi } from './config/proxy.js';
import { parseSession } from './config/session.js';
import type { Config } from './config/types.js';
import { checkProfile, profileDefaults } from './config/profiles.js';

export { ConfigError, type Env } from './config/env.js';
// The algorithm lists were importable from here before src/algorithms.ts became their home.
export { SUPPORTED_JWE_ALGS, SUPPORTED_JWE_ENCS, SUPPORTED_JWS_ALGS } from './algorithms.js';
export { checkKeySet, type KeyRuleSettings } from './config/keys.js';
export { ENCRYPTED_ITEMS } from './config/op-client.js';
export type {
  ApiRoute,
  ClientAuthMethod,
  Config,
  FederationConfig,
  OpFederationConfig,
  DpopMode,
  EncryptedItem,
  JoseConfig,
  LogLevel,
  ParMode,
  Profile,
  RedisConfig,
  RequestObjectMode,
  ResponseMode,
  SameSite,
} from './config/types.js';

/** Reads and validates the whole configuration; throws ConfigError. */
export async function loadConfig(rawEnv: Env): Promise<Config> {
  const profile = parseEnum(rawEnv, 'BFF_PROFILE', ['none', 'ftn', 'fapi2'] as const, 'none');
  // A profile supplies defaults; what the environment says explicitly wins, and is then checked against the profile.
  const env: Env = { ...profileDefaults(profile), ...withoutEmpty(rawEnv) };
  const deployment = parseDeployment(env);
  const identity = parseClientIdentity(env, deployment.allowHttp);
  const keys = await loadKeys(env);
  const config: Config = {
    ...deployment,
    ...identity,
    keys,
    keysFile: optional(env, 'BFF_KEYS_FILE'),
    keySchedule: parseKeySchedule(env),
    federation: await parseFederation(env, identity.publicUrl, deployment.allowHttp, keys),
    opFederation: await parseOpFederation(env),
    ...parseOpClient(env, keys),
    ...parseSession(env, deployment.production),
    ...parseOperations(env),
    profile,
    api: parseApi(env, deployment.allowHttp),
  };
  checkKeySet(keys, config);
  checkProfile(config);
  return config;
}
