// Monthly partitions of usage_records: created ahead of the rows that need them, dropped whole by retention.
import type postgres from "postgres";

/** A UTC calendar month, e.g. { year: 2026, month: 11 }. */
export interface Month {
  readonly year: number;
  /** 1..12 */
  readonly month: number;
}

const PARENT = "usage_records";
const NAME = /^usage_records_p(\d{4})(\d{2})$/;
// Transaction advisory lock held while creating partitions, so replicas starting together do not
// race on the same CREATE TABLE: the bytes of "AIKPRT".
const PARTITION_LOCK_KEY = 0x41494b505254;

export function monthOf(d: Date): Month {
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1 };
}

export function monthKey(m: Month): string {
  return `${String(m.year).padStart(4, "0")}${String(m.month).padStart(2, "0")}`;
}

function nextMonth(m: Month): Month {
  return m.month === 12 ? { year: m.year + 1, month: 1 } : { year: m.year, month: m.month + 1 };
}

function monthStart(m: Month): Date {
  const d = new Date(0);
  d.setUTCFullYear(m.year, m.month - 1, 1);
  return d;
}

/** The partition's name: usage_records_pYYYYMM. */
export function partitionName(m: Month): string {
  return `${PARENT}_p${monthKey(m)}`;
}

/**
 * Creates the partitions for the month of `now` and the next one if missing. Run at start and
 * periodically (the writer does both); the writer also creates on demand the month of any
 * record it is about to write, so a late spool replay or a skewed clock never meets a missing
 * partition.
 */
export async function ensurePartitions(sql: postgres.Sql, now: Date): Promise<string[]> {
  const current = monthOf(now);
  return ensureMonths(sql, [current, nextMonth(current)]);
}

/** Creates the partitions of these months if missing; returns the names it created. */
export async function ensureMonths(sql: postgres.Sql, months: readonly Month[]): Promise<string[]> {
  const wanted = [...new Map(months.map((m) => [monthKey(m), m])).values()];
  if (wanted.length === 0) return [];
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${PARTITION_LOCK_KEY}::bigint)`;
    const created: string[] = [];
    for (const m of wanted) {
      const name = partitionName(m);
      // Checked rather than IF NOT EXISTS, which sends a notice each time.
      const [row] = await tx`select to_regclass(${name}) is not null as present`;
      if (row?.["present"] === true) continue;
      // DDL takes no bind parameters; every piece of this text is built from integers.
      const from = monthStart(m).toISOString();
      const to = monthStart(nextMonth(m)).toISOString();
      await tx.unsafe(`create table ${name} partition of ${PARENT} for values from ('${from}') to ('${to}')`);
      created.push(name);
    }
    return created;
  });
}

/**
 * Drops every raw partition whose whole month ended at least `keepDays` days before `now`, so a
 * row is kept at least keepDays and at most about a month longer. The daily rollups stay. A
 * record replayed after its partition was dropped would land in a re-created partition and be
 * counted again: keep keepDays well above the longest outage a spool may span.
 */
export async function applyRetention(sql: postgres.Sql, keepDays: number, now: Date): Promise<{ dropped: string[] }> {
  if (!Number.isSafeInteger(keepDays) || keepDays < 1) {
    throw new RangeError(`retention must be a whole number of days, at least 1, not ${keepDays}`);
  }
  const cutoff = now.getTime() - keepDays * 86_400_000;
  const rows = await sql`
    select c.relname as name
    from pg_inherits i
    join pg_class c on c.oid = i.inhrelid
    where i.inhparent = ${PARENT}::regclass`;
  const dropped: string[] = [];
  for (const row of rows) {
    const name = row["name"];
    const match = typeof name === "string" ? NAME.exec(name) : null;
    if (match === null || typeof name !== "string") continue; // not ours: left alone
    const month = { year: Number(match[1]), month: Number(match[2]) };
    if (monthStart(nextMonth(month)).getTime() > cutoff) continue;
    await sql.unsafe(`drop table if exists ${name}`);
    dropped.push(name);
  }
  return { dropped: dropped.sort() };
}
