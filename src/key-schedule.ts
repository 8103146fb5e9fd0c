// Scheduled key rollover: what a key's JWK `nbf` and `exp` (NumericDate,
// seconds) mean for the BFF's keys, as pure functions of the time.
//
// - A "sig" key is published from the start (so an OP can fetch it ahead of
//   use), signs from its `nbf`, and is neither published nor used after its
//   `exp`. Among the keys that may sign, the one with the latest `nbf` does
//   (the successor); unscheduled keys keep the file's order.
// - An "enc" key is published until its `exp`, and decrypts from the start,
//   also before its `nbf`: an OP may encrypt to any key it has fetched. Its
//   `nbf` only orders the published set (current keys first, for OPs that take
//   the first). After `exp` it is unpublished at once but still decrypts for a
//   grace period (BFF_KEY_GRACE), for tokens in flight and OPs' cached JWKS.
import type { JWK } from 'jose';

export interface KeyTimes {
  kid: string | undefined;
  nbf: number | undefined;
  exp: number | undefined;
  /** Its public half, as published. */
  publicJwk: JWK;
}

export interface ScheduledSet<S extends KeyTimes, D extends KeyTimes> {
  signing: S[];
  decryption: D[];
  publicJwks: { keys: JWK[] };
}

export interface KeyView<S extends KeyTimes, D extends KeyTimes> {
  set: ScheduledSet<S, D>;
  /** When the view changes next (seconds), if ever. */
  nextTransition: number | undefined;
}

const published = (key: KeyTimes, now: number) => key.exp === undefined || now < key.exp;
const started = (key: KeyTimes, now: number) => key.nbf === undefined || key.nbf <= now;
// Later nbf first; Array.prototype.sort is stable, so unscheduled keys keep the file's order.
const byNbfDescending = (a: KeyTimes, b: KeyTimes) => (b.nbf ?? -Infinity) - (a.nbf ?? -Infinity);
// Current keys before future ones, each group as above.
const publishOrder = (now: number) => (a: KeyTimes, b: KeyTimes) =>
  Number(!started(a, now)) - Number(!started(b, now)) || byNbfDescending(a, b);

/** The keys in effect at `now` (seconds); `graceSeconds` keeps expired "enc" keys decrypting. */
export function keysAt<S extends KeyTimes, D extends KeyTimes>(all: ScheduledSet<S, D>, now: number, graceSeconds: number): KeyView<S, D> {
  const signing = all.signing.filter((k) => started(k, now) && published(k, now)).sort(byNbfDescending);
  const decryption = all.decryption.filter((k) => k.exp === undefined || now < k.exp + graceSeconds).sort(publishOrder(now));
  // In the file's order (all.publicJwks), current keys before future ones.
  const byJwk = new Map<JWK, KeyTimes>([...all.signing, ...all.decryption].map((k) => [k.publicJwk, k]));
  const publicKeys = all.publicJwks.keys
    .map((jwk) => byJwk.get(jwk)!)
    .filter((k) => published(k, now))
    .sort(publishOrder(now));
  const moments = [...all.signing, ...all.decryption].flatMap((k) => [
    k.nbf,
    k.exp,
    k.exp === undefined ? undefined : k.exp + graceSeconds,
  ]);
  const future = moments.filter((t): t is number => t !== undefined && t > now);
  return {
    set: { signing, decryption, publicJwks: { keys: publicKeys.map((k) => k.publicJwk) } },
    nextTransition: future.length === 0 ? undefined : Math.min(...future),
  };
}

/**
 * Names two keys of one use whose times overlap with nothing to order them
 * (the same `nbf`), when either is scheduled: which one would sign, or come
 * first, would be an accident. Unscheduled keys keep the file's order.
 */
export function keyOrderProblem(keys: KeyTimes[], use: 'sig' | 'enc'): string | undefined {
  for (const [i, a] of keys.entries()) {
    for (const b of keys.slice(i + 1)) {
      const scheduled = [a.nbf, a.exp, b.nbf, b.exp].some((t) => t !== undefined);
      const overlap = (a.nbf ?? -Infinity) < (b.exp ?? Infinity) && (b.nbf ?? -Infinity) < (a.exp ?? Infinity);
      if (scheduled && overlap && a.nbf === b.nbf) {
        return (
          `"use":"${use}" keys ${name(a)} and ${name(b)} are in effect at the same time with the same nbf: ` +
          'give the successor a later nbf (or the predecessor an exp before it)'
        );
      }
    }
  }
  return undefined;
}

const name = (key: KeyTimes) => (key.kid === undefined ? '(no kid)' : `"${key.kid}"`);

/** The key that signs at `now` and, if its `exp` comes, whether a successor is scheduled before it. */
export function signingOutlook(
  signing: KeyTimes[],
  now: number,
): { current: KeyTimes | undefined; expiresAt: number | undefined; successor: KeyTimes | undefined } {
  const current = signing.filter((k) => started(k, now) && published(k, now)).sort(byNbfDescending)[0];
  if (current?.exp === undefined) return { current, expiresAt: undefined, successor: undefined };
  const exp = current.exp;
  // A successor signs before the current key expires and goes on after it.
  const successor = signing.find((k) => k !== current && (k.nbf ?? -Infinity) <= exp && (k.exp === undefined || k.exp > exp));
  return { current, expiresAt: exp, successor };
}
