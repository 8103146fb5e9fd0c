// Watches the key sets' schedules (src/key-schedule.ts): logs every
// transition when it happens (not only at the next request), exposes the next
// one in the metrics, and warns when the signing key nears its exp with no
// successor scheduled. Readiness is unaffected: the keys still work until exp.
import type { Config } from './config.js';
import { KeyStore, type KeySet } from './keys.js';
import { signingOutlook } from './key-schedule.js';
import type { Logger } from './logger.js';
import type { BffMetrics } from './metrics.js';

/** Which key set: the operational keys (BFF_KEYS) or the federation keys. */
export type KeySetName = 'operational' | 'federation';

// setTimeout's longest delay (about 24.8 days); a later moment is reached in steps.
const MAX_DELAY_MS = 2 ** 31 - 1;

const kids = (keys: { kid: string | undefined }[]) => keys.map((k) => k.kid ?? '-');

/** The onChange of a KeyStore: one log line per transition, naming the keys by kid (never more). */
export function logKeyChanges(logger: Logger, name: KeySetName): (current: KeySet, previous: KeySet | undefined) => void {
  return (current, previous) => {
    if (previous === undefined) return;
    const was = new Set(previous.publicJwks.keys.map((k) => k.kid ?? '-'));
    const is = new Set(current.publicJwks.keys.map((k) => k.kid ?? '-'));
    const change = {
      keys: name,
      signingKid: current.signing[0]?.kid ?? null,
      previousSigningKid: previous.signing[0]?.kid ?? null,
      published: [...is].filter((kid) => !was.has(kid)),
      unpublished: [...was].filter((kid) => !is.has(kid)),
      decryptionKids: kids(current.decryption),
    };
    if (current.signing.length === 0 && previous.signing.length > 0)
      logger.error(change, 'key rollover: no signing key is in effect any more');
    else logger.info(change, 'key rollover: the keys in effect changed');
  };
}

export class KeyWatch {
  private timer: NodeJS.Timeout | undefined;
  private readonly warned = new Set<string>();

  constructor(
    private readonly sets: Array<{ name: KeySetName; store: KeyStore }>,
    private readonly logger: Logger,
    private readonly metrics: BffMetrics,
    private readonly warningSeconds: number,
  ) {}

  /** Looks now, then at every coming transition or warning moment. */
  check(): void {
    clearTimeout(this.timer);
    let next = Infinity;
    for (const { name, store } of this.sets) {
      const now = store.nowSeconds();
      const transition = store.nextTransition; // reading it applies (and logs) a transition that is due
      this.metrics.keyNextTransition.set({ keys: name }, transition ?? 0);
      const outlook = signingOutlook(store.all.signing, now);
      const alone = outlook.expiresAt !== undefined && outlook.successor === undefined;
      this.metrics.signingKeyWithoutSuccessor.set({ keys: name }, alone ? 1 : 0);
      if (alone) {
        const warnAt = outlook.expiresAt! - this.warningSeconds;
        if (now >= warnAt) this.warn(name, outlook.current!.kid, outlook.expiresAt!);
        else next = Math.min(next, warnAt - now);
      }
      if (transition !== undefined) next = Math.min(next, transition - now);
    }
    if (next !== Infinity) {
      this.timer = setTimeout(() => this.check(), Math.min(Math.max(next * 1000, 0) + 10, MAX_DELAY_MS));
      this.timer.unref();
    }
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private warn(name: KeySetName, kid: string | undefined, exp: number): void {
    const id = `${name}:${kid ?? '-'}:${exp}`;
    if (this.warned.has(id)) return;
    this.warned.add(id);
    this.logger.warn(
      { keys: name, kid: kid ?? null, exp: new Date(exp * 1000).toISOString() },
      'key rollover: the signing key expires soon and no successor is scheduled (plan one: sealed-bff keys --plan)',
    );
  }
}

/**
 * The operational and federation key stores on one clock, and their watch:
 * a transition, noticed by a timer or by the first use after it, is logged
 * and the watch looks ahead again.
 */
export function createKeyStores(
  config: Config,
  logger: Logger,
  metrics: BffMetrics,
  now: (() => number) | undefined,
): { keys: KeyStore; federationKeys: KeyStore | undefined; keyWatch: KeyWatch } {
  const { graceSeconds, warningSeconds } = config.keySchedule;
  const sets: Array<{ name: KeySetName; store: KeyStore }> = [];
  const keyWatch = new KeyWatch(sets, logger, metrics, warningSeconds);
  const onChange = (name: KeySetName) => {
    const log = logKeyChanges(logger, name);
    return (current: KeySet, previous: KeySet | undefined) => {
      log(current, previous);
      if (previous !== undefined) keyWatch.check();
    };
  };
  const keys = new KeyStore(config.keys, { file: config.keysFile, now, graceSeconds, onChange: onChange('operational') });
  const { federation } = config;
  // Federation keys sign only: no grace after exp.
  const federationKeys =
    federation && new KeyStore(federation.keys, { file: federation.keysFile, now, graceSeconds: 0, onChange: onChange('federation') });
  sets.push({ name: 'operational', store: keys });
  if (federationKeys) sets.push({ name: 'federation', store: federationKeys });
  keyWatch.check();
  return { keys, federationKeys, keyWatch };
}
