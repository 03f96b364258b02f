// Brute-force protection for logins: per-account lockout with growing lock times, per-source throttling.

export interface LockoutPolicy {
  /** Failures within `windowMs` that lock an account. */
  readonly maxFailures: number;
  readonly windowMs: number;
  /** First lock; each repeat within `levelMemoryMs` doubles it, up to `maxLockMs`. */
  readonly lockMs: number;
  readonly maxLockMs: number;
  readonly levelMemoryMs: number;
  /** Failures from one source address within `windowMs` that throttle it. */
  readonly maxSourceFailures: number;
}

export const DEFAULT_LOCKOUT: LockoutPolicy = {
  maxFailures: 5,
  windowMs: 15 * 60_000,
  lockMs: 15 * 60_000,
  maxLockMs: 24 * 3600_000,
  levelMemoryMs: 24 * 3600_000,
  maxSourceFailures: 30,
};

export interface Admission {
  /** False: refuse without looking at the password (locked account or throttled source). */
  readonly allowed: boolean;
  /** Attempts counted against the account in the current window, this one included. */
  readonly attempts: number;
  /** What this very attempt set off, if anything (for the audit trail): the account's lock or the source's throttle. */
  readonly engaged?: "account_lock" | "source_throttle";
}

/**
 * Every attempt is counted when it begins, atomically, so N concurrent wrong passwords are N
 * counts and at most `maxFailures` of them ever reach the password check.
 * `account` and `source` are opaque keys (hashes), never an email or an address in clear.
 */
export interface LoginGuard {
  begin(account: string, source: string): Promise<Admission>;
  /** The password was wrong: lock the account if this failure reached the threshold. True when this failure locked it. */
  failed(account: string): Promise<boolean>;
  /** The password was right: the account's failures are cleared and the source's attempt undone. */
  succeeded(account: string, source: string): Promise<void>;
  /** Epoch ms until which the account is locked, if it is. */
  lockedUntil(account: string): Promise<number | undefined>;
  /** Attempts counted against the account in the current window. */
  attempts(account: string): Promise<number>;
  unlock(account: string): Promise<void>;
}

export function lockDuration(policy: LockoutPolicy, level: number): number {
  return Math.min(policy.lockMs * 2 ** Math.max(0, level - 1), policy.maxLockMs);
}

interface Counter {
  count: number;
  expiresAt: number;
}

const MAX_ENTRIES = 100_000;

/** The same algorithm in process memory, for zero-config mode (a single instance). */
export class MemoryLoginGuard implements LoginGuard {
  private readonly counters = new Map<string, Counter>();

  constructor(
    private readonly policy: LockoutPolicy = DEFAULT_LOCKOUT,
    private readonly now: () => number = Date.now,
  ) {}

  async begin(account: string, source: string): Promise<Admission> {
    const attempts = this.incr(`fail:${account}`, this.policy.windowMs);
    const sourceFailures = this.incr(`src:${source}`, this.policy.windowMs);
    if (this.live(`lock:${account}`) || this.live(`lock-src:${source}`)) return { allowed: false, attempts };
    if (attempts > this.policy.maxFailures) {
      this.lock(account);
      return { allowed: false, attempts, engaged: "account_lock" };
    }
    if (sourceFailures > this.policy.maxSourceFailures) {
      this.set(`lock-src:${source}`, 1, this.policy.lockMs);
      return { allowed: false, attempts, engaged: "source_throttle" };
    }
    return { allowed: true, attempts };
  }

  async failed(account: string): Promise<boolean> {
    if ((this.live(`fail:${account}`)?.count ?? 0) < this.policy.maxFailures || this.live(`lock:${account}`)) return false;
    this.lock(account);
    return true;
  }

  async succeeded(account: string, source: string): Promise<void> {
    this.counters.delete(`fail:${account}`);
    const src = this.live(`src:${source}`);
    if (src) src.count = Math.max(0, src.count - 1);
  }

  async lockedUntil(account: string): Promise<number | undefined> {
    return this.live(`lock:${account}`)?.expiresAt;
  }

  async attempts(account: string): Promise<number> {
    return this.live(`fail:${account}`)?.count ?? 0;
  }

  async unlock(account: string): Promise<void> {
    for (const k of [`fail:${account}`, `lock:${account}`, `level:${account}`]) this.counters.delete(k);
  }

  private lock(account: string): void {
    const level = this.incr(`level:${account}`, this.policy.levelMemoryMs);
    const ms = lockDuration(this.policy, level);
    this.set(`lock:${account}`, 1, ms);
    // The failure count lives as long as the lock: when the lock ends, the account starts afresh.
    const fail = this.live(`fail:${account}`);
    if (fail) fail.expiresAt = this.now() + ms;
  }

  private live(key: string): Counter | undefined {
    const c = this.counters.get(key);
    if (c && c.expiresAt <= this.now()) {
      this.counters.delete(key);
      return undefined;
    }
    return c;
  }

  private incr(key: string, ttlMs: number): number {
    const c = this.live(key);
    if (c) return ++c.count;
    this.set(key, 1, ttlMs);
    return 1;
  }

  private set(key: string, count: number, ttlMs: number): void {
    if (this.counters.size >= MAX_ENTRIES) this.evictExpired();
    this.counters.set(key, { count, expiresAt: this.now() + ttlMs });
  }

  private evictExpired(): void {
    const now = this.now();
    for (const [k, c] of this.counters) if (c.expiresAt <= now) this.counters.delete(k);
    // Still full (a flood of distinct keys): drop the oldest entries rather than grow without bound.
    for (const k of this.counters.keys()) {
      if (this.counters.size < MAX_ENTRIES) break;
      this.counters.delete(k);
    }
  }
}
