// Two gateway processes on one database: a key revoked (or a user disabled) through one is refused by the other within 1 s.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request } from "undici";
import { startReplica, type GatewayProcess } from "../support/gateway-process.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { adminCall, provisionUser } from "../support/identity.js";

let a: TestGateway;
let b: GatewayProcess;
beforeAll(async () => {
  a = await startTestGateway();
  b = await startReplica(a);
});
afterAll(async () => {
  await b.stop();
  await a.close();
});

async function chatOn(url: string, key: string): Promise<number> {
  const res = await request(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] }),
  });
  await res.body.text();
  return res.statusCode;
}

/** Polls until `url` refuses `key`; returns how long that took after `since`. */
async function refusedAfter(url: string, key: string, since: number): Promise<number> {
  for (;;) {
    if ((await chatOn(url, key)) === 401) return performance.now() - since;
    if (performance.now() - since > 5000) throw new Error("still accepted after 5 s");
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("revocation across replicas", () => {
  it("a key revoked through A is refused by B within 1 second", async () => {
    const u = await provisionUser(a.httpUrl, a.adminToken, "member");
    // B has the key in its cache (TTL 60 s): only the notification can make it forget in time.
    expect(await chatOn(b.httpUrl, u.apiKey)).toBe(200);
    expect(await chatOn(b.httpUrl, u.apiKey)).toBe(200);
    const t0 = performance.now();
    expect((await adminCall(a.httpUrl, a.adminToken, "POST", `/v1/admin/api-keys/${u.keyId}:revoke`)).status).toBe(200);
    expect(await refusedAfter(b.httpUrl, u.apiKey, t0)).toBeLessThan(1000);
  });

  it("a user disabled through B has their keys refused by A within 1 second", async () => {
    const u = await provisionUser(a.httpUrl, a.adminToken, "member");
    expect(await chatOn(a.httpUrl, u.apiKey)).toBe(200);
    const t0 = performance.now();
    expect((await adminCall(b.httpUrl, a.adminToken, "PATCH", `/v1/admin/users/${u.userId}`, { status: "USER_STATUS_DISABLED" })).status).toBe(200);
    expect(await refusedAfter(a.httpUrl, u.apiKey, t0)).toBeLessThan(1000);
  });
});
