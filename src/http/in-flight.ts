// How many requests one client has in flight at once, per key (a client
// address, a session): so that one client holding slow requests open cannot
// take every upstream socket from everyone else. Per process: in-flight
// requests are this process's sockets.
export class InFlightLimit {
  private readonly counts = new Map<string, number>();

  constructor(private readonly max: number) {}

  /** Counts a request against every key and returns its release; undefined, counting nothing, when a key is at the limit. */
  enter(keys: readonly string[]): (() => void) | undefined {
    if (keys.some((key) => (this.counts.get(key) ?? 0) >= this.max)) return undefined;
    for (const key of keys) this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const key of keys) {
        const left = this.counts.get(key)! - 1;
        if (left === 0) this.counts.delete(key);
        else this.counts.set(key, left);
      }
    };
  }
}
