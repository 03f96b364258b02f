// GetLimitStatus over HTTP and gRPC: limits in force and what the limiter counts as used now, for the member themselves or, for admins, anyone.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GetLimitStatusResponse } from "../../gen/aik/v1/admin.js";
import { adminClient, bearer, call as grpcCall, isServiceError } from "../support/grpc-client.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { adminCall, provisionUser, type Provisioned } from "../support/identity.js";
import { asPage, call, consoleLogin, until, type Answer, type BrowserSession } from "./browser.js";

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(() => t.close());

function chat(key: string, model = "gpt-4o", signal?: AbortSignal): Promise<Answer> {
  const body = { model, max_tokens: 5, messages: [{ role: "user", content: "hi" }] };
  if (!signal) return call(`${t.httpUrl}/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${key}` }, body });
  return fetch(`${t.httpUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
    signal,
  }).then(async (r) => ({ status: r.status, headers: {}, text: await r.text(), json: undefined }));
}

async function status(s: BrowserSession, who = "me"): Promise<Answer> {
  return asPage(s, `${t.httpUrl}/v1/admin/users/${who}/limit-status`);
}

async function createKey(userId: string, fields: Record<string, unknown> = {}): Promise<{ id: string; secret: string }> {
  const made = await adminCall(t.httpUrl, t.adminToken, "POST", "/v1/admin/api-keys", { user_id: userId, name: "limits", ...fields });
  expect(made.status).toBe(200);
  return { id: made.json.api_key.id, secret: made.json.secret };
}

async function memberWithLimits(limits: Record<string, unknown>): Promise<Provisioned> {
  const u = await provisionUser(t.httpUrl, t.adminToken, "member");
  expect((await adminCall(t.httpUrl, t.adminToken, "PATCH", `/v1/admin/users/${u.userId}`, { limits })).status).toBe(200);
  return u;
}

describe("GetLimitStatus: what is used now", () => {
  it("requests and tokens of the per-minute buckets, per user and per key; budget spent as metering records it", async () => {
    // 3 RPM drains one request every 20 s: the level read is 3 minus what drained since the first admission.
    const u = await memberWithLimits({ requests_per_minute: 3, tokens_per_minute: 60, monthly_budget_usd: "10.00" });
    // The first key has a concurrency limit of its own (its requests are admitted one Redis round trip each);
    // the second has none (admitted through a lease).
    expect((await adminCall(t.httpUrl, t.adminToken, "PATCH", `/v1/admin/api-keys/${u.keyId}`, { limits: { max_concurrent_requests: 2 } })).status).toBe(200);
    const second = await createKey(u.userId);
    const revoked = await createKey(u.userId);
    expect((await adminCall(t.httpUrl, t.adminToken, "POST", `/v1/admin/api-keys/${revoked.id}:revoke`, {})).status).toBe(200);
    const started = Date.now();
    expect((await chat(u.apiKey)).status).toBe(200);
    expect((await chat(u.apiKey)).status).toBe(200);
    expect((await chat(second.secret)).status).toBe(200);
    // The fourth is over the user's 3 RPM.
    expect((await chat(second.secret)).status).toBe(429);

    const s = await consoleLogin(t.httpUrl, u.email, u.password);
    const read = await status(s);
    expect(read.status).toBe(200);
    const drained = Math.floor((Date.now() - started) / 20_000);
    expect(read.json.user_id).toBe(u.userId);
    expect(read.json.month).toBe(new Date().toISOString().slice(0, 7));
    expect(read.json.limits).toEqual({ requests_per_minute: 3, tokens_per_minute: 60, monthly_budget_usd: "10.00" });
    expect(read.json.used.requests_per_minute).toBeLessThanOrEqual(3);
    expect(read.json.used.requests_per_minute).toBeGreaterThanOrEqual(3 - drained);
    // Tokens: the three answers' prompt + completion (or their reservations, before settling), draining 1 a second.
    expect(Number(read.json.used.tokens_per_minute)).toBeGreaterThan(0);
    expect(Number(read.json.used.tokens_per_minute)).toBeLessThanOrEqual(60);

    // Only live keys, oldest first; a key without limits of its own shows no buckets of its own.
    expect(read.json.keys.map((k: { key_id: string }) => k.key_id)).toEqual([u.keyId, second.id]);
    const [first, other] = read.json.keys;
    expect(first).toMatchObject({ key_id: u.keyId, name: "test", prefix: u.apiKey.slice(0, 10), limits: { max_concurrent_requests: 2 } });
    expect(first.used.requests_per_minute).toBeUndefined();
    expect(first.used.tokens_per_minute).toBeUndefined();
    expect(other.limits).toEqual({});
    expect(Object.keys(other.used).sort()).toEqual(["concurrent_requests", "monthly_spent_usd"]);

    // Spend: the budget counter settles to what metering records (the same cost, computed once per answer).
    const metered = async (): Promise<string> => (await adminCall(t.httpUrl, t.adminToken, "GET", `/v1/admin/usage?user_id=${u.userId}`)).json.total.cost_usd;
    const settled = await until("the budget counter to equal the metered cost", async () => {
      const [now, bill] = [(await status(s)).json, await metered()];
      return now.used.monthly_spent_usd === bill && now.used.concurrent_requests === 0 ? now : undefined;
    });
    expect(settled.used.monthly_spent_usd).toMatch(/^0\.\d{6}$/);
    expect(Number(settled.used.monthly_spent_usd)).toBeGreaterThan(0);
    expect(settled.keys[0].used.concurrent_requests).toBe(0);
  });

  it("counts a request in flight as concurrent until it ends", async () => {
    const u = await memberWithLimits({ max_concurrent_requests: 5 });
    const s = await consoleLogin(t.httpUrl, u.email, u.password);
    t.emulator.setFault("gpt-4o-mini", { fault: { kind: "slow-headers", delayMs: 30_000 }, times: 1 });
    const abort = new AbortController();
    const pending = chat(u.apiKey, "gpt-4o-mini", abort.signal).catch(() => undefined);
    try {
      const during = await until("the request to be counted in flight", async () => {
        const r = (await status(s)).json;
        return r.used.concurrent_requests === 1 ? r : undefined;
      });
      expect(during.keys[0].used.concurrent_requests).toBe(1);
    } finally {
      abort.abort();
      await pending;
      t.resetUpstream();
    }
    await until("the slot to be freed", async () => ((await status(s)).json.used.concurrent_requests === 0 ? true : undefined));
  });

  it("the configured defaults count for a user without limits of their own", async () => {
    const g = await startTestGateway({}, (c) => ({ ...c, limits: { ...c.limits, defaults: { requestsPerMinute: 7, monthlyBudgetMicroUsd: 2_500_000 } } }));
    try {
      const s = await consoleLogin(g.httpUrl, g.member.email, g.member.password);
      const read = await asPage(s, `${g.httpUrl}/v1/admin/users/me/limit-status`);
      expect(read.json.limits).toEqual({ requests_per_minute: 7, monthly_budget_usd: "2.50" });
      expect(read.json.used).toEqual({ requests_per_minute: 0, concurrent_requests: 0, monthly_spent_usd: "0.000000" });
    } finally {
      await g.close();
    }
  });
});

describe("GetLimitStatus: who may ask", () => {
  let member: BrowserSession;
  let adminSession: BrowserSession;
  let other: Provisioned;
  beforeAll(async () => {
    member = await consoleLogin(t.httpUrl, t.member.email, t.member.password);
    const admin = await provisionUser(t.httpUrl, t.adminToken, "admin");
    adminSession = await consoleLogin(t.httpUrl, admin.email, admin.password);
    other = await provisionUser(t.httpUrl, t.adminToken, "member");
  });

  it("a member: themselves by 'me' or by id; another user is 403", async () => {
    expect((await status(member)).json.user_id).toBe(t.member.userId);
    expect((await status(member, t.member.userId)).status).toBe(200);
    const denied = await status(member, other.userId);
    expect(denied.status).toBe(403);
    expect(denied.json.error.code).toBe("permission_denied");
  });

  it("an admin and the operator: anyone; an unknown id is 404, a malformed one 400, the operator's 'me' 400", async () => {
    const read = await status(adminSession, other.userId);
    expect(read.status).toBe(200);
    expect(read.json.keys.map((k: { key_id: string }) => k.key_id)).toEqual([other.keyId]);
    const op = await call(`${t.httpUrl}/v1/admin/users/${other.userId}/limit-status`, { headers: { authorization: `Bearer ${t.adminToken}` } });
    expect(op.status).toBe(200);
    expect(op.json).toEqual(read.json);
    expect((await status(adminSession, "2f1c0b9e-8a4f-4e0e-9d7a-1b2c3d4e5f60")).status).toBe(404);
    const bad = await status(adminSession, "not-an-id");
    expect(bad.status).toBe(400);
    expect(bad.json.error.param).toBe("user_id");
    const opMe = await call(`${t.httpUrl}/v1/admin/users/me/limit-status`, { headers: { authorization: `Bearer ${t.adminToken}` } });
    expect(opMe.status).toBe(400);
    expect(opMe.json.error.param).toBe("user_id");
  });

  it("no credential, or an API key: 401", async () => {
    expect((await call(`${t.httpUrl}/v1/admin/users/me/limit-status`)).status).toBe(401);
    expect((await call(`${t.httpUrl}/v1/admin/users/me/limit-status`, { headers: { authorization: `Bearer ${t.apiKey}` } })).status).toBe(401);
  });

  it("over gRPC the same answers, with the session token as bearer", async () => {
    const client = adminClient(t.grpcAddress);
    const token = (s: BrowserSession): string => s.cookie.slice("aik_session=".length);
    try {
      const mine = await grpcCall<{ userId: string }, GetLimitStatusResponse>(client, client.getLimitStatus, { userId: "me" }, bearer(token(member)));
      expect(mine.userId).toBe(t.member.userId);
      expect(mine.keys.map((k) => k.keyId)).toContain(t.member.keyId);
      const code = (p: Promise<unknown>) => p.then(() => 0, (e: unknown) => (isServiceError(e) ? e.code : -1));
      expect(await code(grpcCall(client, client.getLimitStatus, { userId: other.userId }, bearer(token(member))))).toBe(7);
      expect(await code(grpcCall(client, client.getLimitStatus, { userId: "me" }, bearer(undefined)))).toBe(16);
      expect(await code(grpcCall(client, client.getLimitStatus, { userId: "me" }, bearer(t.adminToken)))).toBe(3);
      const theirs = await grpcCall<{ userId: string }, GetLimitStatusResponse>(client, client.getLimitStatus, { userId: other.userId }, bearer(token(adminSession)));
      expect(theirs.userId).toBe(other.userId);
      expect(theirs.used?.monthlySpentUsd).toBe("0.000000");
    } finally {
      client.close();
    }
  });
});
