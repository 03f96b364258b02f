// Service accounts calling with an issuer's JWT instead of an aik_ key: served and metered on both front doors, and every bad token answered exactly as a bad key.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { status } from "@grpc/grpc-js";
import { request } from "undici";
import { base64url, exportSPKI, importJWK, SignJWT } from "jose";
import { ChatCompletionRequest, ChatRole } from "../../gen/aik/v1/chat.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { bearer, call, chatClient, isServiceError } from "../support/grpc-client.js";
import { adminCall } from "../support/identity.js";
import { signingKey, signToken, startIssuer, type SigningKey, type TestIssuer } from "../support/jwks-server.js";
import { gatewaySdk } from "../support/sdk.js";
import { until } from "../support/usage-db.js";
import { REDIS_URL } from "../support/redis.js";
import { dumpDatabase, dumpRedis } from "../support/sink-dumps.js";

const AUDIENCE = "api://aik-test";
const COOLDOWN_MS = 1000;

let t: TestGateway;
let idp: TestIssuer;
let k1: SigningKey;
let svc: { id: string; appId: string };

async function createServiceAccount(appId: string): Promise<string> {
  const res = await adminCall(t.httpUrl, t.adminToken, "POST", "/v1/admin/service-accounts", { name: `svc ${appId}`, app_id: appId });
  if (res.status !== 200) throw new Error(`CreateServiceAccount: ${res.status} ${JSON.stringify(res.json)}`);
  return res.json.user.id;
}

beforeAll(async () => {
  k1 = await signingKey("k1");
  idp = await startIssuer([k1]);
  t = await startTestGateway({}, (c) => ({
    ...c,
    auth: { ...c.auth, jwtIssuers: [{ issuer: idp.issuer, audiences: [AUDIENCE], jwksUri: idp.jwksUri, jwksCooldownMs: COOLDOWN_MS }] },
  }));
  const appId = "7c1e2a50-0000-4000-8000-00000000a001";
  svc = { id: await createServiceAccount(appId), appId };
});
afterAll(async () => {
  await t?.close();
  await idp?.close();
});

function token(key: SigningKey, claims: Record<string, unknown> = {}, over: { issuer?: string; audience?: string; expiresIn?: number } = {}): Promise<string> {
  return signToken(key, { issuer: over.issuer ?? idp.issuer, audience: over.audience ?? AUDIENCE, claims: { azp: svc.appId, ...claims }, expiresIn: over.expiresIn });
}

interface HttpAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly headers: Record<string, string>;
}

/**
 * A chat call's answer with the per-response headers (date, request id) left out, and the
 * hop-by-hop ones: whether the connection is kept depends on whether the request body had fully
 * arrived when the refusal was written (a bad key is refused within the tick the headers arrive),
 * not on what was refused.
 */
async function chatAnswer(credential: string): Promise<HttpAnswer> {
  const res = await request(`${t.httpUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${credential}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "gpt-4o-mini", max_tokens: 5, messages: [{ role: "user", content: "hi" }] }),
  });
  const text = await res.body.text();
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) if (!["date", "x-request-id", "connection", "keep-alive"].includes(k)) headers[k] = String(v);
  return { status: res.statusCode, body: JSON.parse(text), headers };
}

async function grpcRefusal(credential: string): Promise<{ code: number; details: string }> {
  const client = chatClient(t.grpcAddress);
  try {
    const req = ChatCompletionRequest.fromPartial({ model: "gpt-4o-mini", messages: [{ role: ChatRole.CHAT_ROLE_USER, content: { $case: "text", value: "hi" } }] });
    const err = await call(client, client.createChatCompletion, req, bearer(credential)).then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!isServiceError(err)) throw new Error("the call was served");
    return { code: err.code, details: err.details };
  } finally {
    client.close();
  }
}

describe("a service account's token", () => {
  it("is served over HTTP (openai SDK) and gRPC, and metered to the service account", async () => {
    const jwt = await token(k1);
    const sdk = gatewaySdk(t, jwt);
    const answer = await sdk.chat.completions.create({ model: "gpt-4o-mini", max_tokens: 5, messages: [{ role: "user", content: "hello" }] });
    expect(answer.choices[0]?.message.content).toBeTruthy();

    const client = chatClient(t.grpcAddress);
    try {
      const req = ChatCompletionRequest.fromPartial({ model: "gpt-4o", maxTokens: 5, messages: [{ role: ChatRole.CHAT_ROLE_USER, content: { $case: "text", value: "hello" } }] });
      const res = await call(client, client.createChatCompletion, req, bearer(jwt));
      expect(res.choices).toHaveLength(1);
    } finally {
      client.close();
    }

    await until("two requests metered to the service account", async () => {
      const usage = await adminCall(t.httpUrl, t.adminToken, "GET", `/v1/admin/usage?user_id=${svc.id}&group_by=model`);
      return usage.json.total?.requests === "2";
    });
    const byKey = await adminCall(t.httpUrl, t.adminToken, "GET", `/v1/admin/usage?user_id=${svc.id}&group_by=key,model`);
    // No key was presented: the rows name the account and no key.
    expect(byKey.json.rows.map((r: { key_id?: string; model: string; requests: string }) => [r.key_id ?? "", r.model, r.requests]).sort()).toEqual([
      ["", "gpt-4o", "1"],
      ["", "gpt-4o-mini", "1"],
    ]);
  });

  it("checks its signature locally: the JWKS is fetched once for many requests", async () => {
    const before = idp.fetches();
    const jwt = await token(k1);
    for (let i = 0; i < 10; i++) expect((await chatAnswer(jwt)).status).toBe(200);
    expect(idp.fetches()).toBe(before);
    expect(before).toBe(1);
  });

  it("is never logged or stored: no log line, table row or Redis entry holds any part of it", async () => {
    const jwt = await token(k1);
    expect((await chatAnswer(jwt)).status).toBe(200);
    await chatAnswer(`${jwt.slice(0, -4)}AAAA`);
    const [, payload, signature] = jwt.split(".");
    const tables = (await dumpDatabase(t.databaseUrl)).flatMap((d) => d.rows).join("\n");
    const redis = (await dumpRedis(REDIS_URL, t.redisPrefix)).map((e) => `${e.key} ${e.value.toString("latin1")}`).join("\n");
    expect(tables).toContain(svc.appId);
    for (const part of [payload, signature]) {
      expect(t.logs.join("\n")).not.toContain(part);
      expect(tables).not.toContain(part);
      expect(redis).not.toContain(part);
    }
  });
});

describe("every bad token gets a bad key's answer", () => {
  let badKey: HttpAnswer;
  let badKeyGrpc: { code: number; details: string };
  beforeAll(async () => {
    badKey = await chatAnswer("aik_this-is-not-a-key");
    badKeyGrpc = await grpcRefusal("aik_this-is-not-a-key");
    expect(badKey.status).toBe(401);
    expect(badKeyGrpc.code).toBe(status.UNAUTHENTICATED);
  });

  const cases: Array<[string, () => Promise<string>]> = [
    ["expired (past the 60 s skew)", () => token(k1, {}, { expiresIn: -120 })],
    ["wrong audience", () => token(k1, {}, { audience: "api://someone-else" })],
    ["wrong issuer", () => token(k1, {}, { issuer: "https://login.microsoftonline.com/other-tenant/v2.0" })],
    ["right issuer, signed by a key the issuer never published", async () => token({ ...(await signingKey("k1")) })],
    ["unknown application id", () => token(k1, { azp: "00000000-0000-4000-8000-0000000000ff" })],
    ["no application id", () => token(k1, { azp: undefined })],
    ["a delegated (user) token of the application", () => token(k1, { scp: "user_impersonation" })],
    ["no exp", () => new SignJWT({ azp: svc.appId }).setProtectedHeader({ alg: "RS256", kid: "k1" }).setIssuer(idp.issuer).setAudience(AUDIENCE).sign(k1.privateKey)],
    ["alg none", async () => unsigned({ alg: "none", typ: "JWT" })],
    ["alg none with a known kid", async () => unsigned({ alg: "none", kid: "k1" })],
    ["HS256 signed with the issuer's public key", hs256WithPublicKey],
    ["a signature cut short", async () => (await token(k1)).slice(0, -10)],
    ["not a JWT at all", async () => "eyJhbGciOi.not-a-token"],
  ];

  it.each(cases)("%s -> 401, same body and headers as a bad key (HTTP), same status and message (gRPC)", async (_name, make) => {
    const jwt = await make();
    expect(await chatAnswer(jwt)).toEqual(badKey);
    expect(await grpcRefusal(jwt)).toEqual(badKeyGrpc);
  });

  async function unsigned(header: Record<string, unknown>): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const enc = (o: object): string => base64url.encode(JSON.stringify(o));
    return `${enc(header)}.${enc({ iss: idp.issuer, aud: AUDIENCE, azp: svc.appId, iat: now, exp: now + 600 })}.`;
  }

  async function hs256WithPublicKey(): Promise<string> {
    const publicKey = await importJWK(k1.publicJwk, "RS256", { extractable: true });
    if (publicKey instanceof Uint8Array) throw new Error("an RSA JWK imports as a key");
    const pem = await exportSPKI(publicKey);
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ azp: svc.appId })
      .setProtectedHeader({ alg: "HS256", kid: "k1" })
      .setIssuer(idp.issuer)
      .setAudience(AUDIENCE)
      .setExpirationTime(now + 600)
      .sign(new TextEncoder().encode(pem));
  }
});

describe("key rotation at the issuer", () => {
  it("a token with a new kid works once the JWKS is refetched; a kid absent even after the refetch is refused", async () => {
    const k2 = await signingKey("k2");
    idp.publish([k2]);
    current = k2;
    const before = idp.fetches();
    // Past the cooldown since the last fetch: the unknown kid makes the gateway refetch at once.
    await new Promise((r) => setTimeout(r, COOLDOWN_MS + 100));
    expect((await chatAnswer(await token(k2))).status).toBe(200);
    expect(idp.fetches()).toBe(before + 1);

    const k9 = await signingKey("k9");
    await new Promise((r) => setTimeout(r, COOLDOWN_MS + 100));
    const absent = await chatAnswer(await token(k9));
    expect(absent.status).toBe(401);
    expect(idp.fetches()).toBe(before + 2);
    // Within the cooldown an unknown kid refetches nothing: a flood of made-up kids cannot hammer the issuer.
    for (let i = 0; i < 5; i++) expect((await chatAnswer(await token(k9))).status).toBe(401);
    expect(idp.fetches()).toBe(before + 2);
    // The key the issuer withdrew (k1) is refused too.
    expect((await chatAnswer(await token(k1))).status).toBe(401);
  });
});

describe("the service account's own limits", () => {
  it("apply to its tokens: one request a minute admits one, then 429", async () => {
    const res = await adminCall(t.httpUrl, t.adminToken, "POST", "/v1/admin/service-accounts", { name: "slow", app_id: "slow-app", limits: { requests_per_minute: 1 } });
    expect(res.status).toBe(200);
    const jwt = await token(k1Current(), { azp: "slow-app" });
    expect((await chatAnswer(jwt)).status).toBe(200);
    const second = await chatAnswer(jwt);
    expect(second.status).toBe(429);
  });
});

describe("the service account's allowed models", () => {
  const chatWith = async (jwt: string, model: string): Promise<{ status: number; code: unknown }> => {
    const res = await request(`${t.httpUrl}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${jwt}`, "content-type": "application/json" },
      body: JSON.stringify({ model, max_tokens: 5, messages: [{ role: "user", content: "hi" }] }),
    });
    const body = (await res.body.json()) as { error?: { code?: unknown } };
    return { status: res.statusCode, code: body.error?.code };
  };

  it("hold its tokens to those models (403 model_not_allowed otherwise), and UpdateUser replaces them on every call at once", async () => {
    const res = await adminCall(t.httpUrl, t.adminToken, "POST", "/v1/admin/service-accounts", { name: "mini only", app_id: "mini-app", allowed_models: ["gpt-4o-mini"] });
    expect(res.status).toBe(200);
    expect(res.json.user.allowed_models).toEqual(["gpt-4o-mini"]);
    const jwt = await token(k1Current(), { azp: "mini-app" });
    expect(await chatWith(jwt, "gpt-4o")).toEqual({ status: 403, code: "model_not_allowed" });
    expect((await chatWith(jwt, "gpt-4o-mini")).status).toBe(200);
    // Replaced by an empty list: every model.
    const id = String(res.json.user.id);
    const widened = await adminCall(t.httpUrl, t.adminToken, "PATCH", `/v1/admin/users/${id}`, { allowed_models: { models: [] } });
    expect(widened.status).toBe(200);
    expect(widened.json.user.allowed_models ?? []).toEqual([]);
    expect((await chatWith(jwt, "gpt-4o")).status).toBe(200);
  });

  it("belong to service accounts only: a person's are refused, naming the field", async () => {
    const person = await adminCall(t.httpUrl, t.adminToken, "POST", "/v1/admin/users", { email: `models-${Date.now()}@example.com`, password: "correct horse battery staple" });
    expect(person.status).toBe(200);
    const res = await adminCall(t.httpUrl, t.adminToken, "PATCH", `/v1/admin/users/${String(person.json.user.id)}`, { allowed_models: { models: ["gpt-4o"] } });
    expect(res.status).toBe(400);
    expect(res.json.error.param).toBe("allowed_models");
  });
});

describe("disabling the service account", () => {
  it("refuses its tokens at once; enabling it again lets them back in", async () => {
    const id = await createServiceAccount("disable-me");
    const jwt = await token(k1Current(), { azp: "disable-me" });
    expect((await chatAnswer(jwt)).status).toBe(200);
    expect((await adminCall(t.httpUrl, t.adminToken, "PATCH", `/v1/admin/users/${id}`, { status: "USER_STATUS_DISABLED" })).status).toBe(200);
    const refused = await chatAnswer(jwt);
    expect(refused.status).toBe(401);
    expect((await adminCall(t.httpUrl, t.adminToken, "PATCH", `/v1/admin/users/${id}`, { status: "USER_STATUS_ACTIVE" })).status).toBe(200);
    expect((await chatAnswer(jwt)).status).toBe(200);
  });

  it("an app id refused before its account existed is served once it is created (no stale negative cache)", async () => {
    const jwt = await token(k1Current(), { azp: "created-later" });
    expect((await chatAnswer(jwt)).status).toBe(401);
    await createServiceAccount("created-later");
    expect((await chatAnswer(jwt)).status).toBe(200);
  });
});

/** The issuer's current key after the rotation test (or k1 when run alone). */
let current: SigningKey | undefined;
function k1Current(): SigningKey {
  return current ?? k1;
}
