// Versioned schema migrations, applied at start in one transaction under an advisory lock so replicas starting together migrate once.
import { createHash } from "node:crypto";
import type postgres from "postgres";

export interface Migration {
  readonly version: number;
  readonly name: string;
  /**
   * Plain SQL, several statements allowed; no BEGIN/COMMIT and nothing that refuses a transaction
   * (CREATE INDEX CONCURRENTLY). It runs in one transaction with the other pending migrations, so
   * it may not use an enum value that an earlier one of them added.
   */
  readonly sql: string;
}

/**
 * Transaction advisory lock key held while migrating: the bytes of "AIKMIG" (0x41494B4D4947).
 * Anything else holding this key blocks start-up.
 */
export const MIGRATION_LOCK_KEY = 0x41494b4d4947;
const MAX_VERSION = 2_147_483_647;

interface AppliedRow {
  readonly version: number;
  readonly checksum: string;
}

/**
 * Applies the migrations not yet recorded in schema_migrations, in order, each under a savepoint
 * together with its row. A failing one is rolled back to its savepoint, the ones before it are
 * committed, and its error is thrown. A recorded version the list no longer has is left alone:
 * during a rolling deploy an older replica starts against a schema its successor has migrated.
 *
 * The lock is transaction-scoped and everything happens in that one transaction, so migrating
 * needs no session state: it works the same on Postgres itself and through PgBouncer in
 * transaction mode, where a session lock would stay behind on whichever server connection took it.
 */
export async function migrate(sql: postgres.Sql, migrations: readonly Migration[]): Promise<{ applied: number[] }> {
  checkOrder(migrations);
  let failure: Error | undefined;
  const done: number[] = [];
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY}::bigint)`;
    for (const m of await pendingOf(tx, migrations)) {
      try {
        await tx.savepoint(async (sp) => {
          await sp.unsafe(m.sql);
          await sp`insert into schema_migrations (version, name, checksum) values (${m.version}, ${m.name}, ${checksum(m.sql)})`;
        });
      } catch (e) {
        const reason = e instanceof Error ? e.message : String(e);
        failure = new Error(`migration ${m.version} (${m.name}) failed and was rolled back: ${reason}`, { cause: e });
        return;
      }
      done.push(m.version);
    }
  });
  if (failure !== undefined) throw failure;
  return { applied: done };
}

/** Read under the lock: what another replica committed while this one waited is seen here. */
async function pendingOf(tx: postgres.TransactionSql, migrations: readonly Migration[]): Promise<Migration[]> {
  // Checked rather than CREATE ... IF NOT EXISTS, which sends a notice every start.
  const [table] = await tx`select to_regclass('schema_migrations') is not null as present`;
  if (table?.present !== true) {
    await tx`
      create table schema_migrations (
        version int primary key,
        name text not null,
        checksum text not null,
        applied_at timestamptz not null default now()
      )`;
  }
  const rows = await tx`select version, checksum from schema_migrations order by version`;
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
  return pending;
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
