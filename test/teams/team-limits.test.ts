// Team limits through the gateway, against the real Postgres and Redis: a team budget stops every member's team keys, the strictest limit wins, changes reach every replica.
import { status } from "@grpc/grpc-js";
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ChatCompletionRequest, ChatRole } from "../../gen/aik/v1/chat.js";
import { startGateway, type RunningGateway } from "../../src/app.js";
import { createLogger } from "../../src/telemetry/logger.js";
import { call, bearer, chatClient, isServiceError } from "../support/grpc-client.js";
import { startTestGateway, testConfig, testDeployments, type TestGateway } from "../support/gateway.js";
import { adminCall, provisionUser } from "../support/identity.js";
import { testRedis } from "../support/redis.js";
import { gatewaySdk } from "../support/sdk.js";
import { addMember, createTeam, teamKey } from "./team-setup.js";

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(() => t.close());
beforeEach(() => t.emulator.setTiming({ timeToFirstTokenMs: 0, chunkDelayMs: 0 }));

/** One short chat through the openai SDK: its status, and the error's code when refused. */
async function chat(key: string, baseUrl = t.httpUrl): Promise<{ status: number; code?: string | null | undefined; message?: string }> {
  try {
    await gatewaySdk({ httpUrl: baseUrl, apiKey: key }).chat.completions.create({ model: "gpt-4o", max_tokens: 4, messages: [{ role: "user", content: "hi" }] });
    return { status: 200 };
  } catch (err) {
    if (err instanceof OpenAI.APIError) return { status: err.status ?? 0, code: err.code, message: err.message };
    throw err;
  }
}

describe("team budget", () => {
  it("a spent team budget stops every member's team keys at once (429 insufficient_quota); the same user's key of no team still works", async () => {
    // gpt-4o: a 4-token answer to a short prompt costs ~$0.00006: a few requests spend $0.0002.
    const team = await createTeam(t.httpUrl, t.adminToken, { monthly_budget_usd: "0.0002" });
    const a = await provisionUser(t.httpUrl, t.adminToken, "member");
    const b = await provisionUser(t.httpUrl, t.adminToken, "member");
    await addMember(t.httpUrl, t.adminToken, team, a.userId, "TEAM_ROLE_OWNER");
    await addMember(t.httpUrl, t.adminToken, team, b.userId);
    const ka = await teamKey(t.httpUrl, t.adminToken, a.userId, team);
    const kb = await teamKey(t.httpUrl, t.adminToken, b.userId, team);

    const served: string[] = [];
    let refused: Awaited<ReturnType<typeof chat>> | undefined;
    for (let i = 0; i < 20 && !refused; i++) {
      const key = i % 2 === 0 ? ka : kb;
      const res = await chat(key.secret);
      if (res.status === 200) served.push(key.id);
      else refused = res;
    }
    // Both members spent from the one budget before it ran out.
    expect(served).toContain(ka.id);
    expect(served).toContain(kb.id);
    expect(refused).toMatchObject({ status: 429, code: "insufficient_quota" });
    expect(refused?.message).toMatch(new RegExp(`monthly budget of \\$0\\.0002 for team ${team}`));
    for (const key of [ka, kb]) expect(await chat(key.secret)).toMatchObject({ status: 429, code: "insufficient_quota" });
    // gRPC says the same: RESOURCE_EXHAUSTED.
    const grpc = chatClient(t.grpcAddress);
    try {
      const req = ChatCompletionRequest.fromPartial({ model: "gpt-4o", maxTokens: 4, messages: [{ role: ChatRole.CHAT_ROLE_USER, content: { $case: "text", value: "hi" } }] });
      const err = await call(grpc, grpc.createChatCompletion, req, bearer(kb.secret)).catch((e: unknown) => e);
      expect(isServiceError(err) && err.code).toBe(status.RESOURCE_EXHAUSTED);
    } finally {
      grpc.close();
    }
    // Their own keys of no team are not the team's to stop.
    expect(await chat(a.apiKey)).toEqual({ status: 200 });
    expect(await chat(b.apiKey)).toEqual({ status: 200 });
    // Raising the team's budget lets both back in at once (every cached team key is looked up afresh).
    expect((await adminCall(t.httpUrl, t.adminToken, "PATCH", `/v1/admin/teams/${team}`, { limits: { monthly_budget_usd: "5.00" } })).status).toBe(200);
    for (const key of [ka, kb]) expect(await chat(key.secret)).toEqual({ status: 200 });
  });
});

describe("team budget follows metering", () => {
  it("team spend lost from Redis comes back from the metered records, and the team budget holds", async () => {
    const g = await startTestGateway({}, (c) => ({ ...c, limits: { ...c.limits, budgetSyncMs: 200 } }));
    const r = await testRedis();
    try {
      const team = await createTeam(g.httpUrl, g.adminToken, { monthly_budget_usd: "0.0002" });
      const u = await provisionUser(g.httpUrl, g.adminToken, "member");
      await addMember(g.httpUrl, g.adminToken, team, u.userId);
      const key = await teamKey(g.httpUrl, g.adminToken, u.userId, team);
      let res = await chat(key.secret, g.httpUrl);
      for (let i = 0; i < 10 && res.status === 200; i++) res = await chat(key.secret, g.httpUrl);
      expect(res).toMatchObject({ status: 429, code: "insufficient_quota" });
      // Redis forgets the team's month: its counter is gone.
      const keys = await r.redis.keys(`${g.redisPrefix}{team:${team}}:spend*`);
      expect(keys.length).toBe(1);
      await r.redis.del(...keys);
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(await chat(key.secret, g.httpUrl)).toMatchObject({ status: 429, code: "insufficient_quota" });
    } finally {
      await r.close();
      await g.close();
    }
  });
});

describe("most restrictive wins", () => {
  it("team RPM binds below the key's and the user's; the key's or the user's binds below the team's", async () => {
    const team = await createTeam(t.httpUrl, t.adminToken, { requests_per_minute: 3 });
    const a = await provisionUser(t.httpUrl, t.adminToken, "member");
    const b = await provisionUser(t.httpUrl, t.adminToken, "member");
    await adminCall(t.httpUrl, t.adminToken, "PATCH", `/v1/admin/users/${a.userId}`, { limits: { requests_per_minute: 100 } });
    for (const u of [a, b]) await addMember(t.httpUrl, t.adminToken, team, u.userId);
    const ka = await teamKey(t.httpUrl, t.adminToken, a.userId, team, { limits: { requests_per_minute: 100 } });
    const kb = await teamKey(t.httpUrl, t.adminToken, b.userId, team);
    const results = [];
    for (const key of [ka, kb, ka, kb]) results.push(await chat(key.secret));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 429]);
    expect(results[3]).toMatchObject({ code: "rate_limit_exceeded" });
    expect(results[3]?.message).toMatch(new RegExp(`Rate limit reached for team ${team}: 3 requests per minute`));
    // The user's own RPM is far from spent: their key of no team is served.
    expect((await chat(a.apiKey)).status).toBe(200);

    const roomy = await createTeam(t.httpUrl, t.adminToken, { requests_per_minute: 100 });
    const c = await provisionUser(t.httpUrl, t.adminToken, "member");
    await adminCall(t.httpUrl, t.adminToken, "PATCH", `/v1/admin/users/${c.userId}`, { limits: { requests_per_minute: 2 } });
    await addMember(t.httpUrl, t.adminToken, roomy, c.userId);
    const strictKey = await teamKey(t.httpUrl, t.adminToken, c.userId, roomy, { limits: { requests_per_minute: 1 } });
    const other = await teamKey(t.httpUrl, t.adminToken, c.userId, roomy);
    expect((await chat(strictKey.secret)).status).toBe(200);
    expect((await chat(strictKey.secret)).message).toMatch(new RegExp(`Rate limit reached for API key ${strictKey.id}`));
    // c made one request (the strict key's first); one more reaches the user's 2.
    expect((await chat(other.secret)).status).toBe(200);
    expect((await chat(other.secret)).message).toMatch(new RegExp(`Rate limit reached for user ${c.userId}`));
  });
});

describe("across replicas", () => {
  let second: RunningGateway;
  beforeAll(async () => {
    const stores = { databaseUrl: t.databaseUrl, redisPrefix: t.redisPrefix, adminToken: t.adminToken };
    second = await startGateway(testConfig(testDeployments(t.emulator.url), stores), createLogger("error", () => undefined));
  });
  afterAll(() => second.close());

  it("a team's new limits reach the other replica's key cache within a second", async () => {
    const team = await createTeam(t.httpUrl, t.adminToken);
    const a = await provisionUser(t.httpUrl, t.adminToken, "member");
    await addMember(t.httpUrl, t.adminToken, team, a.userId);
    const key = await teamKey(t.httpUrl, t.adminToken, a.userId, team);
    // Both replicas cache the key with the team's limits (none).
    expect((await chat(key.secret, second.httpUrl)).status).toBe(200);
    expect((await chat(key.secret)).status).toBe(200);
    // A budget of 0 blocks paid use: changed on the first replica, seen by the second.
    await adminCall(t.httpUrl, t.adminToken, "PATCH", `/v1/admin/teams/${team}`, { limits: { monthly_budget_usd: "0" } });
    const deadline = Date.now() + 1000;
    let res = await chat(key.secret, second.httpUrl);
    while (res.status === 200 && Date.now() < deadline) res = await chat(key.secret, second.httpUrl);
    expect(res).toMatchObject({ status: 429, code: "insufficient_quota" });
  });
});
