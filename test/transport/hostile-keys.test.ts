// 10,000 distinct invalid keys: each is refused (401 / UNAUTHENTICATED) on both doors, and the negative cache that keeps them off the database stays bounded.
import postgres from "postgres";
import { status } from "@grpc/grpc-js";
import { Pool } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKeyAuthenticator } from "../../src/auth/api-key-authenticator.js";
import { LastUsedRecorder } from "../../src/auth/last-used.js";
import { ApiKeyStore, type KeyWithOwner } from "../../src/store/api-keys.js";
import { migrate } from "../../src/store/migrate.js";
import { migrations } from "../../src/store/migrations/index.js";
import { createLogger } from "../../src/telemetry/logger.js";
import { ListModelsRequest } from "../../gen/aik/v1/chat.js";
import { bearer, call, chatClient } from "../support/grpc-client.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { freshDatabase } from "../support/postgres.js";
import { envelopeOf, expectCleanLogs, expectRefusal, grpcFailure, heapAfterGc, MiB, unknownKey } from "./hostile-wire.js";

const KEYS = 10_000;
const CACHE = 100;

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway({}, (c) => ({ ...c, auth: { ...c.auth, keyCache: { ...c.auth.keyCache, maxEntries: CACHE } } }));
});
afterAll(() => t.close());

/** Runs `fn` over `items` with at most `width` in flight. */
async function inBatches<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

describe("a flood of distinct invalid keys", () => {
  it(`${KEYS} distinct well-formed unknown keys over HTTP: 401 each, memory bounded, the real key still works`, async () => {
    const keys = Array.from({ length: KEYS }, unknownKey);
    const pool = new Pool(t.httpUrl, { connections: 32 });
    const heapBefore = heapAfterGc();
    const statuses = new Map<number, number>();
    try {
      await inBatches(keys, 32, async (key) => {
        const res = await pool.request({ path: "/v1/models", method: "GET", headers: { authorization: `Bearer ${key}` } });
        const text = await res.body.text();
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        if (res.statusCode !== 401) expectRefusal({ status: res.statusCode, headers: res.headers, text, json: envelopeOf(text) }, 401, { code: "invalid_api_key" });
      });
      expect(Object.fromEntries(statuses)).toEqual({ 401: KEYS });
      expect(heapAfterGc() - heapBefore).toBeLessThan(64 * MiB);
      const ok = await pool.request({ path: "/v1/models", method: "GET", headers: { authorization: `Bearer ${t.apiKey}` } });
      expect(ok.statusCode).toBe(200);
      await ok.body.text();
    } finally {
      await pool.close();
    }
  }, 120_000);

  it("2,000 distinct unknown keys over gRPC: UNAUTHENTICATED each", async () => {
    const client = chatClient(t.grpcAddress);
    const codes = new Map<number, number>();
    try {
      await inBatches(Array.from({ length: 2000 }, unknownKey), 32, async (key) => {
        const f = await grpcFailure(call(client, client.listModels, ListModelsRequest.fromPartial({}), bearer(key)));
        codes.set(f.code, (codes.get(f.code) ?? 0) + 1);
      });
      expect(Object.fromEntries(codes)).toEqual({ [status.UNAUTHENTICATED]: 2000 });
      const models = await call(client, client.listModels, ListModelsRequest.fromPartial({}), bearer(t.apiKey));
      expect(models.data.length).toBeGreaterThan(0);
    } finally {
      client.close();
    }
  }, 60_000);

  it("no key, valid or not, appears in a log line", () => {
    expectCleanLogs(t.logs);
    expect(t.logs.join("")).not.toContain(t.apiKey);
  });
});

/** The real store, counting the lookups that reach Postgres. */
class CountingKeyStore extends ApiKeyStore {
  lookups = 0;
  override async byHash(hash: Buffer): Promise<KeyWithOwner | undefined> {
    this.lookups++;
    return super.byHash(hash);
  }
}

describe("the negative cache", () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let sql: postgres.Sql;
  let store: CountingKeyStore;
  let lastUsed: LastUsedRecorder;
  beforeAll(async () => {
    db = await freshDatabase();
    sql = postgres(db.url, { onnotice: () => undefined });
    await migrate(sql, migrations);
    store = new CountingKeyStore(sql);
    lastUsed = new LastUsedRecorder(store, createLogger("error", () => undefined), 3_600_000);
  });
  afterAll(async () => {
    await lastUsed.close();
    await sql.end();
    await db.drop();
  });

  it(`holds at most its ${CACHE} entries after ${KEYS} distinct keys: the newest stay off the database, the oldest were let go`, async () => {
    const auth = new ApiKeyAuthenticator(store, lastUsed, { maxEntries: CACHE, ttlMs: 60_000, negativeTtlMs: 60_000 }, {});
    const keys = Array.from({ length: KEYS }, unknownKey);
    for (const key of keys) await expect(auth.authenticate(key)).rejects.toMatchObject({ code: "unauthenticated", reason: "invalid_api_key" });
    expect(store.lookups).toBe(KEYS);
    // The last CACHE keys are remembered: no lookup.
    for (const key of keys.slice(-CACHE)) await expect(auth.authenticate(key)).rejects.toMatchObject({ code: "unauthenticated" });
    expect(store.lookups).toBe(KEYS);
    // The first ones were evicted long ago: each costs a lookup again, so the cache never held them all.
    for (const key of keys.slice(0, 10)) await expect(auth.authenticate(key)).rejects.toMatchObject({ code: "unauthenticated" });
    expect(store.lookups).toBe(KEYS + 10);
  }, 120_000);
});
