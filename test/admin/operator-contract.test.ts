// The names and JSON fields operators' scripts rely on, exercised with buf curl through reflection alone.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request } from "undici";
import { bufCurl } from "../support/buf-curl.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(() => t.close());

async function rpc(method: string, token: string | undefined, body: object): Promise<Record<string, any>> {
  const auth = token ? ["-H", `Authorization: Bearer ${token}`] : [];
  return JSON.parse(await bufCurl(...auth, "-d", JSON.stringify(body), `http://${t.grpcAddress}/${method}`));
}

describe("operator contract over buf curl", () => {
  it("CreateUser -> user.id; CreateApiKey -> api_key + secret; Login -> session_token + expires_at; RevokeApiKey -> the key stops working", async () => {
    const email = `ops-${Date.now()}@example.test`;
    const password = "a sufficiently long password";
    const created = await rpc("aik.v1.AdminService/CreateUser", t.adminToken, { email, password, role: "ROLE_MEMBER" });
    expect(created.user.id).toMatch(/^[0-9a-f-]{36}$/);

    const key = await rpc("aik.v1.AdminService/CreateApiKey", t.adminToken, { user_id: created.user.id, name: "ci" });
    expect(Object.keys(key).sort()).toEqual(["api_key", "secret"]);
    expect(key.secret).toMatch(/^aik_[0-9A-Za-z]{49}$/);
    expect(key.api_key).toMatchObject({ user_id: created.user.id, name: "ci", prefix: key.secret.slice(0, 10) });

    const session = await rpc("aik.v1.AuthService/Login", undefined, { email, password });
    expect(session.session_token).toMatch(/^aiks_/);
    expect(new Date(session.expires_at).getTime()).toBeGreaterThan(Date.now());

    const chat = () =>
      request(`${t.httpUrl}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${key.secret}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "hi" }] }),
      }).then(async (r) => (await r.body.text(), r.statusCode));
    expect(await chat()).toBe(200);

    // A member's own session may revoke the member's own key.
    const revoked = await rpc("aik.v1.AdminService/RevokeApiKey", session.session_token, { id: key.api_key.id });
    expect(revoked.api_key.revoked_at).toBeTruthy();
    expect(await chat()).toBe(401);
  });

  it("ListApiKeys never shows a secret", async () => {
    const listed = await rpc("aik.v1.AdminService/ListApiKeys", t.adminToken, { user_id: t.member.userId });
    expect(JSON.stringify(listed)).not.toContain(t.apiKey);
    expect(listed.api_keys[0]).not.toHaveProperty("secret");
  });

  it("ListDeployments -> deployments[] with id, model, kind, priority, weight, state, in_flight, error_rate; ReloadConfig -> deployments, needs_restart", async () => {
    const listed = await rpc("aik.v1.AdminService/ListDeployments", t.adminToken, {});
    const gpt4o = listed.deployments.find((d: { id: string }) => d.id === "gpt-4o");
    // buf curl leaves out proto3 zero values (priority 0, in_flight 0, error_rate 0): present, they use these names.
    expect(gpt4o).toMatchObject({ id: "gpt-4o", model: "gpt-4o", kind: "standard", weight: 1, state: "healthy" });
    expect(Object.keys(gpt4o).every((k) => ["id", "model", "kind", "priority", "weight", "state", "until", "in_flight", "latency_ms", "error_rate"].includes(k))).toBe(true);
    // The in-process test gateway re-applies the config it started with.
    const reloaded = await rpc("aik.v1.AdminService/ReloadConfig", t.adminToken, {});
    expect(reloaded.deployments).toBe(listed.deployments.length);
  });
});
