// Every request metered exactly once through the gateway: a mixed run over both protocols, counts equal to Azure's.
import { Metadata } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request } from "undici";
import { ChatCompletionRequest, ChatRole, type ChatCompletionChunk } from "../../gen/aik/v1/chat.js";
import { USAGE_COLUMNS } from "../../src/metering/record.js";
import { bearer, chatClient } from "../support/grpc-client.js";
import { startTestGateway, testDeployments, type TestGateway } from "../support/gateway.js";
import { costOf } from "../../src/metering/prices.js";
import { provisionUser, type Provisioned } from "../support/identity.js";
import { storedRecords, until } from "../support/usage-db.js";
import { readFileSync } from "node:fs";

let t: TestGateway;
let u: Provisioned;
let limited: Provisioned;
beforeAll(async () => {
  t = await startTestGateway();
  u = await provisionUser(t.httpUrl, t.adminToken, "member");
  limited = await provisionUser(t.httpUrl, t.adminToken, "member", { limits: { requests_per_minute: 1 } });
});
afterAll(() => t.close());

/** One HTTP call; returns the gateway's request id whatever the outcome. `abortAfter` abandons a stream after N body chunks. */
async function http(key: string, path: string, body: Record<string, unknown>, abortAfter?: number): Promise<{ id: string; status: number }> {
  const ac = new AbortController();
  const res = await request(`${t.httpUrl}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: ac.signal,
  });
  const id = String(res.headers["x-request-id"]);
  let chunks = 0;
  try {
    for await (const _ of res.body) {
      if (abortAfter !== undefined && ++chunks >= abortAfter) ac.abort();
    }
  } catch {
    // the abandonment
  }
  return { id, status: res.statusCode };
}

function grpcStream(req: ChatCompletionRequest, cancelAfter?: number): Promise<string> {
  const client = chatClient(t.grpcAddress);
  return new Promise((resolve) => {
    let id = "";
    let chunks = 0;
    const s = client.streamChatCompletion(req, bearer(u.apiKey));
    s.on("metadata", (md: Metadata) => (id = String(md.get("x-request-id")[0])));
    s.on("data", (_c: ChatCompletionChunk) => {
      if (cancelAfter !== undefined && ++chunks >= cancelAfter) s.cancel();
    });
    const done = (): void => {
      client.close();
      resolve(id);
    };
    s.on("end", done);
    s.on("error", done);
  });
}

function grpcUnary(req: ChatCompletionRequest): Promise<string> {
  const client = chatClient(t.grpcAddress);
  return new Promise((resolve) => {
    let id = "";
    const c = client.createChatCompletion(req, bearer(u.apiKey), () => {
      client.close();
      resolve(id);
    });
    c.on("metadata", (md: Metadata) => (id = String(md.get("x-request-id")[0])));
  });
}

const chat = (extra: Record<string, unknown> = {}) => ({ model: "gpt-4o", max_tokens: 10, messages: [{ role: "user", content: "Count for me" }], ...extra });
const proto = ChatCompletionRequest.fromPartial({ model: "gpt-4o", maxTokens: 10, messages: [{ role: ChatRole.CHAT_ROLE_USER, content: { $case: "text", value: "Count for me" } }] });

describe("metering through the gateway", () => {
  it("a mixed run yields one record per request, and Azure's counts for every non-estimated one", async () => {
    t.emulator.setTiming({ chunkDelayMs: 20 });
    const ids: string[] = [];
    const add = async (p: Promise<string | { id: string }>): Promise<void> => {
      const r = await p;
      ids.push(typeof r === "string" ? r : r.id);
    };
    await add(http(u.apiKey, "/v1/chat/completions", chat()));
    await add(http(u.apiKey, "/v1/chat/completions", chat({ model: "gpt-4o-mini" })));
    await add(http(u.apiKey, "/v1/chat/completions", chat({ stream: true })));
    await add(http(u.apiKey, "/v1/chat/completions", chat({ stream: true, stream_options: { include_usage: true } })));
    await add(http(u.apiKey, "/v1/chat/completions", chat({ stream: true }), 2));
    await add(http(u.apiKey, "/v1/embeddings", { model: "text-embedding-3-small", input: ["a", "b"] }));
    t.emulator.setFault("gpt-4o", { fault: { kind: "server-error" }, times: 1 });
    await add(http(u.apiKey, "/v1/chat/completions", chat()));
    t.emulator.setFault("gpt-4o", { fault: { kind: "content-filter" }, times: 1 });
    await add(http(u.apiKey, "/v1/chat/completions", chat()));
    t.emulator.setFault("gpt-4o", { fault: { kind: "reset-mid-stream", afterChunks: 3 }, times: 1 });
    await add(http(u.apiKey, "/v1/chat/completions", chat({ stream: true })));
    await add(http(limited.apiKey, "/v1/chat/completions", chat()));
    const refused = await http(limited.apiKey, "/v1/chat/completions", chat());
    expect(refused.status).toBe(429);
    ids.push(refused.id);
    await add(grpcUnary(proto));
    await add(grpcStream(proto));
    await add(grpcStream({ ...proto, streamOptions: { includeUsage: true } }));
    await add(grpcStream(proto, 2));
    t.emulator.setTiming({ chunkDelayMs: 0 });

    expect(new Set(ids).size).toBe(ids.length);
    await until("every request recorded", async () => (await storedRecords(t.databaseUrl, { keyIds: [u.keyId, limited.keyId] })).length >= ids.length);
    const records = await storedRecords(t.databaseUrl, { keyIds: [u.keyId, limited.keyId] });
    expect(records.map((r) => r.request_id).sort()).toEqual([...ids].sort());

    const byId = new Map(records.map((r) => [r.request_id, r]));
    const outcome = (i: number) => byId.get(ids[i] ?? "")?.outcome;
    expect([outcome(0), outcome(1), outcome(2), outcome(3), outcome(5)]).toEqual(["ok", "ok", "ok", "ok", "ok"]);
    expect(outcome(4)).toBe("client_cancelled");
    expect(outcome(6)).toBe("upstream_error:upstream_error");
    expect(outcome(7)).toBe("upstream_error:content_filter");
    expect(outcome(8)).toBe("upstream_error:upstream_stream_cut");
    expect(outcome(10)).toBe("rejected_by_limit:requests");
    expect(byId.get(ids[10] ?? "")).toMatchObject({ deployment_id: null, prompt_tokens: 0, cost_micro_usd: 0 });
    expect(outcome(14)).toBe("client_cancelled");

    // Non-estimated records carry exactly what the emulator (Azure) reported for that request.
    for (const r of records.filter((x) => !x.estimated && x.outcome === "ok")) {
      const seen = t.emulator.requests.filter((q) => q.clientRequestId === r.request_id && q.usage);
      expect(seen).toHaveLength(1);
      expect(r.prompt_tokens + r.completion_tokens).toBe(seen[0]?.usage?.total_tokens);
      expect(r.prompt_tokens).toBe(seen[0]?.usage?.prompt_tokens);
      // Cost is the price table's, for the deployment that served it, in integer micro-USD.
      const model = testDeployments(t.emulator.url).find((d) => d.id === r.deployment_id)?.model ?? "";
      expect(r.cost_micro_usd).toBe(costOf(model, { promptTokens: r.prompt_tokens, cachedTokens: r.cached_tokens, completionTokens: r.completion_tokens }).costMicroUsd);
    }
    expect(byId.get(ids[0] ?? "")?.cost_micro_usd).toBeGreaterThan(0);
    // Streams the client abandoned are counted locally and say so.
    expect(byId.get(ids[4] ?? "")).toMatchObject({ estimated: true, streamed: true });
    expect(byId.get(ids[4] ?? "")?.prompt_tokens).toBeGreaterThan(0);
    expect(byId.get(ids[7] ?? "")).toMatchObject({ estimated: true });
    expect(records.filter((r) => r.protocol === "grpc")).toHaveLength(4);
  });

  it("the usage table's columns are exactly the record the README documents", () => {
    const readme = readFileSync("README.md", "utf8");
    const section = /<!-- usage-record:start -->([\s\S]*?)<!-- usage-record:end -->/.exec(readme)?.[1] ?? "";
    const documented = [...section.matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented).toEqual([...USAGE_COLUMNS]);
  });

  it("the actual table has those columns and no others", async () => {
    const { default: postgres } = await import("postgres");
    const sql = postgres(t.databaseUrl, { onnotice: () => {}, max: 1 });
    try {
      const cols = await sql<Array<{ column_name: string }>>`
        select column_name from information_schema.columns where table_name = 'usage_records' order by ordinal_position`;
      expect(cols.map((c) => c.column_name)).toEqual([...USAGE_COLUMNS]);
    } finally {
      await sql.end();
    }
  });
});
