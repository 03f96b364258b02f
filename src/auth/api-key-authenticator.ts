// API keys on the hot path: format and checksum first, then a bounded cache by hash, the database only on a miss.
import type { Caller } from "../core/context.js";
import { GatewayError } from "../core/errors.js";
import { resolveUserLimits, type Limits } from "../core/limits.js";
import type { ApiKeyStore, KeyWithOwner } from "../store/api-keys.js";
import type { LastUsedRecorder } from "./last-used.js";
import { CachedLookup, type LookupCacheOptions } from "./cached-lookup.js";
import { API_KEY_PREFIX, hashSecretHex, isWellFormed } from "./tokens.js";

export type KeyCacheOptions = LookupCacheOptions;

/** Every invalid key (and every refused token: src/auth/jwt-authenticator.ts) gets this one answer, whatever was wrong with it. */
export function invalidKey(): GatewayError {
  return new GatewayError("unauthenticated", "Incorrect API key provided.", { reason: "invalid_api_key" });
}

export class ApiKeyAuthenticator {
  private readonly cache: CachedLookup<KeyWithOwner>;

  constructor(
    private readonly keys: ApiKeyStore,
    private readonly lastUsed: LastUsedRecorder,
    options: KeyCacheOptions,
    /** The configured default limits, under the user's overrides (a reload may change them). */
    private defaultLimits: Limits,
  ) {
    this.cache = new CachedLookup(options);
  }

  async authenticate(credential: string | undefined): Promise<Caller> {
    if (!credential) {
      throw new GatewayError("unauthenticated", "Missing API key: send it as 'Authorization: Bearer <key>' or 'api-key: <key>'.", {
        reason: "invalid_api_key",
      });
    }
    if (!isWellFormed(API_KEY_PREFIX, credential)) throw invalidKey();
    const id = hashSecretHex(credential);
    if (this.cache.isMiss(id)) throw invalidKey();
    const key = this.cache.cached(id) ?? (await this.cache.load(id, () => this.keys.byHash(Buffer.from(id, "hex"))));
    if (!key || !usable(key, Date.now())) {
      this.cache.refuse(id);
      throw invalidKey();
    }
    this.lastUsed.used(key.id);
    return {
      userId: key.userId,
      keyId: key.id,
      admin: key.ownerRole === "admin",
      allowedModels: key.allowedModels,
      limits: { user: resolveUserLimits(key.ownerLimits, this.defaultLimits), key: key.limits, team: key.teamLimits },
      teamId: key.teamId,
    };
  }

  /** New default limits (a config reload): the next request of every key resolves with them (the cache holds rows, not limits). */
  setDefaultLimits(limits: Limits): void {
    this.defaultLimits = limits;
  }

  /** Revocation and expiry edits: this replica forgets the key at once (notifications reach the others). */
  forgetKey(keyId: string): void {
    this.cache.forget((k) => k.id === keyId, false);
  }

  /** A user disabled (or re-enabled): every cached key of theirs is looked up afresh; a re-enabled user's keys may sit among the misses. */
  forgetUser(userId: string): void {
    this.cache.forget((k) => k.userId === userId, true);
  }

  /** A team's limits changed: every cached key of the team is looked up afresh. */
  forgetTeam(teamId: string): void {
    this.cache.forget((k) => k.teamId === teamId, false);
  }

  forgetAll(): void {
    this.cache.forgetAll();
  }
}

/** Checked on every request, cached or not: a replaced secret cached as valid stops at its expiry, whatever the cache's TTL. */
function usable(k: KeyWithOwner, now: number): boolean {
  return (
    k.revokedAt === undefined &&
    k.ownerStatus === "active" &&
    (k.expiresAt === undefined || k.expiresAt.getTime() > now) &&
    (k.secretExpiresAt === undefined || k.secretExpiresAt.getTime() > now)
  );
}
