// Service accounts by application id on the hot path: a bounded cache in front of the database, forgotten like keys.
import { GatewayError } from "../core/errors.js";
import { TtlCache } from "../core/ttl-cache.js";
import type { UserRecord, UserStore } from "../store/users.js";
import type { KeyCacheOptions } from "./api-key-authenticator.js";

/**
 * Sized and timed like the key cache (auth.key_cache_*), and emptied by the same notifications: a
 * disabled, re-limited or newly created account is looked up afresh on every replica within a second.
 */
export class ServiceAccountCache {
  private readonly known: TtlCache<UserRecord>;
  /** App ids with no account: a flood of validly signed tokens for an unknown app cannot reach the database. */
  private readonly unknown: TtlCache<true>;
  private readonly inflight = new Map<string, Promise<UserRecord | undefined>>();
  /** Bumped by every forget: a lookup that started before the change must not cache the row as it was. */
  private generation = 0;

  constructor(
    private readonly users: Pick<UserStore, "byAppId">,
    options: KeyCacheOptions,
  ) {
    this.known = new TtlCache(options.maxEntries, options.ttlMs);
    this.unknown = new TtlCache(options.maxEntries, options.negativeTtlMs);
  }

  /** The account, or undefined when no service account has this app id. */
  async byAppId(appId: string): Promise<UserRecord | undefined> {
    if (this.unknown.get(appId)) return undefined;
    const cached = this.known.get(appId);
    if (cached) return cached;
    let pending = this.inflight.get(appId);
    if (!pending) {
      const generation = this.generation;
      const done = (): void => {
        if (this.inflight.get(appId) === pending) this.inflight.delete(appId);
      };
      pending = this.users.byAppId(appId).then(
        (u) => {
          done();
          if (generation === this.generation) {
            if (u) this.known.set(appId, u);
            else this.unknown.set(appId, true);
          }
          return u;
        },
        (err: unknown) => {
          done();
          throw new GatewayError("unavailable", "The key store is unavailable; try again shortly.", { reason: "service_unavailable", cause: err });
        },
      );
      this.inflight.set(appId, pending);
    }
    return pending;
  }

  /** A user changed (disabled, re-limited, created): their cached row goes, and so does every "no such app". */
  forgetUser(userId: string): void {
    this.generation++;
    this.inflight.clear();
    this.known.deleteWhere((u) => u.id === userId);
    this.unknown.clear();
  }

  forgetAll(): void {
    this.generation++;
    this.inflight.clear();
    this.known.clear();
    this.unknown.clear();
  }
}
