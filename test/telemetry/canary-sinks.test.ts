// Promise 1, end to end: one canary through every path of a gateway in its own process reaches the client and no sink (logs, OTLP, tables, Redis, files).
import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SandboxGateway } from "../support/gateway-sandbox.js";
import { freshDatabase } from "../support/postgres.js";
import { REDIS_URL, testRedis } from "../support/redis.js";
import { dumpDatabase, dumpFiles, dumpRedis } from "../support/sink-dumps.js";
import { chatOnce, closeHttpAgent, sendOverHttp } from "./canary-http.js";
import { sendControlPlane } from "./canary-control.js";
import { sendOverGrpc, streamOnce } from "./canary-grpc.js";
import { expectNoLeaks, fileLeaks, occurrences, otlpLeaks, outputLeaks, until, type CanaryRun } from "./canary-run.js";
import { startCanary, type CanarySetup } from "./canary-setup.js";

const redisPrefix = `aik-canary-${randomBytes(6).toString("hex")}:`;
let db: { url: string; drop(): Promise<void> } | undefined;
let setup: CanarySetup | undefined;
let gw: SandboxGateway;
let run: CanaryRun;

/** Takes the test database away from the gateway (or gives it back): no new connections, the open ones ended. */
async function databaseReachable(url: string, reachable: boolean): Promise<void> {
  const admin = new URL(url);
  const name = admin.pathname.slice(1);
  admin.pathname = "/postgres";
  const sql = postgres(admin.toString(), { max: 1, onnotice: () => {} });
  try {
    await sql`alter database ${sql(name)} with allow_connections ${sql.unsafe(reachable ? "true" : "false")}`;
    if (!reachable) await sql`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${name} and pid <> pg_backend_pid()`;
  } finally {
    await sql.end();
  }
}

beforeAll(async () => {
  // Both fail loudly when their server is missing, before a gateway is started against it.
  db = await freshDatabase();
  await (await testRedis()).close();
  setup = await startCanary({ databaseUrl: db.url, redis: { url: REDIS_URL, prefix: redisPrefix } });
  ({ gw, run } = setup);
});

afterAll(async () => {
  await closeHttpAgent();
  await setup?.close();
  if (db) {
    await databaseReachable(db.url, true).catch(() => undefined);
    await db.drop();
  }
  const redis = await testRedis();
  const keys = await redis.redis.keys(`${redisPrefix}*`);
  if (keys.length > 0) await redis.redis.del(...keys);
  await redis.close();
});

describe("one canary through every path, found in no sink", () => {
  it("reaches Azure and comes back to the client on every path of both doors, data and control plane", async () => {
    await sendOverHttp(run);
    await sendOverGrpc(run);
    await sendControlPlane(run);
    expect(run.paths).toHaveLength(23);
    expect(run.requestIds.length).toBeGreaterThan(0);
    expect(run.requestIds.filter((id) => !/^req_[0-9a-f]+$/.test(id))).toEqual([]);
  }, 120_000);

  it("the gateway pushes spans and metrics to the OTLP receiver while it runs (OTEL_BSP_SCHEDULE_DELAY, OTEL_METRIC_EXPORT_INTERVAL)", async () => {
    // OTEL_BSP_SCHEDULE_DELAY is 100 ms and OTEL_METRIC_EXPORT_INTERVAL 500 ms: 5 s is ten intervals.
    await gw.otlp.waitFor("traces", (e) => e.body.includes("aik.chat.completions"), 5_000);
    await gw.otlp.waitFor("metrics", (e) => e.body.includes("aik.requests"), 5_000);
  });

  it("with Postgres away, answers still go out, their records go to the spool, and SIGTERM exits 0", async () => {
    // Everything answered so far is written first, so the tables hold the run and the spool only what came after.
    const url = db?.url ?? "";
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      await until("the answered HTTP calls stored", async () => (await sql`select 1 from usage_records where request_id = any(${run.requestIds})`).length === run.requestIds.length);
    } finally {
      await sql.end();
    }
    await databaseReachable(url, false);
    try {
      // Its x-request-id: the spool must hold its record.
      const spooledRequestId = await chatOnce(run);
      await streamOnce(run);
      await until("the writer saw Postgres go", () => gw.stdout().includes('"metering.db_unavailable"'));
      expect(await gw.stop("SIGTERM")).toBe(0);
      const spooled = dumpFiles(gw.dirs.spool);
      expect(spooled.length).toBeGreaterThan(0);
      expect(Buffer.concat(spooled.map((f) => f.bytes)).toString()).toContain(spooledRequestId);
    } finally {
      await databaseReachable(url, true);
    }
  }, 60_000);

  it("not in stdout or stderr (a bad model name may appear there as metadata)", () => {
    const out = gw.stdout();
    // The stream is real: the debug access log of the run is in it.
    expect(out.includes('"event":"request"')).toBe(true);
    expect(run.requestIds.filter((id) => !out.includes(id))).toEqual([]);
    expectNoLeaks(outputLeaks(gw));
  });

  it("not in any span, metric or log record exported over OTLP", () => {
    expect(gw.otlp.strays).toEqual([]);
    // The exports are real: spans of every operation, metrics labelled with the configured models.
    const of = (signal: string): Buffer => Buffer.concat(gw.otlp.exports.filter((e) => e.signal === signal).map((e) => e.body));
    for (const op of ["aik.chat.completions", "aik.completions", "aik.embeddings", "aik.responses"]) expect(of("traces").includes(op), op).toBe(true);
    expect(of("metrics").includes("gpt-4o-mini")).toBe(true);
    expectNoLeaks(otlpLeaks(gw));
  });

  it("not in any row of any table (the audit log included once it exists)", async () => {
    const tables = await dumpDatabase(db?.url ?? "");
    const names = tables.map((t) => t.table);
    expect(names).toEqual(expect.arrayContaining(["public.usage_records", "public.api_keys", "public.users", "public.owned_objects"]));
    const all = tables.flatMap((t) => t.rows).join("\n");
    // The dump is real: it holds the metadata the gateway keeps.
    expect(run.requestIds.filter((id) => !all.includes(id))).toEqual([]);
    // The audit log, where it exists, recorded the control-plane paths (whose passwords held the canary).
    const audit = tables.find((t) => t.table === "public.audit_events");
    if (audit) expect(run.controlUsers.filter((id) => !audit.rows.some((r) => r.includes(id)))).toEqual([]);
    const leaks = tables.flatMap((t) => occurrences(t.rows.join("\n")).map((o) => `${t.table}: ${o}`));
    expectNoLeaks(leaks);
  });

  it("not in any Redis key or value under the gateway's prefix", async () => {
    const entries = await dumpRedis(REDIS_URL, redisPrefix);
    expect(entries.length).toBeGreaterThan(0);
    expect(entries.some((e) => `${e.key}\n${e.value.toString("latin1")}`.includes(run.member.keyId))).toBe(true);
    const leaks = entries.flatMap((e) => occurrences(Buffer.concat([Buffer.from(`${e.key}\n`), e.value])).map((o) => `${e.key} (${e.type}): ${o}`));
    expectNoLeaks(leaks);
  });

  it("not in any file the gateway wrote under its data, spool and temp directories", () => {
    const files = dumpFiles(gw.dirs.root);
    expect(files.some((f) => f.path.startsWith("spool"))).toBe(true);
    expectNoLeaks(fileLeaks(files));
  });
});
