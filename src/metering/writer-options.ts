// The usage writer's options, checked once with messages that say what to set, and the counters it reports.

export interface WriterLogger {
  /** Metadata only: counts, ids, codes; never record content beyond ids, never a prompt. */
  warn(event: string, fields?: Record<string, string | number | boolean | undefined>): void;
}

export interface UsageWriterOptions {
  /** Directory for the outage spool; one per process. Created when first needed. */
  readonly spoolDir: string;
  /** Rows per insert statement (default 1000). */
  readonly maxBatch?: number;
  /** A partial batch is written at least this often (default 100 ms). */
  readonly flushIntervalMs?: number;
  /** Records held in memory while Postgres is away before the oldest spill to the spool (default 50,000). */
  readonly maxBuffer?: number;
  /** How often an unreachable Postgres is probed (default 1,000 ms). */
  readonly probeIntervalMs?: number;
  /** A write with no answer by then counts as failed and is retried or spooled (default 10,000 ms). */
  readonly writeTimeoutMs?: number;
  readonly logger?: WriterLogger;
}

export interface ResolvedOptions {
  readonly spoolDir: string;
  readonly maxBatch: number;
  readonly flushIntervalMs: number;
  readonly maxBuffer: number;
  readonly probeIntervalMs: number;
  readonly writeTimeoutMs: number;
}

export interface WriterStats {
  /** Records accepted by record(). */
  readonly recorded: number;
  /** Records record() refused as malformed (logged with the field's name). */
  readonly invalid: number;
  /** Rows newly stored. */
  readonly inserted: number;
  /** Rows sent again (retry, replay) that were already stored, and so skipped. */
  readonly duplicates: number;
  /** Insert statements that committed, and the fewest and most rows one carried. */
  readonly batches: number;
  readonly smallestBatch: number;
  readonly largestBatch: number;
  readonly spooled: number;
  readonly replayed: number;
  /** Rows Postgres refused outright, kept in rejected-*.jsonl in the spool directory. */
  readonly rejected: number;
  /** Rows that could reach neither Postgres nor the spool (a failing disk at shutdown). */
  readonly lost: number;
  /** Records waiting in memory. */
  readonly buffered: number;
  readonly down: boolean;
  readonly spoolPending: boolean;
}

const DEFAULTS = { maxBatch: 1000, flushIntervalMs: 100, maxBuffer: 50_000, probeIntervalMs: 1000, writeTimeoutMs: 10_000 };
// One jsonb parameter carries a batch; past this it grows large for little gain.
const MAX_BATCH_LIMIT = 10_000;

export function resolveOptions(opts: UsageWriterOptions): ResolvedOptions {
  if (typeof opts.spoolDir !== "string" || opts.spoolDir.trim() === "") {
    throw new Error("The usage writer needs a spool directory (spoolDir), e.g. ./.aik/spool: records wait there while Postgres is unreachable.");
  }
  const maxBatch = whole("maxBatch", opts.maxBatch ?? DEFAULTS.maxBatch, 1, MAX_BATCH_LIMIT);
  const resolved: ResolvedOptions = {
    spoolDir: opts.spoolDir,
    maxBatch,
    flushIntervalMs: whole("flushIntervalMs", opts.flushIntervalMs ?? DEFAULTS.flushIntervalMs, 1, 60_000),
    maxBuffer: whole("maxBuffer", opts.maxBuffer ?? DEFAULTS.maxBuffer, maxBatch, 10_000_000),
    probeIntervalMs: whole("probeIntervalMs", opts.probeIntervalMs ?? DEFAULTS.probeIntervalMs, 1, 600_000),
    writeTimeoutMs: whole("writeTimeoutMs", opts.writeTimeoutMs ?? DEFAULTS.writeTimeoutMs, 1, 600_000),
  };
  return Object.freeze(resolved);
}

function whole(name: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new Error(`usage writer option ${name} must be a whole number from ${min} to ${max}, not ${value}.`);
  }
  return value;
}
