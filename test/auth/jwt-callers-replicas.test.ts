// Two gateway processes on one database: a service account disabled through one has its tokens refused by the other within 1 s (the replica reads auth.jwt_issuers from its config file).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request } from "undici";
import { startReplica, type GatewayProcess } from "../support/gateway-process.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { adminCall } from "../support/identity.js";
import { signingKey, signToken, startIssuer, type SigningKey, type TestIssuer } from "../support/jwks-server.js";

const AUDIENCE = "api://aik-replicas";
let a: TestGateway;
let b: GatewayProcess;
let idp: TestIssuer;
let key: SigningKey;

beforeAll(async () => {
  key = await signingKey("r1");
  idp = await startIssuer([key]);
  a = await startTestGateway({}, (c) => ({ ...c, auth: { ...c.auth, jwtIssuers: [{ issuer: idp.issuer, audiences: [AUDIENCE], jwksUri: idp.jwksUri, jwksCooldownMs: 30_000 }] } }));
  b = await startReplica(a, {}, `auth:\n  jwt_issuers:\n    - { issuer: "${idp.issuer}", audience: "${AUDIENCE}", jwks_uri: "${idp.jwksUri}" }\n`);
});
afterAll(async () => {
  await b?.stop();
  await a?.close();
  await idp?.close();
});

async function chatOn(url: string, credential: string): Promise<number> {
  const res = await request(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${credential}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] }),
  });
  await res.body.text();
  return res.statusCode;
}

describe("service account tokens across replicas", () => {
  it("an account disabled through A has its tokens refused by B within 1 second", async () => {
    const made = await adminCall(a.httpUrl, a.adminToken, "POST", "/v1/admin/service-accounts", { name: "replicated", app_id: "replicated-app" });
    expect(made.status).toBe(200);
    const jwt = await signToken(key, { issuer: idp.issuer, audience: AUDIENCE, claims: { azp: "replicated-app" } });
    // B has the account in its cache (TTL 60 s): only the notification can make it forget in time.
    expect(await chatOn(b.httpUrl, jwt)).toBe(200);
    expect(await chatOn(b.httpUrl, jwt)).toBe(200);
    const t0 = performance.now();
    expect((await adminCall(a.httpUrl, a.adminToken, "PATCH", `/v1/admin/users/${made.json.user.id}`, { status: "USER_STATUS_DISABLED" })).status).toBe(200);
    for (;;) {
      if ((await chatOn(b.httpUrl, jwt)) === 401) break;
      if (performance.now() - t0 > 5000) throw new Error("still accepted after 5 s");
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(performance.now() - t0).toBeLessThan(1000);
    // B fetched the issuer's keys itself, once.
    expect(idp.fetches()).toBe(2);
  });
});
