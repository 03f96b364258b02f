// RotateApiKey: one key record, a new secret, the old one accepted for the grace period only, on every replica, over both protocols.
import { status } from "@grpc/grpc-js";
import { randomUUID } from "node:crypto";
import OpenAI from "openai";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChatCompletionRequest, ChatRole } from "../../gen/aik/v1/chat.js";
import { newSecret } from "../../src/auth/tokens.js";
import { startReplica, type GatewayProcess } from "../support/gateway-process.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { adminClient, bearer, call, chatClient, isServiceError } from "../support/grpc-client.js";
import { adminCall, provisionUser, type Provisioned } from "../support/identity.js";
import { gatewaySdk } from "../support/sdk.js";
import { until } from "../support/usage-db.js";

// A: in-process; B: its own process on the same Postgres and Redis. Both keep keys cached for 60 s.
let a: TestGateway;
let b: GatewayProcess;
let db: postgres.Sql;
beforeAll(async () => {
  a = await startTestGateway();
  b = await startReplica(a);
  db = postgres(a.databaseUrl, { onnotice: () => {}, max: 2 });
});
afterAll(async () => {
  await db?.end();
  await b?.stop();
  await a?.close();
});

interface Answer {
  readonly status: number;
  readonly requestId: string;
  /** The error body's `error` object, on a refusal. */
  readonly error: unknown;
}

/** One chat call through the openai SDK, as a service holding `key` makes it. */
async function sdkChat(url: string, key: string): Promise<Answer> {
  try {
    const { response } = await gatewaySdk({ httpUrl: url, apiKey: key })
      .chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] })
      .withResponse();
    return { status: response.status, requestId: response.headers.get("x-request-id") ?? "", error: undefined };
  } catch (e) {
    if (e instanceof OpenAI.APIError) return { status: e.status ?? 0, requestId: e.requestID ?? "", error: e.error };
    throw e;
  }
}

const GRPC_HELLO = ChatCompletionRequest.fromPartial({ model: "gpt-4o-mini", messages: [{ role: ChatRole.CHAT_ROLE_USER, content: { $case: "text", value: "hi" } }] });

/** One gRPC chat call: "OK", or the status code and details it failed with. */
async function grpcChat(address: string, key: string): Promise<{ code: number; details: string }> {
  const client = chatClient(address);
  try {
    await call(client, client.createChatCompletion, GRPC_HELLO, bearer(key));
    return { code: status.OK, details: "" };
  } catch (e) {
    if (isServiceError(e)) return { code: e.code, details: e.details };
    throw e;
  } finally {
    client.close();
  }
}

/** What a well-formed key nobody issued gets: every refused secret must get exactly this. */
async function badKeyAnswer(url: string): Promise<Answer> {
  return sdkChat(url, newSecret("aik_").secret);
}

async function rotate(u: { keyId: string }, graceSeconds: unknown, token = a.adminToken, url = a.httpUrl) {
  return adminCall(url, token, "POST", `/v1/admin/api-keys/${u.keyId}:rotate`, { grace_seconds: graceSeconds });
}

/** Polls until `url` refuses `key`; returns the wall-clock time the refusal arrived. */
async function refusedAt(url: string, key: string, limitMs = 5000): Promise<number> {
  const start = Date.now();
  for (;;) {
    const r = await sdkChat(url, key);
    if (r.status === 401) return Date.now();
    expect(r.status).toBe(200);
    if (Date.now() - start > limitMs) throw new Error(`still accepted after ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function login(u: Provisioned): Promise<string> {
  const res = await adminCall(a.httpUrl, undefined, "POST", "/v1/auth/login", { email: u.email, password: u.password });
  expect(res.status).toBe(200);
  return res.json.session_token;
}

async function listedKey(u: Provisioned): Promise<Record<string, unknown>> {
  const res = await adminCall(a.httpUrl, a.adminToken, "GET", `/v1/admin/api-keys?user_id=${u.userId}&include_revoked=true`);
  const key = res.json.api_keys.find((k: { id: string }) => k.id === u.keyId);
  expect(key).toBeDefined();
  // Written about once a minute whatever a test does.
  delete key.last_used_at;
  return key;
}

async function rotationEvents(keyId: string): Promise<any[]> {
  const res = await adminCall(a.httpUrl, a.adminToken, "GET", `/v1/admin/audit-events?action=api_key.rotated&target_id=${keyId}`);
  expect(res.status).toBe(200);
  return res.json.events;
}

describe("RotateApiKey over HTTP, with the openai SDK as the caller", () => {
  it("grace 2 s: both secrets serve on both replicas, usage lands on one key id, then only the new one works; B refuses the old within 1 s of the grace's end", async () => {
    const u = await provisionUser(a.httpUrl, a.adminToken, "member", { allowed_models: ["gpt-4o-mini"], limits: { requests_per_minute: 1000 } });
    const old = u.apiKey;
    const served: string[] = [];
    // B caches the old secret as valid for 60 s: only the notification and the stored expiry can end it in time.
    for (const url of [a.httpUrl, b.httpUrl]) {
      const r = await sdkChat(url, old);
      expect(r.status).toBe(200);
      served.push(r.requestId);
    }
    const before = await listedKey(u);

    const res = await rotate(u, 2);
    expect(res.status).toBe(200);
    const fresh: string = res.json.secret;
    const expiresAt = Date.parse(res.json.api_key.previous_secret_expires_at);
    expect(fresh).toMatch(/^aik_/);
    expect(fresh).not.toBe(old);
    // The same record: id, owner, name, models, limits; only the prefix follows the new secret.
    expect(res.json.api_key).toMatchObject({ id: u.keyId, user_id: u.userId, name: "test", allowed_models: ["gpt-4o-mini"], limits: { requests_per_minute: 1000 } });
    expect(res.json.api_key.prefix).toBe(fresh.slice(0, 10));
    expect(res.json.api_key.prefix).not.toBe(before.prefix);
    expect(expiresAt).toBeGreaterThan(Date.now());
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 2100);

    for (const [replica, url] of [["A", a.httpUrl], ["B", b.httpUrl]] as const) {
      for (const [which, key] of [["old", old], ["new", fresh]] as const) {
        const r = await sdkChat(url, key);
        expect(`${replica} ${which} ${r.status}`).toBe(`${replica} ${which} 200`);
        served.push(r.requestId);
      }
    }
    expect((await listedKey(u)).previous_secret_expires_at).toBe(res.json.api_key.previous_secret_expires_at);

    // B until it refuses: every call it served started before the grace's end, and its first refusal comes within 1 s of it.
    const start = Date.now();
    let refused = 0;
    for (;;) {
      const sent = Date.now();
      const r = await sdkChat(b.httpUrl, old);
      if (r.status === 200) {
        expect(sent).toBeLessThan(expiresAt + 50);
        served.push(r.requestId);
      } else {
        expect(r.status).toBe(401);
        refused = Date.now();
        break;
      }
      if (Date.now() - start > 10_000) throw new Error("the old secret was still accepted 10 s after rotating with a 2 s grace");
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(refused).toBeGreaterThanOrEqual(expiresAt - 50);
    expect(refused - expiresAt).toBeLessThan(1000);

    // After the grace: the old secret gets what a key nobody issued gets, on both replicas; the new one serves.
    const bad = await badKeyAnswer(a.httpUrl);
    expect(bad.status).toBe(401);
    for (const url of [a.httpUrl, b.httpUrl]) {
      const r = await sdkChat(url, old);
      expect({ status: r.status, error: r.error }).toEqual({ status: 401, error: bad.error });
      const n = await sdkChat(url, fresh);
      expect(n.status).toBe(200);
      served.push(n.requestId);
    }
    expect((await listedKey(u)).previous_secret_expires_at).toBeUndefined();

    // Every served call, old secret or new, on either replica, is metered to the one key id.
    await until("usage rows of every served call", async () => {
      const [row] = await db<Array<{ n: number }>>`select count(*)::int as n from usage_records where request_id = any(${served})`;
      return row?.n === served.length;
    });
    const rows = await db<Array<{ key_id: string; user_id: string }>>`select key_id, user_id from usage_records where request_id = any(${served})`;
    expect(new Set(rows.map((r) => r.key_id))).toEqual(new Set([u.keyId]));
    expect(new Set(rows.map((r) => r.user_id))).toEqual(new Set([u.userId]));
  });

  it("grace 0: the old secret is refused at once on the replica that rotated, and on the other within 1 s", async () => {
    const u = await provisionUser(a.httpUrl, a.adminToken, "member");
    expect((await sdkChat(a.httpUrl, u.apiKey)).status).toBe(200);
    expect((await sdkChat(b.httpUrl, u.apiKey)).status).toBe(200);
    const t0 = Date.now();
    const res = await rotate(u, 0);
    expect(res.status).toBe(200);
    expect(res.json.api_key.previous_secret_expires_at).toBeUndefined();
    const bad = await badKeyAnswer(a.httpUrl);
    const r = await sdkChat(a.httpUrl, u.apiKey);
    expect({ status: r.status, error: r.error }).toEqual({ status: 401, error: bad.error });
    expect((await refusedAt(b.httpUrl, u.apiKey)) - t0).toBeLessThan(1000);
    expect((await sdkChat(a.httpUrl, res.json.secret)).status).toBe(200);
    expect((await sdkChat(b.httpUrl, res.json.secret)).status).toBe(200);
  });

  it("revoking during the grace period refuses both secrets, on both replicas", async () => {
    const u = await provisionUser(a.httpUrl, a.adminToken, "member");
    const res = await rotate(u, 600);
    expect(res.status).toBe(200);
    const fresh: string = res.json.secret;
    for (const url of [a.httpUrl, b.httpUrl]) for (const key of [u.apiKey, fresh]) expect((await sdkChat(url, key)).status).toBe(200);
    const t0 = Date.now();
    const revoked = await adminCall(b.httpUrl, a.adminToken, "POST", `/v1/admin/api-keys/${u.keyId}:revoke`);
    expect(revoked.status).toBe(200);
    expect(revoked.json.api_key.previous_secret_expires_at).toBeUndefined();
    for (const key of [u.apiKey, fresh]) {
      expect((await refusedAt(a.httpUrl, key)) - t0).toBeLessThan(1000);
      expect((await sdkChat(b.httpUrl, key)).status).toBe(401);
    }
    // A revoked key gets no new secret: it would be refused as the old ones are.
    const again = await rotate(u, 60);
    expect(again.status).toBe(400);
    expect(again.json.error.param).toBe("id");
    expect(again.json.error.message).toMatch(/revoked/);
  });

  it("a second rotation within the grace period ends the first secret at once; the second keeps its own grace", async () => {
    const u = await provisionUser(a.httpUrl, a.adminToken, "member");
    const first = await rotate(u, 600);
    expect((await sdkChat(b.httpUrl, u.apiKey)).status).toBe(200);
    const second = await rotate(u, 600);
    expect(second.status).toBe(200);
    const [s1, s2] = [first.json.secret as string, second.json.secret as string];
    expect((await sdkChat(a.httpUrl, u.apiKey)).status).toBe(401);
    await refusedAt(b.httpUrl, u.apiKey, 1000);
    for (const url of [a.httpUrl, b.httpUrl]) for (const key of [s1, s2]) expect((await sdkChat(url, key)).status).toBe(200);
  });

  it("a member rotates their own key; the audit row records the grace and never a secret; the database holds neither secret", async () => {
    const u = await provisionUser(a.httpUrl, a.adminToken, "member");
    const session = await login(u);
    const res = await rotate(u, 60, session);
    expect(res.status).toBe(200);
    const [event, ...more] = await rotationEvents(u.keyId);
    expect(more).toHaveLength(0);
    expect(event.actor).toBe(u.userId);
    const changes = Object.fromEntries(event.changes.map((c: { field: string }) => [c.field, c]));
    expect(changes.secret).toEqual({ field: "secret", secret: true });
    expect(changes.grace_seconds).toMatchObject({ new_value: "60" });
    expect(changes.previous_secret_expires_at).toMatchObject({ new_value: res.json.api_key.previous_secret_expires_at });
    const text = JSON.stringify(event);
    const rows = await db.unsafe("select t::text as row from api_keys t");
    const dump = rows.map((r) => String(r.row)).join("\n");
    for (const s of [u.apiKey, res.json.secret as string]) {
      expect(text).not.toContain(s);
      expect(text).not.toContain(s.slice(0, 10));
      for (const form of [s, Buffer.from(s).toString("hex"), Buffer.from(s).toString("base64")]) expect(dump).not.toContain(form);
    }
  });
});

describe("RotateApiKey over gRPC", () => {
  it("grace 2 s through B: both secrets serve on A; after the grace the old one gets the bad-key answer on both", async () => {
    const u = await provisionUser(a.httpUrl, a.adminToken, "member");
    expect((await grpcChat(a.grpcAddress, u.apiKey)).code).toBe(status.OK);
    const admin = adminClient(b.grpcAddress);
    const res = await call(admin, admin.rotateApiKey, { id: u.keyId, graceSeconds: 2 }, bearer(a.adminToken)).finally(() => admin.close());
    expect(res.apiKey?.id).toBe(u.keyId);
    expect(res.secret).toMatch(/^aik_/);
    const expiresAt = res.apiKey?.previousSecretExpiresAt?.getTime() ?? 0;
    expect(expiresAt).toBeGreaterThan(Date.now());
    for (const address of [a.grpcAddress, b.grpcAddress]) {
      expect((await grpcChat(address, u.apiKey)).code).toBe(status.OK);
      expect((await grpcChat(address, res.secret)).code).toBe(status.OK);
    }
    await until("the grace period ends", async () => Date.now() > expiresAt, 10_000);
    const bad = await grpcChat(a.grpcAddress, newSecret("aik_").secret);
    expect(bad).toEqual({ code: status.UNAUTHENTICATED, details: "Incorrect API key provided." });
    for (const address of [a.grpcAddress, b.grpcAddress]) {
      expect(await grpcChat(address, u.apiKey)).toEqual(bad);
      expect((await grpcChat(address, res.secret)).code).toBe(status.OK);
    }
  });

  it("an out-of-range or missing grace, an unknown id: INVALID_ARGUMENT naming grace_seconds, NOT_FOUND; nothing changes", async () => {
    const u = await provisionUser(a.httpUrl, a.adminToken, "member");
    const admin = adminClient(a.grpcAddress);
    try {
      for (const graceSeconds of [-1, 604_801, 2_147_483_647, undefined]) {
        const err = await call(admin, admin.rotateApiKey, { id: u.keyId, graceSeconds }, bearer(a.adminToken)).catch((e: unknown) => e);
        expect(isServiceError(err) && err.code).toBe(status.INVALID_ARGUMENT);
        expect(isServiceError(err) && err.details).toMatch(/'grace_seconds'.*604800/);
      }
      const unknown = await call(admin, admin.rotateApiKey, { id: randomUUID(), graceSeconds: 60 }, bearer(a.adminToken)).catch((e: unknown) => e);
      expect(isServiceError(unknown) && unknown.code).toBe(status.NOT_FOUND);
      const noCredential = await call(admin, admin.rotateApiKey, { id: u.keyId, graceSeconds: 60 }, bearer(undefined)).catch((e: unknown) => e);
      expect(isServiceError(noCredential) && noCredential.code).toBe(status.UNAUTHENTICATED);
    } finally {
      admin.close();
    }
    expect((await grpcChat(a.grpcAddress, u.apiKey)).code).toBe(status.OK);
    expect(await rotationEvents(u.keyId)).toHaveLength(0);
  });
});

describe("bad RotateApiKey input over HTTP changes nothing", () => {
  it("grace -1, 604801, a non-number, a fraction, none, an unknown id, another member's key, no credential, an API key as credential", async () => {
    const u = await provisionUser(a.httpUrl, a.adminToken, "member");
    const other = await provisionUser(a.httpUrl, a.adminToken, "member");
    const otherSession = await login(other);
    const before = await listedKey(u);
    expect((await sdkChat(a.httpUrl, u.apiKey)).status).toBe(200);

    for (const grace of [-1, 604_801, "abc", 1.5, 2 ** 31, null, true, undefined]) {
      const res = await rotate(u, grace);
      expect([grace, res.status]).toEqual([grace, 400]);
      expect([grace, res.json.error.param]).toEqual([grace, "grace_seconds"]);
      expect(res.json.error.type).toBe("invalid_request_error");
    }
    expect((await rotate(u, 604_801)).json.error.message).toMatch(/0 to 604800/);
    const unknownId = await adminCall(a.httpUrl, otherSession, "POST", `/v1/admin/api-keys/${randomUUID()}:rotate`, { grace_seconds: 60 });
    expect(unknownId.status).toBe(404);
    // Another member's key answers exactly as a key that does not exist.
    const othersKey = await rotate(u, 60, otherSession);
    expect({ status: othersKey.status, error: othersKey.json.error }).toEqual({ status: 404, error: unknownId.json.error });
    expect((await adminCall(a.httpUrl, a.adminToken, "POST", "/v1/admin/api-keys/not-a-uuid:rotate", { grace_seconds: 60 })).json.error.param).toBe("id");
    expect((await rotate(u, 60, "")).status).toBe(401);
    expect((await rotate(u, 60, u.apiKey)).status).toBe(401);

    expect(await listedKey(u)).toEqual(before);
    expect(await rotationEvents(u.keyId)).toHaveLength(0);
    expect((await sdkChat(a.httpUrl, u.apiKey)).status).toBe(200);
    expect((await sdkChat(b.httpUrl, u.apiKey)).status).toBe(200);
  });
});
