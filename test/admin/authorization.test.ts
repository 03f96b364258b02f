// Who may call what on the AdminService, over both protocols; members cannot reach each other's data.
import { status, type Metadata } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Role, TeamRole, UserStatus, type AdminServiceClient } from "../../gen/aik/v1/admin.js";
import { adminClient, bearer, call, isServiceError } from "../support/grpc-client.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { adminCall, provisionUser, type Provisioned } from "../support/identity.js";

let t: TestGateway;
let a: Provisioned;
let b: Provisioned;
let admin: Provisioned;
/** A team neither member is in (made by the operator). */
let teamId: string;
const session: Record<string, string> = {};
let client: AdminServiceClient;

async function loginAs(u: Provisioned): Promise<string> {
  const res = await adminCall(t.httpUrl, undefined, "POST", "/v1/auth/login", { email: u.email, password: u.password });
  return res.json.session_token;
}

beforeAll(async () => {
  t = await startTestGateway();
  a = await provisionUser(t.httpUrl, t.adminToken, "member");
  b = await provisionUser(t.httpUrl, t.adminToken, "member");
  admin = await provisionUser(t.httpUrl, t.adminToken, "admin");
  session.a = await loginAs(a);
  session.admin = await loginAs(admin);
  const revoked = await loginAs(a);
  await adminCall(t.httpUrl, revoked, "POST", "/v1/auth/logout");
  session.revoked = revoked;
  client = adminClient(t.grpcAddress);
  teamId = (await adminCall(t.httpUrl, t.adminToken, "POST", "/v1/admin/teams", { name: "authorization-team" })).json.team.id;
});
afterAll(async () => {
  client.close();
  await t.close();
});

type HttpCase = [string, "GET" | "POST" | "PATCH", () => string, (() => unknown)?];
const everyMethod: HttpCase[] = [
  ["CreateUser", "POST", () => "/v1/admin/users", () => ({ email: `x-${Math.random()}@example.test`, password: "long enough password", role: "ROLE_MEMBER" })],
  ["GetUser", "GET", () => `/v1/admin/users/${b.userId}`],
  ["ListUsers", "GET", () => "/v1/admin/users"],
  ["UpdateUser", "PATCH", () => `/v1/admin/users/${b.userId}`, () => ({ role: "ROLE_ADMIN" })],
  ["UnlockUser", "POST", () => `/v1/admin/users/${b.userId}:unlock`],
  ["CreateServiceAccount", "POST", () => "/v1/admin/service-accounts", () => ({ name: "svc", app_id: `app-${Math.random()}` })],
  ["CreateApiKey", "POST", () => "/v1/admin/api-keys", () => ({ user_id: b.userId, name: "x" })],
  ["ListApiKeys", "GET", () => `/v1/admin/api-keys?user_id=${b.userId}`],
  ["RevokeApiKey", "POST", () => `/v1/admin/api-keys/${b.keyId}:revoke`],
  ["RotateApiKey", "POST", () => `/v1/admin/api-keys/${b.keyId}:rotate`, () => ({ grace_seconds: 0 })],
  ["UpdateApiKey", "PATCH", () => `/v1/admin/api-keys/${b.keyId}`, () => ({ limits: { requests_per_minute: 5 } })],
  ["ListAuditEvents", "GET", () => "/v1/admin/audit-events"],
  ["CreateTeam", "POST", () => "/v1/admin/teams", () => ({ name: `team-${Math.random()}` })],
  ["GetTeam", "GET", () => `/v1/admin/teams/${teamId}`],
  ["UpdateTeam", "PATCH", () => `/v1/admin/teams/${teamId}`, () => ({ limits: { requests_per_minute: 5 } })],
  ["AddTeamMember", "POST", () => `/v1/admin/teams/${teamId}/members`, () => ({ user_id: b.userId, role: "TEAM_ROLE_MEMBER" })],
  ["RemoveTeamMember", "POST", () => `/v1/admin/teams/${teamId}/members:remove`, () => ({ user_id: b.userId })],
  ["GetTeamUsage", "GET", () => `/v1/admin/usage?team_id=${teamId}`],
  ["ListTeamApiKeys", "GET", () => `/v1/admin/api-keys?team_id=${teamId}`],
  ["GetLimitStatus", "GET", () => `/v1/admin/users/${b.userId}/limit-status`],
  ["ListDeployments", "GET", () => "/v1/admin/deployments"],
  ["ReloadConfig", "POST", () => "/v1/admin/config:reload"],
];

describe("AdminService over HTTP", () => {
  it.each(everyMethod)("%s without credentials -> 401", async (_name, verb, path, body) => {
    expect((await adminCall(t.httpUrl, undefined, verb, path(), body?.())).status).toBe(401);
  });

  it.each(everyMethod)("%s with a revoked session -> 401", async (_name, verb, path, body) => {
    expect((await adminCall(t.httpUrl, session.revoked, verb, path(), body?.())).status).toBe(401);
  });

  it.each(everyMethod)("%s with an API key instead of a session -> 401", async (_name, verb, path, body) => {
    expect((await adminCall(t.httpUrl, a.apiKey, verb, path(), body?.())).status).toBe(401);
  });

  it.each(everyMethod)("%s by member A on member B's data -> refused", async (_name, verb, path, body) => {
    const res = await adminCall(t.httpUrl, session.a, verb, path(), body?.());
    // Admin-only methods and other users' records: 403; another member's key: 404, as if it did not exist.
    expect([403, 404]).toContain(res.status);
  });

  it("member B's key survives all of member A's attempts", async () => {
    const keys = await adminCall(t.httpUrl, t.adminToken, "GET", `/v1/admin/api-keys?user_id=${b.userId}`);
    expect(keys.json.api_keys.map((k: { id: string }) => k.id)).toContain(b.keyId);
  });

  it("a member manages their own keys, and lists only their own whatever they ask", async () => {
    const created = await adminCall(t.httpUrl, session.a, "POST", "/v1/admin/api-keys", { name: "mine" });
    expect(created.status).toBe(200);
    expect(created.json.api_key.user_id).toBe(a.userId);
    const listed = await adminCall(t.httpUrl, session.a, "GET", "/v1/admin/api-keys");
    expect(listed.json.api_keys.every((k: { user_id: string }) => k.user_id === a.userId)).toBe(true);
    expect(listed.json.api_keys).toHaveLength(2);
    expect((await adminCall(t.httpUrl, session.a, "POST", `/v1/admin/api-keys/${created.json.api_key.id}:revoke`)).status).toBe(200);
    expect((await adminCall(t.httpUrl, session.a, "GET", `/v1/admin/users/${a.userId}`)).status).toBe(200);
  });

  it("an admin session may do everything but reload the config, which is the operator's", async () => {
    for (const [, verb, path, body] of everyMethod.filter(([n]) => n !== "RevokeApiKey" && n !== "RotateApiKey" && n !== "UpdateUser" && n !== "ReloadConfig")) {
      expect((await adminCall(t.httpUrl, session.admin, verb, path(), body?.())).status).toBe(200);
    }
    const reload = await adminCall(t.httpUrl, session.admin, "POST", "/v1/admin/config:reload");
    expect(reload.status).toBe(403);
    expect(reload.json.error.message).toMatch(/operator token/);
    expect((await adminCall(t.httpUrl, t.adminToken, "POST", "/v1/admin/config:reload")).status).toBe(200);
  });
});

describe("AdminService over gRPC", () => {
  const md = (who: string | undefined): Metadata => bearer(who);
  const grpcCases: Array<[string, (m: Metadata) => Promise<unknown>]> = [
    ["GetUser", (m) => call(client, client.getUser, { id: b.userId }, m)],
    ["ListUsers", (m) => call(client, client.listUsers, { pageSize: 0, pageToken: "" }, m)],
    ["UpdateUser", (m) => call(client, client.updateUser, { id: b.userId, role: Role.ROLE_ADMIN, status: UserStatus.USER_STATUS_UNSPECIFIED, limits: undefined, allowedModels: undefined }, m)],
    ["UnlockUser", (m) => call(client, client.unlockUser, { id: b.userId }, m)],
    ["CreateServiceAccount", (m) => call(client, client.createServiceAccount, { name: "svc", appId: `app-${Math.random()}`, limits: undefined, allowedModels: [] }, m)],
    ["CreateApiKey", (m) => call(client, client.createApiKey, { userId: b.userId, name: "x", expiresAt: undefined, allowedModels: [], limits: undefined, teamId: "" }, m)],
    ["ListApiKeys", (m) => call(client, client.listApiKeys, { userId: b.userId, includeRevoked: false, pageSize: 0, pageToken: "", teamId: "" }, m)],
    ["RevokeApiKey", (m) => call(client, client.revokeApiKey, { id: b.keyId }, m)],
    ["RotateApiKey", (m) => call(client, client.rotateApiKey, { id: b.keyId, graceSeconds: 0 }, m)],
    ["GetLimitStatus", (m) => call(client, client.getLimitStatus, { userId: b.userId }, m)],
    ["UpdateApiKey", (m) => call(client, client.updateApiKey, { id: b.keyId, limits: { requestsPerMinute: 5 } }, m)],
    ["ListAuditEvents", (m) => call(client, client.listAuditEvents, { actor: "", action: "", targetId: "", startTime: undefined, endTime: undefined, pageSize: 0, pageToken: "" }, m)],
    ["ListDeployments", (m) => call(client, client.listDeployments, {}, m)],
    ["CreateTeam", (m) => call(client, client.createTeam, { name: `team-${Math.random()}`, limits: undefined }, m)],
    ["GetTeam", (m) => call(client, client.getTeam, { id: teamId }, m)],
    ["UpdateTeam", (m) => call(client, client.updateTeam, { id: teamId, limits: { requestsPerMinute: 5 } }, m)],
    ["AddTeamMember", (m) => call(client, client.addTeamMember, { teamId, userId: b.userId, role: TeamRole.TEAM_ROLE_OWNER }, m)],
    ["RemoveTeamMember", (m) => call(client, client.removeTeamMember, { teamId, userId: b.userId }, m)],
    ["ReloadConfig", (m) => call(client, client.reloadConfig, {}, m)],
  ];

  it.each(grpcCases)("%s without credentials -> UNAUTHENTICATED", async (_n, fn) => {
    const err = await fn(md(undefined)).catch((e: unknown) => e);
    expect(isServiceError(err) && err.code).toBe(status.UNAUTHENTICATED);
  });

  it.each(grpcCases)("%s by member A on member B -> PERMISSION_DENIED or NOT_FOUND", async (_n, fn) => {
    const err = await fn(md(session.a)).catch((e: unknown) => e);
    expect(isServiceError(err) && [status.PERMISSION_DENIED, status.NOT_FOUND]).toContain(isServiceError(err) ? err.code : -1);
  });

  it("the operator creates a user and gets its id", async () => {
    const res = await call(client, client.createUser, { email: "grpc-made@example.test", password: "a long enough password", role: Role.ROLE_MEMBER, limits: undefined }, md(t.adminToken));
    expect(res.user?.id).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("bad admin input", () => {
  const cases: Array<[string, "GET" | "POST" | "PATCH", string, unknown, number, string]> = [
    ["bad email", "POST", "/v1/admin/users", { email: "not-an-email", password: "long enough password" }, 400, "email"],
    ["NUL in the email", "POST", "/v1/admin/users", { email: "a\u0000b@example.test", password: "long enough password" }, 400, "email"],
    ["two @ once normalised", "POST", "/v1/admin/users", { email: "a\uFF20b@example.test", password: "long enough password" }, 400, "email"],
    ["short password", "POST", "/v1/admin/users", { email: "s@example.test", password: "short" }, 400, "password"],
    ["1 MB password", "POST", "/v1/admin/users", { email: "m@example.test", password: "p".repeat(1024 * 1024) }, 400, "password"],
    ["unknown field", "POST", "/v1/admin/users", { email: "u@example.test", password: "long enough password", admin: true }, 400, "admin"],
    ["wrong type", "POST", "/v1/admin/users", { email: 42, password: "long enough password" }, 400, "email"],
    ["bad enum", "POST", "/v1/admin/users", { email: "e@example.test", password: "long enough password", role: "ROLE_GOD" }, 400, "role"],
    ["id not a UUID", "GET", "/v1/admin/users/1%20or%201=1", undefined, 400, "id"],
    ["expiry in the past", "POST", "/v1/admin/api-keys", { user_id: "00000000-0000-4000-8000-000000000000", name: "x", expires_at: "2020-01-01T00:00:00Z" }, 400, "expires_at"],
    ["unknown user", "POST", "/v1/admin/api-keys", { user_id: "00000000-0000-4000-8000-000000000000", name: "x" }, 404, "user_id"],
    ["bad page size", "GET", "/v1/admin/users?page_size=5000", undefined, 400, "page_size"],
    ["bad page token", "GET", "/v1/admin/users?page_token=nope", undefined, 400, "page_token"],
  ];
  it.each(cases)("%s -> %i naming %s", async (_label, verb, path, body, code, param) => {
    const res = await adminCall(t.httpUrl, t.adminToken, verb, path, body);
    expect(res.status).toBe(code);
    expect(res.json.error.param).toBe(param);
  });

  it("a duplicate email -> 409 (and ALREADY_EXISTS over gRPC)", async () => {
    const res = await adminCall(t.httpUrl, t.adminToken, "POST", "/v1/admin/users", { email: a.email.toUpperCase(), password: "long enough password" });
    expect(res.status).toBe(409);
    const err = await call(client, client.createUser, { email: a.email, password: "long enough password", role: Role.ROLE_MEMBER, limits: undefined }, bearer(t.adminToken)).catch((e: unknown) => e);
    expect(isServiceError(err) && err.code).toBe(status.ALREADY_EXISTS);
  });

  it("ListUsers pages through everyone exactly once", async () => {
    const seen: string[] = [];
    let token = "";
    do {
      const res = await adminCall(t.httpUrl, t.adminToken, "GET", `/v1/admin/users?page_size=2${token ? `&page_token=${token}` : ""}`);
      seen.push(...res.json.users.map((u: { id: string }) => u.id));
      token = res.json.next_page_token;
    } while (token);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining([a.userId, b.userId, admin.userId]));
  });
});
