// GetUsage over buf curl, HTTP JSON and CSV: the operators' contract, groupings, filters, and members seeing only their own.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request } from "undici";
import { bufCurl } from "../support/buf-curl.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { adminCall, provisionUser, type Provisioned } from "../support/identity.js";
import { storedRecords, until } from "../support/usage-db.js";

let t: TestGateway;
let a: Provisioned;
let b: Provisioned;
let sessionA: string;

async function chat(key: string, model: string): Promise<void> {
  const res = await request(`${t.httpUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ model, max_tokens: 5, messages: [{ role: "user", content: "usage please" }] }),
  });
  await res.body.text();
}

beforeAll(async () => {
  t = await startTestGateway();
  a = await provisionUser(t.httpUrl, t.adminToken, "member");
  b = await provisionUser(t.httpUrl, t.adminToken, "member");
  for (let i = 0; i < 3; i++) await chat(a.apiKey, "gpt-4o");
  await chat(a.apiKey, "gpt-4o-mini");
  for (let i = 0; i < 2; i++) await chat(b.apiKey, "gpt-4o");
  await until("six records", async () => (await storedRecords(t.databaseUrl, { keyIds: [a.keyId, b.keyId] })).length === 6);
  sessionA = (await adminCall(t.httpUrl, undefined, "POST", "/v1/auth/login", { email: a.email, password: a.password })).json.session_token;
});
afterAll(() => t.close());

async function rpc(token: string, body: object): Promise<Record<string, any>> {
  return JSON.parse(await bufCurl("-H", `Authorization: Bearer ${token}`, "-d", JSON.stringify(body), `http://${t.grpcAddress}/aik.v1.AdminService/GetUsage`));
}

describe("GetUsage", () => {
  it("takes user_id, key_id, model, start_time, end_time, group_by and answers rows and a total (buf curl)", async () => {
    const start = new Date(Date.now() - 3600_000).toISOString();
    const end = new Date(Date.now() + 60_000).toISOString();
    const res = await rpc(t.adminToken, { user_id: a.userId, key_id: a.keyId, model: "gpt-4o", start_time: start, end_time: end, group_by: "model" });
    expect(res.rows).toHaveLength(1);
    expect(res.rows[0]).toMatchObject({ model: "gpt-4o", requests: "3" });
    for (const field of ["requests", "prompt_tokens", "cached_tokens", "completion_tokens", "reasoning_tokens", "cost_usd"]) {
      expect(res.total).toHaveProperty(field);
    }
    expect(res.total.requests).toBe("3");
    expect(res.total.completion_tokens).toBe("15");
    expect(res.total.cost_usd).toMatch(/^\d+\.\d{6}$/);
  });

  it("no time range means all time; grouping by user and by day", async () => {
    const byUser = await rpc(t.adminToken, { group_by: "user" });
    const rowsFor = (id: string) => byUser.rows.find((r: { user_id: string }) => r.user_id === id);
    expect(rowsFor(a.userId)?.requests).toBe("4");
    expect(rowsFor(b.userId)?.requests).toBe("2");
    const byDay = await rpc(t.adminToken, { group_by: "day,deployment", key_id: a.keyId });
    expect(byDay.rows.map((r: { day: string; deployment_id: string }) => `${r.day}/${r.deployment_id}`)).toEqual([
      `${new Date().toISOString().slice(0, 10)}/gpt-4o`,
      `${new Date().toISOString().slice(0, 10)}/gpt-4o-mini`,
    ]);
  });

  it("a member sees only their own usage, and is refused another user's", async () => {
    const own = await adminCall(t.httpUrl, sessionA, "GET", "/v1/admin/usage?group_by=user");
    expect(own.json.rows.map((r: { user_id: string }) => r.user_id)).toEqual([a.userId]);
    expect(own.json.total.requests).toBe("4");
    const other = await adminCall(t.httpUrl, sessionA, "GET", `/v1/admin/usage?user_id=${b.userId}`);
    expect(other.status).toBe(400);
  });

  it("answers CSV over HTTP on Accept: text/csv", async () => {
    const res = await request(`${t.httpUrl}/v1/admin/usage?group_by=model&user_id=${a.userId}`, {
      headers: { authorization: `Bearer ${t.adminToken}`, accept: "text/csv" },
    });
    expect(res.headers["content-type"]).toBe("text/csv; charset=utf-8");
    const lines = (await res.body.text()).trim().split("\r\n");
    expect(lines[0]).toBe("day,model,key_id,user_id,deployment_id,requests,prompt_tokens,cached_tokens,completion_tokens,reasoning_tokens,cost_usd,team_id");
    expect(lines.slice(1).map((l) => l.split(",")[1])).toEqual(["gpt-4o", "gpt-4o-mini", ""]);
    expect(lines.at(-1)?.startsWith("total,")).toBe(true);
  });

  it("refuses bad filters naming them", async () => {
    for (const [q, param] of [["group_by=month", "group_by"], ["key_id=nope", "key_id"], ["start_time=2026-12-01T00:00:00Z&end_time=2026-11-01T00:00:00Z", "end_time"]] as const) {
      const res = await adminCall(t.httpUrl, t.adminToken, "GET", `/v1/admin/usage?${q}`);
      expect(res.status).toBe(400);
      expect(res.json.error.param).toBe(param);
    }
  });
});
