// The usage writer: records buffered off the request path, written in batches, spooled to disk while Postgres is away.
import type postgres from "postgres";
import { BatchSink } from "./batch-sink.js";
import { settled, withTimeout } from "./deadlines.js";
import { checkRecord, type UsageRecord } from "./record.js";
import { SpoolQueue } from "./spool-queue.js";
import { Spool } from "./spool.js";
import { failureCode, isRowError } from "./usage-batch.js";
import { resolveOptions, type ResolvedOptions, type UsageWriterOptions, type WriterLogger, type WriterStats } from "./writer-options.js";

export type { UsageWriterOptions, WriterLogger, WriterStats } from "./writer-options.js";

const PARTITION_CHECK_MS = 3_600_000;
// At shutdown an unreachable Postgres gets one short last chance before the buffer is spooled.
const CLOSE_PROBE_MS = 2_000;
const REPLAY_RETRY_MS = 10_000;

/*
 * Where a record is at any moment: in the buffer, in a batch being written, in the queue to the
 * spool, or in a spool file; it moves between them and is never in two. Every write is idempotent
 * (src/metering/usage-batch.ts), so whatever might or might not have been committed (a timed
 * out write, a connection lost before the reply) is simply written again or spooled: a record
 * reaches the table once and the rollup once, however often it is sent.
 */
export class UsageWriter {
  readonly #sql: postgres.Sql;
  readonly #o: ResolvedOptions;
  readonly #spool: Spool;
  readonly #log: WriterLogger;
  #buffer: UsageRecord[] = [];
  readonly #spill: SpoolQueue;
  readonly #sink: BatchSink;
  #state: "new" | "running" | "closing" | "closed" = "new";
  #down = false;
  #kickQueued = false;
  #pumping: Promise<void> | undefined;
  #replaying: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #replayAfter = 0;
  readonly #timers: NodeJS.Timeout[] = [];
  #probeTimer: NodeJS.Timeout | undefined;
  readonly #stats = { recorded: 0, invalid: 0 };

  constructor(sql: postgres.Sql, opts: UsageWriterOptions) {
    this.#sql = sql;
    this.#o = resolveOptions(opts);
    this.#log = opts.logger ?? { warn: () => {} };
    this.#spool = new Spool(this.#o.spoolDir);
    this.#spill = new SpoolQueue(this.#spool, this.#log);
    this.#sink = new BatchSink(sql, this.#spool, this.#log, this.#o.writeTimeoutMs);
  }

  /** Queues one record. Never blocks, never throws, never does I/O on the caller's path. */
  record(r: UsageRecord): void {
    try {
      const checked = checkRecord(r);
      if (!checked.ok) {
        this.#stats.invalid += 1;
        this.#log.warn("metering.invalid_record", { field: checked.field });
        return;
      }
      this.#stats.recorded += 1;
      // Nothing runs after close(): a straggler goes straight to a spool file of its own.
      if (this.#state === "closed") {
        this.#log.warn("metering.record_after_close", { requestId: checked.record.requestId });
        return this.#spill.appendSync([checked.record]);
      }
      this.#buffer.push(checked.record);
      if (this.#buffer.length > this.#o.maxBuffer) this.#overflow();
      else if (this.#buffer.length >= this.#o.maxBatch) this.#queueKick();
    } catch (e) {
      this.#log.warn("metering.record_failed", { code: failureCode(e) });
    }
  }

  /** Creates this month's and next month's partitions, replays any spool left by an earlier run, then starts the timers. */
  async start(): Promise<void> {
    if (this.#state !== "new") return;
    this.#state = "running";
    await this.#ensurePartitions();
    this.#timers.push(setInterval(() => this.#tick(), this.#o.flushIntervalMs).unref());
    this.#timers.push(setInterval(() => void this.#ensurePartitions(), PARTITION_CHECK_MS).unref());
    this.#spill.pending = (await this.#spool.files().catch(() => [])).length > 0;
    if (this.#spill.pending && !this.#down) {
      this.#startReplay();
      await this.#replaying;
    }
    this.#kick();
  }

  /**
   * Writes everything recorded so far, including what a burst pushed past the buffer into the
   * spool. With Postgres away it resolves once the records wait in memory or the spool.
   */
  async flush(): Promise<void> {
    while (this.#pumping !== undefined) await this.#pumping;
    if (!this.#down && this.#state !== "closed" && this.#buffer.length > 0) {
      this.#pumping = this.#pumpGuarded(true);
      await this.#pumping;
    }
    await this.#spill.idle();
    // A replay already running may have listed the files before the last spill: go round again.
    for (let round = 0; round < 3 && (this.#replaying !== undefined || this.#spill.pending); round += 1) {
      this.#startReplay();
      if (this.#replaying === undefined) break;
      await this.#replaying;
    }
  }

  /** Stops the timers and writes out every record; what cannot reach Postgres is spooled. Safe to call twice. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  stats(): WriterStats {
    const { spooled, replayed, lost, pending, length } = this.#spill;
    const sink = this.#sink.counters;
    return { ...sink, ...this.#stats, spooled, replayed, lost: lost + sink.lost, buffered: this.#buffer.length + length, down: this.#down, spoolPending: pending };
  }

  async #close(): Promise<void> {
    this.#state = "closing";
    for (const t of this.#timers.splice(0)) clearInterval(t);
    clearTimeout(this.#probeTimer);
    // A write hung on a dead connection is waited for only so long; its rows are spooled below.
    await settled([this.#pumping, this.#replaying], this.#o.writeTimeoutMs);
    if (this.#down) await this.#probe(Math.min(CLOSE_PROBE_MS, this.#o.writeTimeoutMs));
    if (this.#pumping === undefined && !this.#down) await this.#pump(true);
    // Rows of a write still unanswered may or may not be in: spooling them too is safe (idempotent).
    this.#spill.add(this.#buffer.splice(0).concat(this.#sink.unanswered()));
    await this.#spill.finish();
    // From here record() appends synchronously; whatever came in meanwhile goes the same way.
    this.#state = "closed";
    this.#spill.appendSync(this.#buffer.splice(0));
    await this.#spool.close().catch(() => undefined);
  }

  #tick(): void {
    this.#spill.start();
    if (this.#down) return;
    this.#kick();
    if (this.#spill.pending) this.#startReplay();
  }

  // From record(): the write starts on a later turn of the event loop, never inside the caller.
  #queueKick(): void {
    if (this.#kickQueued || this.#state !== "running") return;
    this.#kickQueued = true;
    setImmediate(() => {
      this.#kickQueued = false;
      this.#kick();
    });
  }

  #kick(): void {
    if (this.#pumping !== undefined || this.#down || this.#state !== "running" || this.#buffer.length === 0) return;
    this.#pumping = this.#pumpGuarded(false);
  }

  #pumpGuarded(all: boolean): Promise<void> {
    return this.#pump(all)
      .catch((e: unknown) => this.#log.warn("metering.write_loop_failed", { code: failureCode(e) }))
      .finally(() => {
        this.#pumping = undefined;
      });
  }

  /**
   * Writes what is buffered, a batch at a time. Unless `all` (flush, close), a batch that is not full
   * waits for the next tick instead of following the last write at once: under steady load the
   * writes then come every flushIntervalMs with everything since, not back to back with a few
   * dozen rows each (each statement costs the gateway a socket write and Postgres a transaction).
   */
  async #pump(all: boolean): Promise<void> {
    let first = true;
    while (this.#buffer.length > 0 && !this.#down && (first || all || this.#buffer.length >= this.#o.maxBatch)) {
      first = false;
      const batch = this.#buffer.splice(0, this.#o.maxBatch);
      if (!(await this.#write(batch))) {
        this.#buffer = batch.concat(this.#buffer);
        if (this.#buffer.length > this.#o.maxBuffer) this.#overflow();
      }
    }
  }

  /** True when the batch is settled (stored, or refused row by row); false when Postgres is away. */
  async #write(batch: readonly UsageRecord[]): Promise<boolean> {
    const result = await this.#sink.write(batch);
    if (!result.ok) this.#unavailable(result.error);
    return result.ok;
  }

  #unavailable(e: unknown): void {
    if (this.#down) return;
    this.#down = true;
    this.#log.warn("metering.db_unavailable", { code: failureCode(e), buffered: this.#buffer.length });
    this.#scheduleProbe();
  }

  #scheduleProbe(): void {
    if (this.#state !== "running" || this.#probeTimer !== undefined) return;
    this.#probeTimer = setTimeout(() => {
      this.#probeTimer = undefined;
      void this.#probe(this.#o.writeTimeoutMs).then(() => (this.#down ? this.#scheduleProbe() : this.#tick()));
    }, this.#o.probeIntervalMs).unref();
  }

  async #probe(timeoutMs: number): Promise<void> {
    try {
      await withTimeout(this.#sql`select 1`, timeoutMs);
      this.#down = false;
      this.#log.warn("metering.db_recovered", { buffered: this.#buffer.length, spoolPending: this.#spill.pending });
    } catch {
      // still away; the caller decides whether to probe again
    }
  }

  // Past the bound the oldest rows go to disk, a batch at a time, so memory stays bounded.
  #overflow(): void {
    const take = Math.max(this.#buffer.length - this.#o.maxBuffer, Math.min(this.#o.maxBatch, this.#buffer.length));
    this.#spill.add(this.#buffer.splice(0, take));
  }

  #startReplay(): void {
    if (this.#replaying !== undefined || this.#down || this.#state !== "running" || Date.now() < this.#replayAfter) return;
    const keepGoing = () => this.#state === "running";
    this.#replaying = this.#spill
      .replay(this.#o.maxBatch, (rows) => this.#write(rows), keepGoing)
      .catch((e: unknown) => {
        // A spool file that cannot be read or removed: tried again later, not on every tick.
        this.#spill.pending = true;
        this.#replayAfter = Date.now() + REPLAY_RETRY_MS;
        this.#log.warn("metering.replay_failed", { code: failureCode(e) });
      })
      .finally(() => {
        this.#replaying = undefined;
      });
  }

  async #ensurePartitions(): Promise<void> {
    try {
      await this.#sink.ensureCurrent(new Date());
    } catch (e) {
      if (!isRowError(e)) this.#unavailable(e);
    }
  }
}
