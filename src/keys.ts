// The BFF's own private keys: validated, imported once, and split by purpose.
// A key's `use` says what it is for and its `alg` fixes the one algorithm it
// may be used with, so a key registered for RSA-OAEP-256 never decrypts RSA-OAEP.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { importJWK, type JWK } from 'jose';
import { DEFAULT_KEY_ALGS, KEY_ALGS } from './algorithms.js';
import { keyOrderProblem, keysAt, type KeyTimes, type KeyView } from './key-schedule.js';

export type KeyUse = 'sig' | 'enc';

export interface SigningKey extends KeyTimes {
  kid: string | undefined;
  alg: string;
  key: CryptoKey;
}

export interface DecryptionKey extends KeyTimes {
  kid: string | undefined;
  /** undefined only for EC keys without an `alg`: any ECDH-ES variant. */
  alg: string | undefined;
  /** SHA-256 thumbprint of the key's certificate, when it has one (JWE header `x5t#S256`). */
  x5tS256: string | undefined;
  key: CryptoKey;
}

export interface KeySet {
  signing: SigningKey[];
  decryption: DecryptionKey[];
  /** The public halves, safe to publish at /.well-known/jwks.json. */
  publicJwks: { keys: JWK[] };
}

export class KeySetError extends Error {
  readonly code = 'ERR_BFF_KEYS';
  constructor(message: string) {
    super(message);
    this.name = 'KeySetError';
  }
}

// Members that may be published; everything else (d, p, q, dp, dq, qi, oth, k, key_ops) stays private.
const PUBLIC_MEMBERS = ['kty', 'kid', 'use', 'alg', 'crv', 'x', 'y', 'n', 'e', 'x5c', 'x5t', 'x5t#S256'] as const;
const MAX_KEYS = 64;
const MIN_RSA_BITS = 2048;

/** Validates a private JWKS and imports its keys; throws KeySetError. */
export async function importKeySet(jwks: unknown): Promise<KeySet> {
  if (!isObject(jwks) || !Array.isArray(jwks.keys)) {
    throw new KeySetError('must be a JSON Web Key Set: {"keys":[...]}');
  }
  if (jwks.keys.length > MAX_KEYS) throw new KeySetError(`holds more than ${MAX_KEYS} keys`);

  const set: KeySet = { signing: [], decryption: [], publicJwks: { keys: [] } };
  const seenKids = new Set<string>();
  for (const [index, jwk] of (jwks.keys as unknown[]).entries()) {
    if (!isObject(jwk)) throw new KeySetError(`key ${index}: is not a JSON object`);
    const label = `key ${index}${typeof jwk.kid === 'string' ? ` (kid "${jwk.kid}")` : ''}`;
    const { use, alg } = checkKey(jwk, label);
    const times = { ...checkTimes(jwk, label), publicJwk: publicPart({ ...jwk, use, ...(alg ? { alg } : {}) }) };
    const kid = jwk.kid as string | undefined;
    if (kid !== undefined) {
      if (seenKids.has(`${use}:${kid}`)) throw new KeySetError(`${label}: kid is used twice for "use":"${use}"`);
      seenKids.add(`${use}:${kid}`);
    }
    let key: CryptoKey;
    try {
      // EC encryption keys without an alg are imported as ECDH keys, good for every ECDH-ES variant.
      key = (await importJWK({ ...jwk, alg: undefined, use: undefined, key_ops: undefined, ext: false }, alg ?? 'ECDH-ES')) as CryptoKey;
    } catch {
      throw new KeySetError(`${label}: is not a valid ${String(jwk.kty)} private key`);
    }
    if (use === 'sig') set.signing.push({ kid, alg: alg!, key, ...times });
    else set.decryption.push({ kid, alg, key, x5tS256: certificateThumbprint(jwk), ...times });
    set.publicJwks.keys.push(times.publicJwk);
  }
  const problem = keyOrderProblem(set.signing, 'sig') ?? keyOrderProblem(set.decryption, 'enc');
  if (problem !== undefined) throw new KeySetError(problem);
  return set;
}

/** The public members of a JWK, never its private parameters. */
export function publicPart(jwk: JWK): JWK {
  const pub: Record<string, unknown> = {};
  for (const member of PUBLIC_MEMBERS) {
    if (jwk[member] !== undefined) pub[member] = jwk[member];
  }
  return pub;
}

export interface KeyStoreOptions {
  /** The BFF_KEYS_FILE to reload from; undefined for inline keys. */
  file?: string;
  /** The clock, in milliseconds (tests move it); default Date.now. */
  now?: () => number;
  /** Seconds an expired "enc" key still decrypts (BFF_KEY_GRACE); see key-schedule.ts. */
  graceSeconds?: number;
  /** Told when the keys in effect change: at a scheduled transition or a reload. */
  onChange?: (current: KeySet, previous: KeySet | undefined) => void;
}

/**
 * The BFF's keys, replaceable at run time (SIGHUP) without a restart, and
 * changing by themselves at the times their `nbf`/`exp` say: every use reads
 * `current`, so a reload or a scheduled rollover takes effect for the next token.
 */
export class KeyStore {
  private view: KeyView<SigningKey, DecryptionKey> | undefined;
  readonly file: string | undefined;
  private readonly now: () => number;

  constructor(
    private set: KeySet,
    private readonly options: KeyStoreOptions = {},
  ) {
    this.file = options.file;
    this.now = options.now ?? Date.now;
  }

  /** The keys in effect now. */
  get current(): KeySet {
    const now = this.now() / 1000;
    const view = this.view;
    if (view === undefined || (view.nextTransition !== undefined && now >= view.nextTransition)) {
      this.view = keysAt(this.set, now, this.options.graceSeconds ?? 0);
      this.options.onChange?.(this.view.set, view?.set);
    }
    return this.view!.set;
  }

  /** Every key of the file, whatever its times. */
  get all(): KeySet {
    return this.set;
  }

  /** When `current` changes next (seconds), if a key's time is ahead. */
  get nextTransition(): number | undefined {
    void this.current;
    return this.view!.nextTransition;
  }

  /** The clock, in seconds. */
  nowSeconds(): number {
    return this.now() / 1000;
  }

  /**
   * Re-reads the key file; `check` may refuse the new set. On any error the
   * current keys stay in use.
   */
  async reload(check: (set: KeySet) => void | Promise<void> = () => {}): Promise<KeySet> {
    if (this.file === undefined) throw new KeySetError('keys were given inline (BFF_KEYS); only BFF_KEYS_FILE can be reloaded');
    let json: unknown;
    try {
      json = JSON.parse(await readFile(this.file, 'utf8'));
    } catch (err) {
      throw new KeySetError(`cannot read ${this.file} as JSON (${(err as NodeJS.ErrnoException).code ?? 'invalid JSON'})`);
    }
    const set = await importKeySet(json);
    await check(set);
    this.set = set;
    // The next read recomputes the view (and reports the change).
    if (this.view !== undefined) this.view = { ...this.view, nextTransition: -Infinity };
    return set;
  }
}

function certificateThumbprint(jwk: Record<string, unknown>): string | undefined {
  if (typeof jwk['x5t#S256'] === 'string') return jwk['x5t#S256'];
  const cert: unknown = Array.isArray(jwk.x5c) ? (jwk.x5c as unknown[])[0] : undefined;
  return typeof cert === 'string' ? createHash('sha256').update(Buffer.from(cert, 'base64')).digest('base64url') : undefined;
}

function checkKey(jwk: unknown, label: string): { use: KeyUse; alg: string | undefined } {
  if (!isObject(jwk)) throw new KeySetError(`${label}: is not a JSON object`);
  const kty = jwk.kty;
  if (kty !== 'RSA' && kty !== 'EC') throw new KeySetError(`${label}: kty must be RSA or EC`);
  if (typeof jwk.d !== 'string') throw new KeySetError(`${label}: is not a private key (no "d")`);
  if (jwk.kid !== undefined && (typeof jwk.kid !== 'string' || jwk.kid === '')) {
    throw new KeySetError(`${label}: kid must be a non-empty string`);
  }
  if (kty === 'EC' && jwk.crv !== 'P-256') throw new KeySetError(`${label}: only the P-256 curve is supported`);
  if (kty === 'RSA' && rsaModulusBits(jwk.n) < MIN_RSA_BITS) {
    throw new KeySetError(`${label}: RSA keys must be at least ${MIN_RSA_BITS} bits`);
  }

  if (jwk.alg !== undefined && typeof jwk.alg !== 'string') throw new KeySetError(`${label}: alg must be a string`);
  let alg = jwk.alg;
  let use = jwk.use;
  if (use === undefined && alg !== undefined) {
    use = KEY_ALGS.sig[kty].includes(alg) ? 'sig' : KEY_ALGS.enc[kty].includes(alg) ? 'enc' : undefined;
  }
  if (use !== 'sig' && use !== 'enc') {
    throw new KeySetError(`${label}: needs "use":"sig" or "use":"enc" (or an alg that implies one)`);
  }
  const allowed = KEY_ALGS[use][kty];
  if (alg !== undefined && !allowed.includes(alg)) {
    throw new KeySetError(`${label}: alg ${alg} does not fit a ${kty} "${use}" key (allowed: ${allowed.join(', ')})`);
  }
  alg ??= DEFAULT_KEY_ALGS[use][kty];
  return { use, alg };
}

/** A key's `nbf`/`exp` (NumericDate: seconds since the epoch); nbf must come before exp. */
function checkTimes(jwk: Record<string, unknown>, label: string): { nbf: number | undefined; exp: number | undefined } {
  const time = (member: 'nbf' | 'exp') => {
    const value = jwk[member];
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new KeySetError(`${label}: ${member} must be a NumericDate (seconds since 1970)`);
    }
    return value;
  };
  const nbf = time('nbf');
  const exp = time('exp');
  if (nbf !== undefined && exp !== undefined && nbf >= exp) {
    throw new KeySetError(
      `${label}: nbf (${new Date(nbf * 1000).toISOString()}) is not before exp (${new Date(exp * 1000).toISOString()})`,
    );
  }
  return { nbf, exp };
}

function rsaModulusBits(n: unknown): number {
  if (typeof n !== 'string') return 0;
  const bytes = Buffer.from(n, 'base64url');
  // Leading zero bits of the first byte do not count.
  return bytes.length * 8 - (Math.clz32(bytes[0] ?? 0) - 24);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A P-256 private key as a JWK: a login's or session's DPoP key (oidc/dpop.ts), as the stores keep it. */
export interface DpopPrivateJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  d: string;
}
