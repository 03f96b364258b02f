// Promise 1 for the Responses API: a canary in prompts, tools and outputs reaches the client and nothing else (logs, telemetry, Postgres, Redis).
import { randomBytes } from "node:crypto";
import { credentials, Metadata, status, type ClientReadableStream } from "@grpc/grpc-js";
import { metrics as metricsApi, trace } from "@opentelemetry/api";
import { metrics, tracing } from "@opentelemetry/sdk-node";
import { Redis } from "ioredis";
import postgres from "postgres";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreateResponseRequest, ResponsesServiceClient, type Response as ProtoResponse, type ResponseStreamEvent } from "../../gen/aik/v1/responses.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { bearer, call, isServiceError } from "../support/grpc-client.js";
import { provisionUser, type Provisioned } from "../support/identity.js";
import { REDIS_URL } from "../support/redis.js";
import { storedRecords, until } from "../support/usage-db.js";
import { http as callGateway, sleep, type Reply } from "./metering-harness.js";

// Letters and digits only, so it can also be a JSON property name and a (rejected) request parameter name.
const CANARY = `cnry${randomBytes(10).toString("hex")}`;
const spans = new tracing.InMemorySpanExporter();
const reader = new metrics.PeriodicExportingMetricReader({ exporter: new metrics.InMemoryMetricExporter(metrics.AggregationTemporality.CUMULATIVE), exportIntervalMillis: 3_600_000 });
let t: TestGateway;
let u: Provisioned;
let sql: postgres.Sql;

beforeAll(async () => {
  // Registered before the gateway starts, as main does, so its instruments are real.
  trace.setGlobalTracerProvider(new tracing.BasicTracerProvider({ spanProcessors: [new tracing.SimpleSpanProcessor(spans)] }));
  metricsApi.setGlobalMeterProvider(new metrics.MeterProvider({ readers: [reader] }));
  t = await startTestGateway();
  // Every limit set, so the limiter keeps its buckets, slots and spend in Redis for this key.
  u = await provisionUser(t.httpUrl, t.adminToken, "member", {
    limits: { requests_per_minute: 10_000, tokens_per_minute: 10_000_000, max_concurrent_requests: 50, monthly_budget_usd: "1000" },
  });
  sql = postgres(t.databaseUrl, { onnotice: () => {}, max: 2 });
});
afterAll(async () => {
  await sql.end();
  await t.close();
});

/** A function tool whose description holds the canary and whose only argument can only be the canary: the model's call echoes it. */
const TOOL = {
  type: "function",
  name: "lookup",
  description: `Looks up ${CANARY} in the archive`,
  parameters: { type: "object", properties: { term: { type: "string", enum: [CANARY] } }, required: ["term"] },
};
const CREATE = { model: "gpt-4o-mini", instructions: `Always mention ${CANARY}.`, input: `What is ${CANARY}?`, tools: [TOOL] };

/** One call as member u to the test gateway (the metering suites' helper, bound here). */
function http(method: "GET" | "POST" | "DELETE", path: string, body?: unknown, abortAfterEvents?: number): Promise<Reply> {
  return callGateway(t.httpUrl, u.apiKey, method, path, body, abortAfterEvents);
}


/** Polls until the response has finished. */
async function pollDone(get: () => Promise<{ status: string }>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await get()).status === "completed") return;
    await sleep(25);
  }
  throw new Error("the background response never completed");
}

function grpcStream(open: (client: ResponsesServiceClient, md: Metadata) => ClientReadableStream<ResponseStreamEvent>): Promise<ResponseStreamEvent[]> {
  const client = new ResponsesServiceClient(t.grpcAddress, credentials.createInsecure());
  return new Promise((resolve, reject) => {
    const seen: ResponseStreamEvent[] = [];
    const s = open(client, bearer(u.apiKey));
    s.on("data", (e: ResponseStreamEvent) => seen.push(e));
    s.on("end", () => {
      client.close();
      resolve(seen);
    });
    s.on("error", (err: Error) => {
      client.close();
      reject(err);
    });
  });
}

describe("no content anywhere but the client, for the Responses API", () => {
  it("the canary reaches the client on every route of both doors", async () => {
    t.emulator.setTiming({ timeToFirstTokenMs: 0, chunkDelayMs: 0 });
    // HTTP: unary; the model calls the tool with the canary as its argument.
    const unary = await http("POST", "/v1/responses", CREATE);
    expect(unary.status).toBe(200);
    const call1 = unary.json.output.find((i: any) => i.type === "function_call");
    expect(call1.arguments).toContain(CANARY);
    // The tool's result, holding the canary, fed back on top of the stored response.
    const followUp = await http("POST", "/v1/responses", {
      model: "gpt-4o-mini",
      previous_response_id: unary.json.id,
      input: [{ type: "function_call_output", call_id: call1.call_id, output: `The archive says ${CANARY} is a bird.` }],
      tools: [TOOL],
    });
    expect(followUp.status).toBe(200);
    const streamed = await http("POST", "/openai/v1/responses", { ...CREATE, stream: true });
    expect(streamed.text).toContain(CANARY);

    // A stream abandoned mid-way: its prompt, with the canary, is counted locally.
    t.emulator.setTiming({ timeToFirstTokenMs: 0, chunkDelayMs: 30, answerWords: 40 });
    const abandoned = await http("POST", "/v1/responses", { model: "gpt-4o-mini", instructions: `Tell of ${CANARY}.`, input: `A long tale about ${CANARY}`, stream: true }, 4);
    expect(abandoned.status).toBe(200);
    // Azure's content filter blocks a prompt: it is counted locally too.
    t.emulator.setTiming({ timeToFirstTokenMs: 0, chunkDelayMs: 0, answerWords: 16 });
    t.emulator.setFault("gpt-4o-mini", { fault: { kind: "content-filter" }, times: 1 });
    expect((await http("POST", "/v1/responses", CREATE)).status).toBe(400);

    // Background: polled, its stream resumed, its input listed; another cancelled and deleted.
    t.emulator.setTiming({ timeToFirstTokenMs: 150, chunkDelayMs: 10 });
    const bg = await http("POST", "/v1/responses", { ...CREATE, background: true });
    // Slow enough that it cannot finish before the cancel, however loaded the machine is.
    t.emulator.setTiming({ timeToFirstTokenMs: 60_000, chunkDelayMs: 10 });
    const cancelMe = await http("POST", "/v1/responses", { ...CREATE, background: true });
    t.emulator.setTiming({ timeToFirstTokenMs: 0, chunkDelayMs: 0 });
    const cancelled = await http("POST", `/v1/responses/${cancelMe.json.id}/cancel`);
    expect(cancelled.json).toMatchObject({ status: "cancelled" });
    expect((await http("DELETE", `/v1/responses/${cancelMe.json.id}`)).json).toMatchObject({ deleted: true });
    await pollDone(async () => (await http("GET", `/v1/responses/${bg.json.id}`)).json);
    expect((await http("GET", `/v1/responses/${bg.json.id}`)).text).toContain(CANARY);
    expect((await http("GET", `/v1/responses/${bg.json.id}?stream=true&starting_after=1`)).text).toContain(CANARY);
    expect((await http("GET", `/v1/responses/${unary.json.id}/input_items`)).text).toContain(CANARY);
    expect((await http("DELETE", `/v1/responses/${unary.json.id}`)).json).toMatchObject({ deleted: true });

    // Azure rejects a parameter it does not know and names it: the caller may read that, no one else.
    const echoed = await http("POST", "/v1/responses", { ...CREATE, [`x_${CANARY}`]: true });
    expect(echoed.status).toBe(400);
    expect(echoed.json.error.message).toContain(CANARY);

    // gRPC: the same, with the tool as a Struct.
    const client = new ResponsesServiceClient(t.grpcAddress, credentials.createInsecure());
    const md = (): Metadata => bearer(u.apiKey);
    const req = CreateResponseRequest.fromPartial({ model: "gpt-4o-mini", instructions: CREATE.instructions, inputText: CREATE.input, tools: [TOOL] });
    try {
      const created: ProtoResponse = await call(client, client.createResponse, req, md());
      expect(JSON.stringify(created.output)).toContain(CANARY);
      const events = await grpcStream((c, m) => c.streamResponse(req, m));
      expect(JSON.stringify(events.map((e) => e.event))).toContain(CANARY);

      t.emulator.setTiming({ timeToFirstTokenMs: 150, chunkDelayMs: 10 });
      const gbg: ProtoResponse = await call(client, client.createResponse, { ...req, background: true }, md());
      const gcancel: ProtoResponse = await call(client, client.createResponse, { ...req, background: true }, md());
      t.emulator.setTiming({ timeToFirstTokenMs: 0, chunkDelayMs: 0 });
      const gcancelled: ProtoResponse = await call(client, client.cancelResponse, { responseId: gcancel.id }, md());
      expect(gcancelled.status).toBe("cancelled");
      await call(client, client.deleteResponse, { responseId: gcancel.id }, md());
      await pollDone(() => call(client, client.getResponse, { responseId: gbg.id, include: [] }, md()));
      const resumed = await grpcStream((c, m) => c.resumeResponse({ responseId: gbg.id, include: [], startingAfter: 1 }, m));
      expect(JSON.stringify(resumed.map((e) => e.event))).toContain(CANARY);
      const items = await call(client, client.listInputItems, { responseId: created.id, order: "", after: "", include: [] }, md());
      expect(JSON.stringify(items.data)).toContain(CANARY);
      await call(client, client.deleteResponse, { responseId: created.id }, md());

      const refused = await call(client, client.createResponse, { ...req, extraBody: { [`x_${CANARY}`]: true } }, md()).catch((e: unknown) => e);
      // The caller may be told which parameter Azure named; only the status is required here.
      expect(isServiceError(refused) && refused.code).toBe(status.INVALID_ARGUMENT);
    } finally {
      client.close();
    }

    // Everything metered and settled before the stores are read: nothing pending, the abandoned stream counted.
    await until("no background response pending", async () => (await sql`select 1 from pending_usage`).length === 0);
    await until("the abandoned stream recorded", async () => (await storedRecords(t.databaseUrl, { keyIds: [u.keyId] })).some((r) => r.outcome === "client_cancelled" && r.estimated));
    const marker = await request(`${t.httpUrl}/v1/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${u.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-4o-mini", input: "marker" }),
    });
    const markerId = String(marker.headers["x-request-id"]);
    await marker.body.text();
    await until("the marker recorded", async () => (await storedRecords(t.databaseUrl, { keyIds: [u.keyId] })).some((r) => r.request_id === markerId));
  });

  it("not in the gateway's log lines", () => {
    expect(t.logs.length).toBeGreaterThan(0);
    expect(t.logs.join("\n")).not.toContain(CANARY);
  });

  it("not in any span or metric attribute", async () => {
    const finished = spans.getFinishedSpans();
    expect(finished.some((s) => s.name.includes("responses"))).toBe(true);
    const everything = JSON.stringify(finished.map((s) => ({ name: s.name, attributes: s.attributes, events: s.events, status: s.status, links: s.links })));
    expect(everything).toContain("gpt-4o-mini");
    expect(everything).not.toContain(CANARY);

    const collected = await reader.collect();
    const labels = JSON.stringify(collected.resourceMetrics.scopeMetrics.flatMap((m) => m.metrics.flatMap((x) => x.dataPoints.map((p) => p.attributes))));
    expect(labels).toContain("gpt-4o-mini");
    expect(labels).not.toContain(CANARY);
  });

  it("not in any table of the database", async () => {
    const tables = await sql<Array<{ name: string }>>`
      select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'p') order by 1`;
    expect(tables.map((x) => x.name)).toEqual(expect.arrayContaining(["usage_records", "owned_objects", "pending_usage", "api_keys"]));
    let dump = "";
    for (const { name } of tables) {
      const rows = await sql<Array<{ row: string }>>`select x::text as row from ${sql(name)} x`;
      dump += `${name}\n${rows.map((r) => r.row).join("\n")}\n`;
    }
    // The dump is real: it holds the metadata the gateway does keep.
    expect(dump).toContain(u.keyId);
    expect(dump).toMatch(/resp_[A-Za-z0-9]+/);
    expect(dump).not.toContain(CANARY);
  });

  it("not in any Redis key or value under the gateway's prefix", async () => {
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    try {
      const keys: string[] = [];
      let cursor = "0";
      do {
        const [next, batch] = await redis.scan(cursor, "MATCH", `${t.redisPrefix}*`, "COUNT", 1000);
        cursor = next;
        keys.push(...batch);
      } while (cursor !== "0");
      expect(keys.length).toBeGreaterThan(0);
      let dump = keys.join("\n");
      for (const key of keys) {
        const type = await redis.type(key);
        if (type === "string") dump += `\n${(await redis.getBuffer(key))?.toString("latin1") ?? ""}`;
        else if (type === "hash") dump += `\n${JSON.stringify(await redis.hgetall(key))}`;
        else if (type === "zset") dump += `\n${(await redis.zrange(key, 0, -1, "WITHSCORES")).join(" ")}`;
        else if (type === "set") dump += `\n${(await redis.smembers(key)).join(" ")}`;
        else if (type === "list") dump += `\n${(await redis.lrange(key, 0, -1)).join(" ")}`;
        else if (type !== "none") throw new Error(`unexpected Redis type ${type} at ${key}`);
      }
      expect(dump).toContain(u.keyId);
      expect(dump).not.toContain(CANARY);
    } finally {
      redis.disconnect();
    }
  });
});
