// Browser sessions: the console's login sets a flagged cookie; the cookie works on the control plane only, state changes need the CSRF token; logout ends it.
import { Metadata } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent } from "undici";
import postgres from "postgres";
import { newSecret, SESSION_PREFIX } from "../../src/auth/tokens.js";
import { authClient, call as grpcCall, isServiceError } from "../support/grpc-client.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { adminCall, provisionUser, type Provisioned } from "../support/identity.js";
import { selfSigned } from "../support/tls.js";
import { asPage, call, consoleLogin, setCookies, type Answer, type BrowserSession } from "./browser.js";

let t: TestGateway;
let sql: postgres.Sql;
beforeAll(async () => {
  t = await startTestGateway();
  sql = postgres(t.databaseUrl, { max: 1, onnotice: () => {} });
});
afterAll(async () => {
  await sql.end();
  await t.close();
});

const CSRF_REFUSED = { error: { message: "Missing or invalid CSRF token.", type: "permission_error", code: "csrf_token_invalid" } };

function chat(headers: Record<string, string>): Promise<Answer> {
  return call(`${t.httpUrl}/v1/chat/completions`, { method: "POST", headers, body: { model: "gpt-4o", messages: [{ role: "user", content: "hi" }] } });
}

async function keyCount(userId: string): Promise<number> {
  const listed = await adminCall(t.httpUrl, t.adminToken, "GET", `/v1/admin/api-keys?user_id=${userId}&include_revoked=true`);
  return listed.json.api_keys.length;
}

describe("logging in through the console", () => {
  it("sets the session cookie HttpOnly, SameSite=Strict, Path=/, with a Max-Age, and not Secure over plain HTTP in development", async () => {
    const s = await consoleLogin(t.httpUrl, t.member.email, t.member.password);
    const [line] = setCookies(s.login);
    expect(line).toMatch(/^aik_session=aiks_[0-9A-Za-z]{49}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=\d+$/);
    const maxAge = Number(/Max-Age=(\d+)/.exec(line ?? "")?.[1]);
    // The test gateway's sessions last an hour.
    expect(maxAge).toBeGreaterThan(3500);
    expect(maxAge).toBeLessThanOrEqual(3600);
    expect(line).not.toMatch(/Secure/);
  });

  it("answers the user (as WhoAmI has it), a CSRF token and the expiry; the session token is in the cookie only", async () => {
    const s = await consoleLogin(t.httpUrl, t.member.email, t.member.password);
    expect(Object.keys(s.login.json).sort()).toEqual(["csrf_token", "expires_at", "user"]);
    expect(s.login.text).not.toMatch(/aiks_/);
    expect(s.csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(new Date(s.login.json.expires_at).getTime()).toBeGreaterThan(Date.now());
    const token = s.cookie.slice("aik_session=".length);
    const whoami = await call(`${t.httpUrl}/v1/auth/whoami`, { headers: { authorization: `Bearer ${token}` } });
    expect(s.login.json.user).toEqual(whoami.json.user);
    expect(s.login.json.user).toMatchObject({ id: t.member.userId, email: t.member.email, role: "ROLE_MEMBER" });
  });

  it("GET /console/api/session answers the same body for a live cookie; without one, 401 and the cookie cleared", async () => {
    const s = await consoleLogin(t.httpUrl, t.member.email, t.member.password);
    const session = await asPage(s, `${t.httpUrl}/console/api/session`);
    expect(session.status).toBe(200);
    expect(session.json).toEqual(s.login.json);
    const none = await call(`${t.httpUrl}/console/api/session`);
    expect(none.status).toBe(401);
    expect(none.json.error.code).toBe("invalid_session");
    expect(setCookies(none)).toEqual(["aik_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"]);
  });

  it("refuses a login sent as a form (what a cross-site form can send): 415, no cookie", async () => {
    const a = await call(`${t.httpUrl}/console/api/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `email=${encodeURIComponent(t.member.email)}&password=${encodeURIComponent(t.member.password)}`,
    });
    expect(a.status).toBe(415);
    expect(a.headers["set-cookie"]).toBeUndefined();
  });

  it("wrong password, unknown email and a locked account get one identical answer, the same as AuthService's; the right password after the lock too", async () => {
    const u = await provisionUser(t.httpUrl, t.adminToken, "member");
    const attempt = (email: string, password: string) => call(`${t.httpUrl}/console/api/login`, { method: "POST", body: { email, password } });
    const viaApi = await call(`${t.httpUrl}/v1/auth/login`, { method: "POST", body: { email: u.email, password: "not the password" } });
    const answers: Answer[] = [];
    for (let i = 0; i < 4; i++) answers.push(await attempt(u.email, `wrong password ${i}`));
    answers.push(await attempt("nobody-at-all@example.test", "some password"));
    // viaApi and the four above are five failures, which lock the account: this attempt and the right password find it locked.
    const locked = await attempt(u.email, "wrong password 5");
    answers.push(locked);
    const right = await attempt(u.email, u.password);
    answers.push(right);
    const user = await adminCall(t.httpUrl, t.adminToken, "GET", `/v1/admin/users/${u.userId}`);
    expect(new Date(user.json.user.locked_until).getTime()).toBeGreaterThan(Date.now());
    for (const a of [viaApi, ...answers]) {
      expect(a.status).toBe(401);
      expect(a.json).toEqual({ error: { message: "Invalid email or password.", type: "authentication_error", param: null, code: "invalid_credentials" } });
      expect(a.headers["set-cookie"]).toBeUndefined();
    }
  });

  it("sets Secure over TLS", async () => {
    const insecure = new Agent({ connect: { rejectUnauthorized: false } });
    const { setGlobalDispatcher, getGlobalDispatcher } = await import("undici");
    const previous = getGlobalDispatcher();
    setGlobalDispatcher(insecure);
    const g = await startTestGateway({ tls: { ...selfSigned(), minVersion: "TLSv1.2" } }).finally(() => setGlobalDispatcher(previous));
    try {
      const s = await consoleLogin(g.httpUrl, g.member.email, g.member.password, insecure);
      expect(setCookies(s.login)[0]).toMatch(/; Secure$/);
      const out = await call(`${g.httpUrl}/console/api/logout`, { method: "POST", headers: { cookie: s.cookie, "x-csrf-token": s.csrf }, dispatcher: insecure });
      expect(out.status).toBe(204);
      expect(setCookies(out)[0]).toBe("aik_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0; Secure");
    } finally {
      await insecure.close();
      await g.close();
    }
  });

  it("sets Secure in production mode (TLS ends at a proxy)", async () => {
    const g = await startTestGateway({ production: true });
    try {
      const s = await consoleLogin(g.httpUrl, g.member.email, g.member.password);
      expect(setCookies(s.login)[0]).toMatch(/^aik_session=aiks_\w+; HttpOnly; SameSite=Strict; Path=\/; Max-Age=\d+; Secure$/);
    } finally {
      await g.close();
    }
  });
});

describe("the cookie as a credential", () => {
  let s: BrowserSession;
  beforeAll(async () => {
    s = await consoleLogin(t.httpUrl, t.member.email, t.member.password);
  });

  it("is accepted on the control plane's reads: WhoAmI and ListApiKeys", async () => {
    const who = await asPage(s, `${t.httpUrl}/v1/auth/whoami`);
    expect(who.status).toBe(200);
    expect(who.json.user.id).toBe(t.member.userId);
    const keys = await asPage(s, `${t.httpUrl}/v1/admin/api-keys`);
    expect(keys.status).toBe(200);
    expect(keys.json.api_keys.map((k: { id: string }) => k.id)).toContain(t.member.keyId);
  });

  it("is refused on the data plane even when valid: 401 on chat completions and models, as with no credential", async () => {
    const withCookie = await chat({ cookie: s.cookie });
    const without = await chat({});
    expect(withCookie.status).toBe(401);
    expect(withCookie.json).toEqual(without.json);
    expect((await call(`${t.httpUrl}/v1/models`, { headers: { cookie: s.cookie } })).status).toBe(401);
    // The member's API key still works, cookie or not.
    expect((await chat({ authorization: `Bearer ${t.apiKey}`, cookie: s.cookie })).status).toBe(200);
  });

  it("is refused on gRPC, even sent as cookie metadata", async () => {
    const md = new Metadata();
    md.set("cookie", s.cookie);
    const client = authClient(t.grpcAddress);
    try {
      const err = await grpcCall(client, client.whoAmI, {}, md).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isServiceError(err) && err.code).toBe(16);
    } finally {
      client.close();
    }
  });

  it("a credential header wins over the cookie (and then no CSRF token is asked for)", async () => {
    const before = await keyCount(t.member.userId);
    const created = await call(`${t.httpUrl}/v1/admin/api-keys`, {
      method: "POST",
      headers: { authorization: `Bearer ${t.adminToken}`, cookie: s.cookie },
      body: { user_id: t.member.userId, name: "operator-made" },
    });
    expect(created.status).toBe(200);
    expect(await keyCount(t.member.userId)).toBe(before + 1);
  });
});

describe("CSRF: a state change with the cookie needs the session's token", () => {
  let s: BrowserSession;
  let other: BrowserSession;
  beforeAll(async () => {
    s = await consoleLogin(t.httpUrl, t.member.email, t.member.password);
    const someoneElse = await provisionUser(t.httpUrl, t.adminToken, "member");
    other = await consoleLogin(t.httpUrl, someoneElse.email, someoneElse.password);
  });

  const create = (headers: Record<string, string>) => call(`${t.httpUrl}/v1/admin/api-keys`, { method: "POST", headers, body: { name: "csrf-test" } });

  it("no token, a forged one, or another session's: 403 in the error shape, nothing created", async () => {
    const before = await keyCount(t.member.userId);
    const forged = Buffer.alloc(32, 7).toString("base64url");
    const attempts: Array<Record<string, string>> = [
      { cookie: s.cookie },
      { cookie: s.cookie, "x-csrf-token": forged },
      { cookie: s.cookie, "x-csrf-token": other.csrf },
      { cookie: s.cookie, "x-csrf-token": "" },
    ];
    for (const headers of attempts) {
      const a = await create(headers);
      expect(a.status).toBe(403);
      expect(a.json).toMatchObject(CSRF_REFUSED);
    }
    // The CSRF token alone, without the cookie, is no credential.
    expect((await create({ "x-csrf-token": s.csrf })).status).toBe(401);
    expect(await keyCount(t.member.userId)).toBe(before);
    expect(s.csrf).not.toBe(other.csrf);
  });

  it("refuses revoking and logging out without it too, and nothing changes", async () => {
    const revoke = await call(`${t.httpUrl}/v1/admin/api-keys/${t.member.keyId}:revoke`, { method: "POST", headers: { cookie: s.cookie }, body: {} });
    expect(revoke.status).toBe(403);
    expect((await chat({ authorization: `Bearer ${t.apiKey}` })).status).toBe(200);
    const logout = await call(`${t.httpUrl}/console/api/logout`, { method: "POST", headers: { cookie: s.cookie, "x-csrf-token": other.csrf } });
    expect(logout.status).toBe(403);
    expect(logout.json).toMatchObject(CSRF_REFUSED);
    expect((await asPage(s, `${t.httpUrl}/console/api/session`)).status).toBe(200);
  });

  it("with the session's own token the change is made", async () => {
    const before = await keyCount(t.member.userId);
    const a = await create({ cookie: s.cookie, "x-csrf-token": s.csrf });
    expect(a.status).toBe(200);
    expect(a.json.api_key.user_id).toBe(t.member.userId);
    expect(await keyCount(t.member.userId)).toBe(before + 1);
  });
});

describe("cookies that name no live session", () => {
  async function refusedEverywhere(cookie: string): Promise<void> {
    for (const path of ["/v1/auth/whoami", "/v1/admin/api-keys", "/console/api/session"]) {
      const a = await call(`${t.httpUrl}${path}`, { headers: { cookie } });
      expect(a.status, `${path} with ${cookie.slice(0, 24)}`).toBe(401);
    }
    const session = await call(`${t.httpUrl}/console/api/session`, { headers: { cookie } });
    expect(setCookies(session)).toEqual(["aik_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"]);
  }

  it("forged (well-formed, never issued), malformed, the operator token, or two session cookies at once: 401", async () => {
    await refusedEverywhere(`aik_session=${newSecret(SESSION_PREFIX).secret}`);
    await refusedEverywhere("aik_session=aiks_not-a-real-token");
    await refusedEverywhere(`aik_session=${t.adminToken}`);
    await refusedEverywhere(`aik_session=${t.apiKey}`);
    const s = await consoleLogin(t.httpUrl, t.member.email, t.member.password);
    await refusedEverywhere(`${s.cookie}; ${s.cookie}`);
  });

  it("expired: 401", async () => {
    const s = await consoleLogin(t.httpUrl, t.member.email, t.member.password);
    expect((await asPage(s, `${t.httpUrl}/v1/auth/whoami`)).status).toBe(200);
    await sql`update sessions set expires_at = now() - interval '1 second' where user_id = ${t.member.userId} and revoked_at is null`;
    await refusedEverywhere(s.cookie);
  });

  it("revoked (logged out elsewhere): 401", async () => {
    const s = await consoleLogin(t.httpUrl, t.member.email, t.member.password);
    const token = s.cookie.slice("aik_session=".length);
    expect((await call(`${t.httpUrl}/v1/auth/logout`, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: {} })).status).toBe(200);
    await refusedEverywhere(s.cookie);
  });

  it("of a user disabled since: 401", async () => {
    const u: Provisioned = await provisionUser(t.httpUrl, t.adminToken, "member");
    const s = await consoleLogin(t.httpUrl, u.email, u.password);
    expect((await adminCall(t.httpUrl, t.adminToken, "PATCH", `/v1/admin/users/${u.userId}`, { status: "USER_STATUS_DISABLED" })).status).toBe(200);
    await refusedEverywhere(s.cookie);
  });
});

describe("logging out", () => {
  it("revokes the session on the server and clears the cookie: the old cookie then gets 401 everywhere", async () => {
    const s = await consoleLogin(t.httpUrl, t.member.email, t.member.password);
    const out = await asPage(s, `${t.httpUrl}/console/api/logout`, { method: "POST" });
    expect(out.status).toBe(204);
    expect(out.text).toBe("");
    expect(setCookies(out)).toEqual(["aik_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"]);
    const [row] = await sql<Array<{ revoked: boolean }>>`select revoked_at is not null as revoked from sessions where user_id = ${t.member.userId} order by created_at desc limit 1`;
    expect(row?.revoked).toBe(true);
    for (const path of ["/v1/auth/whoami", "/v1/admin/api-keys", "/console/api/session"]) {
      expect((await asPage(s, `${t.httpUrl}${path}`)).status, path).toBe(401);
    }
    expect((await asPage(s, `${t.httpUrl}/console/api/logout`, { method: "POST" })).status).toBe(401);
    const audit = await adminCall(t.httpUrl, t.adminToken, "GET", `/v1/admin/audit-events?action=logout&target_id=${t.member.userId}`);
    expect(audit.json.events.length).toBeGreaterThan(0);
  });

  it("GET on logout or login is 405, POST on session is 405", async () => {
    expect((await call(`${t.httpUrl}/console/api/logout`)).status).toBe(405);
    expect((await call(`${t.httpUrl}/console/api/login`)).status).toBe(405);
    const post = await call(`${t.httpUrl}/console/api/session`, { method: "POST", body: {} });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe("GET");
  });
});

describe("markup in names is data", () => {
  it("a key named <script>… comes back as the same JSON string, never as markup", async () => {
    const s = await consoleLogin(t.httpUrl, t.member.email, t.member.password);
    const name = `<script>alert("x")</script><img src=x onerror=alert(1)>`;
    const created = await asPage(s, `${t.httpUrl}/v1/admin/api-keys`, { method: "POST", body: { name } });
    expect(created.status).toBe(200);
    expect(created.headers["content-type"]).toBe("application/json");
    expect(created.headers["x-content-type-options"]).toBe("nosniff");
    expect(created.json.api_key.name).toBe(name);
    const listed = await asPage(s, `${t.httpUrl}/v1/admin/api-keys`);
    expect(listed.headers["content-type"]).toBe("application/json");
    expect(listed.json.api_keys.find((k: { id: string }) => k.id === created.json.api_key.id).name).toBe(name);
    const status = await asPage(s, `${t.httpUrl}/v1/admin/users/me/limit-status`);
    expect(status.headers["content-type"]).toBe("application/json");
    expect(status.json.keys.find((k: { key_id: string }) => k.key_id === created.json.api_key.id).name).toBe(name);
  });

  it("an over-long name is refused with 400 naming the field, and nothing is created", async () => {
    const s = await consoleLogin(t.httpUrl, t.member.email, t.member.password);
    const before = await keyCount(t.member.userId);
    const a = await asPage(s, `${t.httpUrl}/v1/admin/api-keys`, { method: "POST", body: { name: "x".repeat(101) } });
    expect(a.status).toBe(400);
    expect(a.json.error.param).toBe("name");
    expect(await keyCount(t.member.userId)).toBe(before);
  });
});

describe("the cookie is not an admin's way around permissions", () => {
  it("a member's cookie cannot read another member's keys or create one for them", async () => {
    const s = await consoleLogin(t.httpUrl, t.member.email, t.member.password);
    const other = await provisionUser(t.httpUrl, t.adminToken, "member");
    const listed = await asPage(s, `${t.httpUrl}/v1/admin/api-keys?user_id=${other.userId}`);
    expect(listed.status).toBe(403);
    const made = await asPage(s, `${t.httpUrl}/v1/admin/api-keys`, { method: "POST", body: { user_id: other.userId, name: "theirs" } });
    expect(made.status).toBe(403);
    const revoke = await asPage(s, `${t.httpUrl}/v1/admin/api-keys/${other.keyId}:revoke`, { method: "POST", body: {} });
    expect(revoke.status).toBe(404);
    expect(await keyCount(other.userId)).toBe(1);
  });
});
