// Chat requests need a valid key: every kind of bad key gets the same answer on both protocols.
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request } from "undici";
import { ChatCompletionRequest, ChatRole } from "../../gen/aik/v1/chat.js";
import { hashSecret } from "../../src/auth/tokens.js";
import { bearer, call, chatClient, isServiceError } from "../support/grpc-client.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { adminCall, provisionUser } from "../support/identity.js";

let t: TestGateway;
const keys: Record<string, string> = {};

beforeAll(async () => {
  t = await startTestGateway();
  const k = t.apiKey;
  const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === "a" ? "b" : "a") + s.slice(i + 1);
  keys.empty = "";
  keys["wrong prefix"] = `sk-${k.slice(4)}`;
  keys["bad checksum"] = flip(k, k.length - 1);
  keys.truncated = k.slice(0, -3);
  keys["one character changed"] = flip(k, 10);
  keys["stored hash presented as key"] = hashSecret(k).toString("hex");
  const other = await provisionUser(t.httpUrl, t.adminToken, "member");
  await adminCall(t.httpUrl, t.adminToken, "POST", `/v1/admin/api-keys/${other.keyId}:revoke`);
  keys.revoked = other.apiKey;
  const expiring = await adminCall(t.httpUrl, t.adminToken, "POST", "/v1/admin/api-keys", {
    user_id: t.member.userId,
    name: "short-lived",
    expires_at: new Date(Date.now() + 1500).toISOString(),
  });
  keys.expired = expiring.json.secret;
  const { newSecret } = await import("../../src/auth/tokens.js");
  keys["well-formed but unknown"] = newSecret("aik_").secret;
  await new Promise((r) => setTimeout(r, 1600));
});
afterAll(() => t.close());

const hello = { model: "gpt-4o", messages: [{ role: "user", content: "hi" }] };

async function httpChat(headers: Record<string, string>, query = "") {
  const res = await request(`${t.httpUrl}/v1/chat/completions${query}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(hello),
  });
  return { status: res.statusCode, json: JSON.parse(await res.body.text()) };
}

describe("bad keys over HTTP", () => {
  const names = ["empty", "wrong prefix", "bad checksum", "truncated", "one character changed", "well-formed but unknown", "revoked", "expired", "stored hash presented as key"];
  it.each(names)("%s -> 401 invalid_api_key", async (name) => {
    const r = await httpChat({ authorization: `Bearer ${keys[name]}` });
    expect(r.status).toBe(401);
    expect(r.json.error.code).toBe("invalid_api_key");
    if (name !== "empty") expect(r.json.error.message).toBe("Incorrect API key provided.");
  });

  it("the same through the api-key header", async () => {
    const r = await httpChat({ "api-key": keys.revoked ?? "" });
    expect(r).toMatchObject({ status: 401, json: { error: { code: "invalid_api_key", message: "Incorrect API key provided." } } });
  });

  it("no credential at all -> 401", async () => {
    expect((await httpChat({})).status).toBe(401);
  });

  it("a valid key in the query string is refused", async () => {
    const r = await httpChat({}, `?api-key=${t.apiKey}`);
    expect(r.status).toBe(401);
    expect(r.json.error.message).toMatch(/URL/);
  });

  it("a 1 MB authorization header -> 431, never a crash", async () => {
    const res = await request(`${t.httpUrl}/v1/models`, { headers: { authorization: `Bearer ${"a".repeat(1024 * 1024)}` } }).then(
      async (r) => ({ status: r.statusCode, text: await r.body.text() }),
      // The server may close the socket while the client is still sending the header.
      (e: unknown) => ({ status: 0, text: e instanceof Error ? e.message : "" }),
    );
    if (res.status === 0) expect(res.text).toMatch(/socket|closed|reset|EPIPE/i);
    else expect(res.status).toBe(431);
    expect((await httpChat({ authorization: `Bearer ${t.apiKey}` })).status).toBe(200);
  });

  it("the valid key works", async () => {
    expect((await httpChat({ authorization: `Bearer ${t.apiKey}` })).status).toBe(200);
  });
});

describe("bad keys over gRPC", () => {
  const req = ChatCompletionRequest.fromPartial({ model: "gpt-4o", messages: [{ role: ChatRole.CHAT_ROLE_USER, content: { $case: "text", value: "hi" } }] });
  it.each(["wrong prefix", "bad checksum", "revoked", "expired", "well-formed but unknown"])("%s -> UNAUTHENTICATED", async (name) => {
    const client = chatClient(t.grpcAddress);
    const err = await call(client, client.createChatCompletion, req, bearer(keys[name])).catch((e: unknown) => e);
    expect(isServiceError(err) && err.code).toBe(status.UNAUTHENTICATED);
    expect(isServiceError(err) && err.details).toBe("Incorrect API key provided.");
    client.close();
  });
});

describe("allowed models", () => {
  it("a key limited to gpt-4o-mini gets 403 / PERMISSION_DENIED for gpt-4o, and lists only its models", async () => {
    const limited = await provisionUser(t.httpUrl, t.adminToken, "member", { allowed_models: ["gpt-4o-mini"] });
    const r = await httpChat({ authorization: `Bearer ${limited.apiKey}` });
    expect(r.status).toBe(403);
    expect(r.json.error.code).toBe("model_not_allowed");
    const ok = await request(`${t.httpUrl}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${limited.apiKey}` },
      body: JSON.stringify({ ...hello, model: "gpt-4o-mini" }),
    });
    expect(ok.statusCode).toBe(200);
    await ok.body.text();
    const models = await request(`${t.httpUrl}/v1/models`, { headers: { authorization: `Bearer ${limited.apiKey}` } });
    expect(JSON.parse(await models.body.text()).data.map((m: { id: string }) => m.id)).toEqual(["gpt-4o-mini"]);
    const client = chatClient(t.grpcAddress);
    const req = ChatCompletionRequest.fromPartial({ model: "gpt-4o", messages: [{ role: ChatRole.CHAT_ROLE_USER, content: { $case: "text", value: "hi" } }] });
    const err = await call(client, client.createChatCompletion, req, bearer(limited.apiKey)).catch((e: unknown) => e);
    expect(isServiceError(err) && err.code).toBe(status.PERMISSION_DENIED);
    client.close();
  });
});

describe("a disabled owner", () => {
  it("makes their keys fail at once, and work again when re-enabled", async () => {
    const u = await provisionUser(t.httpUrl, t.adminToken, "member");
    expect((await httpChat({ authorization: `Bearer ${u.apiKey}` })).status).toBe(200);
    await adminCall(t.httpUrl, t.adminToken, "PATCH", `/v1/admin/users/${u.userId}`, { status: "USER_STATUS_DISABLED" });
    expect((await httpChat({ authorization: `Bearer ${u.apiKey}` })).status).toBe(401);
    await adminCall(t.httpUrl, t.adminToken, "PATCH", `/v1/admin/users/${u.userId}`, { status: "USER_STATUS_ACTIVE" });
    expect((await httpChat({ authorization: `Bearer ${u.apiKey}` })).status).toBe(200);
  });
});
