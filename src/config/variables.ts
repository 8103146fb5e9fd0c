// Every environment variable the BFF reads, so that a typo (BFF_PROFLE=ftn)
// is named at start and by `sealed-bff check` instead of being silently
// ignored. test/check.test.ts holds this list to the code (every BFF_* name
// src/ reads is here) and to the README's configuration table.
import type { Env } from './env.js';

export const KNOWN_VARIABLES: readonly string[] = [
  'BFF_ALLOW_HTTP',
  'BFF_API_BODY_TIMEOUT',
  'BFF_API_CONNECT_TIMEOUT',
  'BFF_API_MAX_BODY',
  'BFF_API_MAX_IN_FLIGHT',
  'BFF_API_MAX_SOCKETS',
  'BFF_API_ROUTES',
  'BFF_API_ROUTES_FILE',
  'BFF_API_TIMEOUT',
  'BFF_ASSERTION_AUDIENCE',
  'BFF_AUTHORITY_HINTS',
  'BFF_AUTH_PARAMS',
  'BFF_CLIENT_AUTH',
  'BFF_CLIENT_ID',
  'BFF_CLIENT_SECRET',
  'BFF_CLOCK_TOLERANCE',
  'BFF_COOKIE_SAMESITE',
  'BFF_DPOP',
  'BFF_DROP_CLAIMS',
  'BFF_ENTITY_ID',
  'BFF_FEDERATION_KEYS',
  'BFF_FEDERATION_KEYS_FILE',
  'BFF_FEDERATION_LIFETIME',
  'BFF_ISSUER',
  'BFF_JWE_ALGS',
  'BFF_JWE_ENCS',
  'BFF_JWS_ALGS',
  'BFF_KEYS',
  'BFF_KEYS_FILE',
  'BFF_KEY_EXPIRY_WARNING',
  'BFF_KEY_GRACE',
  'BFF_LOGIN_PARAMS',
  'BFF_LOGIN_RATE_LIMIT',
  'BFF_LOG_LEVEL',
  'BFF_MAX_TOKEN_AGE',
  'BFF_MAX_TOKEN_BYTES',
  'BFF_METRICS_PORT',
  'BFF_METRICS_TOKEN',
  'BFF_OP_FEDERATION_KEYS',
  'BFF_OP_TIMEOUT',
  'BFF_PAR',
  'BFF_PROFILE',
  'BFF_PUBLIC_URL',
  'BFF_REDIS_CLUSTER',
  'BFF_REDIS_PREFIX',
  'BFF_REDIS_SENTINELS',
  'BFF_REDIS_SENTINEL_MASTER',
  'BFF_REDIS_TIMEOUT',
  'BFF_REQUEST_OBJECT',
  'BFF_REQUEST_OBJECT_ALG',
  'BFF_REQUEST_OBJECT_ENC',
  'BFF_REQUEST_OBJECT_QUERY',
  'BFF_REQUIRE_ENCRYPTION',
  'BFF_RESPONSE_MODE',
  'BFF_SCOPE',
  'BFF_SESSION_ABSOLUTE',
  'BFF_SESSION_IDLE',
  'BFF_SESSION_SECRET',
  'BFF_SESSION_SECRET_FILE',
  'BFF_STATIC_DIR',
  'BFF_TRUSTED_AUDIENCES',
  'BFF_TRUST_PROXY',
  'BFF_USERINFO_ISS_AUD',
];

export interface UnknownVariable {
  name: string;
  /** The known name it most likely misspells, if one is close. */
  suggestion: string | undefined;
}

/** The BFF_* names in `env` that the BFF does not read. */
export function unknownVariables(env: Env): UnknownVariable[] {
  return Object.keys(env)
    .filter((name) => name.startsWith('BFF_') && !KNOWN_VARIABLES.includes(name))
    .sort()
    .map((name) => ({ name, suggestion: closest(name) }));
}

export function describeUnknown({ name, suggestion }: UnknownVariable): string {
  return `${name} is not a variable Sealed BFF reads; it is ignored${suggestion ? ` (did you mean ${suggestion}?)` : ''}`;
}

function closest(name: string): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const known of KNOWN_VARIABLES) {
    const distance = editDistance(name, known);
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { name: known, distance };
  }
  return best?.name;
}

/** Levenshtein distance: insertions, deletions and substitutions. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
