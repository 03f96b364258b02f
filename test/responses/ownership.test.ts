// Promise 8: a stored response belongs to its creator's user; anyone else naming it gets the unknown-id 404 on both doors, and nothing goes upstream.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { bearer, call, responsesClient } from "../support/grpc-client.js";
import { adminCall, provisionUser, type Provisioned } from "../support/identity.js";
import { create, expectForeignLikeUnknown, expectGrpcForeignLikeUnknown, randomId, send, STYLES } from "./ownership-probes.js";

let t: TestGateway;
let a: Provisioned;
let b: Provisioned;
let admin: Provisioned;
/** A's stored response (with one of its output items) and A's background response. */
let stored: { id: string; itemId: string };
let background: string;

beforeAll(async () => {
  // No sweeper poll of A's pending background response may land inside a "nothing sent upstream" window.
  t = await startTestGateway({}, (c) => ({ ...c, metering: { ...c.metering, backgroundPollMs: 3_600_000 } }));
  [a, b, admin] = await Promise.all([
    provisionUser(t.httpUrl, t.adminToken, "member"),
    provisionUser(t.httpUrl, t.adminToken, "member"),
    provisionUser(t.httpUrl, t.adminToken, "admin"),
  ]);
  stored = await create(t.httpUrl, a.apiKey);
  background = (await create(t.httpUrl, a.apiKey, { background: true })).id;
});
afterAll(() => t.close());
beforeEach(() => t.emulator.clearRequests());

describe.each(STYLES)("B naming A's ids over $name", (style) => {
  it("gets exactly the answer a random id gets, and nothing is sent upstream", async () => {
    await expectForeignLikeUnknown(t.httpUrl, style, b.apiKey, { response: [stored.id, background], item: [stored.itemId] });
    expect(t.emulator.requests).toEqual([]);
  });
});

describe("B naming A's ids over gRPC", () => {
  it("gets NOT_FOUND with the same details as for a random id, and nothing is sent upstream", async () => {
    await expectGrpcForeignLikeUnknown(t.grpcAddress, b.apiKey, { response: [stored.id, background], item: [stored.itemId] });
    expect(t.emulator.requests).toEqual([]);
  });
});

describe("the owner", () => {
  it("still reaches the same ids afterwards (B's 404s changed nothing), and after A's delete gets the unknown-id 404", async () => {
    const own = (method: "GET" | "POST" | "DELETE", path: string, body?: unknown) => send(t.httpUrl, a.apiKey, method, path, body);
    const read = await own("GET", `/v1/responses/${stored.id}`);
    expect(read.status, read.body).toBe(200);
    expect(JSON.parse(read.body)).toMatchObject({ id: stored.id, status: "completed" });
    const items = await own("GET", `/openai/v1/responses/${stored.id}/input_items`);
    expect(items.status, items.body).toBe(200);
    const resumed = await own("GET", `/v1/responses/${background}?stream=true`);
    expect(resumed.status, resumed.body).toBe(200);
    expect(resumed.headers["content-type"]).toMatch(/^text\/event-stream/);
    expect(resumed.body).toContain("event: response.completed");
    const cancelled = await own("POST", `/openai/responses/${background}/cancel?api-version=2025-04-01-preview`);
    expect(cancelled.status, cancelled.body).toBe(200);
    const chained = await own("POST", "/v1/responses", { model: "gpt-4o-mini", input: "Go on.", previous_response_id: stored.id });
    expect(chained.status, chained.body).toBe(200);
    expect(JSON.parse(chained.body)).toMatchObject({ previous_response_id: stored.id });
    const referenced = await own("POST", "/v1/responses", { model: "gpt-4o-mini", input: [{ type: "item_reference", id: stored.itemId }] });
    expect(referenced.status, referenced.body).toBe(200);
    const client = responsesClient(t.grpcAddress);
    try {
      const viaGrpc = await call(client, client.getResponse, { responseId: stored.id, include: [] }, bearer(a.apiKey));
      expect(viaGrpc.id).toBe(stored.id);
    } finally {
      client.close();
    }
    expect(t.emulator.requests).toHaveLength(7);

    for (const id of [stored.id, background]) {
      const deleted = await own("DELETE", `/v1/responses/${id}`);
      expect(deleted.status, deleted.body).toBe(200);
      expect(JSON.parse(deleted.body)).toMatchObject({ id, deleted: true });
    }
    t.emulator.clearRequests();
    for (const id of [stored.id, background]) {
      expect(await own("GET", `/v1/responses/${id}`)).toEqual(await own("GET", `/v1/responses/${randomId("response")}`));
    }
    expect(t.emulator.requests).toEqual([]);
  });

  // ObjectStore.forget says a deleted response's items "stop naming anything" too.
  it("after A's delete, the response's output items name nothing either", async () => {
    const gone = await create(t.httpUrl, a.apiKey);
    expect((await send(t.httpUrl, a.apiKey, "DELETE", `/v1/responses/${gone.id}`)).status).toBe(200);
    t.emulator.clearRequests();
    const reference = (id: string) => send(t.httpUrl, a.apiKey, "POST", "/v1/responses", { model: "gpt-4o-mini", input: [{ type: "item_reference", id }] });
    const unknown = await reference(randomId("item"));
    expect(unknown.status).toBe(404);
    expect(await reference(gone.itemId)).toEqual(unknown);
    expect(t.emulator.requests).toEqual([]);
  });

  it("any key of A's user and an admin user's key may read it; B's still may not", async () => {
    const own = await create(t.httpUrl, a.apiKey);
    const second = await adminCall(t.httpUrl, t.adminToken, "POST", "/v1/admin/api-keys", { user_id: a.userId, name: "second" });
    expect(second.status).toBe(200);
    const secondKey: string = second.json.secret;
    for (const key of [secondKey, admin.apiKey]) {
      const read = await send(t.httpUrl, key, "GET", `/v1/responses/${own.id}`);
      expect(read.status, read.body).toBe(200);
      expect(JSON.parse(read.body)).toMatchObject({ id: own.id });
      expect((await send(t.httpUrl, key, "GET", `/v1/responses/${own.id}/input_items`)).status).toBe(200);
    }
    // Ownership is per user both ways: what the second key creates, the first key may use.
    const fromSecond = await create(t.httpUrl, secondKey);
    expect((await send(t.httpUrl, a.apiKey, "GET", `/v1/responses/${fromSecond.id}`)).status).toBe(200);
    t.emulator.clearRequests();
    await expectForeignLikeUnknown(t.httpUrl, STYLES[0], b.apiKey, { response: [own.id, fromSecond.id], item: [own.itemId] });
    expect(t.emulator.requests).toEqual([]);
  });
});
