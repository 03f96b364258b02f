// openDatabase() with no URL: PGlite behind the `postgres` client, and what it can and cannot do.
import { spawnSync } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../src/store/database.js";
import { migrate, type Migration } from "../../src/store/migrate.js";
import { migrations as shipped } from "../../src/store/migrations/index.js";

const MIGRATIONS: Migration[] = [
  { version: 1, name: "items", sql: "create table items (id int primary key, label text not null);" },
  { version: 2, name: "seed", sql: "insert into items (id, label) values (1, 'kept');" },
];

let root: string;
let dataDir: string;
let db: Database;
const others: postgres.Sql[] = [];

function otherClient(options: postgres.Options<{}> = {}): postgres.Sql {
  const c = postgres(db.url, { max: 1, onnotice: () => {}, ...options });
  others.push(c);
  return c;
}

const open = (dir = dataDir) => openDatabase({ url: undefined, dataDir: dir, maxConnections: 10 });

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "aik-store-"));
  dataDir = join(root, "nested", "pgdata");
  db = await open();
});

afterAll(async () => {
  await Promise.all(others.splice(0).map((c) => c.end({ timeout: 1 })));
  await db?.close();
  await rm(root, { recursive: true, force: true });
});

describe("embedded database", () => {
  it("creates its data directory, serves a loopback URL and keeps the pool small", async () => {
    expect(db.embedded).toBe(true);
    expect(db.url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
    expect(existsSync(join(dataDir, "PG_VERSION"))).toBe(true);
    expect(db.sql.options.max).toBe(4);
    const [row] = await db.sql`select version() as v`;
    expect(String(row?.["v"])).toContain("PGlite");
  });

  it("runs the same migrations, once", async () => {
    expect(await migrate(db.sql, MIGRATIONS)).toEqual({ applied: [1, 2] });
    expect(await migrate(db.sql, MIGRATIONS)).toEqual({ applied: [] });
    expect(await db.sql`select version from schema_migrations order by version`).toEqual([{ version: 1 }, { version: 2 }]);
  });

  it("takes the shipped migrations too", async () => {
    const fresh = await openDatabase({ url: undefined, dataDir: join(root, "shipped"), maxConnections: 2 });
    try {
      expect(await migrate(fresh.sql, shipped)).toEqual({ applied: shipped.map((m) => m.version) });
    } finally {
      await fresh.close();
    }
  });

  it("commits and rolls back transactions", async () => {
    await db.sql`create table ledger (id int primary key)`;
    await db.sql.begin(async (tx) => {
      await tx`insert into ledger values (1)`;
      await tx`insert into ledger values (2)`;
    });
    await expect(
      db.sql.begin(async (tx) => {
        await tx`insert into ledger values (3)`;
        await tx`insert into ledger values (1)`;
      }),
    ).rejects.toThrow(/duplicate key/);
    expect(await db.sql`select id from ledger order by id`).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it("does multi-row inserts with ON CONFLICT DO NOTHING", async () => {
    await db.sql`create table tags (name text primary key, weight int not null)`;
    const first = [{ name: "a", weight: 1 }, { name: "b", weight: 2 }];
    expect((await db.sql`insert into tags ${db.sql(first)} on conflict do nothing`).count).toBe(2);
    const second = [{ name: "b", weight: 20 }, { name: "c", weight: 3 }];
    expect((await db.sql`insert into tags ${db.sql(second)} on conflict do nothing`).count).toBe(1);
    expect(await db.sql`select name, weight from tags order by name`).toEqual([
      { name: "a", weight: 1 },
      { name: "b", weight: 2 },
      { name: "c", weight: 3 },
    ]);
  });

  it("takes and releases advisory locks, which exclude nobody since every connection is one session", async () => {
    const conn = await db.sql.reserve();
    try {
      await conn`select pg_advisory_lock(7)`;
      // Real Postgres would say false here; PGlite's single backend re-enters its own lock.
      expect(await otherClient()`select pg_try_advisory_lock(7) as got`).toEqual([{ got: true }]);
      expect(await conn`select pg_advisory_unlock(7) as released`).toEqual([{ released: true }]);
    } finally {
      conn.release();
    }
    const [held] = await db.sql.begin((tx) => tx`select pg_try_advisory_xact_lock(8) as got`);
    expect(held).toEqual({ got: true });
  });

  it("keeps two busy clients' unnamed statements apart", async () => {
    // Without SerialPGlite the multiplexer interleaves Parse/Bind across connections and a query
    // fails with "bind message supplies N parameters, but prepared statement "" requires M".
    const a = otherClient({ max: 2, prepare: false });
    const b = otherClient({ max: 2, prepare: false });
    const asks = Array.from({ length: 300 }, (_, i) => {
      const c = i % 2 === 0 ? a : b;
      return i % 3 === 0 ? c`select ${i}::int as i` : c`select ${i}::int as i, ${`s${i}`}::text as s, ${i % 7}::int as r`;
    });
    const rows = await Promise.all(asks);
    expect(rows.map((r) => r[0]?.["i"])).toEqual(asks.map((_, i) => i));
  });

  it("serves everyone again after a client vanishes between Parse and Sync", async () => {
    for (const text of ["select 1", "select from no_such_table"]) {
      const socket = connect(Number(new URL(db.url).port), "127.0.0.1");
      await once(socket, "connect");
      socket.write(startupMessage());
      await once(socket, "data");
      socket.write(wireMessage("P", `\0${text}\0\0\0`));
      await once(socket, "data");
      socket.destroy();
      await once(socket, "close");
      expect(await db.sql`select ${text} as t`).toEqual([{ t: text }]);
      expect(await otherClient()`select 2 as two`).toEqual([{ two: 2 }]);
    }
  });

  it("does not deliver NOTIFY to a LISTEN connection (the app polls instead)", async () => {
    // The notification goes back on the connection that ran NOTIFY, never to sql.listen's own.
    // If this starts failing, PGlite has learned LISTEN/NOTIFY and polling can go.
    const got: string[] = [];
    const { unlisten } = await db.sql.listen("aik_embedded", (payload) => got.push(payload));
    await db.sql.notify("aik_embedded", "hello");
    await otherClient()`select pg_notify('aik_embedded', 'from another client')`;
    await new Promise((r) => setTimeout(r, 500));
    await db.sql`select 1`;
    expect(got).toEqual([]);
    await unlisten();
  });

  it("lets one process open a data directory at a time", async () => {
    expect(existsSync(`${dataDir}.lock`)).toBe(true);
    await expect(open()).rejects.toThrow(/already open in this process/);

    const busy = join(root, "busy");
    await writeFile(`${busy}.lock`, `${process.ppid}\n`);
    await expect(open(busy)).rejects.toThrow(`in use by process ${process.ppid}`);
    expect(existsSync(busy)).toBe(false);
  });

  it("takes over a lock left by a process that is gone", async () => {
    const stale = join(root, "stale");
    const gone = spawnSync(process.execPath, ["-e", ""]).pid;
    await writeFile(`${stale}.lock`, `${gone}\n`);
    const reopened = await open(stale);
    try {
      expect(await reopened.sql`select 1 as one`).toEqual([{ one: 1 }]);
    } finally {
      await reopened.close();
    }
    expect(existsSync(`${stale}.lock`)).toBe(false);
  });

  it("survives close and reopen with its data", async () => {
    await Promise.all(others.splice(0).map((c) => c.end({ timeout: 1 })));
    await db.close();
    expect(existsSync(`${dataDir}.lock`)).toBe(false);
    db = await open();
    expect(await db.sql`select id, label from items`).toEqual([{ id: 1, label: "kept" }]);
    expect(await db.sql`select name from tags order by name`).toEqual([{ name: "a" }, { name: "b" }, { name: "c" }]);
    expect(await migrate(db.sql, MIGRATIONS)).toEqual({ applied: [] });
  });
});

function startupMessage(): Buffer {
  const body = Buffer.concat([Buffer.from([0, 3, 0, 0]), Buffer.from("user\0postgres\0database\0postgres\0\0")]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length + 4);
  return Buffer.concat([length, body]);
}

function wireMessage(type: string, body: string): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0);
  head.writeUInt32BE(Buffer.byteLength(body) + 4, 1);
  return Buffer.concat([head, Buffer.from(body)]);
}
