// The control surface for out-of-process use, the request log, waitFor and close.
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator, RequestRecord } from "../../src/emulator/index.js";
import { startEmulator } from "../../src/emulator/index.js";
import { RequestLog } from "../../src/emulator/request-log.js";
import { call, classicChat, hello, parseAs, sseData, startTestEmulator } from "./harness.js";

let emu: Emulator;
beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(() => emu.close());

describe("control HTTP surface", () => {
  it("sets and clears faults without an api-key", async () => {
    const put = await call(emu, "/_emulator/faults/gpt-4o", {
      method: "PUT",
      body: { fault: { kind: "rate-limit", retryAfterMs: 1000 }, times: 1 },
      auth: "none",
    });
    expect(put.status).toBe(204);
    expect((await call(emu, classicChat(), { body: hello() })).status).toBe(429);
    expect((await call(emu, classicChat(), { body: hello() })).status).toBe(200);

    await call(emu, "/_emulator/faults/gpt-4o", { method: "PUT", body: { fault: { kind: "server-error" } }, auth: "none" });
    expect((await call(emu, classicChat(), { body: hello() })).status).toBe(500);
    const del = await call(emu, "/_emulator/faults/gpt-4o", { method: "DELETE", auth: "none" });
    expect(del.status).toBe(204);
    expect((await call(emu, classicChat(), { body: hello() })).status).toBe(200);
  });

  it("takes `every` over HTTP: one request in `every` fails, `times` of them", async () => {
    const put = await call(emu, "/_emulator/faults/gpt-4o", {
      method: "PUT",
      body: { fault: { kind: "server-error" }, every: 2, times: 1 },
      auth: "none",
    });
    expect(put.status).toBe(204);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await call(emu, classicChat(), { body: hello() })).status);
    expect(statuses).toEqual([200, 500, 200, 200]);

    const bad = await call(emu, "/_emulator/faults/gpt-4o", { method: "PUT", body: { fault: { kind: "server-error" }, every: 0 }, auth: "none" });
    expect(bad.status).toBe(400);
    expect(parseAs<{ error: { message: string } }>(bad.text).error.message).toMatch(/'every' must be a positive integer/);
    expect((await call(emu, classicChat(), { body: hello() })).status).toBe(200);
  });

  it("rejects malformed fault rules and unknown deployments", async () => {
    const bad = await call(emu, "/_emulator/faults/gpt-4o", { method: "PUT", body: { fault: { kind: "meteor" } }, auth: "none" });
    expect(bad.status).toBe(400);
    const notJson = await call(emu, "/_emulator/faults/gpt-4o", { method: "PUT", rawBody: "{", auth: "none" });
    expect(notJson.status).toBe(400);
    const unknown = await call(emu, "/_emulator/faults/nope", { method: "PUT", body: { fault: { kind: "server-error" } }, auth: "none" });
    expect(unknown.status).toBe(404);
    expect((await call(emu, classicChat(), { body: hello() })).status).toBe(200);
  });

  it("lists requests without bodies, and clears them", async () => {
    await call(emu, "/_emulator/requests", { method: "DELETE", auth: "none" });
    await call(emu, classicChat("mini"), { body: hello({ max_tokens: 3 }) });
    await call(emu, "/openai/v1/chat/completions", { body: hello({ model: "gpt-4o", stream: true }) });
    const r = await call(emu, "/_emulator/requests", { auth: "none" });
    expect(r.status).toBe(200);
    const records = parseAs<RequestRecord[]>(r.text);
    expect(records).toEqual([
      {
        method: "POST",
        path: "/openai/deployments/mini/chat/completions",
        deployment: "mini",
        apiVersion: "2024-10-21",
        credential: "api-key",
        stream: false,
        status: 200,
        aborted: false,
        usage: { prompt_tokens: 18, completion_tokens: 3, total_tokens: 21 },
      },
      {
        method: "POST",
        path: "/openai/v1/chat/completions",
        deployment: "gpt-4o",
        credential: "api-key",
        stream: true,
        status: 200,
        aborted: false,
        chunksSent: 16,
        usage: { prompt_tokens: 18, completion_tokens: 16, total_tokens: 34 },
      },
    ]);
    expect(r.text).not.toContain("SECRET-PROMPT-MARKER");
    expect(emu.requests[0]?.body).toMatchObject({ max_tokens: 3 });
    expect((await call(emu, "/_emulator/requests", { method: "DELETE", auth: "none" })).status).toBe(204);
    expect(emu.requests).toHaveLength(0);
  });

  it("changes timing over HTTP", async () => {
    expect((await call(emu, "/_emulator/timing", { method: "PUT", body: { timeToFirstTokenMs: 150 }, auth: "none" })).status).toBe(204);
    const slow = await call(emu, classicChat(), { body: hello() });
    expect(slow.ms).toBeGreaterThanOrEqual(140);
    emu.setTiming({ timeToFirstTokenMs: 0 });
    expect((await call(emu, "/_emulator/timing", { method: "PUT", body: { chunkDelayMs: -5 }, auth: "none" })).status).toBe(400);
  });

  it("stamps each stream's first content chunk with the time it was sent, when asked to", async () => {
    const stampOf = (data: string): unknown => (data === "[DONE]" ? undefined : parseAs<Record<string, unknown>>(data)["emulator_sent_at_ms"]);
    const firstContent = (datas: string[]): number => datas.findIndex((d) => /"content":"[^"]/.test(d));
    // Off by default: no chunk is stamped.
    const plain = sseData((await call(emu, classicChat(), { body: hello({ stream: true }) })).text);
    expect(plain.filter((d) => d.includes("emulator_sent_at_ms"))).toEqual([]);

    expect((await call(emu, "/_emulator/timing", { method: "PUT", body: { stampFirstToken: "yes" }, auth: "none" })).status).toBe(400);
    const put = await call(emu, "/_emulator/timing", { method: "PUT", body: { stampFirstToken: true, timeToFirstTokenMs: 60, chunkDelayMs: 5 }, auth: "none" });
    expect(put.status).toBe(204);
    try {
      const asked = performance.timeOrigin + performance.now();
      const datas = sseData((await call(emu, classicChat(), { body: hello({ stream: true, max_tokens: 4 }) })).text);
      const first = firstContent(datas);
      expect(first).toBeGreaterThan(0);
      // Only the first content chunk carries it, as a number: sent after the 60 ms wait, before the reply was read whole.
      expect(datas.map(stampOf).filter((s) => s !== undefined)).toHaveLength(1);
      const stamp = stampOf(datas[first] ?? "");
      expect(typeof stamp).toBe("number");
      expect(Number(stamp) - asked).toBeGreaterThanOrEqual(55);
      expect(Number(stamp)).toBeLessThanOrEqual(performance.timeOrigin + performance.now());
      // The chunk is otherwise the one Azure sends.
      expect(JSON.parse(datas[first] ?? "")).toMatchObject({ object: "chat.completion.chunk", choices: [{ delta: { content: expect.any(String) } }] });
    } finally {
      emu.setTiming({ stampFirstToken: false, timeToFirstTokenMs: 0, chunkDelayMs: 0 });
    }
  });
});

describe("programmatic handle", () => {
  it("waitFor resolves when the predicate holds and rejects on timeout", async () => {
    emu.clearRequests();
    const waiting = emu.waitFor((e) => e.requests.length === 1, 2000);
    await call(emu, classicChat(), { body: hello() });
    await expect(waiting).resolves.toBeUndefined();
    await expect(emu.waitFor(() => false, 50)).rejects.toThrow(/50 ms/);
  });

  it("records every request, unknown paths included, in arrival order", async () => {
    emu.clearRequests();
    for (let i = 0; i < 5; i++) await call(emu, `/nowhere/${i}`);
    expect(emu.requests.map((r) => [r.path, r.status])).toEqual(Array.from({ length: 5 }, (_, i) => [`/nowhere/${i}`, 404]));
  });

  it("keeps only the newest records once the log is full", () => {
    const log = new RequestLog(3);
    for (let i = 0; i < 5; i++) log.start("POST", `/p${i}`);
    expect(log.all.map((r) => r.path)).toEqual(["/p2", "/p3", "/p4"]);
  });

  it("validates its options", async () => {
    await expect(startEmulator({ apiKey: "", deployments: [{ name: "a", model: "gpt-4o" }] })).rejects.toThrow(/apiKey/);
    await expect(startEmulator({ apiKey: "k", deployments: [] })).rejects.toThrow(/deployments/);
    await expect(
      startEmulator({ apiKey: "k", deployments: [{ name: "a/b", model: "gpt-4o" }] }),
    ).rejects.toThrow(/deployment name/);
    await expect(startEmulator({ apiKey: "k", deployments: [{ name: "a", model: "gpt-4o" }], chunkDelayMs: -1 })).rejects.toThrow(
      /chunkDelayMs/,
    );
  });

  it("close() ends open streams and frees the port", async () => {
    const own = await startTestEmulator({ timeToFirstTokenMs: 10_000 });
    const res = await request(`${own.url}${classicChat()}`, {
      method: "POST",
      headers: { "api-key": "test-key-0123456789" },
      body: JSON.stringify(hello({ stream: true })),
    });
    expect(res.statusCode).toBe(200);
    const started = Date.now();
    const reading = res.body.text().then(
      () => "ended",
      () => "broken",
    );
    await own.close();
    expect(await reading).toBe("broken");
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(request(`${own.url}/openai/v1/models`)).rejects.toThrow();
  });
});
