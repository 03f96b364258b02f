// Responses API metering beyond one process and beyond clients: two replicas polling at once, and the sweeper.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReplica, type GatewayProcess } from "../support/gateway-process.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { provisionUser } from "../support/identity.js";
import { until } from "../support/usage-db.js";
import { expected, harness } from "./metering-harness.js";

describe("responses metering across two gateway processes", () => {
  let t: TestGateway;
  let replica: GatewayProcess;
  const h = harness(() => t);
  beforeAll(async () => {
    t = await startTestGateway();
    replica = await startReplica(t);
  });
  afterAll(async () => {
    await replica.stop();
    await h.close();
    await t.close();
  });

  it("both polling the same finished background response at once, many times each: one record", async () => {
    const u = await provisionUser(t.httpUrl, t.adminToken, "member");
    t.emulator.setTiming({ timeToFirstTokenMs: 100, chunkDelayMs: 10 });
    const created = await h.post(u.apiKey, { model: "gpt-4o-mini", input: "Poll me twice", background: true });
    const id = String(created.json.id);
    await t.emulator.waitFor((e) => e.response(id)?.status === "completed", 5000);
    await until("the pending row", async () => (await h.pending(id)).length === 1, 5000);
    t.emulator.setTiming({ timeToFirstTokenMs: 0, chunkDelayMs: 0 });

    const polls = await Promise.all(Array.from({ length: 20 }, (_, i) => h.poll(u.apiKey, id, i % 2 === 0 ? t.httpUrl : replica.httpUrl)));
    expect(polls.map((p) => [p.status, p.json?.status])).toEqual(Array(20).fill([200, "completed"]));
    await until("the record", async () => (await h.rows(u)).some((r) => r.request_id === created.requestId), 10_000);
    const marker = await h.settle(u);
    const rows = await h.rows(u);
    expect(rows.map((r) => r.request_id).sort()).toEqual([created.requestId, marker].sort());
    expect(rows.find((r) => r.request_id === created.requestId)).toMatchObject({ outcome: "ok", estimated: false, ...expected(t.emulator.response(id)?.usage) });
    expect(await h.pending(id)).toEqual([]);
  });
});

describe("responses metering by the sweeper", () => {
  let t: TestGateway;
  const h = harness(() => t);
  beforeAll(async () => {
    t = await startTestGateway({ metering: { retentionDays: 90, spoolDir: undefined, backgroundPollMs: 200 } });
  });
  afterAll(async () => {
    await h.close();
    await t.close();
  });

  it("a background response nobody polls is recorded once it has finished, with Azure's count", async () => {
    const u = await provisionUser(t.httpUrl, t.adminToken, "member");
    t.emulator.setTiming({ timeToFirstTokenMs: 200, chunkDelayMs: 20 });
    const created = await h.post(u.apiKey, { model: "gpt-4o-mini", input: "Nobody polls me", background: true });
    const id = String(created.json.id);
    t.emulator.setTiming({ timeToFirstTokenMs: 0, chunkDelayMs: 0 });
    await until("the sweeper's record", async () => (await h.rows(u)).some((r) => r.request_id === created.requestId), 10_000);
    // Recorded only once it had finished, never from a running state.
    expect(t.emulator.response(id)?.status).toBe("completed");
    const marker = await h.settle(u);
    const rows = await h.rows(u);
    expect(rows.map((r) => r.request_id).sort()).toEqual([created.requestId, marker].sort());
    expect(rows.find((r) => r.request_id === created.requestId)).toMatchObject({ outcome: "ok", estimated: false, ...expected(t.emulator.response(id)?.usage) });
    expect(await h.pending(id)).toEqual([]);
    // Only the gateway read it: no client ever did.
    expect(t.emulator.requests.filter((q) => q.method === "GET" && q.responseId === id).length).toBeGreaterThan(0);
  });
});
