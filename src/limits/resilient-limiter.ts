// Redis limits that survive a Redis outage: fail open to the in-process limiter or fail closed, and come back unaided.
import { checkSettlement, LimitInputError } from "./limit-checks.js";
import type { Admission, AdmitRequest, Limiter, Limits, Settlement, SubjectRef, SubjectUsage, Ticket } from "./limiter.js";

/** The primary limiter failed and the limiter fails closed: the request gets 503, not unlimited service. */
export class LimiterUnavailableError extends Error {
  override readonly name = "LimiterUnavailableError";
  constructor(cause: unknown) {
    super("Rate limits cannot be checked right now (Redis unavailable)", { cause });
  }
}

export interface ResilientLimiterOptions {
  /** true: serve from the fallback while the primary fails; false: throw LimiterUnavailableError. */
  readonly failOpen: boolean;
  /**
   * The primary just failed (any call, either mode). Called once per failed attempt: the calls in
   * flight when it broke, then one probe per retryAfterFailureMs while the rest skip it unharmed.
   */
  readonly onFallback: (err: unknown) => void;
  /** The primary answered again after failing. Called once per recovery. */
  readonly onRecover: () => void;
  /** After a failure, calls skip the primary for this long (no waiting on a dead Redis), then probe it. Default 1000. */
  readonly retryAfterFailureMs?: number;
  /** Settlements the primary could not take are replayed when it answers again; beyond this many, the oldest go. */
  readonly maxPendingSettlements?: number;
}

interface Pending {
  readonly ticket: Ticket;
  readonly actual: Settlement;
}

export class ResilientLimiter implements Limiter {
  private skipUntil = 0;
  /** When the primary last failed; undefined while it is healthy. */
  private failedAt: number | undefined;
  private lastError: unknown;
  private readonly fromFallback = new WeakSet<Ticket>();
  private readonly pending: Pending[] = [];
  private draining = false;
  private readonly retryMs: number;
  private readonly maxPending: number;

  constructor(
    private readonly primary: Limiter,
    private readonly fallback: Limiter,
    private readonly opts: ResilientLimiterOptions,
  ) {
    this.retryMs = opts.retryAfterFailureMs ?? 1000;
    this.maxPending = opts.maxPendingSettlements ?? 10_000;
    if (!Number.isInteger(this.retryMs) || this.retryMs < 0) throw new RangeError("retryAfterFailureMs must be an integer >= 0");
    if (!Number.isInteger(this.maxPending) || this.maxPending < 0) throw new RangeError("maxPendingSettlements must be an integer >= 0");
  }

  /** Settlements waiting for the primary to come back (for metrics and tests). */
  get pendingSettlements(): number {
    return this.pending.length;
  }

  async admit(req: AdmitRequest): Promise<Admission> {
    const { value, fallback } = await this.route((l) => l.admit(req));
    if (fallback && value.ok) this.fromFallback.add(value.ticket);
    return value;
  }

  /** Never throws for an outage: the settlement waits and is replayed; the Redis script makes a replay idempotent. */
  async settle(ticket: Ticket, actual: Settlement): Promise<void> {
    checkSettlement(actual);
    if (this.fromFallback.has(ticket)) return this.fallback.settle(ticket, actual);
    if (!this.mayTryPrimary()) return this.defer(ticket, actual);
    const started = Date.now();
    try {
      await this.primary.settle(ticket, actual);
    } catch (err) {
      if (err instanceof LimitInputError) throw err;
      this.failed(err);
      return this.defer(ticket, actual);
    }
    this.succeeded(started);
  }

  async spent(subject: SubjectRef, now?: number): Promise<number> {
    return (await this.route((l) => l.spent(subject, now))).value;
  }

  /** Both sides learn the metered spend, so a fall back to memory does not forget the month's bill. */
  async raiseSpend(subject: SubjectRef, atLeastMicroUsd: number, now?: number): Promise<void> {
    await this.fallback.raiseSpend(subject, atLeastMicroUsd, now);
    await this.route((l) => (l === this.fallback ? Promise.resolve() : l.raiseSpend(subject, atLeastMicroUsd, now)));
  }

  async remainingTokens(subject: SubjectRef, limitPerMinute: number, now?: number): Promise<number> {
    return (await this.route((l) => l.remainingTokens(subject, limitPerMinute, now))).value;
  }

  async usage(subject: SubjectRef, limits: Limits, now?: number): Promise<SubjectUsage> {
    return (await this.route((l) => l.usage(subject, limits, now))).value;
  }

  private async route<T>(call: (l: Limiter) => Promise<T>): Promise<{ value: T; fallback: boolean }> {
    if (this.mayTryPrimary()) {
      const started = Date.now();
      try {
        const value = await call(this.primary);
        this.succeeded(started);
        return { value, fallback: false };
      } catch (err) {
        // A caller's mistake is not an outage: it fails the same way on every limiter.
        if (err instanceof LimitInputError) throw err;
        this.failed(err);
      }
    }
    if (!this.opts.failOpen) throw new LimiterUnavailableError(this.lastError);
    return { value: await call(this.fallback), fallback: true };
  }

  /**
   * While failing, one call per window probes the primary (half-open); the others keep off it, so
   * a hung Redis costs one command timeout per window, not one per request.
   */
  private mayTryPrimary(): boolean {
    const now = Date.now();
    if (now < this.skipUntil) return false;
    if (this.failedAt !== undefined) this.skipUntil = now + this.retryMs;
    return true;
  }

  private failed(err: unknown): void {
    this.failedAt = Date.now();
    this.skipUntil = this.failedAt + this.retryMs;
    this.lastError = err;
    this.opts.onFallback(err);
  }

  private succeeded(started: number): void {
    // A call sent before the failure proves nothing about the primary now.
    if (this.failedAt === undefined || started < this.failedAt) return;
    this.failedAt = undefined;
    this.skipUntil = 0;
    this.lastError = undefined;
    this.opts.onRecover();
    // Background replay has no caller to hand an error to; its failures re-enter the retry cycle instead.
    this.drain().catch(() => undefined);
  }

  private defer(ticket: Ticket, actual: Settlement): void {
    this.pending.push({ ticket, actual });
    if (this.pending.length > this.maxPending) this.pending.shift();
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let next = this.pending[0]; next !== undefined && Date.now() >= this.skipUntil; next = this.pending[0]) {
        try {
          await this.primary.settle(next.ticket, next.actual);
        } catch (err) {
          if (!(err instanceof LimitInputError)) {
            this.failed(err);
            return;
          }
        }
        // defer() may have dropped the oldest meanwhile.
        if (this.pending[0] === next) this.pending.shift();
      }
    } finally {
      this.draining = false;
    }
  }
}
