// Planning a scheduled key rotation (`sealed-bff keys --plan`): every key in
// effect without an exp gets a successor of the same use and algorithm, with
// `nbf` = now + lead time (brokers announce key changes weeks ahead), and the
// old key gets `exp` = that nbf + overlap. The BFF then publishes the
// successor at once and switches at its nbf by itself (src/key-schedule.ts).
import type { JWK } from 'jose';
import { keysAt } from './key-schedule.js';
import { generateKeySet } from './keygen.js';
import { importKeySet, type KeySet } from './keys.js';

export interface RotationOptions {
  /** Seconds since the epoch. */
  now: number;
  leadSeconds: number;
  overlapSeconds: number;
}

export interface PlannedRotation {
  privateJwks: { keys: JWK[] };
  /** kids of the keys that got a successor, and the successors'. */
  rotated: Array<{ from: string; to: string; nbf: number; exp: number }>;
}

type PrivateJwk = JWK & { nbf?: number; exp?: number };

export async function planRotation(privateJwks: { keys: PrivateJwk[] }, options: RotationOptions): Promise<PlannedRotation> {
  const set = await importKeySet(privateJwks); // refuses a file the BFF would refuse
  const inEffect = keysAt(set, options.now, 0).set;
  const nbf = Math.floor(options.now + options.leadSeconds);
  const exp = nbf + options.overlapSeconds;
  const keys = privateJwks.keys.map((jwk) => ({ ...jwk }));
  const rotated: PlannedRotation['rotated'] = [];
  for (const key of [...inEffect.signing, ...inEffect.decryption]) {
    // Already scheduled to go, or a successor itself ("enc" keys count as in effect before their nbf).
    if (key.exp !== undefined || (key.nbf !== undefined && key.nbf > options.now)) continue;
    // importKeySet keeps the file's order: the key's public half sits where its private JWK does.
    const old = keys[set.publicJwks.keys.indexOf(key.publicJwk)]!;
    const use = key.publicJwk.use as 'sig' | 'enc';
    const alg = key.publicJwk.alg ?? 'ECDH-ES';
    const bits = typeof old.n === 'string' ? Buffer.from(old.n, 'base64url').length * 8 : undefined;
    const successor = (await generateKeySet([{ use, alg, modulusLength: bits }])).privateJwks.keys[0]!;
    old.exp = exp;
    keys.push({ ...successor, nbf });
    rotated.push({ from: key.kid ?? '(no kid)', to: successor.kid!, nbf, exp });
  }
  await importKeySet({ keys }); // the plan itself passes the BFF's rules (order, nbf before exp)
  return { privateJwks: { keys }, rotated };
}

/** One line per key: what it does now and when that changes. */
export function describeSchedule(set: KeySet, now: number): string[] {
  const date = (t: number) => new Date(t * 1000).toISOString();
  const current = keysAt(set, now, 0).set;
  return [...set.signing, ...set.decryption].map((key) => {
    const { use, alg, kid } = key.publicJwk;
    const state =
      key.exp !== undefined && key.exp <= now
        ? 'expired'
        : key.nbf !== undefined && key.nbf > now
          ? `published, in effect from ${date(key.nbf)}`
          : use === 'sig' && current.signing[0] !== key
            ? 'published, not signing'
            : 'in effect';
    return `${use} ${alg ?? '(ECDH-ES*)'} ${kid ?? '(no kid)'}: ${state}${key.exp !== undefined && key.exp > now ? `, until ${date(key.exp)}` : ''}`;
  });
}

/** The public JWKS as the BFF publishes it at `now` (successors included): for OPs that register keys statically. */
export function publicSetAt(set: KeySet, now: number): { keys: JWK[] } {
  return keysAt(set, now, 0).set.publicJwks;
}
