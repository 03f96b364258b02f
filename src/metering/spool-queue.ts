// Records on their way into the spool (queued, appended and fsync'd in batches, retried while the disk refuses) and back out (replay).
import type { UsageRecord } from "./record.js";
import type { Spool } from "./spool.js";
import { failureCode } from "./usage-batch.js";
import type { WriterLogger } from "./writer-options.js";

export class SpoolQueue {
  readonly spool: Spool;
  /** Some spool file may hold rows not yet replayed. */
  pending = false;
  spooled = 0;
  /** Rows replayed from spool files whose replay completed. */
  replayed = 0;
  lost = 0;
  readonly #log: WriterLogger;
  #rows: UsageRecord[] = [];
  #running: Promise<void> | undefined;
  #failing = false;

  constructor(spool: Spool, log: WriterLogger) {
    this.spool = spool;
    this.#log = log;
  }

  get length(): number {
    return this.#rows.length;
  }

  /** Queues rows and starts appending them; each append is one write and one fsync however many rows wait. */
  add(rows: readonly UsageRecord[]): void {
    this.#rows = this.#rows.concat(rows);
    this.start();
  }

  /** Starts appending what is queued, unless an append is running (it takes what arrives meanwhile). */
  start(): void {
    if (this.#running !== undefined || this.#rows.length === 0) return;
    this.#running = this.#appendAll()
      .catch((e: unknown) => this.#log.warn("metering.spool_failed", { code: failureCode(e) }))
      .finally(() => {
        this.#running = undefined;
      });
  }

  async idle(): Promise<void> {
    await this.#running;
  }

  /** At shutdown: appends what is queued (two tries), then writes anything left synchronously or counts it lost. */
  async finish(): Promise<void> {
    for (let attempt = 0; attempt < 2 && this.#rows.length > 0; attempt += 1) {
      await this.#running;
      this.start();
      await this.#running;
    }
    this.appendSync(this.#rows.splice(0));
  }

  /** Blocking append, for shutdown and after it only. */
  appendSync(rows: UsageRecord[]): void {
    if (rows.length === 0) return;
    try {
      this.spool.appendSync(rows);
      this.spooled += rows.length;
      this.pending = true;
    } catch (e) {
      this.lost += rows.length;
      this.#log.warn("metering.records_lost", { rows: rows.length, code: failureCode(e), dir: this.spool.dir });
    }
  }

  /**
   * Sends every complete spool file through `write`, batch by batch, and removes a file only once
   * all its rows are committed; a file cut short (write refused, `keepGoing` false) stays and is
   * replayed whole later, its rows already in skipped as duplicates.
   */
  async replay(size: number, write: (rows: UsageRecord[]) => Promise<boolean>, keepGoing: () => boolean): Promise<void> {
    this.pending = false;
    await this.spool.rotate();
    for (const file of await this.spool.files()) {
      let rows = 0;
      let invalid = 0;
      for await (const batch of this.spool.read(file, size)) {
        invalid += batch.invalid;
        if (batch.records.length === 0) continue;
        if (!keepGoing() || !(await write(batch.records))) {
          this.pending = true;
          return;
        }
        rows += batch.records.length;
      }
      await this.spool.remove(file);
      this.replayed += rows;
      this.#log.warn("metering.spool_replayed", { file, rows, invalid });
    }
  }

  async #appendAll(): Promise<void> {
    while (this.#rows.length > 0) {
      const rows = this.#rows.splice(0);
      try {
        await this.spool.append(rows);
      } catch (e) {
        // Kept in memory and tried again on the writer's next tick; said once per failing streak.
        this.#rows = rows.concat(this.#rows);
        if (!this.#failing) this.#log.warn("metering.spool_failed", { code: failureCode(e), rows: this.#rows.length });
        this.#failing = true;
        return;
      }
      this.#failing = false;
      this.pending = true;
      this.spooled += rows.length;
      this.#log.warn("metering.spooled", { rows: rows.length });
    }
  }
}
