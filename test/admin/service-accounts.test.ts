// CreateServiceAccount: admins and the operator only, app_id unique, listed as kind service, no password (no login), audited, may own keys.
import { status } from "@grpc/grpc-js";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UserKind } from "../../gen/aik/v1/admin.js";
import { adminClient, bearer, call, isServiceError } from "../support/grpc-client.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { adminCall } from "../support/identity.js";
import { signingKey, signToken } from "../support/jwks-server.js";
import { gatewaySdk } from "../support/sdk.js";
import { request } from "undici";

let t: TestGateway;
let sql: postgres.Sql;
let memberSession: string;
let n = 0;
const appId = (): string => `app-${process.pid}-${++n}`;
const create = (who: string | undefined, body: unknown) => adminCall(t.httpUrl, who, "POST", "/v1/admin/service-accounts", body);

beforeAll(async () => {
  t = await startTestGateway();
  sql = postgres(t.databaseUrl, { onnotice: () => {}, max: 1 });
  const login = await adminCall(t.httpUrl, undefined, "POST", "/v1/auth/login", { email: t.member.email, password: t.member.password });
  memberSession = login.json.session_token;
});
afterAll(async () => {
  await sql?.end();
  await t?.close();
});

describe("CreateServiceAccount", () => {
  it("makes a user of kind service with its app_id and name, no email, a member, active (HTTP)", async () => {
    const id = appId();
    const res = await create(t.adminToken, { name: "Billing batch", app_id: id, limits: { requests_per_minute: 30 } });
    expect(res.status).toBe(200);
    expect(res.json.user).toMatchObject({ kind: "USER_KIND_SERVICE", app_id: id, name: "Billing batch", role: "ROLE_MEMBER", status: "USER_STATUS_ACTIVE", limits: { requests_per_minute: 30 } });
    expect(res.json.user.email ?? "").toBe("");
    const [row] = await sql`select email, email_canonical, password_hash, kind from users where id = ${res.json.user.id}`;
    expect(row).toEqual({ email: null, email_canonical: null, password_hash: null, kind: "service" });
  });

  it("answers over gRPC too", async () => {
    const client = adminClient(t.grpcAddress);
    try {
      const res = await call(client, client.createServiceAccount, { name: "grpc made", appId: appId(), limits: undefined, allowedModels: [] }, bearer(t.adminToken));
      expect(res.user?.kind).toBe(UserKind.USER_KIND_SERVICE);
    } finally {
      client.close();
    }
  });

  it("refuses a member (403) and a caller with no credential (401)", async () => {
    expect((await create(memberSession, { name: "mine", app_id: appId() })).status).toBe(403);
    expect((await create(undefined, { name: "mine", app_id: appId() })).status).toBe(401);
  });

  it("refuses a duplicate app_id: 409 over HTTP, ALREADY_EXISTS over gRPC", async () => {
    const id = appId();
    expect((await create(t.adminToken, { name: "first", app_id: id })).status).toBe(200);
    const again = await create(t.adminToken, { name: "second", app_id: id });
    expect(again.status).toBe(409);
    expect(again.json.error.param).toBe("app_id");
    const client = adminClient(t.grpcAddress);
    try {
      const err = await call(client, client.createServiceAccount, { name: "third", appId: id, limits: undefined, allowedModels: [] }, bearer(t.adminToken)).catch((e: unknown) => e);
      expect(isServiceError(err) && err.code).toBe(status.ALREADY_EXISTS);
    } finally {
      client.close();
    }
  });

  it.each([
    ["an empty name", { name: "", app_id: "x-1" }, "name"],
    ["a name over 100 characters", { name: "n".repeat(101), app_id: "x-2" }, "name"],
    ["an empty app_id", { name: "svc", app_id: "" }, "app_id"],
    ["an app_id with a space", { name: "svc", app_id: "has space" }, "app_id"],
    ["an app_id over 200 characters", { name: "svc", app_id: "a".repeat(201) }, "app_id"],
  ])("refuses %s (400 naming the field)", async (_name, body, param) => {
    const res = await create(t.adminToken, body);
    expect(res.status).toBe(400);
    expect(res.json.error.param).toBe(param);
  });

  it("is listed by ListUsers and GetUser with kind service; persons show kind person", async () => {
    const id = appId();
    const made = (await create(t.adminToken, { name: "listed", app_id: id })).json.user;
    const users: Array<{ id: string; kind: string; app_id?: string; name?: string }> = [];
    for (let token = ""; ; ) {
      const page = await adminCall(t.httpUrl, t.adminToken, "GET", `/v1/admin/users?page_size=1000${token ? `&page_token=${token}` : ""}`);
      users.push(...page.json.users);
      token = page.json.next_page_token ?? "";
      if (!token) break;
    }
    expect(users.find((u) => u.id === made.id)).toMatchObject({ kind: "USER_KIND_SERVICE", app_id: id, name: "listed" });
    expect(users.find((u) => u.id === t.member.userId)).toMatchObject({ kind: "USER_KIND_PERSON" });
    expect((await adminCall(t.httpUrl, t.adminToken, "GET", `/v1/admin/users/${made.id}`)).json.user).toMatchObject({ kind: "USER_KIND_SERVICE", app_id: id });
  });

  it("has no password: UpdateUser refuses to set one, and Login matches nothing", async () => {
    const id = appId();
    const made = (await create(t.adminToken, { name: "no login", app_id: id })).json.user;
    const update = await adminCall(t.httpUrl, t.adminToken, "PATCH", `/v1/admin/users/${made.id}`, { password: "a long enough password" });
    expect(update.status).toBe(400);
    expect(update.json.error.param).toBe("password");
    for (const email of [id, "no login", ""]) {
      expect((await adminCall(t.httpUrl, undefined, "POST", "/v1/auth/login", { email, password: "a long enough password" })).status).not.toBe(200);
    }
    // Limits and status still change as for anyone.
    const limits = await adminCall(t.httpUrl, t.adminToken, "PATCH", `/v1/admin/users/${made.id}`, { limits: { tokens_per_minute: 1000 } });
    expect(limits.status).toBe(200);
    expect(limits.json.user.limits).toEqual({ tokens_per_minute: 1000 });
  });

  it("is audited like CreateUser: user.created with kind and app_id, by the operator", async () => {
    const id = appId();
    const made = (await create(t.adminToken, { name: "audited", app_id: id })).json.user;
    const events = await adminCall(t.httpUrl, t.adminToken, "GET", `/v1/admin/audit-events?target_id=${made.id}`);
    expect(events.json.events).toHaveLength(1);
    const [e] = events.json.events;
    expect(e).toMatchObject({ actor: "operator", action: "user.created", target_id: made.id });
    expect(e.changes).toEqual(
      expect.arrayContaining([
        { field: "kind", new_value: "service", secret: false },
        { field: "app_id", new_value: id, secret: false },
        { field: "name", new_value: "audited", secret: false },
      ]),
    );
    expect(e.changes.map((c: { field: string }) => c.field)).not.toContain("email");
  });

  it("may own aik_ keys, which call models and are metered to it", async () => {
    const made = (await create(t.adminToken, { name: "with a key", app_id: appId() })).json.user;
    const key = await adminCall(t.httpUrl, t.adminToken, "POST", "/v1/admin/api-keys", { user_id: made.id, name: "fallback" });
    expect(key.status).toBe(200);
    const answer = await gatewaySdk(t, key.json.secret).chat.completions.create({ model: "gpt-4o-mini", max_tokens: 3, messages: [{ role: "user", content: "hi" }] });
    expect(answer.choices).toHaveLength(1);
  });

  it("without auth.jwt_issuers a service account's JWT is just a bad key (401 invalid_api_key)", async () => {
    const id = appId();
    expect((await create(t.adminToken, { name: "no issuers", app_id: id })).status).toBe(200);
    const jwt = await signToken(await signingKey("x"), { issuer: "https://login.microsoftonline.com/t/v2.0", audience: "api://aik", claims: { azp: id } });
    const res = await request(`${t.httpUrl}/v1/models`, { headers: { authorization: `Bearer ${jwt}` } });
    expect(res.statusCode).toBe(401);
    expect(((await res.body.json()) as { error: { code: string } }).error.code).toBe("invalid_api_key");
  });
});
