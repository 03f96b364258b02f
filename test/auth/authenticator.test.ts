// The key cache keeps the database off the hot path: hits, floods of bad keys and bursts of one key.
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKeyAuthenticator } from "../../src/auth/api-key-authenticator.js";
import { LastUsedRecorder } from "../../src/auth/last-used.js";
import { hashPassword } from "../../src/auth/passwords.js";
import { API_KEY_PREFIX, newSecret } from "../../src/auth/tokens.js";
import { ApiKeyStore, type KeyWithOwner } from "../../src/store/api-keys.js";
import { migrate } from "../../src/store/migrate.js";
import { migrations } from "../../src/store/migrations/index.js";
import { UserStore } from "../../src/store/users.js";
import { createLogger } from "../../src/telemetry/logger.js";
import { freshDatabase } from "../support/postgres.js";

/** The real store, counting the lookups that reach Postgres. */
class CountingKeyStore extends ApiKeyStore {
  lookups = 0;
  override async byHash(hash: Buffer): Promise<KeyWithOwner | undefined> {
    this.lookups++;
    return super.byHash(hash);
  }
}

let db: Awaited<ReturnType<typeof freshDatabase>>;
let sql: postgres.Sql;
let store: CountingKeyStore;
let auth: ApiKeyAuthenticator;
let lastUsed: LastUsedRecorder;
let secret: string;
let keyId: string;

beforeAll(async () => {
  db = await freshDatabase();
  sql = postgres(db.url, { onnotice: () => {} });
  await migrate(sql, migrations);
  const user = await new UserStore(sql).create({ email: "a@example.test", role: "member", passwordHash: await hashPassword("correct horse battery"), limits: {} });
  store = new CountingKeyStore(sql);
  const s = newSecret(API_KEY_PREFIX);
  secret = s.secret;
  keyId = (await store.create({ userId: user.id, name: "k", prefix: s.display, hash: s.hash, allowedModels: [], expiresAt: undefined, limits: {} })).id;
  lastUsed = new LastUsedRecorder(store, createLogger("error", () => {}), 3_600_000);
  auth = new ApiKeyAuthenticator(store, lastUsed, { maxEntries: 100, ttlMs: 60_000, negativeTtlMs: 60_000 }, {});
});
afterAll(async () => {
  await lastUsed.close();
  await sql.end();
  await db.drop();
});

describe("ApiKeyAuthenticator", () => {
  it("malformed keys never reach the database", async () => {
    store.lookups = 0;
    // The last character changed (to one it is not: with 'x' always, one run in 62 would send the real key).
    const typo = `${secret.slice(0, -1)}${secret.endsWith("x") ? "y" : "x"}`;
    for (const bad of ["", "aik_short", typo, "x".repeat(10_000)]) await expect(auth.authenticate(bad)).rejects.toThrow();
    expect(store.lookups).toBe(0);
  });

  it("a burst of one key costs one lookup; later uses none", async () => {
    auth.forgetAll();
    store.lookups = 0;
    const results = await Promise.all(Array.from({ length: 50 }, () => auth.authenticate(secret)));
    expect(results.every((r) => r.keyId === keyId)).toBe(true);
    await auth.authenticate(secret);
    expect(store.lookups).toBe(1);
  });

  it("a flood of one unknown well-formed key costs one lookup (negative cache)", async () => {
    const unknown = newSecret(API_KEY_PREFIX).secret;
    store.lookups = 0;
    for (let i = 0; i < 100; i++) await expect(auth.authenticate(unknown)).rejects.toMatchObject({ code: "unauthenticated" });
    expect(store.lookups).toBe(1);
  });

  it("last_used_at is written in one batch for all keys used, not per request", async () => {
    const other = newSecret(API_KEY_PREFIX);
    const [owner] = await sql<Array<{ id: string }>>`select id from users limit 1`;
    const otherId = (await store.create({ userId: owner?.id ?? "", name: "k2", prefix: other.display, hash: other.hash, allowedModels: [], expiresAt: undefined, limits: {} })).id;
    await auth.authenticate(other.secret);
    await auth.authenticate(secret);
    const [before] = await sql<Array<{ n: number }>>`select count(*)::int as n from api_keys where last_used_at is not null`;
    expect(before?.n).toBe(0);
    await lastUsed.flush();
    const rows = await sql<Array<{ id: string }>>`select id from api_keys where last_used_at is not null`;
    expect(rows.map((r) => r.id).sort()).toEqual([keyId, otherId].sort());
  });

  it("forgetKey makes the next use look the key up again (revocation)", async () => {
    await sql`update api_keys set revoked_at = now() where id = ${keyId}`;
    await expect(auth.authenticate(secret)).resolves.toMatchObject({ keyId });
    auth.forgetKey(keyId);
    await expect(auth.authenticate(secret)).rejects.toMatchObject({ reason: "invalid_api_key" });
  });
});
