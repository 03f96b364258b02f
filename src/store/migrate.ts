// Versioned schema migrations, applied at start under an advisory lock so replicas starting together migrate once.
import { createHash } from "node:crypto";
import type postgres from "postgres";

export interface Migration {
  readonly version: number;
  readonly name: string;
  /** Plain SQL, several statements allowed; no BEGIN/COMMIT and nothing that refuses a transaction (CREATE INDEX CONCURRENTLY). */
  readonly sql: string;
}

/**
 * Session advisory lock key held while migrating: the bytes of "AIKMIG" (0x41494B4D4947).
 * Anything else taking this key blocks start-up.
 */
export const MIGRATION_LOCK_KEY = 0x41494b4d4947;
const MAX_VERSION = 2_147_483_647;

interface AppliedRow {
  readonly version: number;
  readonly checksum: string;
}

/**
 * Applies the migrations not yet recorded in schema_migrations, in order, each in its own
 * transaction together with its row. A recorded version the list no longer has is left alone:
 * during a rolling deploy an older replica starts against a schema its successor has migrated.
 */
export async function migrate(sql: postgres.Sql, migrations: readonly Migration[]): Promise<{ applied: number[] }> {
  checkOrder(migrations);
  // A session lock lives on one connection, so take it, use it and release it on a reserved one.
  const conn = await sql.reserve();
  try {
    await conn`select pg_advisory_lock(${MIGRATION_LOCK_KEY}::bigint)`;
    const unlock = async () => {
      await conn`select pg_advisory_unlock(${MIGRATION_LOCK_KEY}::bigint)`;
    };
    let applied: number[];
    try {
      applied = await migrateLocked(conn, migrations);
    } catch (e) {
      // If the connection died, the lock died with it; the migration error is the one to report.
      await unlock().catch(() => undefined);
      throw e;
    }
    await unlock();
    return { applied };
  } finally {
    conn.release();
  }
}

async function migrateLocked(conn: postgres.ReservedSql, migrations: readonly Migration[]): Promise<number[]> {
  // Checked rather than CREATE ... IF NOT EXISTS, which sends a notice every start.
  const [table] = await conn`select to_regclass('schema_migrations') is not null as present`;
  if (table?.present !== true) {
    await conn`
      create table schema_migrations (
        version int primary key,
        name text not null,
        checksum text not null,
        applied_at timestamptz not null default now()
      )`;
  }
  const rows = await conn`select version, checksum from schema_migrations order by version`;
  const applied = new Map(rows.map((r) => appliedRow(r)).map((r) => [r.version, r.checksum]));
  const newest = Math.max(0, ...applied.keys());

  const pending: Migration[] = [];
  for (const m of migrations) {
    const recorded = applied.get(m.version);
    if (recorded === undefined) pending.push(m);
    else if (recorded !== checksum(m.sql)) throw new Error(`migration ${m.version} was edited after it was applied: restore its SQL and add the change as a new migration.`);
  }
  const late = pending.find((m) => m.version < newest);
  if (late !== undefined) {
    throw new Error(`migration ${late.version} (${late.name}) is not applied but migration ${newest} is: give it a version after ${newest}.`);
  }

  const done: number[] = [];
  for (const m of pending) {
    await applyOne(conn, m);
    done.push(m.version);
  }
  return done;
}

async function applyOne(conn: postgres.ReservedSql, m: Migration): Promise<void> {
  // sql.begin() is not available on a reserved connection; BEGIN on it is allowed.
  await conn`begin`;
  try {
    await conn.unsafe(m.sql);
    await conn`insert into schema_migrations (version, name, checksum) values (${m.version}, ${m.name}, ${checksum(m.sql)})`;
    await conn`commit`;
  } catch (e) {
    // A failed ROLLBACK means a lost connection, which rolls back anyway; report the cause.
    await conn`rollback`.catch(() => undefined);
    const reason = e instanceof Error ? e.message : String(e);
    throw new Error(`migration ${m.version} (${m.name}) failed and was rolled back: ${reason}`, { cause: e });
  }
}

function checkOrder(migrations: readonly Migration[]): void {
  let previous = 0;
  for (const m of migrations) {
    if (!Number.isInteger(m.version) || m.version < 1 || m.version > MAX_VERSION) {
      throw new Error(`migration '${m.name}' has version ${m.version}: versions are whole numbers from 1 to ${MAX_VERSION}.`);
    }
    if (m.version <= previous) {
      throw new Error(`migration ${m.version} (${m.name}) comes after migration ${previous}: versions must be strictly increasing.`);
    }
    if (m.name.trim() === "") throw new Error(`migration ${m.version} has no name.`);
    previous = m.version;
  }
}

function checksum(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

function appliedRow(row: postgres.Row): AppliedRow {
  const { version, checksum } = row;
  if (typeof version !== "number" || typeof checksum !== "string") {
    throw new Error("schema_migrations has an unexpected shape: expected version int and checksum text.");
  }
  return { version, checksum };
}
