// A bounded map whose entries expire like Redis keys: the in-process limiter's memory stays proportional to active subjects.

interface Entry<V> {
  value: V;
  expiresAt: number;
}

export interface ExpiringStoreOptions {
  /** Past this many entries the least recently written goes first (a last resort: it forgets that subject's use). */
  readonly maxEntries: number;
  /** How often (wall clock) expired entries are swept out, as Redis's active expiry does. */
  readonly sweepEveryMs: number;
  readonly clock?: () => number;
}

export class ExpiringStore<V> {
  private readonly entries = new Map<string, Entry<V>>();
  private nextSweep = 0;
  private readonly clock: () => number;

  constructor(private readonly options: ExpiringStoreOptions) {
    this.clock = options.clock ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    const now = this.clock();
    this.sweep(now);
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    if (e.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  /** Writes `value` to live `ttlMs` from now; written entries move to the back of the eviction line. */
  set(key: string, value: V, ttlMs: number): void {
    this.setUntil(key, value, this.clock() + ttlMs);
  }

  setUntil(key: string, value: V, expiresAt: number): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt });
    this.maintain();
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  /** Cheap unless due: one full pass per sweepEveryMs, on any read or write or when asked. */
  sweep(now: number = this.clock()): void {
    if (now < this.nextSweep) return;
    this.nextSweep = now + this.options.sweepEveryMs;
    for (const [key, e] of this.entries) if (e.expiresAt <= now) this.entries.delete(key);
  }

  private maintain(): void {
    this.sweep(this.clock());
    for (const key of this.entries.keys()) {
      if (this.entries.size <= this.options.maxEntries) break;
      this.entries.delete(key);
    }
  }
}
