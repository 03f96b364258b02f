// Admission without a round trip: far from its limits a replica admits from a slice of Redis's remaining requests, tokens and budget, and gives back what it did not use.
import type { RedisClient } from "../redis/connection.js";
import { endOfMonthNamed, monthOf } from "./calendar-month.js";
import { checkAdmitRequest, checkSettlement } from "./limit-checks.js";
import type { Admission, AdmitRequest, Dimension, DimensionState, LimitReport, Limiter, Limits, Settlement, Subject, SubjectRef, SubjectUsage, Ticket } from "./limiter.js";
import { subjectTag } from "./limiter.js";
import { SPEND_GRACE_MS, ticketFor } from "./limit-rules.js";
import { LEASE } from "./lease-script.js";
import { integers, RedisLimiter, state } from "./redis-limiter.js";

/*
 * A lease is one replica's slice of one (user, key) pair's remaining capacity: some requests, the
 * tokens and the budget to go with them, debited in Redis when taken (one script, the same buckets
 * the per-request path uses), so no other replica can admit against them. Local admissions use the
 * slice up; settlements adjust it (a refund adds, a debt subtracts); what is left, debt included,
 * goes back with the next sync or once the lease lapses. A slice takes at most 1/share of what a
 * subject has left, at most maxSlice requests and at least minSlice: as a limit comes close slices
 * shrink to nothing and every request is admitted by its own round trip, so the limits stay exact.
 *
 * What it costs: a replica may refuse while another still holds an unused slice, at most
 * min(maxSlice, remaining/share) requests (and their tokens and budget) per replica and pair, for
 * at most leaseMs. A replica that dies holding a slice loses it: lost capacity, never extra.
 * Keys with a concurrency limit, and admissions pinned to a clock (tests), go per request.
 */

export interface LeasedLimiterOptions {
  readonly keyPrefix: string;
  /** How long a slice may be drawn on before what is left goes back. Default 2000 ms. */
  readonly leaseMs?: number;
  /** The most requests one slice holds. Default 64. */
  readonly maxSlice?: number;
  /** The fewest: a smaller slice is not taken (per-request admission instead). Default 8. */
  readonly minSlice?: number;
  /** A slice takes at most 1/share of what a subject has left. Default 16. */
  readonly share?: number;
  /** A background give-back or refill failed (it is retried; the request path never sees it). */
  readonly onBackgroundError?: (err: unknown) => void;
}

/** What a lease may still admit; Infinity where no subject limits the dimension. */
interface Balance {
  requests: number;
  tokens: number;
  cost: number;
}

const GIVE_BACK = 0;
const ADMIT = 1;
const REFILL = 2;
type Mode = typeof GIVE_BACK | typeof ADMIT | typeof REFILL;

const DIMENSIONS: Readonly<Record<number, Dimension>> = { 1: "requests", 2: "tokens", 4: "budget" };

class Lease {
  readonly held: Balance;
  /** The last slice taken, to know when the balance runs low. */
  readonly slice: Balance = { requests: 0, tokens: 0, cost: 0 };
  expiresAt = 0;
  /** The sync in flight that may take a slice (at most one per lease). */
  syncing: Promise<void> | undefined;
  /** Whether the last sync that could take a slice took one; undefined before the first. */
  sliced: boolean | undefined;
  /** Tickets admitted from this lease and not settled yet. */
  open = 0;
  /** Redis's view at the last sync, the held slice excluded (for the rate-limit headers). */
  base: LimitReport = {};

  constructor(
    readonly partition: string,
    readonly subjects: readonly Subject[],
    readonly month: string,
  ) {
    const limited = (pick: (s: Subject) => number | undefined): number => (subjects.some((s) => pick(s) !== undefined) ? 0 : Infinity);
    this.held = {
      requests: limited((s) => s.limits.requestsPerMinute),
      tokens: limited((s) => s.limits.tokensPerMinute),
      cost: limited((s) => s.limits.monthlyBudgetMicroUsd),
    };
  }

  get unlimited(): boolean {
    return this.held.requests === Infinity && this.held.tokens === Infinity && this.held.cost === Infinity;
  }

  fits(req: AdmitRequest, now: number): boolean {
    return now < this.expiresAt && this.held.requests >= 1 && this.held.tokens >= req.tokens && this.held.cost >= req.costMicroUsd;
  }

  take(req: AdmitRequest): void {
    this.held.requests -= 1;
    this.held.tokens -= req.tokens;
    this.held.cost -= req.costMicroUsd;
  }

  /** Below half of the last slice in some limited dimension. */
  get low(): boolean {
    const h = this.held;
    const s = this.slice;
    return h.requests < s.requests / 2 || h.tokens < s.tokens / 2 || h.cost < s.cost / 2;
  }

  /** The finite part of the balance, zeroed here: it is on its way back to Redis. */
  takeBalance(): Balance {
    const out = { requests: finite(this.held.requests), tokens: finite(this.held.tokens), cost: finite(this.held.cost) };
    this.add(-out.requests, -out.tokens, -out.cost);
    return out;
  }

  get hasBalance(): boolean {
    return finite(this.held.requests) !== 0 || finite(this.held.tokens) !== 0 || finite(this.held.cost) !== 0;
  }

  add(requests: number, tokens: number, cost: number): void {
    // Infinity stays Infinity: an unlimited dimension is never counted.
    this.held.requests += requests;
    this.held.tokens += tokens;
    this.held.cost += cost;
  }

  report(): LimitReport {
    const r = this.base.requests;
    const t = this.base.tokens;
    const plus = (d: DimensionState, held: number): DimensionState => ({ ...d, remaining: Math.max(0, d.remaining + finite(held)) });
    return { ...(r && { requests: plus(r, this.held.requests) }), ...(t && { tokens: plus(t, this.held.tokens) }) };
  }
}

function finite(n: number): number {
  return Number.isFinite(n) ? n : 0;
}

interface LeaseCommand {
  aikLimitLease(...args: Array<string | number>): Promise<unknown>;
}

function hasLeaseCommand(r: RedisClient): r is RedisClient & LeaseCommand {
  return typeof Reflect.get(r, "aikLimitLease") === "function";
}

const NO_BALANCE: Balance = Object.freeze({ requests: 0, tokens: 0, cost: 0 });

export class LeasedLimiter implements Limiter {
  private readonly redis: RedisClient & LeaseCommand;
  /** The per-request path, for what leases do not cover, and for spend and token reads. */
  private readonly exact: RedisLimiter;
  private readonly leases = new Map<string, Lease>();
  private readonly open = new Map<string, Lease>();
  private readonly leaseMs: number;
  private readonly maxSlice: number;
  private readonly minSlice: number;
  private readonly share: number;
  private readonly timer: NodeJS.Timeout;
  private sweeping: Promise<void> | undefined;

  constructor(
    redis: RedisClient,
    private readonly o: LeasedLimiterOptions,
  ) {
    this.exact = new RedisLimiter(redis, o.keyPrefix);
    if (!hasLeaseCommand(redis)) redis.defineCommand("aikLimitLease", { lua: LEASE });
    if (!hasLeaseCommand(redis)) throw new Error("Redis commands could not be defined");
    this.redis = redis;
    this.leaseMs = o.leaseMs ?? 2000;
    this.maxSlice = o.maxSlice ?? 64;
    this.minSlice = o.minSlice ?? 8;
    this.share = o.share ?? 16;
    for (const [name, v, min] of [["leaseMs", this.leaseMs, 100], ["maxSlice", this.maxSlice, 1], ["minSlice", this.minSlice, 1], ["share", this.share, 2]] as const) {
      if (!Number.isInteger(v) || v < min) throw new RangeError(`${name} must be an integer of at least ${min}`);
    }
    this.timer = setInterval(() => void this.sweep(), Math.max(50, Math.floor(this.leaseMs / 2)));
    this.timer.unref();
  }

  /** Leases held (for tests and metrics). */
  get size(): number {
    return this.leases.size;
  }

  async admit(req: AdmitRequest): Promise<Admission> {
    checkAdmitRequest(req);
    if (req.now !== undefined || req.subjects.some((s) => s.limits.maxConcurrent !== undefined)) return this.exact.admit(req);
    const month = monthOf(Date.now());
    const lease = this.leaseFor(req, month);
    if (lease.unlimited) return this.admitted(lease, req);
    // One sync at a time may take a slice; while it is out, the others wait for what it brings,
    // unless the lease is near a limit (no slice last time): then each is admitted by its own round trip.
    while (!lease.fits(req, Date.now()) && lease.syncing && lease.sliced !== false) await lease.syncing;
    if (lease.fits(req, Date.now())) {
      lease.take(req);
      if (lease.low && !lease.syncing) void this.background(lease, REFILL, req, NO_BALANCE);
      return this.admitted(lease, req);
    }
    return this.admitBySync(lease, req);
  }

  async settle(ticket: Ticket, actual: Settlement): Promise<void> {
    if (ticket.backend !== "lease") return this.exact.settle(ticket, actual);
    checkSettlement(actual);
    const lease = this.open.get(ticket.requestId);
    // Settled already (settle is idempotent per ticket).
    if (!lease) return;
    this.open.delete(ticket.requestId);
    lease.open -= 1;
    // A refund goes back into the slice, a debt comes out of it; either reaches Redis with the next sync.
    lease.add(0, ticket.tokens - actual.tokens, ticket.costMicroUsd - actual.costMicroUsd);
  }

  spent(subject: SubjectRef, now?: number): Promise<number> {
    return this.exact.spent(subject, now);
  }

  raiseSpend(subject: SubjectRef, atLeastMicroUsd: number, now?: number): Promise<void> {
    return this.exact.raiseSpend(subject, atLeastMicroUsd, now);
  }

  remainingTokens(subject: SubjectRef, limitPerMinute: number, now?: number): Promise<number> {
    return this.exact.remainingTokens(subject, limitPerMinute, now);
  }

  /**
   * Redis's reading, corrected by what this replica holds: a slice is debited in Redis when taken,
   * so its unused part (a debt: negative) is not in use, and requests admitted from leases hold no
   * in-flight entry in Redis, so they are counted here. Other replicas' unused slices and leased
   * requests stay invisible; a subject with a concurrency limit is never leased, so its count is exact.
   */
  async usage(subject: SubjectRef, limits: Limits, now?: number): Promise<SubjectUsage> {
    const read = await this.exact.usage(subject, limits, now);
    let requests = 0;
    let tokens = 0;
    let cost = 0;
    let open = 0;
    for (const lease of this.leases.values()) {
      const mine = lease.subjects.find((s) => s.kind === subject.kind && s.id === subject.id && subjectTag(lease.partition, s) === subjectTag(subject.partition, subject));
      if (!mine) continue;
      // A slice is debited only from the buckets and budgets this subject has.
      if (mine.limits.requestsPerMinute !== undefined) requests += finite(lease.held.requests);
      if (mine.limits.tokensPerMinute !== undefined) tokens += finite(lease.held.tokens);
      if (mine.limits.monthlyBudgetMicroUsd !== undefined) cost += finite(lease.held.cost);
      open += lease.open;
    }
    const less = (v: number | undefined, held: number): number | undefined => (v === undefined ? undefined : Math.max(0, v - held));
    return {
      requests: less(read.requests, requests),
      tokens: less(read.tokens, tokens),
      concurrent: read.concurrent + open,
      spentMicroUsd: Math.max(0, read.spentMicroUsd - cost),
    };
  }

  /** Stops the sweeper and gives back every balance (a clean shutdown loses no capacity). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
    await Promise.all([...this.leases.values()].map((l) => (l.hasBalance ? this.background(l, GIVE_BACK, undefined, l.takeBalance()) : undefined)));
  }

  private leaseFor(req: AdmitRequest, month: string): Lease {
    // The limits are part of the name: an edited limit starts a new lease, the old one lapses and is given back.
    const id = [req.partition, month, ...req.subjects.map((s) => `${s.kind}:${s.id}:${s.limits.requestsPerMinute}:${s.limits.tokensPerMinute}:${s.limits.monthlyBudgetMicroUsd}`)].join("\u0000");
    let lease = this.leases.get(id);
    if (!lease) {
      lease = new Lease(req.partition, req.subjects, month);
      this.leases.set(id, lease);
    }
    return lease;
  }

  private admitted(lease: Lease, req: AdmitRequest): Admission {
    lease.open += 1;
    this.open.set(req.requestId, lease);
    return { ok: true, ticket: ticketFor("lease", req, lease.month), report: lease.report() };
  }

  /** A refill (or give-back) off the request path: its failure is only reported; the next request syncs itself. */
  private background(lease: Lease, mode: Mode, req: AdmitRequest | undefined, back: Balance): Promise<void> {
    return this.exchange(lease, mode, req, back, mode !== GIVE_BACK).then(
      () => undefined,
      (err: unknown) => this.o.onBackgroundError?.(err),
    );
  }

  /** Sends a request's own sync: what the lease held goes back, the request is admitted or refused, a slice may come. */
  private async admitBySync(lease: Lease, req: AdmitRequest): Promise<Admission> {
    // Only one sync at a time asks for a slice: concurrent ones would each take one.
    const [ok, dim, subject, tooLarge, retry] = await this.exchange(lease, ADMIT, req, lease.takeBalance(), lease.syncing === undefined);
    if (ok === 1) return this.admitted(lease, req);
    // Refused by Redis, but a slice this replica took meanwhile may hold room: it is used before anyone is refused.
    while (!lease.fits(req, Date.now()) && lease.syncing) await lease.syncing;
    if (lease.fits(req, Date.now())) {
      lease.take(req);
      return this.admitted(lease, req);
    }
    const dimension = DIMENSIONS[dim ?? 0];
    const who = req.subjects[subject ?? -1];
    if (dimension === undefined || who === undefined) throw new Error("limiter script lease named an unknown refusal");
    return { ok: false, dimension, subject: { kind: who.kind, id: who.id }, retryAfterMs: retry === undefined || retry < 0 ? undefined : retry, tooLarge: tooLarge === 1, report: lease.report() };
  }

  /**
   * One round trip: gives `back` to Redis, then (ADMIT) admits `req` and (ADMIT, REFILL) takes a
   * slice sized by `req`'s tokens and cost. Returns the script's reply, already applied to the lease.
   */
  private async exchange(lease: Lease, mode: Mode, req: AdmitRequest | undefined, back: Balance, slicing: boolean): Promise<number[]> {
    const keys: string[] = [];
    const limits: Array<string | number> = [];
    for (const s of lease.subjects) {
      const key = (kind: string): string => `${this.o.keyPrefix}{${subjectTag(lease.partition, s)}}:${kind}:${s.kind}:${s.id}`;
      keys.push(key("rpm"), key("tpm"), key(`spend:${lease.month}`));
      limits.push(s.limits.requestsPerMinute ?? "", s.limits.tokensPerMinute ?? "", s.limits.monthlyBudgetMicroUsd ?? "");
    }
    const end = endOfMonthNamed(lease.month);
    const most = slicing ? this.maxSlice : 0;
    const sent = this.redis.aikLimitLease(keys.length, ...keys, "", mode, req?.tokens ?? 0, req?.costMicroUsd ?? 0, back.requests, back.tokens, back.cost, most, this.share, end, end + SPEND_GRACE_MS, this.minSlice, ...limits);
    const pending = sent.then(
      () => undefined,
      () => undefined,
    );
    if (slicing) lease.syncing = pending;
    let reply: unknown;
    try {
      reply = await sent;
    } catch (err) {
      // Whether Redis applied it is unknown: a debt is kept to be charged again (at worst twice: lost
      // capacity), a refund is dropped (at worst never returned: lost capacity too). Never extra capacity.
      lease.add(Math.min(0, back.requests), Math.min(0, back.tokens), Math.min(0, back.cost));
      throw err;
    } finally {
      if (lease.syncing === pending) lease.syncing = undefined;
    }
    const out = integers(reply, 14, "lease");
    const [k = 0, tk = 0, ck = 0, rl = -1, rr = 0, rs = 0, tl = -1, tr = 0, ts = 0] = out.slice(5);
    if (k > 0) {
      lease.add(k, tk, ck);
      lease.slice.requests = k;
      lease.slice.tokens = tk;
      lease.slice.cost = ck;
      lease.expiresAt = Date.now() + this.leaseMs;
    }
    if (slicing) lease.sliced = k > 0;
    const requests = state(rl, rr, rs);
    const tokens = state(tl, tr, ts);
    lease.base = { ...(requests && { requests }), ...(tokens && { tokens }) };
    return out;
  }

  /** Lapsed leases give back what they hold; empty ones with nothing open are forgotten. */
  private sweep(): Promise<void> {
    this.sweeping ??= (async () => {
      const now = Date.now();
      const due: Promise<void>[] = [];
      for (const [id, lease] of this.leases) {
        if (lease.syncing || now < lease.expiresAt) continue;
        if (lease.hasBalance) due.push(this.background(lease, GIVE_BACK, undefined, lease.takeBalance()));
        else if (lease.open === 0) this.leases.delete(id);
      }
      await Promise.all(due);
    })().finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }
}
