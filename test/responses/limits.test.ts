// Responses creates count against RPM, TPM, concurrency and budgets exactly like chat; reading one's own responses is never refused.
import { credentials, status } from "@grpc/grpc-js";
import { request } from "undici";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CreateResponseRequest, ResponsesServiceClient } from "../../gen/aik/v1/responses.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { bearer, call, isServiceError } from "../support/grpc-client.js";
import { provisionUser, type Provisioned } from "../support/identity.js";
import { storedRecords, until } from "../support/usage-db.js";

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(() => t.close());
beforeEach(() => {
  t.emulator.setTiming({ timeToFirstTokenMs: 0, chunkDelayMs: 0 });
  t.emulator.clearRequests();
});

const keyWith = (limits: Record<string, unknown>): Promise<Provisioned> => provisionUser(t.httpUrl, t.adminToken, "member", { limits });

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: any;
}

async function http(key: string, method: "GET" | "POST" | "DELETE", path: string, body?: unknown): Promise<Reply> {
  const res = await request(`${t.httpUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, json: text.startsWith("{") ? JSON.parse(text) : text };
}

const create = (key: string, extra: Record<string, unknown> = {}): Promise<Reply> =>
  http(key, "POST", "/v1/responses", { model: "gpt-4o-mini", input: "hi", max_output_tokens: 16, ...extra });

/** Model calls the emulator was asked for (reads of stored responses are not creates). */
const upstreamCreates = (): number => t.emulator.requests.filter((q) => q.method === "POST" && q.path.endsWith("/responses")).length;

describe("requests per minute", () => {
  it("a key limited to 3 RPM: the 4th create of a burst is 429 rate_limit_exceeded with retry-after, and never reaches Azure", async () => {
    // Background runs long enough that the cancel below meets a running one.
    t.emulator.setTiming({ timeToFirstTokenMs: 300, chunkDelayMs: 10 });
    const u = await keyWith({ requests_per_minute: 3 });
    const burst = await Promise.all(Array.from({ length: 4 }, () => create(u.apiKey, { background: true })));
    expect(burst.map((r) => r.status).sort()).toEqual([200, 200, 200, 429]);
    const refused = burst.find((r) => r.status === 429);
    expect(refused?.json.error).toMatchObject({ code: "rate_limit_exceeded", type: "requests" });
    expect(Number(refused?.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect(refused?.headers["x-ratelimit-remaining-requests"]).toBe("0");
    expect(upstreamCreates()).toBe(3);

    // The limit is spent, yet the caller can still read, resume, list, cancel and delete what it created.
    const ids = burst.filter((r) => r.status === 200).map((r) => String(r.json.id));
    const [a = "", b = "", c = ""] = ids;
    const reads = [
      await http(u.apiKey, "GET", `/v1/responses/${a}`),
      await http(u.apiKey, "GET", `/v1/responses/${a}/input_items`),
      await http(u.apiKey, "POST", `/v1/responses/${b}/cancel`),
      await http(u.apiKey, "GET", `/v1/responses/${c}?stream=true`),
      await http(u.apiKey, "DELETE", `/v1/responses/${a}`),
    ];
    expect(reads.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(reads[2]?.json).toMatchObject({ id: b, status: "cancelled" });
    expect(reads[4]?.json).toMatchObject({ id: a, deleted: true });

    const client = new ResponsesServiceClient(t.grpcAddress, credentials.createInsecure());
    try {
      const got = await call(client, client.getResponse, { responseId: c, include: [] }, bearer(u.apiKey));
      expect(got.id).toBe(c);
      // A create is still refused: the reads did not refill anything, they were simply not counted.
      const err = await call(client, client.createResponse, CreateResponseRequest.fromPartial({ model: "gpt-4o-mini", inputText: "hi", maxOutputTokens: 16 }), bearer(u.apiKey)).catch(
        (e: unknown) => e,
      );
      expect(isServiceError(err) && err.code).toBe(status.RESOURCE_EXHAUSTED);
    } finally {
      client.close();
    }
    expect((await create(u.apiKey)).status).toBe(429);
    expect(upstreamCreates()).toBe(3);
  });
});

describe("tokens per minute", () => {
  it("a max_output_tokens alone above the key's TPM is refused at once, saying so, without retry-after", async () => {
    const u = await keyWith({ tokens_per_minute: 100 });
    const started = performance.now();
    const res = await create(u.apiKey, { max_output_tokens: 500 });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(res.status).toBe(429);
    expect(res.json.error).toMatchObject({ code: "rate_limit_exceeded", type: "tokens" });
    expect(res.json.error.message).toMatch(/Request too large.*100 tokens-per-minute/);
    expect(res.headers["retry-after"]).toBeUndefined();
    expect(upstreamCreates()).toBe(0);
  });

  it("that refusal names the Responses field at fault: max_output_tokens", async () => {
    const u = await keyWith({ tokens_per_minute: 100 });
    const res = await create(u.apiKey, { max_output_tokens: 500 });
    expect(res.status).toBe(429);
    // A Responses request has no max_tokens; an OpenAI error's param names the request's own field.
    expect(res.json.error.param).toBe("max_output_tokens");
  });

  it("creates draw on the bucket: background ones hold their reservation, and the one that no longer fits waits", async () => {
    t.emulator.setTiming({ timeToFirstTokenMs: 200, chunkDelayMs: 10 });
    const u = await keyWith({ tokens_per_minute: 1000 });
    // Each reserves its prompt estimate + 400 output tokens: two fit in 1,000, a third does not.
    const statuses: number[] = [];
    let last: Reply | undefined;
    for (let i = 0; i < 3; i++) {
      last = await create(u.apiKey, { background: true, max_output_tokens: 400 });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 429]);
    expect(last?.json.error).toMatchObject({ code: "rate_limit_exceeded", type: "tokens" });
    expect(Number(last?.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect(upstreamCreates()).toBe(2);
  });
});

describe("monthly budget", () => {
  it("a key with a budget of 0 is refused its first create: 429 insufficient_quota", async () => {
    const u = await keyWith({ monthly_budget_usd: "0" });
    const res = await create(u.apiKey);
    expect(res.status).toBe(429);
    expect(res.json.error).toMatchObject({ code: "insufficient_quota", type: "insufficient_quota" });
    expect(res.json.error.message).toMatch(/monthly budget of \$0/);
    expect(upstreamCreates()).toBe(0);
  });

  it("a tiny budget is spent by a few responses, and later ones are refused", async () => {
    // gpt-4o-mini: $0.15 in, $0.60 out per 1M tokens; a 16-token answer to "hi" costs about $0.00001.
    const u = await keyWith({ monthly_budget_usd: "0.00005" });
    const statuses: number[] = [];
    let last: Reply | undefined;
    for (let i = 0; i < 12; i++) {
      last = await create(u.apiKey);
      statuses.push(last.status);
    }
    const served = statuses.filter((s) => s === 200).length;
    expect(served).toBeGreaterThanOrEqual(2);
    expect(served).toBeLessThan(12);
    expect(statuses.slice(0, 2)).toEqual([200, 200]);
    expect(last?.status).toBe(429);
    expect(last?.json.error).toMatchObject({ code: "insufficient_quota", type: "insufficient_quota" });
    expect(last?.json.error.message).toMatch(/monthly budget of \$0\.00005/);
    expect(upstreamCreates()).toBe(served);
    // What was served is metered, and it is what spent the budget.
    await until("the served responses recorded", async () => (await storedRecords(t.databaseUrl, { keyIds: [u.keyId] })).filter((r) => r.outcome === "ok").length === served);
    const spent = (await storedRecords(t.databaseUrl, { keyIds: [u.keyId] })).reduce((s, r) => s + r.cost_micro_usd, 0);
    expect(spent).toBeGreaterThan(0);
    expect(spent).toBeLessThanOrEqual(50);
  });
});

describe("concurrency", () => {
  it("a key limited to 1 concurrent request: a second stream while the first is open is 429, and admitted once it ends", async () => {
    t.emulator.setTiming({ timeToFirstTokenMs: 0, chunkDelayMs: 40 });
    const u = await keyWith({ max_concurrent_requests: 1 });
    const first = await request(`${t.httpUrl}/v1/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${u.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-4o-mini", input: "slow", stream: true }),
    });
    expect(first.statusCode).toBe(200);
    const firstId = String(first.headers["x-request-id"]);
    const second = await create(u.apiKey, { stream: true });
    expect(second.status).toBe(429);
    expect(second.json.error).toMatchObject({ code: "rate_limit_exceeded" });
    expect(second.json.error.message).toMatch(/1 concurrent requests/);

    expect(await first.body.text()).toContain("response.completed");
    t.emulator.setTiming({ chunkDelayMs: 0 });
    // The first stream's record is written once its answer settled, as its slot is given back.
    await until("the first stream recorded", async () => (await storedRecords(t.databaseUrl, { keyIds: [u.keyId] })).some((r) => r.request_id === firstId));
    const third = await create(u.apiKey, { stream: true });
    expect(third.status).toBe(200);
  });
});
