// migrate() on the real Postgres: order, records, idempotence, one application across racing replicas, refusals.
import { createHash } from "node:crypto";
import postgres from "postgres";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { migrate, type Migration } from "../../src/store/migrate.js";
import { migrations as shipped } from "../../src/store/migrations/index.js";
import { freshDatabase } from "../support/postgres.js";

// CREATE TABLE without IF NOT EXISTS and an insert into a primary key: each fails if run twice.
const BASE: Migration[] = [
  { version: 1, name: "things", sql: "create table things (id int primary key, label text not null);" },
  { version: 2, name: "first thing", sql: "insert into things (id, label) values (1, 'one');" },
  { version: 5, name: "thing size", sql: "alter table things add column size int; update things set size = 10;" },
];

let db: { url: string; drop(): Promise<void> };
let sql: postgres.Sql;
const clients: postgres.Sql[] = [];

function client(max = 2): postgres.Sql {
  const c = postgres(db.url, { max, onnotice: () => {} });
  clients.push(c);
  return c;
}

beforeEach(async () => {
  db = await freshDatabase();
  sql = client();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.end({ timeout: 1 })));
  await db.drop();
});

async function recorded(): Promise<{ version: number; name: string; checksum: string }[]> {
  const rows = await sql`select version, name, checksum, applied_at from schema_migrations order by version`;
  for (const r of rows) expect(r["applied_at"]).toBeInstanceOf(Date);
  return rows.map((r) => ({ version: Number(r["version"]), name: String(r["name"]), checksum: String(r["checksum"]) }));
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

describe("migrate", () => {
  it("applies the shipped migrations to a fresh database, once", async () => {
    const versions = shipped.map((m) => m.version);
    expect(await migrate(sql, shipped)).toEqual({ applied: versions });
    expect(await migrate(sql, shipped)).toEqual({ applied: [] });
    expect((await recorded()).map((r) => r.version)).toEqual(versions);
  });

  it("applies migrations in order and records each one with its checksum", async () => {
    expect(await migrate(sql, BASE)).toEqual({ applied: [1, 2, 5] });
    expect(await recorded()).toEqual(BASE.map((m) => ({ version: m.version, name: m.name, checksum: sha256(m.sql) })));
    expect(await sql`select id, label, size from things`).toEqual([{ id: 1, label: "one", size: 10 }]);
  });

  it("applies nothing when run again, and only the new one when one is appended", async () => {
    await migrate(sql, BASE);
    expect(await migrate(sql, BASE)).toEqual({ applied: [] });
    const next = [...BASE, { version: 6, name: "second thing", sql: "insert into things (id, label) values (2, 'two');" }];
    expect(await migrate(sql, next)).toEqual({ applied: [6] });
    expect((await recorded()).map((r) => r.version)).toEqual([1, 2, 5, 6]);
  });

  it("applies each migration exactly once when four replicas start together", async () => {
    // The sleep holds the first migration open long enough for the others to arrive mid-way.
    const racing: Migration[] = [
      { version: 1, name: "slow table", sql: "select pg_sleep(0.3); create table raced (id int primary key);" },
      { version: 2, name: "one row", sql: "insert into raced (id) values (1);" },
    ];
    const replicas = [client(), client(), client(), client()];
    const results = await Promise.all(replicas.map((r) => migrate(r, racing)));
    expect(results.flatMap((r) => r.applied).sort()).toEqual([1, 2]);
    expect(results.filter((r) => r.applied.length > 0)).toHaveLength(1);
    expect((await recorded()).map((r) => r.version)).toEqual([1, 2]);
    expect(await sql`select id from raced`).toEqual([{ id: 1 }]);
  });

  it("refuses a migration edited after it was applied", async () => {
    await migrate(sql, BASE);
    const edited = BASE.map((m) => (m.version === 2 ? { ...m, sql: "insert into things (id, label) values (1, 'uno');" } : m));
    await expect(migrate(sql, edited)).rejects.toThrow("migration 2 was edited after it was applied");
  });

  it("rejects versions that do not strictly increase, before touching the database", async () => {
    const twice = [BASE[0]!, { ...BASE[1]!, version: 1 }];
    await expect(migrate(sql, twice)).rejects.toThrow(/migration 1 \(first thing\) comes after migration 1: versions must be strictly increasing/);
    await expect(migrate(sql, [BASE[1]!, BASE[0]!])).rejects.toThrow(/strictly increasing/);
    await expect(migrate(sql, [{ ...BASE[0]!, version: 0 }])).rejects.toThrow(/whole numbers from 1/);
    await expect(migrate(sql, [{ ...BASE[0]!, version: 1.5 }])).rejects.toThrow(/whole numbers from 1/);
    expect(await sql`select to_regclass('schema_migrations') as t`).toEqual([{ t: null }]);
  });

  it("rolls a failing migration back together with its row, keeping the ones before it", async () => {
    const failing = [BASE[0]!, { version: 2, name: "half done", sql: "create table partial (id int); select no_such_function();" }];
    await expect(migrate(sql, failing)).rejects.toThrow(/migration 2 \(half done\) failed and was rolled back: .*no_such_function/);
    expect((await recorded()).map((r) => r.version)).toEqual([1]);
    expect(await sql`select to_regclass('partial') as t`).toEqual([{ t: null }]);
    // The lock was released: a later run goes ahead.
    expect(await migrate(sql, BASE)).toEqual({ applied: [2, 5] });
  });

  it("refuses a missing migration older than the newest applied one", async () => {
    await migrate(sql, [BASE[0]!, BASE[2]!]);
    await expect(migrate(sql, BASE)).rejects.toThrow("migration 2 (first thing) is not applied but migration 5 is");
  });

  it("leaves alone applied versions the list no longer has (an older replica in a rolling deploy)", async () => {
    await migrate(sql, BASE);
    expect(await migrate(sql, BASE.slice(0, 2))).toEqual({ applied: [] });
  });
});
