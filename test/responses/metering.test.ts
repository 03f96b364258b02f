// Responses API metering: one usage record per create, Azure's counts, background responses recorded once when first seen finished.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CreateResponseRequest } from "../../gen/aik/v1/responses.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { provisionUser } from "../support/identity.js";
import { until } from "../support/usage-db.js";
import { events, expected, fromResponseUsage, grpcCreate, grpcStream, harness, http, sleep, type Reply } from "./metering-harness.js";

describe("responses metering (polling left to clients)", () => {
  let t: TestGateway;
  const h = harness(() => t);
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(async () => {
    await h.close();
    await t.close();
  });
  beforeEach(() => t.emulator.setTiming({ timeToFirstTokenMs: 0, chunkDelayMs: 0 }));

  it("one record per create over both doors, Azure's counts, none for reads, deletes, cancels or input items", async () => {
    const u = await provisionUser(t.httpUrl, t.adminToken, "member");
    const creates: string[] = [];
    const ok = (r: Reply): Reply => {
      expect(r.status, r.text).toBe(200);
      creates.push(r.requestId);
      return r;
    };
    const unary = ok(await h.post(u.apiKey, { model: "gpt-4o-mini", input: "Count for me", max_output_tokens: 16 }));
    const streamed = ok(await h.post(u.apiKey, { model: "gpt-4o-mini", input: "Stream for me", stream: true }));
    expect(events(streamed.text).at(-1)).toMatchObject({ type: "response.completed" });
    const reasoning = ok(await h.post(u.apiKey, { model: "o4-mini", input: "Think first" }));
    // Past 1,024 prompt tokens Azure caches the prompt: the same long input again is partly served from the cache.
    const long = { model: "gpt-4o-mini", instructions: "Summarise.", input: "lorem ipsum dolor sit amet ".repeat(250), max_output_tokens: 16 };
    ok(await http(t.httpUrl, u.apiKey, "POST", "/openai/v1/responses", long));
    const cachedCall = ok(await http(t.httpUrl, u.apiKey, "POST", "/openai/v1/responses", long));
    expect(cachedCall.json.usage.input_tokens_details.cached_tokens).toBeGreaterThan(0);

    const req = CreateResponseRequest.fromPartial({ model: "gpt-4o-mini", inputText: "Over gRPC", maxOutputTokens: 16 });
    const grpcUnary = await grpcCreate(t.grpcAddress, u.apiKey, req);
    expect(grpcUnary.response.status).toBe("completed");
    creates.push(grpcUnary.requestId);
    const grpcStreamed = await grpcStream(t.grpcAddress, u.apiKey, CreateResponseRequest.fromPartial({ model: "o4-mini", inputText: "Stream over gRPC" }));
    expect(grpcStreamed.events.at(-1)?.type).toBe("response.completed");
    creates.push(grpcStreamed.requestId);

    // Reading, listing, cancelling and deleting a stored response cost nothing at Azure: no records.
    const id = String(unary.json.id);
    const others = [
      await h.poll(u.apiKey, id),
      await http(t.httpUrl, u.apiKey, "GET", `/v1/responses/${id}/input_items`),
      await http(t.httpUrl, u.apiKey, "POST", `/v1/responses/${id}/cancel`),
      await http(t.httpUrl, u.apiKey, "DELETE", `/v1/responses/${id}`),
    ];
    expect(others.map((r) => r.status)).toEqual([200, 200, 400, 200]);
    creates.push(await h.settle(u));

    expect(new Set([...creates, ...others.map((r) => r.requestId)]).size).toBe(creates.length + others.length);
    const rows = await h.rows(u);
    expect(rows.map((r) => r.request_id).sort()).toEqual([...creates].sort());
    for (const row of rows) {
      expect(row, row.request_id).toMatchObject({ outcome: "ok", estimated: false, ...expected(h.azureUsage(row.request_id)) });
      expect(row.cost_micro_usd).toBeGreaterThan(0);
    }
    const byId = new Map(rows.map((r) => [r.request_id, r]));
    expect(byId.get(reasoning.requestId)?.reasoning_tokens).toBeGreaterThan(0);
    expect(byId.get(grpcStreamed.requestId)?.reasoning_tokens).toBeGreaterThan(0);
    expect(byId.get(cachedCall.requestId)?.cached_tokens).toBe(cachedCall.json.usage.input_tokens_details.cached_tokens);
    expect(byId.get(unary.requestId)).toMatchObject({ streamed: false, protocol: "http", ...fromResponseUsage(unary.json.usage) });
    expect(byId.get(streamed.requestId)).toMatchObject({ streamed: true, protocol: "http" });
    expect(byId.get(grpcUnary.requestId)).toMatchObject({ streamed: false, protocol: "grpc" });
    expect(byId.get(grpcStreamed.requestId)).toMatchObject({ streamed: true, protocol: "grpc" });
  });

  it("a background response polled to completion is recorded once, with its create's request id, after the first poll that saw it finished", async () => {
    const u = await provisionUser(t.httpUrl, t.adminToken, "member");
    // About 400 ms on the emulator's clock: several polls see it running.
    t.emulator.setTiming({ timeToFirstTokenMs: 100, chunkDelayMs: 20 });
    const created = await h.post(u.apiKey, { model: "gpt-4o-mini", input: "In the background", background: true });
    expect(created.json).toMatchObject({ status: "queued", background: true });
    const id = String(created.json.id);
    await until("the pending row", async () => (await h.pending(id)).length === 1, 5000);
    expect(await h.pending(id)).toEqual([{ request_id: created.requestId }]);

    let running = 0;
    let seen: Reply | undefined;
    for (let i = 0; i < 200 && !seen; i++) {
      const polled = await h.poll(u.apiKey, id);
      expect(polled.status).toBe(200);
      if (polled.json.status === "completed") {
        seen = polled;
        break;
      }
      running += 1;
      // Not finished yet: still pending, not recorded.
      expect(await h.pending(id)).toHaveLength(1);
      expect((await h.rows(u)).filter((r) => r.request_id === created.requestId)).toEqual([]);
      await sleep(25);
    }
    expect(running).toBeGreaterThan(0);
    if (!seen) throw new Error("never completed");
    await until("the background response's record", async () => (await h.rows(u)).some((r) => r.request_id === created.requestId), 5000);
    expect(await h.pending(id)).toEqual([]);

    // Polled many more times (and its stream replayed) after finishing: still one record.
    const again = await Promise.all([...Array.from({ length: 10 }, () => h.poll(u.apiKey, id)), http(t.httpUrl, u.apiKey, "GET", `/v1/responses/${id}?stream=true`)]);
    expect(again.map((r) => r.status)).toEqual(Array(11).fill(200));
    const marker = await h.settle(u);
    const rows = await h.rows(u);
    expect(rows.map((r) => r.request_id).sort()).toEqual([created.requestId, marker].sort());
    const row = rows.find((r) => r.request_id === created.requestId);
    const azure = t.emulator.response(id)?.usage;
    expect(row).toMatchObject({ outcome: "ok", estimated: false, protocol: "http", ...expected(azure), ...fromResponseUsage(seen.json.usage) });
    expect(row?.completion_tokens).toBeGreaterThan(0);
    expect(row?.cost_micro_usd).toBeGreaterThan(0);
    // The create's own model call is the one Azure billed, under the create's correlation id.
    expect(h.azureUsage(created.requestId)).toEqual(azure);
  });

  it("background responses polled the moment their create answered, already finished, are recorded by that poll", async () => {
    const u = await provisionUser(t.httpUrl, t.adminToken, "member");
    // No generation time: each has finished before its client can ask. This gateway's sweeper waits 30 s, so only the poll can record it.
    t.emulator.setTiming({ timeToFirstTokenMs: 0, chunkDelayMs: 0 });
    const runs = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const created = await h.post(u.apiKey, { model: "gpt-4o-mini", input: `Quick ${i}`, background: true });
        const polled = await h.poll(u.apiKey, String(created.json.id));
        expect(polled.json.status).toBe("completed");
        return { requestId: created.requestId, id: String(created.json.id) };
      }),
    );
    await until("every one recorded", async () => (await h.rows(u)).length >= runs.length, 5000);
    const rows = await h.rows(u);
    expect(rows.map((r) => r.request_id).sort()).toEqual(runs.map((r) => r.requestId).sort());
    for (const run of runs) {
      expect(rows.find((r) => r.request_id === run.requestId)).toMatchObject({ outcome: "ok", estimated: false, ...expected(t.emulator.response(run.id)?.usage) });
      expect(await h.pending(run.id)).toEqual([]);
    }
  });

  it("a background response deleted once finished but before anyone saw it finished is still recorded, with Azure's count", async () => {
    const u = await provisionUser(t.httpUrl, t.adminToken, "member");
    t.emulator.setTiming({ timeToFirstTokenMs: 50, chunkDelayMs: 10 });
    const created = await h.post(u.apiKey, { model: "gpt-4o-mini", input: "Delete me unseen", background: true });
    const id = String(created.json.id);
    await t.emulator.waitFor((e) => e.response(id)?.status === "completed", 5000);
    const azure = t.emulator.response(id)?.usage;
    await until("the pending row", async () => (await h.pending(id)).length === 1, 5000);

    const deleted = await http(t.httpUrl, u.apiKey, "DELETE", `/v1/responses/${id}`);
    expect(deleted.json).toMatchObject({ id, deleted: true });
    expect(t.emulator.response(id)).toBeUndefined();
    const marker = await h.settle(u);
    const rows = await h.rows(u);
    expect(rows.map((r) => r.request_id).sort()).toEqual([created.requestId, marker].sort());
    expect(rows.find((r) => r.request_id === created.requestId)).toMatchObject({ outcome: "ok", estimated: false, ...expected(azure) });
    expect(await h.pending(id)).toEqual([]);
  });

  it("a background response deleted while it still runs is recorded once, from the gateway's estimate", async () => {
    const u = await provisionUser(t.httpUrl, t.adminToken, "member");
    t.emulator.setTiming({ timeToFirstTokenMs: 300, chunkDelayMs: 20 });
    const created = await h.post(u.apiKey, { model: "gpt-4o-mini", input: "Delete me running", background: true, max_output_tokens: 50 });
    const id = String(created.json.id);
    await until("the pending row", async () => (await h.pending(id)).length === 1, 5000);
    expect(t.emulator.response(id)?.status).toBe("in_progress");

    const deleted = await http(t.httpUrl, u.apiKey, "DELETE", `/v1/responses/${id}`);
    expect(deleted.json).toMatchObject({ id, deleted: true });
    const marker = await h.settle(u);
    const rows = await h.rows(u);
    expect(rows.map((r) => r.request_id).sort()).toEqual([created.requestId, marker].sort());
    const row = rows.find((r) => r.request_id === created.requestId);
    expect(row).toMatchObject({ estimated: true });
    expect(row?.prompt_tokens).toBeGreaterThan(0);
    expect(await h.pending(id)).toEqual([]);
  });

  it("a stream the client abandons is recorded once: client_cancelled, counted locally", async () => {
    const u = await provisionUser(t.httpUrl, t.adminToken, "member");
    t.emulator.setTiming({ timeToFirstTokenMs: 0, chunkDelayMs: 40, answerWords: 40 });
    try {
      const abandoned = await h.post(u.apiKey, { model: "gpt-4o-mini", input: "Tell me a long story", stream: true }, 5);
      expect(abandoned.status).toBe(200);
      expect(events(abandoned.text).some((e) => e.type === "response.completed")).toBe(false);
      await t.emulator.waitFor((e) => e.requests.some((q) => q.clientRequestId === abandoned.requestId && q.aborted), 5000);
      t.emulator.setTiming({ chunkDelayMs: 0, answerWords: 16 });
      // Counting the abandoned prompt locally takes a moment (the tokenizer loads on first use): wait for it, then for stragglers.
      await until("the abandoned stream's record", async () => (await h.rows(u)).some((r) => r.request_id === abandoned.requestId), 10_000);
      const marker = await h.settle(u);
      const rows = await h.rows(u);
      expect(rows.map((r) => r.request_id).sort()).toEqual([abandoned.requestId, marker].sort());
      const row = rows.find((r) => r.request_id === abandoned.requestId);
      expect(row).toMatchObject({ outcome: "client_cancelled", estimated: true, streamed: true });
      expect(row?.prompt_tokens).toBeGreaterThan(0);
    } finally {
      t.emulator.setTiming({ chunkDelayMs: 0, answerWords: 16 });
    }
  });

  it("a background stream the client drops runs on at Azure: recorded once, with Azure's count, when a resumed stream sees it finish", async () => {
    const u = await provisionUser(t.httpUrl, t.adminToken, "member");
    t.emulator.setTiming({ timeToFirstTokenMs: 0, chunkDelayMs: 30 });
    const dropped = await h.post(u.apiKey, { model: "gpt-4o-mini", input: "Stream me in the background", background: true, stream: true }, 4);
    expect(dropped.status).toBe(200);
    const first = events(dropped.text);
    const id = String(first[0]?.response?.id);
    expect(id).toMatch(/^resp_/);
    await until("the pending row", async () => (await h.pending(id)).length === 1, 5000);
    expect(await h.pending(id)).toEqual([{ request_id: dropped.requestId }]);

    const resumed = await http(t.httpUrl, u.apiKey, "GET", `/v1/responses/${id}?stream=true&starting_after=${String(first.at(-1)?.sequence_number)}`);
    const completed = events(resumed.text).find((e) => e.type === "response.completed");
    expect(completed).toBeDefined();
    await until("the record", async () => (await h.rows(u)).some((r) => r.request_id === dropped.requestId), 5000);
    const marker = await h.settle(u);
    const rows = await h.rows(u);
    expect(rows.map((r) => r.request_id).sort()).toEqual([dropped.requestId, marker].sort());
    expect(rows.find((r) => r.request_id === dropped.requestId)).toMatchObject({
      outcome: "ok",
      estimated: false,
      ...fromResponseUsage(completed.response.usage),
      ...expected(t.emulator.response(id)?.usage),
    });
  });

  it("a background response cancelled while it runs is recorded once, with the usage the cancel answer showed", async () => {
    const u = await provisionUser(t.httpUrl, t.adminToken, "member");
    t.emulator.setTiming({ timeToFirstTokenMs: 20, chunkDelayMs: 40 });
    const created = await h.post(u.apiKey, { model: "gpt-4o-mini", input: "Cancel me", background: true });
    const id = String(created.json.id);
    await until("the pending row", async () => (await h.pending(id)).length === 1, 5000);
    // Cancel once some output exists, so the cancelled usage is not just the prompt.
    await until(
      "some output",
      async () => {
        const r = await h.poll(u.apiKey, id);
        return String(r.json.output?.[0]?.content?.[0]?.text ?? "").length > 0;
      },
      5000,
    );
    const cancelled = await http(t.httpUrl, u.apiKey, "POST", `/v1/responses/${id}/cancel`);
    expect(cancelled.json).toMatchObject({ id, status: "cancelled" });
    expect(cancelled.json.usage.output_tokens).toBeGreaterThan(0);
    const marker = await h.settle(u);
    const rows = await h.rows(u);
    expect(rows.map((r) => r.request_id).sort()).toEqual([created.requestId, marker].sort());
    expect(rows.find((r) => r.request_id === created.requestId)).toMatchObject({
      outcome: "client_cancelled",
      estimated: false,
      ...fromResponseUsage(cancelled.json.usage),
      ...expected(t.emulator.response(id)?.usage),
    });
    expect(await h.pending(id)).toEqual([]);
  });
});
