// Every configuration problem in one run. loadConfig stops at the first
// ConfigError, which is right for a start; `sealed-bff check` wants them all.
// Rather than teach every parser to collect, this runs loadConfig again with
// the variable each error names taken out of the way (unset, so that its
// default applies, or a harmless stand-in where it is required), until the
// configuration loads. An error that names a variable already reported is a
// consequence of the first one and is not repeated.
import { generateKeySet } from '../keygen.js';
import { ConfigError, loadConfig, type Config, type Env } from '../config.js';

export interface CollectedConfig {
  /** The configuration, when there was no error. */
  config: Config | undefined;
  errors: ConfigError[];
  /** True when an error could not be set aside, so later variables were not checked. */
  incomplete: boolean;
}

const MAX_ROUNDS = 60;

export async function collectConfigErrors(env: Env): Promise<CollectedConfig> {
  const errors: ConfigError[] = [];
  let current: Env = { ...env };
  for (let round = 0; round < MAX_ROUNDS; round++) {
    try {
      const config = await loadConfig(current);
      return { config: errors.length === 0 ? config : undefined, errors, incomplete: false };
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      const again = errors.some((e) => e.variable === err.variable);
      if (!again) errors.push(err);
      const next = { ...current, ...(await standIn(err.variable)) };
      if (again && sameEnv(next, current)) return { config: undefined, errors, incomplete: true };
      current = next;
    }
  }
  return { config: undefined, errors, incomplete: true };
}

/** What replaces a variable that has a problem, so that the next round can look further. */
async function standIn(variable: string): Promise<Env> {
  switch (variable) {
    case 'BFF_ISSUER':
      return { BFF_ISSUER: 'https://op.invalid' };
    case 'BFF_PUBLIC_URL':
      return { BFF_PUBLIC_URL: 'https://app.invalid' };
    case 'BFF_CLIENT_ID':
      return { BFF_CLIENT_ID: 'client' };
    case 'BFF_CLIENT_SECRET':
      return { BFF_CLIENT_SECRET: 'stand-in' };
    case 'BFF_SESSION_SECRET':
    case 'BFF_SESSION_SECRET_FILE':
      return { BFF_SESSION_SECRET: 'x'.repeat(32), BFF_SESSION_SECRET_FILE: undefined };
    case 'REDIS_URL':
      return { REDIS_URL: 'redis://stand-in.invalid:6379', BFF_REDIS_CLUSTER: undefined, BFF_REDIS_SENTINELS: undefined };
    case 'BFF_KEYS':
    case 'BFF_KEYS_FILE':
      // Keys that serve every setting and profile (a PS256 signing key, an RSA-OAEP-256 decryption key).
      return { BFF_KEYS: JSON.stringify((await standInKeys()).privateJwks), BFF_KEYS_FILE: undefined };
    default:
      return { [variable]: undefined };
  }
}

// Made once and only when needed: RSA key generation takes a moment.
let keys: ReturnType<typeof generateKeySet> | undefined;
function standInKeys(): ReturnType<typeof generateKeySet> {
  keys ??= generateKeySet([
    { use: 'sig', alg: 'PS256' },
    { use: 'enc', alg: 'RSA-OAEP-256' },
  ]);
  return keys;
}

function sameEnv(a: Env, b: Env): boolean {
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...names].every((name) => (a[name] ?? '') === (b[name] ?? ''));
}
