// Migration 5 and its backfill: rows from before the canonical email get theirs at start, uniqueness follows it.
import postgres from "postgres";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway } from "../../src/app.js";
import { hashPassword } from "../../src/auth/passwords.js";
import { migrate } from "../../src/store/migrate.js";
import { migrations } from "../../src/store/migrations/index.js";
import { UserStore } from "../../src/store/users.js";
import { createLogger } from "../../src/telemetry/logger.js";
import { testConfig, testDeployments, testStores } from "../support/gateway.js";
import { adminCall } from "../support/identity.js";
import { freshDatabase } from "../support/postgres.js";

const BEFORE_CANONICAL = migrations.filter((m) => m.version <= 4);

/** A database as an older AI-K left it: schema up to migration 4 and users inserted the old way. */
async function oldDatabase(emails: readonly string[], passwordHash = "not-a-real-hash"): Promise<{ sql: postgres.Sql; ids: string[]; url: string; drop(): Promise<void> }> {
  const db = await freshDatabase();
  const sql = postgres(db.url, { onnotice: () => {}, max: 4 });
  await migrate(sql, BEFORE_CANONICAL);
  const ids: string[] = [];
  for (const [i, email] of emails.entries()) {
    const id = randomUUID();
    // Distinct creation times, oldest first, as the rows were made over time.
    await sql`insert into users (id, email, role, status, password_hash, created_at)
              values (${id}, ${email}, 'member', 'active', ${passwordHash}, now() - ${`${100 - i} minutes`}::interval)`;
    ids.push(id);
  }
  return { sql, ids, url: db.url, drop: async () => {
    await sql.end();
    await db.drop();
  } };
}

describe("migration 5 and the canonical backfill", () => {
  let old: Awaited<ReturnType<typeof oldDatabase>>;
  let users: UserStore;
  // The old lower(email) index let both of the first two exist: lower() keeps ß, the canonical form makes it ss.
  const emails = ["Straße@example.test", "STRASSE@example.test", "Ｆull@example.test", "plain@example.test"];

  beforeAll(async () => {
    old = await oldDatabase(emails);
    await migrate(old.sql, migrations);
    users = new UserStore(old.sql);
  });
  afterAll(() => old.drop());

  it("a row without its canonical email matches no login until the backfill runs", async () => {
    expect(await users.byEmail("plain@example.test")).toBeUndefined();
  });

  it("fills every row once; of two that now share a form, the older keeps it and the newer is reported", async () => {
    const [a, b] = await Promise.all([users.backfillCanonicalEmails(), users.backfillCanonicalEmails()]);
    // Two replicas starting together: every row is filled exactly once between them.
    expect((a?.filled ?? 0) + (b?.filled ?? 0)).toBe(3);
    expect(new Set([...(a?.conflicts ?? []), ...(b?.conflicts ?? [])])).toEqual(new Set([old.ids[1]]));
    expect((await users.backfillCanonicalEmails()).filled).toBe(0);
    const rows = await old.sql<Array<{ id: string; email_canonical: string | null }>>`select id, email_canonical from users order by created_at`;
    expect(rows.map((r) => r.email_canonical)).toEqual(["strasse@example.test", null, "full@example.test", "plain@example.test"]);
  });

  it("every spelling now finds its one account, and the old lower() index is gone", async () => {
    expect((await users.byEmail("strasse@EXAMPLE.test"))?.id).toBe(old.ids[0]);
    expect((await users.byEmail("STRAẞE@example.test"))?.id).toBe(old.ids[0]);
    expect((await users.byEmail("full@example.test"))?.id).toBe(old.ids[2]);
    const indexes = await old.sql<Array<{ indexname: string }>>`select indexname from pg_indexes where tablename = 'users'`;
    expect(indexes.map((i) => i.indexname)).toContain("users_email_canonical_key");
    expect(indexes.map((i) => i.indexname)).not.toContain("users_email_key");
  });

  it("a new user whose canonical email is taken is a conflict, however it is spelled", async () => {
    await expect(users.create({ email: "ＰＬＡＩＮ@example.test", role: "member", passwordHash: "x", limits: {} })).rejects.toMatchObject({ code: "conflict" });
  });
});

describe("start-up backfill", () => {
  it("a user created by an older AI-K logs in after the upgrade, by any spelling of the address", async () => {
    const password = "the password from before the upgrade";
    const old = await oldDatabase(["Legacy.User@Example.test"], await hashPassword(password));
    const stores = await testStores();
    const gw = await startGateway(testConfig(testDeployments("http://127.0.0.1:9"), { ...stores, databaseUrl: old.url }), createLogger("error", () => {}));
    try {
      for (const email of ["legacy.user@example.test", "LEGACY.USER@EXAMPLE.TEST"]) {
        const res = await adminCall(gw.httpUrl, undefined, "POST", "/v1/auth/login", { email, password });
        expect(res.status).toBe(200);
        expect(res.json.user.id).toBe(old.ids[0]);
        // The address is shown as it was typed when the account was made.
        expect(res.json.user.email).toBe("Legacy.User@Example.test");
      }
    } finally {
      await gw.close();
      await old.drop();
      await stores.drop();
    }
  });
});
