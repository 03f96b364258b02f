// Why AI-K sends no named prepared statements through PgBouncer: the Admin API's revoke transaction, run twice around a busy neighbour, fails with them and passes without.
import { createHash, randomBytes } from "node:crypto";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OPERATOR_ACTOR } from "../../src/auth/audit.js";
import { ApiKeyStore } from "../../src/store/api-keys.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { AuditStore } from "../../src/store/audit-events.js";
import { migrate } from "../../src/store/migrate.js";
import { migrations } from "../../src/store/migrations/index.js";
import { UserStore } from "../../src/store/users.js";
import { startPgBouncer, type PgBouncer } from "../support/pgbouncer.js";
import { ADMIN_URL, freshDatabase } from "../support/postgres.js";

let bouncer: PgBouncer;
const cleanup: Array<() => Promise<void>> = [];

beforeAll(async () => {
  bouncer = await startPgBouncer(ADMIN_URL, { poolSize: 2 });
});
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
  await bouncer?.stop();
});

/** A migrated database of its own (so its PgBouncer pool starts empty) and two keys in it. */
async function keysIn(): Promise<{ direct: string; pooled: string; keyIds: [string, string] }> {
  const fresh = await freshDatabase();
  cleanup.push(fresh.drop);
  const sql = postgres(fresh.url, { max: 1, onnotice: () => {} });
  try {
    await migrate(sql, migrations);
    const user = await new UserStore(sql).create({ email: `u-${randomBytes(4).toString("hex")}@example.test`, role: "member", passwordHash: "not-a-hash", limits: {} });
    const keys = new ApiKeyStore(sql);
    const make = async (name: string) => {
      const hash = createHash("sha256").update(randomBytes(32)).digest();
      return (await keys.create({ userId: user.id, name, prefix: "aik_test00", hash, allowedModels: [], expiresAt: undefined, limits: {} })).id;
    };
    return { direct: fresh.url, pooled: bouncer.pooledUrl(fresh.url), keyIds: [await make("one"), await make("two")] };
  } finally {
    await sql.end();
  }
}

/** What RevokeApiKey does in the database (src/api/api-key-methods.ts): lock the key, revoke it, write the audit row, in one transaction; returns the server's backend pid. */
async function revoke(sql: postgres.Sql, keyId: string): Promise<number> {
  return sql.begin(async (tx) => {
    const keys = new ApiKeyStore(tx);
    const key = await keys.getForUpdate(keyId);
    if (!key) throw new Error("no such key");
    await keys.revoke(key.id);
    await new AuditStore(tx).append({ actor: OPERATOR_ACTOR, source: undefined, action: "api_key.revoked", targetId: key.id, changes: [] });
    const [row] = await tx`select pg_backend_pid() as pid`;
    return Number(row?.["pid"]);
  });
}

/**
 * One client connection (pool of 1) revokes a key: its statements are prepared on PgBouncer's only
 * server connection. A neighbour then holds that server connection in an open transaction, so the
 * second revoke gets a new one, where statements prepared on the first do not exist.
 */
async function revokeTwiceAroundNeighbour(db: Database, pooled: string, keyIds: readonly [string, string]): Promise<{ first: number; second: number }> {
  const first = await revoke(db.sql, keyIds[0]);
  const neighbour = postgres(pooled, { max: 1, prepare: false, onnotice: () => {} });
  let release = (): void => {};
  let holding = (): void => {};
  const held = new Promise<void>((r) => (holding = r));
  const busy = neighbour.begin(async (tx) => {
    await tx`select 1`;
    holding();
    await new Promise<void>((r) => (release = r));
  });
  try {
    await held;
    return { first, second: await revoke(db.sql, keyIds[1]) };
  } finally {
    release();
    await busy;
    await neighbour.end();
  }
}

describe("prepared statements through PgBouncer in transaction mode", () => {
  it("AI-K without a listen URL (named prepared statements on) fails the second revoke: its statement does not exist on the other server connection", async () => {
    const { pooled, keyIds } = await keysIn();
    const db = await openDatabase({ url: pooled, dataDir: "unused", maxConnections: 1 });
    cleanup.push(() => db.close());
    expect(db.pooled).toBe(false);
    const attempt = revokeTwiceAroundNeighbour(db, pooled, keyIds);
    await expect(attempt).rejects.toThrow(/prepared statement "[^"]+" does not exist/);
    await expect(attempt).rejects.toMatchObject({ code: "26000" });
    // The first revoke went through; the failed one rolled back entirely.
    const revoked = await db.sql`select id from api_keys where revoked_at is not null`;
    expect(revoked.map((r) => r["id"])).toEqual([keyIds[0]]);
  });

  it("AI-K with a listen URL (pooled: unnamed statements) runs the same steps on two server connections", async () => {
    const { direct, pooled, keyIds } = await keysIn();
    const db = await openDatabase({ url: pooled, listenUrl: direct, dataDir: "unused", maxConnections: 1 });
    cleanup.push(() => db.close());
    expect(db.pooled).toBe(true);
    const { first, second } = await revokeTwiceAroundNeighbour(db, pooled, keyIds);
    // Not vacuous: the second transaction really ran on another server connection.
    expect(second).not.toBe(first);
    const revoked = await db.sql`select id from api_keys where revoked_at is not null order by id`;
    expect(revoked.map((r) => r["id"])).toEqual([...keyIds].sort());
    const audited = await db.sql`select target_id from audit_events where action = 'api_key.revoked' order by target_id`;
    expect(audited.map((r) => r["target_id"])).toEqual([...keyIds].sort());
  });
});
