// openDatabase() against a real Postgres URL: the pool, quiet notices, LISTEN/NOTIFY, and clear start-up failures.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { openDatabase, type Database } from "../../src/store/database.js";
import { freshDatabase } from "../support/postgres.js";

let fresh: { url: string; drop(): Promise<void> };
let db: Database;

beforeAll(async () => {
  fresh = await freshDatabase();
  db = await openDatabase({ url: fresh.url, dataDir: "unused", maxConnections: 3 });
});

afterAll(async () => {
  await db?.close();
  await fresh?.drop();
});

describe("openDatabase with a URL", () => {
  it("uses the given Postgres, with the pool size asked for", async () => {
    expect(db.embedded).toBe(false);
    expect(db.url).toBe(fresh.url);
    const [row] = await db.sql`select current_database() as name`;
    expect(fresh.url.endsWith(`/${String(row?.["name"])}`)).toBe(true);
    expect(db.sql.options.max).toBe(3);
  });

  it("prints no notices", async () => {
    const log = vi.spyOn(console, "log");
    try {
      await db.sql`create table if not exists quiet (id int)`;
      await db.sql`create table if not exists quiet (id int)`;
      expect(log).not.toHaveBeenCalled();
    } finally {
      log.mockRestore();
    }
  });

  it("delivers LISTEN/NOTIFY between connections", async () => {
    const got: string[] = [];
    const { unlisten } = await db.sql.listen("aik_test", (payload) => got.push(payload));
    await db.sql.notify("aik_test", "hello");
    await expect.poll(() => got, { timeout: 5_000 }).toEqual(["hello"]);
    await unlisten();
  });

  it("closes once however often it is asked", async () => {
    const other = await openDatabase({ url: fresh.url, dataDir: "unused", maxConnections: 1 });
    await Promise.all([other.close(), other.close()]);
    await expect(other.sql`select 1`).rejects.toThrow();
  });

  it("fails at start-up, without the password, when Postgres is unreachable", async () => {
    const attempt = openDatabase({ url: "postgres://app:s3cret@127.0.0.1:1/aik", dataDir: "unused", maxConnections: 1 });
    await expect(attempt).rejects.toThrow(/^Cannot reach Postgres at postgres:\/\/app:\*\*\*@127\.0\.0\.1:1\/aik: .*ECONNREFUSED/);
    await expect(attempt).rejects.not.toThrow(/s3cret/);
  });

  it("rejects options with a message that says what to do", async () => {
    await expect(openDatabase({ url: "mysql://x", dataDir: "d", maxConnections: 1 })).rejects.toThrow(/must be a postgres:\/\/ or postgresql:\/\/ URL/);
    await expect(openDatabase({ url: fresh.url, dataDir: "d", maxConnections: 0 })).rejects.toThrow(/at least 1, not 0/);
    await expect(openDatabase({ url: undefined, dataDir: " ", maxConnections: 1 })).rejects.toThrow(/needs a data directory/);
    await expect(openDatabase({ url: fresh.url, listenUrl: "redis://x", dataDir: "d", maxConnections: 1 })).rejects.toThrow(/DATABASE_LISTEN_URL must be a postgres:\/\//);
    await expect(openDatabase({ url: undefined, listenUrl: fresh.url, dataDir: "d", maxConnections: 1 })).rejects.toThrow(/DATABASE_LISTEN_URL is set but DATABASE_URL is not/);
  });

  it("without a listen URL: named prepared statements, and LISTEN on the one URL", () => {
    expect(db.pooled).toBe(false);
    expect(db.sql.options.prepare).toBe(true);
    expect(db.listener).toBe(db.sql);
  });
});

describe("openDatabase with a listen URL (DATABASE_URL is a transaction pooler)", () => {
  it("LISTENs on the listen URL, sends no named prepared statements on the main one, and hears NOTIFY sent through it", async () => {
    // One connection, so the count below is read on the session that ran the queries.
    const pooled = await openDatabase({ url: fresh.url, listenUrl: fresh.url, dataDir: "unused", maxConnections: 1 });
    try {
      expect(pooled.pooled).toBe(true);
      expect(pooled.sql.options.prepare).toBe(false);
      expect(pooled.listener).not.toBe(pooled.sql);
      const got: string[] = [];
      const { unlisten } = await pooled.listener.listen("aik_pooled", (payload) => got.push(payload));
      await pooled.sql.notify("aik_pooled", "through the pool");
      await expect.poll(() => got, { timeout: 5_000 }).toEqual(["through the pool"]);
      await unlisten();
      // A query with parameters, twice: no statement is left prepared on the server.
      for (let i = 0; i < 2; i += 1) await pooled.sql`select ${i}::int as i`;
      const [row] = await pooled.sql`select count(*)::int as n from pg_prepared_statements`;
      expect(row?.["n"]).toBe(0);
    } finally {
      await Promise.all([pooled.close(), pooled.close()]);
    }
    await expect(pooled.listener`select 1`).rejects.toThrow();
  });

  it("fails at start-up naming DATABASE_LISTEN_URL, without the password, when the listen URL is unreachable", async () => {
    const attempt = openDatabase({ url: fresh.url, listenUrl: "postgres://app:s3cret@127.0.0.1:1/aik", dataDir: "unused", maxConnections: 1 });
    await expect(attempt).rejects.toThrow(/^Cannot reach Postgres at postgres:\/\/app:\*\*\*@127\.0\.0\.1:1\/aik: .*ECONNREFUSED.*Check DATABASE_LISTEN_URL/);
    await expect(attempt).rejects.not.toThrow(/s3cret/);
  });
});
