// The key cache and rotation: a replaced secret cached as valid stops at its own expiry, and a lookup from before a rotation is never cached.
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKeyAuthenticator } from "../../src/auth/api-key-authenticator.js";
import { LastUsedRecorder } from "../../src/auth/last-used.js";
import { hashPassword } from "../../src/auth/passwords.js";
import { API_KEY_PREFIX, hashSecret, newSecret } from "../../src/auth/tokens.js";
import { ApiKeyStore, type KeyWithOwner } from "../../src/store/api-keys.js";
import { migrate } from "../../src/store/migrate.js";
import { migrations } from "../../src/store/migrations/index.js";
import { UserStore } from "../../src/store/users.js";
import { createLogger } from "../../src/telemetry/logger.js";
import { freshDatabase } from "../support/postgres.js";
import { until } from "../support/usage-db.js";

/** The real store; counts lookups, and can hold one lookup's answer back after Postgres gave it. */
class GatedKeyStore extends ApiKeyStore {
  lookups = 0;
  gate: { read: () => void; release: Promise<void> } | undefined;
  override async byHash(hash: Buffer): Promise<KeyWithOwner | undefined> {
    this.lookups++;
    const row = await super.byHash(hash);
    const gate = this.gate;
    this.gate = undefined;
    if (gate) {
      gate.read();
      await gate.release;
    }
    return row;
  }
}

let db: Awaited<ReturnType<typeof freshDatabase>>;
let sql: postgres.Sql;
let store: GatedKeyStore;
let userId: string;
let lastUsed: LastUsedRecorder;

function authenticator(): ApiKeyAuthenticator {
  // A long cache TTL: only the stored expiry can end a replaced secret in time.
  return new ApiKeyAuthenticator(store, lastUsed, { maxEntries: 100, ttlMs: 3_600_000, negativeTtlMs: 3_600_000 }, {});
}

async function newKey(): Promise<{ id: string; secret: string }> {
  const s = newSecret(API_KEY_PREFIX);
  const k = await store.create({ userId, name: "k", prefix: s.display, hash: s.hash, allowedModels: [], expiresAt: undefined, limits: {} });
  return { id: k.id, secret: s.secret };
}

async function rotate(id: string, graceSeconds: number): Promise<{ secret: string; previousExpiresAt: Date | undefined }> {
  const s = newSecret(API_KEY_PREFIX);
  const k = await store.rotate(id, { hash: s.hash, prefix: s.display }, graceSeconds);
  if (!k) throw new Error("no such key");
  return { secret: s.secret, previousExpiresAt: k.previousExpiresAt };
}

beforeAll(async () => {
  db = await freshDatabase();
  sql = postgres(db.url, { onnotice: () => {} });
  await migrate(sql, migrations);
  userId = (await new UserStore(sql).create({ email: "r@example.test", role: "member", passwordHash: await hashPassword("correct horse battery"), limits: {} })).id;
  store = new GatedKeyStore(sql);
  lastUsed = new LastUsedRecorder(store, createLogger("error", () => {}), 3_600_000);
});
afterAll(async () => {
  await lastUsed.close();
  await sql.end();
  await db.drop();
});

describe("rotation and the key cache", () => {
  it("a replaced secret served from the cache is refused at its expiry, with no event and no lookup", async () => {
    const auth = authenticator();
    const key = await newKey();
    const next = await rotate(key.id, 1);
    expect(next.previousExpiresAt).toBeDefined();
    const expiry = next.previousExpiresAt?.getTime() ?? 0;
    expect((await auth.authenticate(key.secret)).keyId).toBe(key.id);
    expect((await auth.authenticate(next.secret)).keyId).toBe(key.id);
    const lookups = store.lookups;
    expect((await auth.authenticate(key.secret)).keyId).toBe(key.id);
    await until("the grace period ends", async () => Date.now() > expiry, 5000);
    await expect(auth.authenticate(key.secret)).rejects.toThrow("Incorrect API key provided.");
    expect((await auth.authenticate(next.secret)).keyId).toBe(key.id);
    expect(store.lookups).toBe(lookups);
  });

  it("the database stops matching a replaced secret at its expiry too", async () => {
    const key = await newKey();
    const next = await rotate(key.id, 1);
    expect((await store.byHash(hashSecret(key.secret)))?.secretExpiresAt).toEqual(next.previousExpiresAt);
    expect((await store.byHash(hashSecret(next.secret)))?.secretExpiresAt).toBeUndefined();
    await until("the grace period ends", async () => Date.now() > (next.previousExpiresAt?.getTime() ?? 0) + 50, 5000);
    expect(await store.byHash(hashSecret(key.secret))).toBeUndefined();
    expect((await store.byHash(hashSecret(next.secret)))?.id).toBe(key.id);
  });

  it("a lookup that read the key before a rotation is not cached after the rotation's event", async () => {
    const auth = authenticator();
    const key = await newKey();
    let read = (): void => {};
    let release = (): void => {};
    const hasRead = new Promise<void>((r) => (read = r));
    store.gate = { read, release: new Promise<void>((r) => (release = r)) };
    const inFlight = auth.authenticate(key.secret);
    await hasRead;
    // Postgres has answered with the secret as current; now the rotation commits and its event arrives.
    await rotate(key.id, 0);
    auth.forgetKey(key.id);
    release();
    // The request already in flight was admitted before the rotation, as any request a moment earlier would be.
    expect((await inFlight).keyId).toBe(key.id);
    await expect(auth.authenticate(key.secret)).rejects.toThrow("Incorrect API key provided.");
  });

  it("a second rotation ends the first replaced secret at once; a grace of 0 keeps none", async () => {
    const key = await newKey();
    const first = await rotate(key.id, 600);
    const second = await rotate(key.id, 600);
    const none = await rotate(key.id, 0);
    expect(none.previousExpiresAt).toBeUndefined();
    const auth = authenticator();
    for (const s of [key.secret, first.secret, second.secret]) await expect(auth.authenticate(s)).rejects.toThrow("Incorrect API key provided.");
    expect((await auth.authenticate(none.secret)).keyId).toBe(key.id);
    const again = await rotate(key.id, 600);
    expect((await auth.authenticate(none.secret)).keyId).toBe(key.id);
    expect((await auth.authenticate(again.secret)).keyId).toBe(key.id);
    expect(second.previousExpiresAt).toBeDefined();
    expect(first.secret).not.toBe(second.secret);
  });
});
