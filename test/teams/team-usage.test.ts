// Usage by team: rows name the team of the key used, GetUsage filters and groups by team, and a team's usage equals the sum of its keys'.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request } from "undici";
import { ChatCompletionRequest, ChatRole } from "../../gen/aik/v1/chat.js";
import { bufCurl } from "../support/buf-curl.js";
import { bearer, call, chatClient } from "../support/grpc-client.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { adminCall, provisionUser, type Provisioned } from "../support/identity.js";
import { gatewaySdk } from "../support/sdk.js";
import { storedRecords, until } from "../support/usage-db.js";
import { addMember, createTeam, loginAs, teamKey, type TeamKey } from "./team-setup.js";
import postgres from "postgres";

let t: TestGateway;
let a: Provisioned;
let b: Provisioned;
let team: string;
let other: string;
let keys: TeamKey[];
let otherKey: TeamKey;
let ownerSession: string;
let memberSession: string;

async function sdkChat(key: string, model: string): Promise<void> {
  await gatewaySdk(t, key).chat.completions.create({ model, max_tokens: 5, messages: [{ role: "user", content: "usage please" }] });
}

async function grpcChat(key: string): Promise<void> {
  const client = chatClient(t.grpcAddress);
  try {
    const req = ChatCompletionRequest.fromPartial({ model: "gpt-4o-mini", maxTokens: 3, messages: [{ role: ChatRole.CHAT_ROLE_USER, content: { $case: "text", value: "hi" } }] });
    await call(client, client.createChatCompletion, req, bearer(key));
  } finally {
    client.close();
  }
}

beforeAll(async () => {
  t = await startTestGateway();
  a = await provisionUser(t.httpUrl, t.adminToken, "member");
  b = await provisionUser(t.httpUrl, t.adminToken, "member");
  team = await createTeam(t.httpUrl, t.adminToken);
  other = await createTeam(t.httpUrl, t.adminToken);
  await addMember(t.httpUrl, t.adminToken, team, a.userId, "TEAM_ROLE_OWNER");
  await addMember(t.httpUrl, t.adminToken, team, b.userId);
  await addMember(t.httpUrl, t.adminToken, other, b.userId);
  keys = [await teamKey(t.httpUrl, t.adminToken, a.userId, team), await teamKey(t.httpUrl, t.adminToken, a.userId, team), await teamKey(t.httpUrl, t.adminToken, b.userId, team)];
  otherKey = await teamKey(t.httpUrl, t.adminToken, b.userId, other);
  const [k0, k1, k2] = keys as [TeamKey, TeamKey, TeamKey];
  for (let i = 0; i < 3; i++) await sdkChat(k0.secret, "gpt-4o");
  await grpcChat(k1.secret);
  await sdkChat(k1.secret, "gpt-4o-mini");
  for (let i = 0; i < 2; i++) await sdkChat(k2.secret, "gpt-4o");
  await grpcChat(k2.secret);
  await sdkChat(otherKey.secret, "gpt-4o");
  await sdkChat(a.apiKey, "gpt-4o");
  await sdkChat(b.apiKey, "gpt-4o");
  const all = [...keys.map((k) => k.id), otherKey.id, a.keyId, b.keyId];
  await until("eleven records", async () => (await storedRecords(t.databaseUrl, { keyIds: all })).length === 11);
  ownerSession = await loginAs(t.httpUrl, a);
  memberSession = await loginAs(t.httpUrl, b);
});
afterAll(() => t.close());

async function usage(token: string, body: object): Promise<Record<string, any>> {
  return JSON.parse(await bufCurl("-H", `Authorization: Bearer ${token}`, "-d", JSON.stringify(body), `http://${t.grpcAddress}/aik.v1.AdminService/GetUsage`));
}

const SUMS = ["requests", "prompt_tokens", "cached_tokens", "completion_tokens", "reasoning_tokens", "cost_usd"] as const;

function sumOf(totals: ReadonlyArray<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of SUMS) {
    // cost_usd is an exact decimal with 6 places: sum it as integer micro-USD.
    const micro = totals.reduce((all, x) => all + BigInt((x[f] ?? "0").replace(".", "")), 0n);
    out[f] = f === "cost_usd" ? `${micro / 1_000_000n}.${String(micro % 1_000_000n).padStart(6, "0")}` : String(micro);
  }
  return out;
}

describe("usage by team", () => {
  it("every usage row names the team of the key it was made with; a key of no team's rows name none", async () => {
    const sql = postgres(t.databaseUrl, { onnotice: () => {}, max: 1 });
    try {
      const rows = await sql<Array<{ key_id: string; team_id: string | null }>>`select key_id, team_id from usage_records`;
      for (const r of rows) {
        const expected = keys.some((k) => k.id === r.key_id) ? team : r.key_id === otherKey.id ? other : null;
        expect([r.key_id, r.team_id]).toEqual([r.key_id, expected]);
      }
      expect(rows.filter((r) => r.team_id === team)).toHaveLength(8);
    } finally {
      await sql.end();
    }
  });

  it("a team's usage equals the sum of its keys' usage, by filter and by group_by team", async () => {
    const byTeam = await usage(t.adminToken, { team_id: team });
    const perKey = await Promise.all(keys.map((k) => usage(t.adminToken, { key_id: k.id })));
    expect(byTeam.total).toEqual(sumOf(perKey.map((r) => r.total)));
    expect(byTeam.total.requests).toBe("8");
    const grouped = await usage(t.adminToken, { group_by: "team" });
    // proto3 JSON leaves an empty team_id out.
    const row = (id: string) => grouped.rows.find((r: { team_id?: string }) => (r.team_id ?? "") === id);
    expect(row(team)).toMatchObject(byTeam.total);
    expect(row(other)?.requests).toBe("1");
    // Requests with keys of no team: one row with an empty team_id.
    expect(row("")?.requests).toBe("2");
    const teamKeys = await usage(t.adminToken, { team_id: team, group_by: "team,key" });
    expect(teamKeys.rows.map((r: { team_id: string; key_id: string; requests: string }) => [r.team_id, r.key_id, r.requests]).sort()).toEqual(
      [
        [team, keys[0]!.id, "3"],
        [team, keys[1]!.id, "2"],
        [team, keys[2]!.id, "3"],
      ].sort(),
    );
  });

  it("HTTP JSON and CSV carry team_id", async () => {
    const json = await adminCall(t.httpUrl, t.adminToken, "GET", `/v1/admin/usage?group_by=team&team_id=${team}`);
    expect(json.json.rows).toEqual([expect.objectContaining({ team_id: team, requests: "8" })]);
    const csv = await request(`${t.httpUrl}/v1/admin/usage?group_by=team,user&team_id=${team}`, { headers: { authorization: `Bearer ${t.adminToken}`, accept: "text/csv" } });
    const lines = (await csv.body.text()).trim().split("\r\n");
    expect(lines[0]).toBe("day,model,key_id,user_id,deployment_id,requests,prompt_tokens,cached_tokens,completion_tokens,reasoning_tokens,cost_usd,team_id");
    expect(lines.slice(1, -1).map((l) => l.split(",")).map((c) => [c[3], c[4], c[11], c[5]])).toEqual(
      [
        [a.userId, "", team, "5"],
        [b.userId, "", team, "3"],
      ].sort((x, y) => (x[0]! < y[0]! ? -1 : 1)),
    );
  });

  it("a team owner reads their team's usage, any member's within it; a plain member may not", async () => {
    const owned = await usage(ownerSession, { team_id: team, group_by: "user" });
    expect(owned.total.requests).toBe("8");
    expect(owned.rows.map((r: { user_id: string }) => r.user_id).sort()).toEqual([a.userId, b.userId].sort());
    const ofMember = await usage(ownerSession, { team_id: team, user_id: b.userId });
    expect(ofMember.total.requests).toBe("3");
    // The member's usage outside the team (their own key, the other team) is not the owner's to read.
    const outside = await adminCall(t.httpUrl, ownerSession, "GET", `/v1/admin/usage?user_id=${b.userId}`);
    expect(outside.status).toBe(400);
    expect((await adminCall(t.httpUrl, ownerSession, "GET", `/v1/admin/usage?team_id=${other}`)).status).toBe(403);
    expect((await adminCall(t.httpUrl, memberSession, "GET", `/v1/admin/usage?team_id=${team}`)).status).toBe(403);
    // A member still reads their own usage, all of it.
    expect((await usage(memberSession, {})).total.requests).toBe("5");
  });
});

describe("background responses", () => {
  it("a team key's background response is recorded with its team once it finishes", async () => {
    const third = await createTeam(t.httpUrl, t.adminToken);
    await addMember(t.httpUrl, t.adminToken, third, a.userId);
    const key = await teamKey(t.httpUrl, t.adminToken, a.userId, third);
    const sdk = gatewaySdk(t, key.secret);
    // Slow enough that it is still running when created: its record waits in pending_usage.
    t.emulator.setTiming({ timeToFirstTokenMs: 300, chunkDelayMs: 20 });
    const created = await sdk.responses.create({ model: "gpt-4o-mini", input: "later, please", background: true });
    t.emulator.setTiming({ timeToFirstTokenMs: 0, chunkDelayMs: 0 });
    const sql = postgres(t.databaseUrl, { onnotice: () => {}, max: 1 });
    try {
      const pending = await sql<Array<{ team_id: string | null }>>`select team_id from pending_usage where key_id = ${key.id}`;
      expect(pending).toEqual([{ team_id: third }]);
    } finally {
      await sql.end();
    }
    await until("finished", async () => (await sdk.responses.retrieve(created.id)).status === "completed", 10_000);
    await until("its record", async () => (await storedRecords(t.databaseUrl, { keyIds: [key.id] })).length === 1, 10_000);
    const res = await usage(t.adminToken, { team_id: third, group_by: "team,key" });
    expect(res.rows).toEqual([expect.objectContaining({ team_id: third, key_id: key.id, requests: "1" })]);
  });
});
