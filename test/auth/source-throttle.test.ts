// Behind trusted proxies the throttled source is the client the nearest proxy saw, not what the client wrote in X-Forwarded-For.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_LOCKOUT } from "../../src/auth/login-guard.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { adminCall } from "../support/identity.js";
import { request } from "undici";

const SOURCE_LIMIT = 5;
const ATTEMPTS = 12;
const CLIENT = "203.0.113.7";
const PASSWORD = "every account's long password";

describe.each([1, 2])("server.trusted_proxies = %i", (hops) => {
  let t: TestGateway;
  const users: Array<{ id: string; email: string }> = [];

  beforeAll(async () => {
    // One failure locks an account, so the accounts locked count exactly the failures that reached a password check.
    t = await startTestGateway({ trustedProxies: hops }, (c) => ({
      ...c,
      auth: { ...c.auth, lockout: { ...DEFAULT_LOCKOUT, maxFailures: 1, maxSourceFailures: SOURCE_LIMIT } },
    }));
    for (let i = 0; i < ATTEMPTS + 2; i++) {
      const email = `user-${i}@example.test`;
      const res = await adminCall(t.httpUrl, t.adminToken, "POST", "/v1/admin/users", { email, password: PASSWORD });
      users.push({ id: res.json.user.id, email });
    }
  });
  afterAll(() => t.close());

  /** What reaches the gateway when the client wrote `forged` and each proxy appended the address it got the request from. */
  const forwardedFor = (forged: string, client: string): string => [forged, client, ...Array.from({ length: hops - 1 }, (_, i) => `10.0.0.${i + 1}`)].join(", ");

  async function login(email: string, password: string, xff: string): Promise<number> {
    const res = await request(`${t.httpUrl}/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-for": xff },
      body: JSON.stringify({ email, password }),
    });
    await res.body.dump();
    return res.statusCode;
  }

  it("rotating the leftmost X-Forwarded-For entry lets no more than the source limit of failures through", async () => {
    for (let i = 0; i < ATTEMPTS; i++) {
      const user = users[i];
      if (!user) throw new Error("missing user");
      expect(await login(user.email, "a wrong password", forwardedFor(`198.51.100.${i + 1}`, CLIENT))).toBe(401);
    }
    const locked: string[] = [];
    for (const u of users.slice(0, ATTEMPTS)) {
      const res = await adminCall(t.httpUrl, t.adminToken, "GET", `/v1/admin/users/${u.id}`);
      if (res.json.user.locked_until) locked.push(u.email);
    }
    expect(locked).toEqual(users.slice(0, SOURCE_LIMIT).map((u) => u.email));
  });

  it("the right password is then refused from that client, whatever it forges, while another client gets in", async () => {
    const [probe, control] = users.slice(ATTEMPTS);
    if (!probe || !control) throw new Error("missing users");
    expect(await login(probe.email, PASSWORD, forwardedFor("198.51.100.200", CLIENT))).toBe(401);
    expect(await login(control.email, PASSWORD, forwardedFor("198.51.100.200", "203.0.113.8"))).toBe(200);
  });

  it("the throttle engaging is audited once, attributed to the client address the proxy saw", async () => {
    const res = await adminCall(t.httpUrl, t.adminToken, "GET", "/v1/admin/audit-events?action=login.source_throttled");
    expect(res.json.events).toHaveLength(1);
    expect(res.json.events[0]).toMatchObject({ actor: "anonymous", source: CLIENT, target_id: "" });
  });
});
