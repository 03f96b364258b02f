// Limits in process memory for a single instance (zero-config mode, and the fail-open fallback): RedisLimiter's rules, no Redis.
import { endOfMonthNamed, monthOf } from "./calendar-month.js";
import { ExpiringStore } from "./expiring-store.js";
import { checkAdmitRequest, checkNow, checkPerMinute, checkSettlement, checkSubjectRef, checkTicket } from "./limit-checks.js";
import { subjectTag, type Admission, type AdmitRequest, type Dimension, type DimensionState, type Limiter, type Limits, type Settlement, type SubjectRef, type SubjectUsage, type Ticket } from "./limiter.js";
import {
  type Bucket,
  bucketRefusal,
  bucketRemaining,
  bucketState,
  CONCURRENCY_RETRY_MS,
  DEFAULT_LEASE_MS,
  msUntilFull,
  type Refusal,
  refill,
  report,
  SPEND_GRACE_MS,
  ticketFor,
  UNIT,
  worse,
} from "./limit-rules.js";

export interface MemoryLimiterOptions {
  /** How long an unsettled concurrency slot holds. */
  readonly leaseMs?: number;
  /** Per store (buckets, in-flight sets, spend counters); idle entries expire long before this matters. */
  readonly maxEntries?: number;
  readonly clock?: () => number;
}

type Ref = { readonly kind: string; readonly id: string };
type RateDimension = Extract<Dimension, "requests" | "tokens">;

export class MemoryLimiter implements Limiter {
  private readonly buckets: ExpiringStore<Bucket>;
  /** requestId -> lease expiry, in admission order: the oldest lapse first. */
  private readonly inflight: ExpiringStore<Map<string, number>>;
  private readonly spend: ExpiringStore<number>;
  private readonly leaseMs: number;
  private readonly clock: () => number;

  constructor(options: MemoryLimiterOptions = {}) {
    const store = { maxEntries: options.maxEntries ?? 100_000, sweepEveryMs: 10_000, ...(options.clock && { clock: options.clock }) };
    this.buckets = new ExpiringStore(store);
    this.inflight = new ExpiringStore(store);
    this.spend = new ExpiringStore(store);
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.clock = options.clock ?? Date.now;
  }

  /** Entries held (buckets, in-flight sets, spend counters), for metrics: proportional to recently active subjects. */
  get size(): number {
    return this.buckets.size + this.inflight.size + this.spend.size;
  }

  private key(partition: string, kind: string, s: Ref): string {
    return `${subjectTag(partition, s)}\u0000${kind}\u0000${s.kind}\u0000${s.id}`;
  }

  private slots(partition: string, s: Ref, now: number): Map<string, number> {
    const key = this.key(partition, "inflight", s);
    const slots = this.inflight.get(key) ?? new Map<string, number>();
    for (const [id, expiry] of slots) {
      if (expiry > now) break;
      slots.delete(id);
    }
    return slots;
  }

  /** Frees a slot; false if it was not held. An empty set goes, as Redis drops an empty sorted set. */
  private release(partition: string, s: Ref, requestId: string): boolean {
    const key = this.key(partition, "inflight", s);
    const slots = this.inflight.get(key);
    if (slots?.delete(requestId) !== true) return false;
    if (slots.size === 0) this.inflight.delete(key);
    return true;
  }

  async admit(req: AdmitRequest): Promise<Admission> {
    checkAdmitRequest(req);
    // A store this request leaves alone must still drop its idle entries.
    for (const store of [this.buckets, this.inflight, this.spend]) store.sweep();
    const now = req.now ?? this.clock();
    const month = monthOf(now);
    const end = endOfMonthNamed(month);
    const rates: Array<Partial<Record<RateDimension, { key: string; limit: number; bucket: Bucket }>>> = [];
    let refusal: Refusal | undefined;
    for (const [i, s] of req.subjects.entries()) {
      const r: (typeof rates)[number] = {};
      for (const [dimension, limit, cost] of [
        ["requests", s.limits.requestsPerMinute, 1],
        ["tokens", s.limits.tokensPerMinute, req.tokens],
      ] as const) {
        if (limit === undefined) continue;
        const key = this.key(req.partition, dimension, s);
        const bucket = refill(this.buckets.get(key), limit, now);
        r[dimension] = { key, limit, bucket };
        refusal = worse(refusal, bucketRefusal(dimension, i, bucket.level, limit, cost));
      }
      rates.push(r);
      const max = s.limits.maxConcurrent;
      if (max !== undefined) {
        if (max === 0) refusal = worse(refusal, { dimension: "concurrency", subject: i, tooLarge: true, retryAfterMs: -1 });
        else if (this.slots(req.partition, s, now).size >= max) {
          refusal = worse(refusal, { dimension: "concurrency", subject: i, tooLarge: false, retryAfterMs: CONCURRENCY_RETRY_MS });
        }
      }
      const budget = s.limits.monthlyBudgetMicroUsd;
      if (budget !== undefined) {
        const spent = this.spend.get(this.key(req.partition, `spend:${month}`, s)) ?? 0;
        if (budget === 0 || req.costMicroUsd > budget) refusal = worse(refusal, { dimension: "budget", subject: i, tooLarge: true, retryAfterMs: -1 });
        else if (spent + req.costMicroUsd > budget) {
          refusal = worse(refusal, { dimension: "budget", subject: i, tooLarge: false, retryAfterMs: Math.max(1, end - now) });
        }
      }
    }
    if (refusal === undefined) {
      for (const [i, s] of req.subjects.entries()) {
        for (const [dimension, cost] of [["requests", 1], ["tokens", req.tokens]] as const) {
          const b = rates[i]?.[dimension];
          if (b === undefined) continue;
          b.bucket = { level: b.bucket.level + cost * UNIT, stamp: b.bucket.stamp };
          this.buckets.set(b.key, b.bucket, msUntilFull(b.bucket.level, b.limit) + 1000);
        }
        // Every admission holds an in-flight entry, limited or not: settle consumes it exactly once.
        const slots = this.slots(req.partition, s, now);
        slots.set(req.requestId, now + this.leaseMs);
        this.inflight.set(this.key(req.partition, "inflight", s), slots, this.leaseMs + 1000);
        const spendKey = this.key(req.partition, `spend:${month}`, s);
        this.spend.setUntil(spendKey, (this.spend.get(spendKey) ?? 0) + req.costMicroUsd, end + SPEND_GRACE_MS);
      }
    }
    const states = (d: RateDimension): Array<DimensionState | undefined> =>
      rates.map((r) => {
        const b = r[d];
        return b && bucketState(b.bucket.level, b.limit);
      });
    const rep = report(states("requests"), states("tokens"));
    if (refusal === undefined) {
      return { ok: true, ticket: ticketFor("memory", req, month), report: rep };
    }
    const who = req.subjects[refusal.subject];
    if (who === undefined) throw new Error("refusal names an unknown subject");
    return {
      ok: false,
      dimension: refusal.dimension,
      subject: { kind: who.kind, id: who.id },
      retryAfterMs: refusal.retryAfterMs < 0 ? undefined : refusal.retryAfterMs,
      tooLarge: refusal.tooLarge,
      report: rep,
    };
  }

  async settle(ticket: Ticket, actual: Settlement): Promise<void> {
    checkTicket(ticket, "memory");
    checkSettlement(actual);
    const now = ticket.now ?? this.clock();
    const [first] = ticket.subjects;
    // The first subject's in-flight entry is the ticket's receipt: absent means settled already (or its lease lapsed).
    if (first === undefined || !this.release(ticket.partition, first, ticket.requestId)) return;
    const dt = actual.tokens - ticket.tokens;
    const dc = actual.costMicroUsd - ticket.costMicroUsd;
    for (const s of ticket.subjects) {
      if (s !== first) this.release(ticket.partition, s, ticket.requestId);
      const limit = s.tokensPerMinute;
      if (limit !== undefined && limit > 0 && dt !== 0) {
        const key = this.key(ticket.partition, "tokens", s);
        const b = refill(this.buckets.get(key), limit, now);
        const level = Math.max(0, b.level + dt * UNIT);
        this.buckets.set(key, { level, stamp: b.stamp }, msUntilFull(level, limit) + 1000);
      }
      const spendKey = this.key(ticket.partition, `spend:${ticket.month}`, s);
      const spent = this.spend.get(spendKey);
      if (dc !== 0 && spent !== undefined) this.spend.setUntil(spendKey, spent + dc, endOfMonthNamed(ticket.month) + SPEND_GRACE_MS);
    }
  }

  async spent(subject: SubjectRef, now?: number): Promise<number> {
    checkSubjectRef(subject);
    return this.spend.get(this.key(subject.partition, `spend:${monthOf(checkNow(now) ?? this.clock())}`, subject)) ?? 0;
  }

  async raiseSpend(subject: SubjectRef, atLeastMicroUsd: number, now?: number): Promise<void> {
    checkSubjectRef(subject);
    if (!Number.isSafeInteger(atLeastMicroUsd) || atLeastMicroUsd < 0) throw new RangeError("spend must be a non-negative safe integer");
    const month = monthOf(checkNow(now) ?? this.clock());
    const key = this.key(subject.partition, `spend:${month}`, subject);
    if ((this.spend.get(key) ?? 0) < atLeastMicroUsd) this.spend.setUntil(key, atLeastMicroUsd, endOfMonthNamed(month) + SPEND_GRACE_MS);
  }

  async remainingTokens(subject: SubjectRef, limitPerMinute: number, now?: number): Promise<number> {
    checkSubjectRef(subject);
    const limit = checkPerMinute(limitPerMinute);
    const b = refill(this.buckets.get(this.key(subject.partition, "tokens", subject)), limit, checkNow(now) ?? this.clock());
    return bucketRemaining(b.level, limit);
  }

  async usage(subject: SubjectRef, limits: Limits, now?: number): Promise<SubjectUsage> {
    checkSubjectRef(subject);
    const at = checkNow(now) ?? this.clock();
    const used = (dimension: RateDimension, limit: number | undefined): number | undefined => {
      if (limit === undefined || limit <= 0) return undefined;
      return Math.ceil(refill(this.buckets.get(this.key(subject.partition, dimension, subject)), limit, at).level / UNIT);
    };
    return {
      requests: used("requests", limits.requestsPerMinute),
      tokens: used("tokens", limits.tokensPerMinute),
      concurrent: this.slots(subject.partition, subject, at).size,
      spentMicroUsd: this.spend.get(this.key(subject.partition, `spend:${monthOf(at)}`, subject)) ?? 0,
    };
  }
}
