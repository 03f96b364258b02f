// Limits through the gateway, against the real Redis: exact RPM under concurrency, headers, TPM, concurrency, budgets.
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { request } from "undici";
import { ChatCompletionRequest, ChatRole } from "../../gen/aik/v1/chat.js";
import { Status } from "../../gen/google/rpc/status.js";
import { QuotaFailure, RetryInfo } from "../../gen/google/rpc/error_details.js";
import { RedisLimiter } from "../../src/limits/redis-limiter.js";
import { adminClient, bearer, call, chatClient, isServiceError } from "../support/grpc-client.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { adminCall, provisionUser, type Provisioned } from "../support/identity.js";
import { testRedis, type TestRedis } from "../support/redis.js";
import { storedRecords, until } from "../support/usage-db.js";

let t: TestGateway;
let r: TestRedis;
beforeAll(async () => {
  t = await startTestGateway();
  r = await testRedis();
});
afterAll(async () => {
  await t.close();
  await r.close();
});
beforeEach(() => {
  t.emulator.setTiming({ timeToFirstTokenMs: 0, chunkDelayMs: 0 });
  t.emulator.clearRequests();
});

async function keyWith(limits: Record<string, unknown>, userLimits?: Record<string, unknown>): Promise<Provisioned> {
  const u = await provisionUser(t.httpUrl, t.adminToken, "member", { limits });
  if (userLimits) await adminCall(t.httpUrl, t.adminToken, "PATCH", `/v1/admin/users/${u.userId}`, { limits: userLimits });
  return u;
}

async function chat(key: string, body: Record<string, unknown> = {}) {
  const res = await request(`${t.httpUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }], max_tokens: 4, ...body }),
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, json: text.startsWith("{") ? JSON.parse(text) : text };
}

describe("requests per minute", () => {
  it("200 concurrent requests against a key limited to 50 RPM: exactly 50 served", async () => {
    const u = await keyWith({ requests_per_minute: 50 });
    const results = await Promise.all(Array.from({ length: 200 }, () => chat(u.apiKey)));
    const served = results.filter((x) => x.status === 200);
    const refused = results.filter((x) => x.status === 429);
    expect(served).toHaveLength(50);
    expect(refused).toHaveLength(150);
    expect(refused[0]?.json.error).toMatchObject({ code: "rate_limit_exceeded", type: "requests" });
    expect(Number(refused[0]?.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect(t.emulator.requests).toHaveLength(50);
  });

  it("answers carry x-ratelimit-* headers, on success and on refusal", async () => {
    const u = await keyWith({ requests_per_minute: 5, tokens_per_minute: 10_000 });
    const first = await chat(u.apiKey);
    expect(first.headers).toMatchObject({
      "x-ratelimit-limit-requests": "5",
      "x-ratelimit-remaining-requests": "4",
      "x-ratelimit-limit-tokens": "10000",
    });
    expect(String(first.headers["x-ratelimit-reset-requests"])).toMatch(/^\d+(ms|s|m\d+s)$/);
    for (let i = 0; i < 4; i++) await chat(u.apiKey);
    const refused = await chat(u.apiKey);
    expect(refused.status).toBe(429);
    expect(refused.headers["x-ratelimit-remaining-requests"]).toBe("0");
  });

  it("the user's limit binds all of the user's keys together (the stricter wins)", async () => {
    const u = await keyWith({}, { requests_per_minute: 3 });
    const second = await adminCall(t.httpUrl, t.adminToken, "POST", "/v1/admin/api-keys", { user_id: u.userId, name: "second" });
    const keys = [u.apiKey, second.json.secret, u.apiKey, second.json.secret, u.apiKey];
    const statuses = [];
    for (const k of keys) statuses.push((await chat(k)).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
  });

  it("over gRPC a refusal is RESOURCE_EXHAUSTED with RetryInfo and QuotaFailure", async () => {
    const u = await keyWith({ requests_per_minute: 1 });
    const client = chatClient(t.grpcAddress);
    const req = ChatCompletionRequest.fromPartial({ model: "gpt-4o", maxTokens: 2, messages: [{ role: ChatRole.CHAT_ROLE_USER, content: { $case: "text", value: "hi" } }] });
    await call(client, client.createChatCompletion, req, bearer(u.apiKey));
    const err = await call(client, client.createChatCompletion, req, bearer(u.apiKey)).catch((e: unknown) => e);
    client.close();
    if (!isServiceError(err)) throw new Error("expected a refusal");
    expect(err.code).toBe(status.RESOURCE_EXHAUSTED);
    const raw = err.metadata.get("grpc-status-details-bin")[0];
    if (!Buffer.isBuffer(raw)) throw new Error("no details");
    const details = Status.decode(raw).details;
    const retry = details.find((d) => d.typeUrl.endsWith("google.rpc.RetryInfo"));
    const quota = details.find((d) => d.typeUrl.endsWith("google.rpc.QuotaFailure"));
    expect(retry && RetryInfo.decode(retry.value).retryDelay?.seconds).toBeGreaterThanOrEqual(1);
    expect(quota && QuotaFailure.decode(quota.value).violations).toEqual([{ subject: `key:${u.keyId}`, description: "requests per minute" }]);
  });
});

describe("tokens per minute", () => {
  it("a request whose max_tokens alone exceeds the TPM limit is refused at once, saying so", async () => {
    const u = await keyWith({ tokens_per_minute: 100 });
    const started = performance.now();
    const res = await chat(u.apiKey, { max_tokens: 500 });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(res.status).toBe(429);
    expect(res.json.error).toMatchObject({ code: "rate_limit_exceeded", type: "tokens", param: "max_tokens" });
    expect(res.json.error.message).toMatch(/Request too large.*100 tokens-per-minute/);
    expect(res.headers["retry-after"]).toBeUndefined();
    expect(t.emulator.requests).toHaveLength(0);
  });

  it("after a burst of streams, some cancelled, the remaining tokens are the limit minus what was used", async () => {
    const LIMIT = 2000;
    const u = await keyWith({ tokens_per_minute: LIMIT });
    const started = performance.now();
    const streams = Array.from({ length: 8 }, (_, i) => i);
    await Promise.all(
      streams.map(async (i) => {
        const ac = new AbortController();
        const res = await request(`${t.httpUrl}/v1/chat/completions`, {
          method: "POST",
          headers: { authorization: `Bearer ${u.apiKey}`, "content-type": "application/json" },
          body: JSON.stringify({ model: "gpt-4o", stream: true, max_tokens: 12, messages: [{ role: "user", content: `stream number ${i}` }] }),
          signal: ac.signal,
        });
        expect(res.statusCode).toBe(200);
        let chunks = 0;
        try {
          for await (const _ of res.body) {
            // Every other stream is abandoned after its first bytes.
            if (i % 2 === 1 && ++chunks >= 1) ac.abort();
          }
        } catch {
          // the abort
        }
      }),
    );
    // Settlement happens when each stream's end is noticed: wait until every ticket is settled.
    const limiter = new RedisLimiter(r.redis, t.redisPrefix);
    await until("all 8 streams recorded", async () => (await storedRecords(t.databaseUrl, { keyIds: [u.keyId] })).length === 8);
    const rows = await storedRecords(t.databaseUrl, { keyIds: [u.keyId] });
    // What the gateway settled: Azure's counts for finished streams, local counts for abandoned ones.
    const total = rows.reduce((s, x) => s + x.prompt_tokens + x.completion_tokens, 0);
    // Far from its limit the gateway admits from a lease: what it did not use (and the refunds of
    // settlement) reach Redis when the lease lapses and is given back, within about 3 s.
    let remaining = 0;
    await until("the lease given back", async () => {
      remaining = await limiter.remainingTokens({ kind: "key", id: u.keyId, partition: u.userId }, LIMIT);
      return remaining >= LIMIT - total;
    });
    const elapsed = performance.now() - started;
    const completed = rows.filter((x) => x.outcome === "ok");
    expect(completed.length).toBeGreaterThanOrEqual(4);
    // Completed streams count Azure's own numbers, exactly as the emulator reported them.
    const reported = t.emulator.requests.filter((q) => !q.aborted && q.usage).reduce((s, q) => s + (q.usage?.total_tokens ?? 0), 0);
    expect(completed.reduce((s, x) => s + x.prompt_tokens + x.completion_tokens, 0)).toBe(reported);
    // The bucket refills continuously (LIMIT per minute): allow exactly what refilled meanwhile.
    const refill = Math.ceil((LIMIT * elapsed) / 60_000);
    expect(remaining).toBeGreaterThanOrEqual(LIMIT - total);
    expect(remaining).toBeLessThanOrEqual(LIMIT - total + refill);
  });
});

describe("concurrency", () => {
  it("a key limited to 3 concurrent streams gets the 4th refused while three are open, and served once one ends", async () => {
    t.emulator.setTiming({ chunkDelayMs: 150 });
    const u = await keyWith({ max_concurrent_requests: 3 });
    const open = await Promise.all(
      [0, 1, 2].map(() =>
        request(`${t.httpUrl}/v1/chat/completions`, {
          method: "POST",
          headers: { authorization: `Bearer ${u.apiKey}`, "content-type": "application/json" },
          body: JSON.stringify({ model: "gpt-4o", stream: true, max_tokens: 6, messages: [{ role: "user", content: "slow" }] }),
        }),
      ),
    );
    const fourth = await chat(u.apiKey);
    expect(fourth.status).toBe(429);
    expect(fourth.json.error.message).toMatch(/3 concurrent requests/);
    await open[0]?.body.text();
    await new Promise((resolve) => setTimeout(resolve, 50));
    t.emulator.setTiming({ chunkDelayMs: 0 });
    expect((await chat(u.apiKey)).status).toBe(200);
    await Promise.all(open.slice(1).map((o) => o.body.text()));
  });
});

describe("monthly budget", () => {
  it("a spent budget answers 429 insufficient_quota naming the budget, until an admin raises it", async () => {
    // gpt-4o: $2.50 in, $10 out per 1M tokens; a 4-token answer to a short prompt costs ~$0.00006.
    const u = await keyWith({ monthly_budget_usd: "0.0002" });
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof chat>> | undefined;
    for (let i = 0; i < 8; i++) {
      last = await chat(u.apiKey);
      statuses.push(last.status);
    }
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(1);
    expect(statuses.at(-1)).toBe(429);
    expect(last?.json.error).toMatchObject({ code: "insufficient_quota", type: "insufficient_quota" });
    expect(last?.json.error.message).toMatch(/monthly budget of \$0\.0002/);
    const raised = await adminCall(t.httpUrl, t.adminToken, "PATCH", `/v1/admin/api-keys/${u.keyId}`, { limits: { monthly_budget_usd: "5.00" } });
    expect(raised.json.api_key.limits).toEqual({ monthly_budget_usd: "5.00" });
    expect((await chat(u.apiKey)).status).toBe(200);
  });
});

describe("budgets follow metering", () => {
  it("spend lost from Redis comes back from the metered records, and the budget holds", async () => {
    const g = await startTestGateway({}, (c) => ({ ...c, limits: { ...c.limits, budgetSyncMs: 200 } }));
    try {
      const u = await provisionUser(g.httpUrl, g.adminToken, "member", { limits: { monthly_budget_usd: "0.0002" } });
      const call = () => request(`${g.httpUrl}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${u.apiKey}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "gpt-4o", max_tokens: 4, messages: [{ role: "user", content: "hi" }] }),
      }).then(async (res) => (await res.body.text(), res.statusCode));
      let status = 200;
      for (let i = 0; i < 10 && status === 200; i++) status = await call();
      expect(status).toBe(429);
      // Redis forgets the month (a restart without persistence): the counter is gone.
      const keys = await r.redis.keys(`${g.redisPrefix}*spend*`);
      expect(keys.length).toBeGreaterThan(0);
      await r.redis.del(...keys);
      // Within the sync interval metering's records raise it back; the budget still holds.
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(await call()).toBe(429);
    } finally {
      await g.close();
    }
  });
});

describe("bad limit values", () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ["negative RPM", { requests_per_minute: -1 }, "limits.requests_per_minute"],
    ["zero RPM", { requests_per_minute: 0 }, "limits.requests_per_minute"],
    ["zero concurrency", { max_concurrent_requests: 0 }, "limits.max_concurrent_requests"],
    ["fractional TPM", { tokens_per_minute: 1.5 }, "tokens_per_minute"],
    ["absurd RPM", { requests_per_minute: 2_000_000_000 }, "limits.requests_per_minute"],
    ["budget as a number", { monthly_budget_usd: 12.5 }, "monthly_budget_usd"],
    ["negative budget", { monthly_budget_usd: "-1" }, "limits.monthly_budget_usd"],
    ["absurd budget", { monthly_budget_usd: "99999999999" }, "limits.monthly_budget_usd"],
    ["budget with too many decimals", { monthly_budget_usd: "1.0000001" }, "limits.monthly_budget_usd"],
  ];
  it.each(cases)("%s -> 400 naming the field", async (_label, limits, param) => {
    const res = await adminCall(t.httpUrl, t.adminToken, "POST", "/v1/admin/users", { email: `l-${Math.random()}@example.test`, password: "long enough password", limits });
    expect(res.status).toBe(400);
    expect(res.json.error.param).toBe(param);
  });

  it("over gRPC: INVALID_ARGUMENT", async () => {
    const client = adminClient(t.grpcAddress);
    const err = await call(client, client.updateApiKey, { id: t.member.keyId, limits: { requestsPerMinute: 0 } }, bearer(t.adminToken)).catch((e: unknown) => e);
    client.close();
    expect(isServiceError(err) && err.code).toBe(status.INVALID_ARGUMENT);
    expect(isServiceError(err) && err.details).toMatch(/requests_per_minute/);
  });
});
