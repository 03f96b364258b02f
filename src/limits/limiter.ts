// The limiter port: per-user, per-key and per-team RPM, TPM, concurrency and monthly budget, admitted and settled per request.

import type { Limits } from "../core/limits.js";

/** Already resolved against config defaults; undefined = unlimited, 0 = nothing is ever admitted. */
export type { Limits };

export type SubjectKind = "user" | "key" | "team";

export interface Subject {
  readonly kind: SubjectKind;
  readonly id: string;
  readonly limits: Limits;
}

export interface SubjectRef {
  readonly kind: SubjectKind;
  readonly id: string;
  /** The owning user's id: a user's or key's state lives under this Redis Cluster hash tag (a team's under its own, see subjectTag). */
  readonly partition: string;
}

/**
 * The hash tag a subject's state lives under. A user's and a key's: the admission's partition (the
 * user). A team's is shared by every member, so it cannot live under any one user: it has its own,
 * "team:<id>". The partition itself may be that same tag (see limits-step's sharedTeamSlot), which
 * puts all of a team key's admission in one Redis Cluster slot.
 */
export function subjectTag(partition: string, s: { readonly kind: string; readonly id: string }): string {
  return s.kind === "team" ? teamTag(s.id) : partition;
}

export function teamTag(teamId: string): string {
  return `team:${teamId}`;
}

export interface AdmitRequest {
  /** Unique per request; names its concurrency slot and makes settle idempotent. */
  readonly requestId: string;
  /** The user id: every Redis key of one admission carries the hash tag {<partition>}. */
  readonly partition: string;
  /** [user, key] or [user, key, team]: one to three subjects, all checked in one atomic step; the strictest wins. */
  readonly subjects: readonly Subject[];
  /** TPM reservation (prompt estimate + max output tokens), integer >= 0. */
  readonly tokens: number;
  /** Budget reservation (estimated cost), integer micro-USD >= 0. */
  readonly costMicroUsd: number;
  /** Epoch ms, for tests; default: Redis server time (Redis limiter) or Date.now() (memory limiter). */
  readonly now?: number;
}

export type Dimension = "requests" | "tokens" | "concurrency" | "budget";

/** resetMs: time until the bucket is fully replenished. */
export interface DimensionState {
  readonly limit: number;
  readonly remaining: number;
  readonly resetMs: number;
}

/** For x-ratelimit-* headers: per dimension, the state of the subject with least remaining. */
export interface LimitReport {
  readonly requests?: DimensionState;
  readonly tokens?: DimensionState;
}

export interface TicketSubject {
  readonly kind: SubjectKind;
  readonly id: string;
  /** The TPM limit at admission: settlement refills the bucket at this rate before reconciling. */
  readonly tokensPerMinute: number | undefined;
}

/**
 * Everything settle() needs, as plain data. Idempotence is kept in the store under requestId, so a
 * copy settles like the original; ResilientLimiter, though, routes by the object admit() returned.
 */
export interface Ticket {
  /** Which limiter admitted it: only that one can settle it ("lease": a replica's slice, see leased-limiter.ts). */
  readonly backend: "redis" | "memory" | "lease";
  readonly requestId: string;
  readonly partition: string;
  readonly subjects: readonly TicketSubject[];
  readonly tokens: number;
  readonly costMicroUsd: number;
  /** UTC calendar month of the admission, "2026-11": the reservation is reconciled in that month. */
  readonly month: string;
  /** The clock the admission was pinned to (tests); settlement then happens at that same instant. */
  readonly now: number | undefined;
}

export type Admission =
  | { readonly ok: true; readonly ticket: Ticket; readonly report: LimitReport }
  | {
      readonly ok: false;
      readonly dimension: Dimension;
      readonly subject: { kind: SubjectKind; id: string };
      /** undefined only when waiting cannot help. */
      readonly retryAfterMs: number | undefined;
      /** The request alone exceeds a limit (e.g. tokens > TPM limit): retrying never helps. */
      readonly tooLarge: boolean;
      readonly report: LimitReport;
    };

/** Actual usage and cost. */
export interface Settlement {
  readonly tokens: number;
  readonly costMicroUsd: number;
}

/**
 * What one subject uses of its limits right now, as the limiter counts it for admission (a read: nothing changes).
 * requests and tokens: the RPM and TPM token buckets' levels, rounded up (limit minus what the next admission may
 * take; the bucket drains at the limit's rate, so this is not a count of the last 60 s); undefined where no limit
 * is set, since no bucket is kept then.
 */
export interface SubjectUsage {
  readonly requests: number | undefined;
  readonly tokens: number | undefined;
  /** Admitted and not settled yet (leases lapse after DEFAULT_LEASE_MS). */
  readonly concurrent: number;
  /** The month's spend counter the budget check reads (settled + reserved), micro-USD. */
  readonly spentMicroUsd: number;
}

export interface Limiter {
  admit(req: AdmitRequest): Promise<Admission>;
  /** Reconciles tokens and cost with the actual numbers and frees the concurrency slot. Idempotent per ticket. */
  settle(ticket: Ticket, actual: Settlement): Promise<void>;
  /** Spend so far this month (settled + reserved), micro-USD. */
  spent(subject: SubjectRef, now?: number): Promise<number>;
  /**
   * Metering's spend this month is the source of truth: raises the month's counter to at least
   * `atLeastMicroUsd` (never lowers it, since it also holds reservations in flight).
   */
  raiseSpend(subject: SubjectRef, atLeastMicroUsd: number, now?: number): Promise<void>;
  /** Remaining tokens now (for tests/metrics); negative while the bucket is in debt. */
  remainingTokens(subject: SubjectRef, limitPerMinute: number, now?: number): Promise<number>;
  /** What `subject` uses now of `limits` (the ones it is admitted with: they set the buckets' refill rates). */
  usage(subject: SubjectRef, limits: Limits, now?: number): Promise<SubjectUsage>;
}
