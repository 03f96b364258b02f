// API keys on the hot path: format and checksum first, then a bounded cache by hash, the database only on a miss.
import type { Caller } from "../core/context.js";
import { GatewayError } from "../core/errors.js";
import { resolveUserLimits, type Limits } from "../core/limits.js";
import type { ApiKeyStore, KeyWithOwner } from "../store/api-keys.js";
import type { LastUsedRecorder } from "./last-used.js";
import { TtlCache } from "../core/ttl-cache.js";
import { API_KEY_PREFIX, hashSecret, isWellFormed } from "./tokens.js";

export interface KeyCacheOptions {
  readonly maxEntries: number;
  readonly ttlMs: number;
  /** Unknown keys are remembered too, so a flood of bad keys cannot reach the database. */
  readonly negativeTtlMs: number;
}

/** Every invalid key (and every refused token: src/auth/jwt-authenticator.ts) gets this one answer, whatever was wrong with it. */
export function invalidKey(): GatewayError {
  return new GatewayError("unauthenticated", "Incorrect API key provided.", { reason: "invalid_api_key" });
}

export class ApiKeyAuthenticator {
  private readonly valid: TtlCache<KeyWithOwner>;
  private readonly invalid: TtlCache<true>;
  private readonly inflight = new Map<string, Promise<KeyWithOwner | undefined>>();
  /**
   * Bumped by every forget: a lookup that started before a revocation or a rotation may return the
   * row as it was, and must not put it in the cache after the notification emptied it.
   */
  private generation = 0;

  constructor(
    private readonly keys: ApiKeyStore,
    private readonly lastUsed: LastUsedRecorder,
    options: KeyCacheOptions,
    /** The configured default limits, under the user's overrides (a reload may change them). */
    private defaultLimits: Limits,
  ) {
    this.valid = new TtlCache(options.maxEntries, options.ttlMs);
    this.invalid = new TtlCache(options.maxEntries, options.negativeTtlMs);
  }

  async authenticate(credential: string | undefined): Promise<Caller> {
    if (!credential) {
      throw new GatewayError("unauthenticated", "Missing API key: send it as 'Authorization: Bearer <key>' or 'api-key: <key>'.", {
        reason: "invalid_api_key",
      });
    }
    if (!isWellFormed(API_KEY_PREFIX, credential)) throw invalidKey();
    const hash = hashSecret(credential);
    const id = hash.toString("hex");
    if (this.invalid.get(id)) throw invalidKey();
    const key = this.valid.get(id) ?? (await this.load(id, hash));
    if (!key || !usable(key, Date.now())) {
      this.valid.delete(id);
      this.invalid.set(id, true);
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
    this.forgetLookups();
    this.valid.deleteWhere((k) => k.id === keyId);
  }

  /** A user disabled (or re-enabled): every cached key of theirs is looked up afresh. */
  forgetUser(userId: string): void {
    this.forgetLookups();
    this.valid.deleteWhere((k) => k.userId === userId);
    // A re-enabled user's keys may sit in the negative cache.
    this.invalid.clear();
  }

  /** A team's limits changed: every cached key of the team is looked up afresh. */
  forgetTeam(teamId: string): void {
    this.forgetLookups();
    this.valid.deleteWhere((k) => k.teamId === teamId);
  }

  forgetAll(): void {
    this.forgetLookups();
    this.valid.clear();
    this.invalid.clear();
  }

  /** Lookups in flight may read rows from before the change: later requests start their own, and none of them is cached. */
  private forgetLookups(): void {
    this.generation++;
    this.inflight.clear();
  }

  /** One database lookup per hash, however many requests carry the same key at once. */
  private load(id: string, hash: Buffer): Promise<KeyWithOwner | undefined> {
    let pending = this.inflight.get(id);
    if (!pending) {
      const generation = this.generation;
      const done = (): void => {
        if (this.inflight.get(id) === pending) this.inflight.delete(id);
      };
      pending = this.keys.byHash(hash).then(
        (key) => {
          done();
          if (key && generation === this.generation) this.valid.set(id, key);
          return key;
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
