// Limits shared by every replica: each admission and each settlement is one atomic Lua script, one round trip.
import type { RedisClient } from "../redis/connection.js";
import { endOfMonthNamed, monthOf } from "./calendar-month.js";
import { checkAdmitRequest, checkNow, checkPerMinute, checkSettlement, checkSubjectRef, checkTicket } from "./limit-checks.js";
import { subjectTag, type Admission, type AdmitRequest, type Dimension, type DimensionState, type LimitReport, type Limiter, type Limits, type Settlement, type SubjectRef, type SubjectUsage, type Ticket } from "./limiter.js";
import { DEFAULT_LEASE_MS, SPEND_GRACE_MS, ticketFor } from "./limit-rules.js";
import { ADMIT, PEEK, RAISE_SPEND, SETTLE, USAGE } from "./redis-scripts.js";
import { SettleBatch } from "./settle-batch.js";

/*
 * Keys, all under the owning user's hash tag so one script touches one Cluster slot:
 *   <prefix>{<partition>}:rpm:<kind>:<id>             hash l (units used), t (ms): the RPM bucket
 *   <prefix>{<partition>}:tpm:<kind>:<id>             the same for TPM
 *   <prefix>{<partition>}:inflight:<kind>:<id>        sorted set: requestId scored by its lease expiry
 *   <prefix>{<partition>}:spend:<YYYY-MM>:<kind>:<id> integer micro-USD, settled + reserved
 * Buckets expire once they would have refilled, in-flight sets a lease after their last admission,
 * spend counters a week after their month: an idle subject holds no keys.
 *
 * Refill uses the Redis clock, so replicas with skewed clocks still share one bucket correctly;
 * the budget month is the gateway's clock (a few ms of skew only matters at midnight on the 1st,
 * and the month must be known to name the key, which Cluster requires up front).
 */

type Arg = string | number;

interface LimiterCommands {
  aikLimitAdmit(...args: Arg[]): Promise<unknown>;
  aikLimitSettle(...args: Arg[]): Promise<unknown>;
  aikLimitRaiseSpend(...args: Arg[]): Promise<unknown>;
  aikLimitPeek(...args: Arg[]): Promise<unknown>;
  aikLimitUsage(...args: Arg[]): Promise<unknown>;
}

function hasLimiterCommands(r: RedisClient): r is RedisClient & LimiterCommands {
  return typeof Reflect.get(r, "aikLimitAdmit") === "function" && typeof Reflect.get(r, "aikLimitUsage") === "function";
}

export interface RedisLimiterOptions {
  /** How long an unsettled concurrency slot (a crashed replica's) holds; streams longer than this stop counting. */
  readonly leaseMs?: number;
}

const DIMENSIONS: readonly Dimension[] = ["requests", "tokens", "concurrency", "budget"];

/** Replies are checked, not trusted: a wrong shape means a wrong script, and must fail loudly. */
export function integers(reply: unknown, length: number, script: string): number[] {
  if (!Array.isArray(reply) || reply.length !== length || !reply.every((v): v is number => Number.isInteger(v))) {
    throw new Error(`limiter script ${script} answered with an unexpected reply`);
  }
  return reply;
}

function integer(reply: unknown, script: string): number {
  if (typeof reply !== "number" || !Number.isInteger(reply)) throw new Error(`limiter script ${script} answered with an unexpected reply`);
  return reply;
}

export function state(limit: number, remaining: number, resetMs: number): DimensionState | undefined {
  return limit < 0 ? undefined : { limit, remaining, resetMs };
}

export class RedisLimiter implements Limiter {
  private readonly redis: RedisClient & LimiterCommands;
  private readonly leaseMs: number;
  private readonly settles: SettleBatch;

  constructor(
    redis: RedisClient,
    private readonly keyPrefix: string,
    options: RedisLimiterOptions = {},
  ) {
    // defineCommand sends EVALSHA and falls back to EVAL on NOSCRIPT (a restarted Redis) by itself.
    if (!hasLimiterCommands(redis)) {
      redis.defineCommand("aikLimitAdmit", { lua: ADMIT });
      redis.defineCommand("aikLimitSettle", { lua: SETTLE });
      redis.defineCommand("aikLimitPeek", { numberOfKeys: 1, lua: PEEK });
      redis.defineCommand("aikLimitRaiseSpend", { numberOfKeys: 1, lua: RAISE_SPEND });
      redis.defineCommand("aikLimitUsage", { numberOfKeys: 4, lua: USAGE });
    }
    if (!hasLimiterCommands(redis)) throw new Error("Redis commands could not be defined");
    this.redis = redis;
    this.settles = new SettleBatch(redis, "aikLimitSettle");
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    if (!Number.isInteger(this.leaseMs) || this.leaseMs < 1000) throw new RangeError("leaseMs must be an integer of at least 1000");
  }

  // Every key of one partition shares the hash tag {partition}: one script touches one Cluster slot.
  // A team's keys carry the team's own tag (subjectTag): its state is shared by every member.
  private key(partition: string, kind: string, subject: { kind: string; id: string }): string {
    return `${this.keyPrefix}{${subjectTag(partition, subject)}}:${kind}:${subject.kind}:${subject.id}`;
  }

  private spendKey(partition: string, month: string, subject: { kind: string; id: string }): string {
    return this.key(partition, `spend:${month}`, subject);
  }

  async admit(req: AdmitRequest): Promise<Admission> {
    checkAdmitRequest(req);
    const month = monthOf(req.now ?? Date.now());
    const keys: string[] = [];
    const limits: Arg[] = [];
    for (const s of req.subjects) {
      keys.push(this.key(req.partition, "rpm", s), this.key(req.partition, "tpm", s), this.key(req.partition, "inflight", s), this.spendKey(req.partition, month, s));
      const l = s.limits;
      limits.push(l.requestsPerMinute ?? "", l.tokensPerMinute ?? "", l.maxConcurrent ?? "", l.monthlyBudgetMicroUsd ?? "");
    }
    const end = endOfMonthNamed(month);
    const reply = await this.redis.aikLimitAdmit(keys.length, ...keys, req.now ?? "", req.requestId, req.tokens, req.costMicroUsd, this.leaseMs, end, end + SPEND_GRACE_MS, ...limits);
    const [ok, dim, subject, tooLarge, retry, rl, rr, rs, tl, tr, ts] = integers(reply, 11, "admit");
    const requests = state(rl ?? -1, rr ?? 0, rs ?? 0);
    const tokens = state(tl ?? -1, tr ?? 0, ts ?? 0);
    const report: LimitReport = { ...(requests && { requests }), ...(tokens && { tokens }) };
    if (ok === 1) {
      return { ok: true, ticket: ticketFor("redis", req, month), report };
    }
    const dimension = DIMENSIONS[(dim ?? 0) - 1];
    const who = req.subjects[subject ?? -1];
    if (dimension === undefined || who === undefined) throw new Error("limiter script admit named an unknown refusal");
    return {
      ok: false,
      dimension,
      subject: { kind: who.kind, id: who.id },
      retryAfterMs: retry === undefined || retry < 0 ? undefined : retry,
      tooLarge: tooLarge === 1,
      report,
    };
  }

  async settle(ticket: Ticket, actual: Settlement): Promise<void> {
    checkTicket(ticket, "redis");
    checkSettlement(actual);
    const keys: string[] = [];
    for (const s of ticket.subjects) {
      keys.push(this.key(ticket.partition, "tpm", s), this.key(ticket.partition, "inflight", s), this.spendKey(ticket.partition, ticket.month, s));
    }
    const limits = ticket.subjects.map((s) => s.tokensPerMinute ?? "");
    const reply = await this.settles.send([
      keys.length,
      ...keys,
      ticket.now ?? "",
      ticket.requestId,
      actual.tokens - ticket.tokens,
      actual.costMicroUsd - ticket.costMicroUsd,
      ...limits,
    ], ticket.partition);
    integer(reply, "settle");
  }

  async spent(subject: SubjectRef, now?: number): Promise<number> {
    checkSubjectRef(subject);
    const month = monthOf(checkNow(now) ?? Date.now());
    const value = await this.redis.get(this.spendKey(subject.partition, month, subject));
    if (value === null) return 0;
    const n = Number(value);
    if (!Number.isSafeInteger(n)) throw new Error("spend counter holds a non-integer");
    return n;
  }

  async raiseSpend(subject: SubjectRef, atLeastMicroUsd: number, now?: number): Promise<void> {
    checkSubjectRef(subject);
    if (!Number.isSafeInteger(atLeastMicroUsd) || atLeastMicroUsd < 0) throw new RangeError("spend must be a non-negative safe integer");
    const at = checkNow(now) ?? Date.now();
    const month = monthOf(at);
    const ttl = Math.max(1000, endOfMonthNamed(month) + SPEND_GRACE_MS - at);
    await this.redis.aikLimitRaiseSpend(this.spendKey(subject.partition, month, subject), atLeastMicroUsd, ttl);
  }

  async remainingTokens(subject: SubjectRef, limitPerMinute: number, now?: number): Promise<number> {
    checkSubjectRef(subject);
    const limit = checkPerMinute(limitPerMinute);
    const reply = await this.redis.aikLimitPeek(this.key(subject.partition, "tpm", subject), checkNow(now) ?? "", limit);
    return integer(reply, "peek");
  }

  async usage(subject: SubjectRef, limits: Limits, now?: number): Promise<SubjectUsage> {
    checkSubjectRef(subject);
    const at = checkNow(now);
    const month = monthOf(at ?? Date.now());
    const p = subject.partition;
    const keys = [this.key(p, "rpm", subject), this.key(p, "tpm", subject), this.key(p, "inflight", subject), this.spendKey(p, month, subject)];
    const reply = await this.redis.aikLimitUsage(...keys, at ?? "", limits.requestsPerMinute ?? "", limits.tokensPerMinute ?? "");
    const [requests = -1, tokens = -1, concurrent = 0, spent = 0] = integers(reply, 4, "usage");
    return { requests: requests < 0 ? undefined : requests, tokens: tokens < 0 ? undefined : tokens, concurrent, spentMicroUsd: spent };
  }
}
