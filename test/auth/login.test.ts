// Login over both protocols: sessions, lockout that holds under concurrency, same answer for every failure.
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accountKey } from "../../src/auth/login.js";
import { DEFAULT_LOCKOUT } from "../../src/auth/login-guard.js";
import { authClient, bearer, call, isServiceError } from "../support/grpc-client.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { adminCall, provisionUser, type Provisioned } from "../support/identity.js";
import { testRedis, type TestRedis } from "../support/redis.js";

let t: TestGateway;
let r: TestRedis;
const LOCK_MS = 1500;

beforeAll(async () => {
  t = await startTestGateway();
  r = await testRedis();
});
afterAll(async () => {
  await t.close();
  await r.close();
});

async function login(email: string, password: string): Promise<{ status: number; json: any; ms: number }> {
  const started = performance.now();
  const res = await adminCall(t.httpUrl, undefined, "POST", "/v1/auth/login", { email, password });
  return { ...res, ms: performance.now() - started };
}

describe("sessions", () => {
  it("log in, use the session, log out; the session then stops working", async () => {
    const u = await provisionUser(t.httpUrl, t.adminToken, "member");
    const ok = await login(u.email, u.password);
    expect(ok.status).toBe(200);
    expect(ok.json.session_token).toMatch(/^aiks_[0-9A-Za-z]{49}$/);
    expect(new Date(ok.json.expires_at).getTime()).toBeGreaterThan(Date.now());
    const token = ok.json.session_token;
    expect((await adminCall(t.httpUrl, token, "GET", "/v1/auth/whoami")).json).toMatchObject({ principal: "user", user: { id: u.userId } });
    expect((await adminCall(t.httpUrl, token, "POST", "/v1/auth/logout")).status).toBe(200);
    expect((await adminCall(t.httpUrl, token, "GET", "/v1/auth/whoami")).status).toBe(401);
  });

  it("works over gRPC too", async () => {
    const u = await provisionUser(t.httpUrl, t.adminToken, "member");
    const client = authClient(t.grpcAddress);
    const res = await call(client, client.login, { email: u.email, password: u.password });
    expect(res.sessionToken).toMatch(/^aiks_/);
    const me = await call(client, client.whoAmI, {}, bearer(res.sessionToken));
    expect(me.user?.email).toBe(u.email);
    const bad = await call(client, client.login, { email: u.email, password: "wrong password!" }).catch((e: unknown) => e);
    expect(isServiceError(bad) && bad.code).toBe(status.UNAUTHENTICATED);
    client.close();
  });

  it("the operator token is the operator", async () => {
    expect((await adminCall(t.httpUrl, t.adminToken, "GET", "/v1/auth/whoami")).json).toMatchObject({ principal: "operator" });
  });
});

describe("lockout", () => {
  let u: Provisioned;
  const failure = { status: 401, json: { error: { message: "Invalid email or password.", code: "invalid_credentials" } } };

  it("5 wrong passwords lock the account; the right one is then refused in the same words", async () => {
    u = await provisionUser(t.httpUrl, t.adminToken, "member");
    for (let i = 0; i < 5; i++) expect(await login(u.email, "not the password")).toMatchObject(failure);
    expect(await login(u.email, u.password)).toMatchObject(failure);
    const user = await adminCall(t.httpUrl, t.adminToken, "GET", `/v1/admin/users/${u.userId}`);
    expect(new Date(user.json.user.locked_until).getTime()).toBeGreaterThan(Date.now());
  });

  it("an admin unlock lets the user in at once", async () => {
    expect((await adminCall(t.httpUrl, t.adminToken, "POST", `/v1/admin/users/${u.userId}:unlock`)).status).toBe(200);
    expect((await login(u.email, u.password)).status).toBe(200);
  });

  it("unknown email: the same answer, and a password hash is computed just the same", async () => {
    const v = await provisionUser(t.httpUrl, t.adminToken, "member");
    const wrong: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 3; i++) {
      wrong.push((await login(v.email, `wrong-${i}-password`)).ms);
      const res = await login(`nobody-${i}@example.test`, "whatever password");
      expect(res).toMatchObject(failure);
      unknown.push(res.ms);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[1] ?? 0;
    // argon2id at 19 MiB takes tens of ms: an unknown email must cost about as much as a wrong password.
    expect(median(unknown)).toBeGreaterThan(median(wrong) * 0.5);
  });

  it("100 concurrent wrong attempts: all refused alike, every one counted, the lock holds", async () => {
    const v = await provisionUser(t.httpUrl, t.adminToken, "member");
    const results = await Promise.all(Array.from({ length: 100 }, () => login(v.email, "concurrent wrong guess")));
    expect(results.every((x) => x.status === 401 && x.json.error.message === "Invalid email or password.")).toBe(true);
    const attempts = await r.redis.get(`${t.redisPrefix}{login}:fail:${accountKey(v.email)}`);
    expect(Number(attempts)).toBe(100);
    expect(await login(v.email, v.password)).toMatchObject(failure);
  });

  it("a 1 MB password is refused before hashing or counting", async () => {
    const v = await provisionUser(t.httpUrl, t.adminToken, "member");
    const res = await login(v.email, "p".repeat(1024 * 1024));
    expect(res.status).toBe(400);
    expect(res.json.error.param).toBe("password");
    expect(await r.redis.get(`${t.redisPrefix}{login}:fail:${accountKey(v.email)}`)).toBeNull();
  });
});

describe("lock expiry", () => {
  it("a locked user gets in again once the lock time has passed", async () => {
    const short = await startTestGateway({}, (c) => ({ ...c, auth: { ...c.auth, lockout: { ...DEFAULT_LOCKOUT, lockMs: LOCK_MS } } }));
    try {
      const u = short.member;
      const attempt = (password: string) => adminCall(short.httpUrl, undefined, "POST", "/v1/auth/login", { email: u.email, password });
      for (let i = 0; i < 5; i++) expect((await attempt("not the password")).status).toBe(401);
      expect((await attempt(u.password)).status).toBe(401);
      await new Promise((resolve) => setTimeout(resolve, LOCK_MS + 200));
      expect((await attempt(u.password)).status).toBe(200);
    } finally {
      await short.close();
    }
  });
});

describe("Redis unreachable", () => {
  it("login fails closed with 503, never open", async () => {
    const down = await startTestGateway({ redis: { servers: { mode: "standalone", url: "redis://127.0.0.1:1" }, keyPrefix: "x:", commandTimeoutMs: 200 } });
    try {
      const res = await adminCall(down.httpUrl, undefined, "POST", "/v1/auth/login", { email: down.member.email, password: down.member.password });
      expect(res.status).toBe(503);
      const client = authClient(down.grpcAddress);
      const err = await call(client, client.login, { email: down.member.email, password: down.member.password }).catch((e: unknown) => e);
      expect(isServiceError(err) && err.code).toBe(status.UNAVAILABLE);
      client.close();
    } finally {
      await down.close();
    }
  });
});
