// Writes one batch of records so each lands exactly once: partitions made first, a time limit, refused rows set apart.
import type postgres from "postgres";
import { withTimeout } from "./deadlines.js";
import { ensureMonths, ensurePartitions, monthKey, monthOf, type Month } from "./partitions.js";
import type { UsageRecord } from "./record.js";
import type { Spool } from "./spool.js";
import { failureCode, insertBatch, isRowError } from "./usage-batch.js";
import type { WriterLogger } from "./writer-options.js";

export type WriteResult = { readonly ok: true } | { readonly ok: false; readonly error: unknown };

export class BatchSink {
  readonly counters = { inserted: 0, duplicates: 0, batches: 0, smallestBatch: 0, largestBatch: 0, rejected: 0, lost: 0 };
  readonly #sql: postgres.Sql;
  readonly #spool: Spool;
  readonly #log: WriterLogger;
  readonly #timeoutMs: number;
  readonly #inflight = new Set<readonly UsageRecord[]>();
  // Months whose partition is known to exist, so a batch costs no catalog look-up.
  readonly #months = new Set<string>();

  constructor(sql: postgres.Sql, spool: Spool, log: WriterLogger, timeoutMs: number) {
    this.#sql = sql;
    this.#spool = spool;
    this.#log = log;
    this.#timeoutMs = timeoutMs;
  }

  /**
   * ok once every row is settled: stored (new or already there) or, if Postgres refuses the row
   * itself, set apart in the spool's rejected file. Not ok when Postgres is away or slow: some
   * rows may be in already, and sending them again is harmless.
   */
  async write(batch: readonly UsageRecord[], partitionsChecked = false): Promise<WriteResult> {
    this.#inflight.add(batch);
    try {
      const work = this.#ensureMonthsOf(batch).then(() => insertBatch(this.#sql, batch));
      const inserted = await withTimeout(work, this.#timeoutMs);
      this.#counted(batch.length, inserted);
      return { ok: true };
    } catch (error) {
      if (!isRowError(error)) return { ok: false, error };
      // A partition dropped under us (retention) looks like a refused row: check partitions, retry once.
      if (!partitionsChecked) {
        this.#months.clear();
        return this.write(batch, true);
      }
      if (batch.length === 1) return this.#reject(batch, error);
      const half = batch.length >>> 1;
      const first = await this.write(batch.slice(0, half), true);
      return first.ok ? this.write(batch.slice(half), true) : first;
    } finally {
      this.#inflight.delete(batch);
    }
  }

  /** Rows of writes sent but not yet answered (each row once). */
  unanswered(): UsageRecord[] {
    return [...new Set([...this.#inflight].flat())];
  }

  /** This month's and next month's partitions; errors are the caller's to judge. */
  async ensureCurrent(now: Date): Promise<void> {
    await ensurePartitions(this.#sql, now);
  }

  #counted(rows: number, inserted: number): void {
    const c = this.counters;
    c.inserted += inserted;
    c.duplicates += rows - inserted;
    c.batches += 1;
    c.smallestBatch = c.batches === 1 ? rows : Math.min(c.smallestBatch, rows);
    c.largestBatch = Math.max(c.largestBatch, rows);
  }

  // Should never happen (record() checks every field against the table's limits); kept apart, not retried forever.
  async #reject(batch: readonly UsageRecord[], error: unknown): Promise<WriteResult> {
    this.counters.rejected += batch.length;
    for (const r of batch) this.#log.warn("metering.record_refused", { requestId: r.requestId, code: failureCode(error) });
    await this.#spool.reject(batch).catch(() => {
      this.counters.lost += batch.length;
    });
    return { ok: true };
  }

  async #ensureMonthsOf(batch: readonly UsageRecord[]): Promise<void> {
    const missing = new Map<string, Month>();
    for (const r of batch) {
      const m = monthOf(r.occurredAt);
      const key = monthKey(m);
      if (!this.#months.has(key)) missing.set(key, m);
    }
    if (missing.size === 0) return;
    await ensureMonths(this.#sql, [...missing.values()]);
    for (const key of missing.keys()) this.#months.add(key);
  }
}
