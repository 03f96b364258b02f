// migrate() through PgBouncer in transaction mode: replicas starting together still migrate once, and no lock outlives the run.
import postgres from "postgres";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { migrate, type Migration } from "../../src/store/migrate.js";
import { startPgBouncer, type PgBouncer } from "../support/pgbouncer.js";
import { ADMIN_URL, freshDatabase } from "../support/postgres.js";

// The sleep holds the first migration open long enough for the others to arrive mid-way.
const RACING: Migration[] = [
  { version: 1, name: "slow table", sql: "select pg_sleep(0.3); create table raced (id int primary key);" },
  { version: 2, name: "one row", sql: "insert into raced (id) values (1);" },
];

let bouncer: PgBouncer;
let db: { url: string; drop(): Promise<void> };
const clients: postgres.Sql[] = [];

beforeAll(async () => {
  bouncer = await startPgBouncer(ADMIN_URL, { poolSize: 2 });
});
afterAll(async () => {
  await bouncer?.stop();
});
beforeEach(async () => {
  db = await freshDatabase();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.end({ timeout: 1 })));
  await db.drop();
});

/** A replica's pool through PgBouncer, as AI-K opens it there (no named prepared statements). */
function replica(): postgres.Sql {
  const c = postgres(bouncer.pooledUrl(db.url), { max: 3, prepare: false, onnotice: () => {} });
  clients.push(c);
  return c;
}

describe("migrate through PgBouncer", () => {
  it("four replicas sharing two server connections: each migration applied once, by one of them, and no advisory lock left held", async () => {
    const results = await Promise.all([replica(), replica(), replica(), replica()].map((r) => migrate(r, RACING)));
    expect(results.flatMap((r) => r.applied).sort()).toEqual([1, 2]);
    expect(results.filter((r) => r.applied.length > 0)).toHaveLength(1);
    const direct = postgres(db.url, { max: 1, onnotice: () => {} });
    clients.push(direct);
    expect(await direct`select version from schema_migrations order by version`).toEqual([{ version: 1 }, { version: 2 }]);
    expect(await direct`select id from raced`).toEqual([{ id: 1 }]);
    // A session lock taken through PgBouncer would stay on whichever server connection ran it.
    const [held] = await direct`select count(*)::int as n from pg_locks where locktype = 'advisory'`;
    expect(held?.["n"]).toBe(0);
  });

  it("a failing migration through PgBouncer: rolled back with its row, the ones before kept, and the next run goes ahead", async () => {
    const sql = replica();
    const failing: Migration[] = [RACING[0]!, { version: 2, name: "half done", sql: "create table partial (id int); select no_such_function();" }];
    await expect(migrate(sql, failing)).rejects.toThrow(/migration 2 \(half done\) failed and was rolled back: .*no_such_function/);
    expect(await sql`select version from schema_migrations order by version`).toEqual([{ version: 1 }]);
    expect(await sql`select to_regclass('partial') as t`).toEqual([{ t: null }]);
    expect(await migrate(replica(), RACING)).toEqual({ applied: [2] });
  });
});
