// Two gateway replicas whose queries go through a real PgBouncer in transaction mode and whose LISTEN goes straight to Postgres.
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrations } from "../../src/store/migrations/index.js";
import { startReplica, type GatewayProcess } from "../support/gateway-process.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { adminCall, provisionUser, type Provisioned } from "../support/identity.js";
import { startPgBouncer, type PgBouncer } from "../support/pgbouncer.js";
import { ADMIN_URL } from "../support/postgres.js";
import { gatewaySdk } from "../support/sdk.js";
import { storedRecords, until } from "../support/usage-db.js";

// Two server connections for everything both replicas do (each replica's own pool allows 10).
const POOL_SIZE = 2;
// An hour: a key cached by a replica is forgotten within this test only if a notification says so.
const KEY_CACHE_TTL_MS = 3_600_000;

let bouncer: PgBouncer;
let a: TestGateway;
let b: GatewayProcess;
let direct = "";
let pooled = "";
let dbName = "";

beforeAll(async () => {
  bouncer = await startPgBouncer(ADMIN_URL, { poolSize: POOL_SIZE });
  // Replica A runs in this process; its fresh database is reached through PgBouncer, LISTEN directly.
  a = await startTestGateway({}, (c) => {
    direct = c.database.url ?? "";
    pooled = bouncer.pooledUrl(direct);
    return {
      ...c,
      database: { ...c.database, url: pooled, listenUrl: direct },
      auth: { ...c.auth, keyCache: { ...c.auth.keyCache, ttlMs: KEY_CACHE_TTL_MS } },
    };
  });
  dbName = new URL(direct).pathname.slice(1);
  b = await startReplica(a, { DATABASE_URL: pooled, DATABASE_LISTEN_URL: direct }, `auth: { key_cache_ttl_ms: ${KEY_CACHE_TTL_MS} }\n`);
}, 120_000);

afterAll(async () => {
  await b?.stop();
  await a?.close();
  await bouncer?.stop();
});

/** One query on the test database over a direct connection of the test's own, closed at once. */
async function directly<T extends postgres.Row>(query: (sql: postgres.Sql) => Promise<readonly T[]>): Promise<T[]> {
  const sql = postgres(direct, { max: 1, onnotice: () => {} });
  try {
    return [...(await query(sql))];
  } finally {
    await sql.end();
  }
}

async function chatOn(url: string, key: string): Promise<number> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "gpt-4o-mini", max_tokens: 4, messages: [{ role: "user", content: "hi" }] }),
  });
  await res.text();
  return res.status;
}

/** Polls until `url` refuses `key`; the key cache holds it an hour, so only a notification can make that happen. */
async function refusedBy(url: string, key: string): Promise<void> {
  await until(`${url} refuses the key`, async () => (await chatOn(url, key)) === 401, 15_000);
}

/** PgBouncer's pool for the test database: clients and server connections as its console reports them. */
async function pool(): Promise<{ clients: number; servers: number; mode: string }> {
  const row = (await bouncer.admin("show pools")).find((r) => r["database"] === dbName);
  if (!row) throw new Error(`PgBouncer has no pool for ${dbName}`);
  const n = (k: string) => Number(row[k]);
  return {
    clients: n("cl_active") + n("cl_waiting"),
    servers: n("sv_active") + n("sv_idle") + n("sv_used") + n("sv_tested") + n("sv_login"),
    mode: String(row["pool_mode"]),
  };
}

async function pgbouncerStats(): Promise<{ transactions: number; queries: number }> {
  const row = (await bouncer.admin("show stats")).find((r) => r["database"] === dbName);
  return { transactions: Number(row?.["total_xact_count"] ?? 0), queries: Number(row?.["total_query_count"] ?? 0) };
}

describe("AI-K through PgBouncer (transaction pooling)", () => {
  it("ran the migrations through PgBouncer at start", async () => {
    const rows = await directly((sql) => sql`select version from schema_migrations order by version`);
    expect(rows.map((r) => Number(r["version"]))).toEqual(migrations.map((m) => m.version));
    expect((await pool()).mode).toBe("transaction");
    expect((await pgbouncerStats()).transactions).toBeGreaterThan(0);
  });

  it("creates users, keys and sessions through the Admin API on both replicas, many at once", async () => {
    const before = await pgbouncerStats();
    const made = await Promise.all(Array.from({ length: 12 }, (_, i) => provisionUser(i % 2 === 0 ? a.httpUrl : b.httpUrl, a.adminToken, "member")));
    expect(new Set(made.map((u) => u.keyId)).size).toBe(12);
    const someone = made[0]!;
    // A session made on B acts on A: the member creates a key of their own, then lists both on B.
    const login = await adminCall(b.httpUrl, undefined, "POST", "/v1/auth/login", { email: someone.email, password: someone.password });
    expect(login.status).toBe(200);
    const session: string = login.json.session_token;
    const own = await adminCall(a.httpUrl, session, "POST", "/v1/admin/api-keys", { user_id: someone.userId, name: "own" });
    expect(own.status).toBe(200);
    const listed = await adminCall(b.httpUrl, session, "GET", `/v1/admin/api-keys?user_id=${someone.userId}`);
    expect(listed.status).toBe(200);
    expect(listed.json.api_keys.map((k: { id: string }) => k.id).sort()).toEqual([someone.keyId, own.json.api_key.id].sort());
    // Logged out on A, refused on B: sessions are read from the database, not a cache.
    expect((await adminCall(a.httpUrl, session, "POST", "/v1/auth/logout")).status).toBe(200);
    expect((await adminCall(b.httpUrl, session, "GET", `/v1/admin/api-keys?user_id=${someone.userId}`)).status).toBe(401);
    // The replicas' clients took turns on PgBouncer's two server connections.
    const after = await pgbouncerStats();
    expect(after.transactions - before.transactions).toBeGreaterThanOrEqual(24);
    const p = await pool();
    expect(p.servers).toBeLessThanOrEqual(POOL_SIZE);
    expect(p.clients).toBeGreaterThan(POOL_SIZE);
  });

  it("meters concurrent unary and streamed chat calls (openai SDK) on both replicas: exactly one usage row each", async () => {
    const u: Provisioned = await provisionUser(a.httpUrl, a.adminToken, "member");
    const sdks = [gatewaySdk({ httpUrl: a.httpUrl, apiKey: u.apiKey }), gatewaySdk({ httpUrl: b.httpUrl, apiKey: u.apiKey })];
    const messages = [{ role: "user" as const, content: "Count to three." }];
    const calls = Array.from({ length: 40 }, async (_, i): Promise<{ id: string; streamed: boolean }> => {
      const sdk = sdks[i % 2]!;
      if (i % 4 < 2) {
        const { data, response } = await sdk.chat.completions.create({ model: "gpt-4o-mini", max_tokens: 8, messages }).withResponse();
        expect(data.choices[0]?.message.content).toBeTruthy();
        return { id: String(response.headers.get("x-request-id")), streamed: false };
      }
      const { data: stream, response } = await sdk.chat.completions.create({ model: "gpt-4o", max_tokens: 8, messages, stream: true }).withResponse();
      let text = "";
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
      expect(text).not.toBe("");
      return { id: String(response.headers.get("x-request-id")), streamed: true };
    });
    const answered = await Promise.all(calls);
    const ids = answered.map((c) => c.id);
    expect(new Set(ids).size).toBe(40);
    await until("40 usage rows", async () => (await storedRecords(direct, { keyIds: [u.keyId] })).length >= 40);
    const rows = await storedRecords(direct, { keyIds: [u.keyId] });
    expect(rows.map((r) => r.request_id).sort()).toEqual([...ids].sort());
    expect(rows.every((r) => r.outcome === "ok" && r.prompt_tokens > 0 && r.completion_tokens > 0)).toBe(true);
    expect(rows.filter((r) => r.streamed).map((r) => r.request_id).sort()).toEqual(answered.filter((c) => c.streamed).map((c) => c.id).sort());
  });

  it("a key revoked on A is refused on B at once, and a user disabled on B is refused on A: LISTEN on the direct connection", async () => {
    const u = await provisionUser(a.httpUrl, a.adminToken, "member");
    const v = await provisionUser(b.httpUrl, a.adminToken, "member");
    // Both replicas have both keys cached (for an hour).
    for (const g of [a.httpUrl, b.httpUrl]) {
      expect(await chatOn(g, u.apiKey)).toBe(200);
      expect(await chatOn(g, v.apiKey)).toBe(200);
    }
    expect((await adminCall(a.httpUrl, a.adminToken, "POST", `/v1/admin/api-keys/${u.keyId}:revoke`)).status).toBe(200);
    await refusedBy(b.httpUrl, u.apiKey);
    expect((await adminCall(b.httpUrl, a.adminToken, "PATCH", `/v1/admin/users/${v.userId}`, { status: "USER_STATUS_DISABLED" })).status).toBe(200);
    await refusedBy(a.httpUrl, v.apiKey);
    expect(await chatOn(b.httpUrl, v.apiKey)).toBe(401);
  });

  it("every Postgres backend on the database is one of PgBouncer's server connections, except one LISTEN connection per replica", async () => {
    await until("only PgBouncer's servers and the listeners on the database", async () => {
      const servers = (await bouncer.admin("show servers")).filter((r) => r["database"] === dbName).map((r) => Number(r["remote_pid"]));
      const backends = await directly(
        (sql) => sql`select pid, query from pg_stat_activity where datname = ${dbName} and backend_type = 'client backend' and pid <> pg_backend_pid()`,
      );
      const listeners = backends.filter((r) => /^listen "aik_identity"$/i.test(String(r["query"])));
      const others = backends.filter((r) => !listeners.includes(r)).map((r) => Number(r["pid"]));
      return (
        listeners.length === 2 &&
        listeners.every((l) => !servers.includes(Number(l["pid"]))) &&
        others.every((pid) => servers.includes(pid)) &&
        servers.length <= POOL_SIZE
      );
    });
  });

  it("wrote the audit events of those changes", async () => {
    const rows = await directly((sql) => sql`select action, count(*)::int as n from audit_events group by action`);
    const count = Object.fromEntries(rows.map((r) => [String(r["action"]), Number(r["n"])]));
    // The test gateway's member, 12 at once, the metered one and the two revocation users; one key of a member's own.
    expect(count["user.created"]).toBe(1 + 12 + 1 + 2);
    expect(count["api_key.created"]).toBe(1 + 12 + 1 + 1 + 2);
    expect(count["login.succeeded"]).toBe(1);
    expect(count["logout"]).toBe(1);
    expect(count["api_key.revoked"]).toBe(1);
    expect(count["user.updated"]).toBe(1);
  });
});
