// The arithmetic both limiters share (the Redis Lua script mirrors it line for line): buckets, refusals, reports.
import type { AdmitRequest, Dimension, DimensionState, LimitReport, Ticket } from "./limiter.js";

/**
 * One request or token is worth UNIT units and a limit of L per minute refills L units per
 * millisecond. Levels, refills and waits are then integers: no float drift, so "50 RPM"
 * admits exactly 50, and a refund restores exactly what was reserved.
 */
export const UNIT = 60_000;

/** A concurrency slot frees itself this long after admission if it is never settled (a replica crashed). */
export const DEFAULT_LEASE_MS = 10 * 60_000;

/** No one knows when an in-flight request ends; a short hint keeps clients from hammering or stalling. */
export const CONCURRENCY_RETRY_MS = 1000;

/** Spend counters outlive their month so late settlements and reports still find them. */
export const SPEND_GRACE_MS = 7 * 24 * 3600_000;

/** Per-minute limits and token counts stay small enough that every level is an exact double. */
export const MAX_PER_MINUTE = 1e9;

/** A token bucket as "units used": 0 is full; above capacity (limit × UNIT) it is in debt. */
export interface Bucket {
  readonly level: number;
  /** When `level` was last brought up to date (ms); never moves backwards. */
  readonly stamp: number;
}

export function refill(bucket: Bucket | undefined, limit: number, now: number): Bucket {
  if (bucket === undefined) return { level: 0, stamp: now };
  const elapsed = Math.max(0, now - bucket.stamp);
  return { level: Math.max(0, bucket.level - elapsed * limit), stamp: Math.max(now, bucket.stamp) };
}

export interface Refusal {
  readonly dimension: Dimension;
  readonly subject: number;
  readonly tooLarge: boolean;
  /** -1 when waiting cannot help (the wire form the Lua script uses too). */
  readonly retryAfterMs: number;
}

/** Whether `cost` fits in a bucket at `level`, or how long until it does. */
export function bucketRefusal(dimension: Dimension, subject: number, level: number, limit: number, cost: number): Refusal | undefined {
  const capacity = limit * UNIT;
  const need = cost * UNIT;
  if (capacity === 0 || need > capacity) return { dimension, subject, tooLarge: true, retryAfterMs: -1 };
  if (level + need > capacity) return { dimension, subject, tooLarge: false, retryAfterMs: Math.ceil((level + need - capacity) / limit) };
  return undefined;
}

/**
 * Of several refusals, the one a client should hear: a request too large never fits, so it
 * wins; otherwise the longest wait, since retrying earlier is refused again. Ties keep the
 * earlier (subject order, then requests, tokens, concurrency, budget).
 */
export function worse(current: Refusal | undefined, next: Refusal | undefined): Refusal | undefined {
  if (current === undefined) return next;
  if (next === undefined || current.tooLarge) return current;
  if (next.tooLarge || next.retryAfterMs > current.retryAfterMs) return next;
  return current;
}

export function bucketState(level: number, limit: number): DimensionState {
  return {
    limit,
    remaining: Math.max(0, Math.floor((limit * UNIT - level) / UNIT)),
    resetMs: limit > 0 ? Math.ceil(level / limit) : 0,
  };
}

/** Tokens left: negative while in debt, so tests and metrics see the debt. */
export function bucketRemaining(level: number, limit: number): number {
  return Math.floor((limit * UNIT - level) / UNIT);
}

/** The header view: the subject with least remaining (the first on a tie). */
export function leastRemaining(states: readonly (DimensionState | undefined)[]): DimensionState | undefined {
  let least: DimensionState | undefined;
  for (const s of states) if (s !== undefined && (least === undefined || s.remaining < least.remaining)) least = s;
  return least;
}

export function report(requests: readonly (DimensionState | undefined)[], tokens: readonly (DimensionState | undefined)[]): LimitReport {
  const r = leastRemaining(requests);
  const t = leastRemaining(tokens);
  return { ...(r && { requests: r }), ...(t && { tokens: t }) };
}

/** A bucket is idle (equal to an absent one) once it has refilled: its key can expire, its entry can go. */
export function msUntilFull(level: number, limit: number): number {
  return limit > 0 ? Math.ceil(level / limit) : 0;
}

/** The ticket both limiters hand out for an admitted request: everything settle() needs. */
export function ticketFor(backend: Ticket["backend"], req: AdmitRequest, month: string): Ticket {
  return {
    backend,
    requestId: req.requestId,
    partition: req.partition,
    subjects: req.subjects.map((s) => ({ kind: s.kind, id: s.id, tokensPerMinute: s.limits.tokensPerMinute })),
    tokens: req.tokens,
    costMicroUsd: req.costMicroUsd,
    month,
    now: req.now,
  };
}
