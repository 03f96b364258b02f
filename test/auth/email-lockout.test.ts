// The lockout cannot be side-stepped by spelling the email differently, with Postgres + Redis and in zero-config mode.
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Role } from "../../gen/aik/v1/admin.js";
import { adminClient, authClient, bearer, call, isServiceError } from "../support/grpc-client.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { adminCall } from "../support/identity.js";

const ZERO_CONFIG = {
  // No DATABASE_URL and no REDIS_URL: embedded PGlite and the in-process login guard, as `npm start` runs.
  database: { url: undefined, listenUrl: undefined, maxConnections: 4 },
  redis: { servers: undefined, keyPrefix: "", commandTimeoutMs: 500 },
};

const modes: Array<[string, Parameters<typeof startTestGateway>[0]]> = [
  ["Postgres and Redis", {}],
  ["zero-config (embedded PGlite, in-process guard)", ZERO_CONFIG],
];

const VICTIM = "victim@example.com";
const PASSWORD = "the victim's real password";
const failure = { status: 401, json: { error: { message: "Invalid email or password.", code: "invalid_credentials" } } };

describe.each(modes)("%s", (_mode, overrides) => {
  let t: TestGateway;
  let victimId: string;
  const login = (email: string, password: string) => adminCall(t.httpUrl, undefined, "POST", "/v1/auth/login", { email, password });
  const logins = async () =>
    (await adminCall(t.httpUrl, t.adminToken, "GET", `/v1/admin/audit-events?action=login.succeeded&target_id=${victimId}`)).json.events.length;

  beforeAll(async () => {
    t = await startTestGateway(overrides);
    const created = await adminCall(t.httpUrl, t.adminToken, "POST", "/v1/admin/users", { email: VICTIM, password: PASSWORD });
    expect(created.status).toBe(200);
    victimId = created.json.user.id;
  }, 60_000);
  afterAll(() => t.close());

  it("with the victim locked after 5 failures, vİctim (U+0130) with the right password does not log in as the victim", async () => {
    for (let i = 0; i < 5; i++) expect(await login(VICTIM, `wrong guess ${i}`)).toMatchObject(failure);
    expect(await login(VICTIM, PASSWORD)).toMatchObject(failure);
    expect(await login("vİctim@example.com", PASSWORD)).toMatchObject(failure);
    expect(await login("VİCTIM@EXAMPLE.COM", PASSWORD)).toMatchObject(failure);
    expect(await logins()).toBe(0);
  });

  it("no other spelling of the victim's address gets a counter of its own: each is refused while the lock holds", async () => {
    for (const spelling of ["VICTIM@EXAMPLE.COM", "Victim@example.com", "ｖｉｃｔｉｍ@ｅｘａｍｐｌｅ.ｃｏｍ", " victim@example.com ", "victim@example.co\u217F" /* small roman numeral one thousand, NFKC "m" */]) {
      expect(await login(spelling, PASSWORD)).toMatchObject(failure);
    }
    expect(await logins()).toBe(0);
    const user = await adminCall(t.httpUrl, t.adminToken, "GET", `/v1/admin/users/${victimId}`);
    expect(new Date(user.json.user.locked_until).getTime()).toBeGreaterThan(Date.now());
  });

  it("once unlocked, every spelling of the same canonical address is the victim's one account, and vİctim is none", async () => {
    expect((await adminCall(t.httpUrl, t.adminToken, "POST", `/v1/admin/users/${victimId}:unlock`)).status).toBe(200);
    const ok = await login("ＶＩＣＴＩＭ@EXAMPLE.COM", PASSWORD);
    expect(ok.status).toBe(200);
    expect(ok.json.user.id).toBe(victimId);
    expect(await login("vİctim@example.com", PASSWORD)).toMatchObject(failure);
    expect(await logins()).toBe(1);
  });

  it("a second account on another spelling of the same address is a conflict", async () => {
    const dup = await adminCall(t.httpUrl, t.adminToken, "POST", "/v1/admin/users", { email: "ＶＩＣＴＩＭ@example.com", password: "another long password" });
    expect(dup.status).toBe(409);
  });

  it("a NUL or control character in an email: 400 on Login and CreateUser over HTTP, INVALID_ARGUMENT over gRPC, never an internal error", async () => {
    for (const email of ["vic\u0000tim@example.com", "victim@example.com\r\n", "\u0007victim@example.com"]) {
      const res = await login(email, PASSWORD);
      expect(res.status).toBe(400);
      expect(res.json.error.param).toBe("email");
      const created = await adminCall(t.httpUrl, t.adminToken, "POST", "/v1/admin/users", { email, password: "a long enough password" });
      expect(created.status).toBe(400);
      expect(created.json.error.param).toBe("email");
    }
    const auth = authClient(t.grpcAddress);
    const admin = adminClient(t.grpcAddress);
    try {
      const e1 = await call(auth, auth.login, { email: "vic\u0000tim@example.com", password: PASSWORD }).catch((e: unknown) => e);
      expect(isServiceError(e1) && e1.code).toBe(status.INVALID_ARGUMENT);
      const e2 = await call(admin, admin.createUser, { email: "vic\u0000tim@example.com", password: "a long enough password", role: Role.ROLE_MEMBER, limits: undefined }, bearer(t.adminToken)).catch(
        (e: unknown) => e,
      );
      expect(isServiceError(e2) && e2.code).toBe(status.INVALID_ARGUMENT);
    } finally {
      auth.close();
      admin.close();
    }
    expect(t.logs.filter((l) => l.includes("internal_error"))).toEqual([]);
  });
});
