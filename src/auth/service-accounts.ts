// Service accounts by application id on the hot path: a bounded cache in front of the database, forgotten like keys.
import type { UserRecord, UserStore } from "../store/users.js";
import type { KeyCacheOptions } from "./api-key-authenticator.js";
import { CachedLookup } from "./cached-lookup.js";

/**
 * Sized and timed like the key cache (auth.key_cache_*), and emptied by the same notifications: a
 * disabled, re-limited or newly created account is looked up afresh on every replica within a
 * second. App ids with no account are remembered too, so a flood of validly signed tokens for an
 * unknown app cannot reach the database.
 */
export class ServiceAccountCache {
  private readonly cache: CachedLookup<UserRecord>;

  constructor(
    private readonly users: Pick<UserStore, "byAppId">,
    options: KeyCacheOptions,
  ) {
    this.cache = new CachedLookup(options);
  }

  /** The account, or undefined when no service account has this app id. */
  async byAppId(appId: string): Promise<UserRecord | undefined> {
    if (this.cache.isMiss(appId)) return undefined;
    return this.cache.cached(appId) ?? this.cache.load(appId, () => this.users.byAppId(appId));
  }

  /** A user changed (disabled, re-limited, created): their cached row goes, and so does every "no such app". */
  forgetUser(userId: string): void {
    this.cache.forget((u) => u.id === userId, true);
  }

  forgetAll(): void {
    this.cache.forgetAll();
  }
}
