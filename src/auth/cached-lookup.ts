// Rows the hot path looks up by id (API keys by hash, service accounts by app id): bounded caches of hits and misses, one lookup per id at a time, forgotten on notification.
import { TtlCache } from "../core/ttl-cache.js";
import { GatewayError } from "../core/errors.js";

export interface LookupCacheOptions {
  readonly maxEntries: number;
  readonly ttlMs: number;
  /** Misses are remembered too, so a flood of unknown ids cannot reach the database. */
  readonly negativeTtlMs: number;
}

export class CachedLookup<T> {
  private readonly hits: TtlCache<T>;
  private readonly misses: TtlCache<true>;
  private readonly inflight = new Map<string, Promise<T | undefined>>();
  /**
   * Bumped by every forget: a lookup that started before a change (a revocation, a rotation, a
   * disabled account) may return the row as it was, and must not be cached after the notification
   * emptied the cache.
   */
  private generation = 0;

  constructor(options: LookupCacheOptions) {
    this.hits = new TtlCache(options.maxEntries, options.ttlMs);
    this.misses = new TtlCache(options.maxEntries, options.negativeTtlMs);
  }

  /** The cached row, undefined when the id is unknown or not cached (then `isMiss` tells which). */
  cached(id: string): T | undefined {
    return this.hits.get(id);
  }

  isMiss(id: string): boolean {
    return this.misses.get(id) === true;
  }

  /** One database lookup per id, however many requests ask at once; a store failure is a 503. */
  load(id: string, fetch: () => Promise<T | undefined>): Promise<T | undefined> {
    let pending = this.inflight.get(id);
    if (!pending) {
      const generation = this.generation;
      const done = (): void => {
        if (this.inflight.get(id) === pending) this.inflight.delete(id);
      };
      pending = fetch().then(
        (row) => {
          done();
          if (generation === this.generation) {
            if (row === undefined) this.misses.set(id, true);
            else this.hits.set(id, row);
          }
          return row;
        },
        (err: unknown) => {
          done();
          throw new GatewayError("unavailable", "The key store is unavailable; try again shortly.", { reason: "service_unavailable", cause: err });
        },
      );
      this.inflight.set(id, pending);
    }
    return pending;
  }

  /** A row found but refused (revoked, expired, disabled): answered from the miss cache from now on. */
  refuse(id: string): void {
    this.hits.delete(id);
    this.misses.set(id, true);
  }

  /** Rows matching go; with `misses`, every remembered miss too (a re-enabled or new row may be among them). */
  forget(match: (row: T) => boolean, misses: boolean): void {
    this.forgetLookups();
    this.hits.deleteWhere(match);
    if (misses) this.misses.clear();
  }

  forgetAll(): void {
    this.forgetLookups();
    this.hits.clear();
    this.misses.clear();
  }

  /** Lookups in flight may read rows from before the change: later requests start their own, and none of them is cached. */
  private forgetLookups(): void {
    this.generation++;
    this.inflight.clear();
  }
}
