// The audit trail: each control-plane change leaves exactly one row naming who, from where, what, on which id, and what changed; never a secret.
import { status } from "@grpc/grpc-js";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminClient, bearer, call, isServiceError } from "../support/grpc-client.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { adminCall } from "../support/identity.js";

let t: TestGateway;
let sql: postgres.Sql;
/** Every secret this suite handles: none may appear in the audit table. */
const secrets: string[] = [];
/** Rows this suite's changes should have written, as [action, target]. */
const expected: Array<[string, string]> = [];

const PEER = "127.0.0.1";
const op = (method: "GET" | "POST" | "PATCH", path: string, body?: unknown) => adminCall(t.httpUrl, t.adminToken, method, path, body);

async function createUser(email: string, password: string, role = "ROLE_MEMBER"): Promise<string> {
  secrets.push(password);
  const res = await op("POST", "/v1/admin/users", { email, password, role });
  expect(res.status).toBe(200);
  expected.push(["user.created", res.json.user.id]);
  return res.json.user.id;
}

async function login(email: string, password: string): Promise<{ status: number; token: string }> {
  const res = await adminCall(t.httpUrl, undefined, "POST", "/v1/auth/login", { email, password });
  const token = res.json?.session_token ?? "";
  if (token) secrets.push(token);
  return { status: res.status, token };
}

/** The rows for one action on one target (every row when target is undefined). */
async function rows(action: string, target?: string): Promise<any[]> {
  const res = await op("GET", `/v1/admin/audit-events?action=${action}${target === undefined ? "" : `&target_id=${target}`}`);
  expect(res.status).toBe(200);
  return res.json.events;
}

const changes = (row: any): Record<string, { old?: string; new?: string; secret?: boolean }> =>
  Object.fromEntries(row.changes.map((c: any) => [c.field, { ...(c.old_value !== undefined ? { old: c.old_value } : {}), ...(c.new_value !== undefined ? { new: c.new_value } : {}), ...(c.secret ? { secret: true } : {}) }]));

let member: string;
let admin: string;
let memberSession: string;
let adminSession: string;
let key: string;

beforeAll(async () => {
  t = await startTestGateway();
  sql = postgres(t.databaseUrl, { onnotice: () => {}, max: 2 });
  secrets.push(t.adminToken, t.apiKey, t.member.password);
  // The test gateway made its member and key through the AdminService: those rows count too.
  expected.push(["user.created", t.member.userId], ["api_key.created", t.member.keyId]);
});
afterAll(async () => {
  await sql.end();
  await t.close();
});

describe("each change leaves exactly one row", () => {
  it("CreateUser: the operator, the new id, every field set, the password only as a secret that was set", async () => {
    member = await createUser("Audited.Member@example.test", "member's first password");
    const [row, ...more] = await rows("user.created", member);
    expect(more).toEqual([]);
    expect(row).toMatchObject({ actor: "operator", source: PEER, target_id: member });
    expect(changes(row)).toEqual({
      email: { new: "Audited.Member@example.test" },
      role: { new: "member" },
      status: { new: "active" },
      password: { secret: true },
    });
    admin = await createUser("audited.admin@example.test", "the admin's own password", "ROLE_ADMIN");
  });

  it("a login that succeeds: the user is the actor and the target", async () => {
    const res = await login("audited.admin@example.test", "the admin's own password");
    expect(res.status).toBe(200);
    adminSession = res.token;
    expected.push(["login.succeeded", admin]);
    expect(await rows("login.succeeded", admin)).toMatchObject([{ actor: admin, source: PEER, target_id: admin, changes: [] }]);
  });

  it("UpdateUser by an admin session: role, status and limits old and new; a new password only as changed", async () => {
    const res = await adminCall(t.httpUrl, adminSession, "PATCH", `/v1/admin/users/${member}`, {
      status: "USER_STATUS_DISABLED",
      role: "ROLE_ADMIN",
      password: "member's second password",
      limits: { requests_per_minute: 60, monthly_budget_usd: "12.50" },
    });
    secrets.push("member's second password");
    expect(res.status).toBe(200);
    expected.push(["user.updated", member]);
    const [row, ...more] = await rows("user.updated", member);
    expect(more).toEqual([]);
    expect(row).toMatchObject({ actor: admin, source: PEER });
    expect(changes(row)).toEqual({
      role: { old: "member", new: "admin" },
      status: { old: "active", new: "disabled" },
      "limits.requests_per_minute": { new: "60" },
      "limits.monthly_budget_usd": { new: "12.50" },
      password: { secret: true },
    });
    const back = await op("PATCH", `/v1/admin/users/${member}`, { status: "USER_STATUS_ACTIVE", role: "ROLE_MEMBER" });
    expect(back.status).toBe(200);
    expected.push(["user.updated", member]);
    expect(changes((await rows("user.updated", member))[0])).toEqual({ role: { old: "admin", new: "member" }, status: { old: "disabled", new: "active" } });
  });

  it("CreateApiKey, UpdateApiKey: fields and limits, never the secret, its hash or its prefix", async () => {
    const res = await op("POST", "/v1/admin/api-keys", { user_id: member, name: "ci", allowed_models: ["gpt-4o", "gpt-4o-mini"], limits: { tokens_per_minute: 5000 } });
    expect(res.status).toBe(200);
    key = res.json.api_key.id;
    secrets.push(res.json.secret);
    expected.push(["api_key.created", key]);
    expect(changes((await rows("api_key.created", key))[0])).toEqual({
      user_id: { new: member },
      name: { new: "ci" },
      allowed_models: { new: "gpt-4o,gpt-4o-mini" },
      "limits.tokens_per_minute": { new: "5000" },
    });
    expect((await op("PATCH", `/v1/admin/api-keys/${key}`, { limits: { tokens_per_minute: 9000, max_concurrent_requests: 2 } })).status).toBe(200);
    expected.push(["api_key.updated", key]);
    const [row] = await rows("api_key.updated", key);
    expect(row).toMatchObject({ actor: "operator", target_id: key });
    expect(changes(row)).toEqual({ "limits.tokens_per_minute": { old: "5000", new: "9000" }, "limits.max_concurrent_requests": { new: "2" } });
  });

  it("a member's own RevokeApiKey and Logout: the member is the actor", async () => {
    const res = await login("AUDITED.MEMBER@example.test", "member's second password");
    expect(res.status).toBe(200);
    memberSession = res.token;
    expected.push(["login.succeeded", member]);
    expect((await adminCall(t.httpUrl, memberSession, "POST", `/v1/admin/api-keys/${key}:revoke`)).status).toBe(200);
    expected.push(["api_key.revoked", key]);
    const [row] = await rows("api_key.revoked", key);
    expect(row).toMatchObject({ actor: member, target_id: key });
    expect(Object.keys(changes(row))).toEqual(["revoked_at"]);
    expect(changes(row)["revoked_at"]?.new).toMatch(/^\d{4}-\d\d-\d\dT/);
    const logout = await login("audited.member@example.test", "member's second password");
    expected.push(["login.succeeded", member]);
    expect((await adminCall(t.httpUrl, logout.token, "POST", "/v1/auth/logout")).status).toBe(200);
    expected.push(["logout", member]);
    expect(await rows("logout", member)).toMatchObject([{ actor: member, target_id: member }]);
  });

  it("the failure that locks an account: one row, anonymous, with the lock's end; UnlockUser records the lock it lifted", async () => {
    for (let i = 0; i < 7; i++) expect((await login("audited.member@example.test", `not it ${i}`)).status).toBe(401);
    expected.push(["login.account_locked", member]);
    const [locked, ...more] = await rows("login.account_locked", member);
    expect(more).toEqual([]);
    expect(locked).toMatchObject({ actor: "anonymous", source: PEER, target_id: member });
    const until = changes(locked)["locked_until"]?.new ?? "";
    expect(new Date(until).getTime()).toBeGreaterThan(Date.now());
    expect((await op("POST", `/v1/admin/users/${member}:unlock`)).status).toBe(200);
    expected.push(["user.unlocked", member]);
    expect(changes((await rows("user.unlocked", member))[0])).toEqual({ locked_until: { old: until } });
  });

  it("a lock on an email no account has is recorded without a target, and without the email typed", async () => {
    // People type passwords into the email field: what was typed there is never recorded.
    const typed = "Hunter2-Typed-Into-The-Email-Field@example.test";
    secrets.push(typed);
    for (let i = 0; i < 5; i++) expect((await login(typed, "whatever password")).status).toBe(401);
    expected.push(["login.account_locked", ""]);
    const unknown = (await rows("login.account_locked")).filter((r) => r.target_id === "");
    expect(unknown).toHaveLength(1);
  });

  it("reads change nothing and write nothing; the table holds exactly the rows above", async () => {
    await op("GET", `/v1/admin/users/${member}`);
    await op("GET", "/v1/admin/users");
    await op("GET", "/v1/admin/api-keys");
    await adminCall(t.httpUrl, adminSession, "GET", "/v1/auth/whoami");
    const all = await sql<Array<{ action: string; target_id: string | null }>>`select action, target_id from audit_events`;
    const pair = (a: string, b: string) => `${a} ${b}`;
    expect(all.map((r) => pair(r.action, r.target_id ?? "")).sort()).toEqual(expected.map(([a, b]) => pair(a, b)).sort());
  });
});

describe("ListAuditEvents", () => {
  it("admins and the operator only: a member gets PERMISSION_DENIED on both protocols, no credential 401", async () => {
    expect((await adminCall(t.httpUrl, adminSession, "GET", "/v1/admin/audit-events")).status).toBe(200);
    const denied = await adminCall(t.httpUrl, memberSession, "GET", "/v1/admin/audit-events");
    expect(denied.status).toBe(403);
    expect((await adminCall(t.httpUrl, undefined, "GET", "/v1/admin/audit-events")).status).toBe(401);
    const client = adminClient(t.grpcAddress);
    try {
      const req = { actor: "", action: "", targetId: "", startTime: undefined, endTime: undefined, pageSize: 0, pageToken: "" };
      const err = await call(client, client.listAuditEvents, req, bearer(memberSession)).catch((e: unknown) => e);
      expect(isServiceError(err) && err.code).toBe(status.PERMISSION_DENIED);
      const ok = await call(client, client.listAuditEvents, { ...req, actor: member }, bearer(t.adminToken));
      expect(ok.events.length).toBeGreaterThan(0);
      expect(ok.events.every((e) => e.actor === member)).toBe(true);
    } finally {
      client.close();
    }
  });

  it("filters by actor and time, and pages newest first through every row exactly once", async () => {
    const mine = (await op("GET", "/v1/admin/audit-events?actor=operator")).json.events;
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((e: any) => e.actor === "operator")).toBe(true);
    const future = new Date(Date.now() + 3600_000).toISOString();
    expect((await op("GET", `/v1/admin/audit-events?start_time=${future}`)).json.events).toEqual([]);
    expect((await op("GET", `/v1/admin/audit-events?end_time=${future}`)).json.events.length).toBe(Math.min(100, expected.length));
    const seen: any[] = [];
    let token = "";
    do {
      const res = await op("GET", `/v1/admin/audit-events?page_size=3${token ? `&page_token=${token}` : ""}`);
      seen.push(...res.json.events);
      token = res.json.next_page_token;
    } while (token);
    expect(seen).toHaveLength(expected.length);
    expect(new Set(seen.map((e) => e.id)).size).toBe(expected.length);
    const times = seen.map((e) => new Date(e.occurred_at).getTime());
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it.each([
    ["an unknown action", "action=user.deleted", "action"],
    ["an actor that is no id", "actor=root", "actor"],
    ["a target that is no id", "target_id=1%20or%201=1", "target_id"],
    ["an empty time range", "start_time=2026-01-02T00:00:00Z&end_time=2026-01-01T00:00:00Z", "end_time"],
    ["a bad page token", "page_token=nope", "page_token"],
  ])("refuses %s, naming the field", async (_label, query, param) => {
    const res = await op("GET", `/v1/admin/audit-events?${query}`);
    expect(res.status).toBe(400);
    expect(res.json.error.param).toBe(param);
  });
});

describe("the table itself", () => {
  it("holds none of the secrets used: passwords, keys, session tokens, the operator token, hashes", async () => {
    const hashes = await sql<Array<{ h: string }>>`
      select password_hash as h from users union all select encode(key_hash, 'hex') from api_keys union all select encode(token_hash, 'hex') from sessions`;
    const dump = (await sql<Array<{ row: string }>>`select t::text as row from audit_events t`).map((r) => r.row).join("\n");
    expect(dump).toContain(member);
    for (const s of [...secrets, ...hashes.map((r) => r.h)]) {
      expect(dump).not.toContain(s);
      expect(dump.toLowerCase()).not.toContain(s.toLowerCase());
      expect(dump).not.toContain(Buffer.from(s).toString("base64"));
    }
  });

  it("is append-only: UPDATE, DELETE and TRUNCATE are refused by the database", async () => {
    await expect(sql`update audit_events set actor = 'someone else'`).rejects.toMatchObject({ code: "42501" });
    await expect(sql`delete from audit_events`).rejects.toMatchObject({ code: "42501" });
    await expect(sql`truncate audit_events`).rejects.toMatchObject({ code: "42501" });
    expect((await sql`select count(*)::int as n from audit_events`)[0]?.["n"]).toBe(expected.length);
  });
});
