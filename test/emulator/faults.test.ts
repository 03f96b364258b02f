// Fault injection: each kind on the wire, `times` expiry, one-in-`every` faults, per-deployment scope, and real socket resets.
import { request } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { API_KEY, call, classicChat, classicEmbeddings, hello, parseAs, startTestEmulator, type ErrorJson } from "./harness.js";

let emu: Emulator;
beforeAll(async () => {
  emu = await startTestEmulator();
});
afterEach(() => {
  emu.setFault("gpt-4o", undefined);
  emu.setFault("embed-small", undefined);
});
afterAll(() => emu.close());

/** Reads a response body as far as the server lets it, reporting whether the connection broke. */
async function readUntilBreak(path: string, body: unknown): Promise<{ status?: number; text: string; error?: Error }> {
  let text = "";
  try {
    const res = await request(`${emu.url}${path}`, {
      method: "POST",
      headers: { "api-key": API_KEY, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    try {
      for await (const chunk of res.body) text += String(chunk);
    } catch (err) {
      return { status: res.statusCode, text, error: err instanceof Error ? err : new Error(String(err)) };
    }
    return { status: res.statusCode, text };
  } catch (err) {
    return { text, error: err instanceof Error ? err : new Error(String(err)) };
  }
}

describe("fault kinds", () => {
  it("rate-limit: 429 with Azure's body, retry-after in seconds and retry-after-ms", async () => {
    emu.setFault("gpt-4o", { fault: { kind: "rate-limit", retryAfterMs: 2500 } });
    const r = await call(emu, classicChat(), { body: hello() });
    expect(r.status).toBe(429);
    expect(r.headers["retry-after"]).toBe("3");
    expect(r.headers["retry-after-ms"]).toBe("2500");
    const body = parseAs<{ error: { code: string; message: string } }>(r.text);
    expect(body.error.code).toBe("429");
    expect(body.error.message).toContain("ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21");
    expect(body.error.message).toContain("Please retry after 3 seconds");
    expect(r.headers["apim-request-id"]).toBeTruthy();
  });

  it("server-error: 500 with the server_error envelope", async () => {
    emu.setFault("gpt-4o", { fault: { kind: "server-error" } });
    const r = await call(emu, classicChat(), { body: hello() });
    expect(r.status).toBe(500);
    const e = parseAs<ErrorJson>(r.text).error;
    expect(e).toMatchObject({ type: "server_error", param: null, code: null });
    expect(e.message).toMatch(/^The server had an error while processing your request/);
  });

  it("unavailable: 503", async () => {
    emu.setFault("gpt-4o", { fault: { kind: "unavailable" } });
    const r = await call(emu, classicChat(), { body: hello() });
    expect(r.status).toBe(503);
    expect(parseAs<ErrorJson>(r.text).error.code).toBe("ServiceUnavailable");
  });

  it("content-filter: 400 prompt-blocked body in Azure's shape", async () => {
    emu.setFault("gpt-4o", { fault: { kind: "content-filter" } });
    const r = await call(emu, classicChat(), { body: hello({ stream: true }) });
    expect(r.status).toBe(400);
    const safe = { filtered: false, severity: "safe" };
    expect(JSON.parse(r.text)).toEqual({
      error: {
        message: expect.stringMatching(/^The response was filtered due to the prompt triggering Azure OpenAI's content management policy\./),
        type: null,
        param: "prompt",
        code: "content_filter",
        status: 400,
        innererror: {
          code: "ResponsibleAIPolicyViolation",
          content_filter_result: { hate: safe, jailbreak: { filtered: true, detected: true }, self_harm: safe, sexual: safe, violence: safe },
        },
      },
    });
  });

  it("unauthorized: 401 even with the right key", async () => {
    emu.setFault("gpt-4o", { fault: { kind: "unauthorized" } });
    const r = await call(emu, classicChat(), { body: hello() });
    expect(r.status).toBe(401);
    expect(parseAs<{ error: { code: string } }>(r.text).error.code).toBe("401");
  });

  it("slow-headers: delays the status line, then answers normally", async () => {
    emu.setFault("gpt-4o", { fault: { kind: "slow-headers", delayMs: 250 }, times: 1 });
    const r = await call(emu, classicChat(), { body: hello() });
    expect(r.status).toBe(200);
    expect(r.ms).toBeGreaterThanOrEqual(240);
    const fast = await call(emu, classicChat(), { body: hello() });
    expect(fast.ms).toBeLessThan(200);
  });

  it("slow-headers: a client that gives up while waiting is recorded as aborted", async () => {
    emu.setFault("gpt-4o", { fault: { kind: "slow-headers", delayMs: 5000 } });
    emu.clearRequests();
    const controller = new AbortController();
    const pending = request(`${emu.url}${classicChat()}`, {
      method: "POST",
      headers: { "api-key": API_KEY, "content-type": "application/json" },
      body: JSON.stringify(hello()),
      signal: controller.signal,
    }).catch((e: unknown) => e);
    await emu.waitFor((e) => e.requests.length === 1 && e.requests[0]?.deployment === "gpt-4o");
    controller.abort();
    expect(await pending).toBeInstanceOf(Error);
    await emu.waitFor((e) => e.requests[0]?.aborted === true, 1000);
    expect(emu.requests[0]?.status).toBe(0);
  });

  it("reset-mid-stream: the client sees the connection break after N content chunks", async () => {
    emu.setFault("gpt-4o", { fault: { kind: "reset-mid-stream", afterChunks: 3 } });
    const r = await readUntilBreak(classicChat(), hello({ stream: true }));
    expect(r.status).toBe(200);
    expect(r.error).toBeInstanceOf(Error);
    expect(r.text).not.toContain("[DONE]");
    expect(r.text.match(/"delta":\{"content":"[^"]/g)).toHaveLength(3);
    await emu.waitFor((e) => e.requests.at(-1)?.status === 200);
    expect(emu.requests.at(-1)?.aborted).toBe(false);
  });

  it("reset-mid-stream on a unary call: the connection drops before any answer", async () => {
    emu.setFault("embed-small", { fault: { kind: "reset-mid-stream", afterChunks: 0 } });
    const r = await readUntilBreak(classicEmbeddings(), { input: "x" });
    expect(r.status).toBeUndefined();
    expect(r.error).toBeInstanceOf(Error);
  });
});

describe("fault scope", () => {
  it("expires after `times` requests", async () => {
    emu.setFault("gpt-4o", { fault: { kind: "server-error" }, times: 2 });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await call(emu, classicChat(), { body: hello() })).status);
    expect(statuses).toEqual([500, 500, 200]);
  });

  it("`every: 2` faults every second request, starting with the second", async () => {
    emu.setFault("gpt-4o", { fault: { kind: "server-error" }, every: 2 });
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await call(emu, classicChat(), { body: hello() })).status);
    expect(statuses).toEqual([200, 500, 200, 500, 200, 500, 200, 500, 200, 500]);
  });

  it("`times` with `every` counts the faulted requests: two hits, then the rule is gone", async () => {
    emu.setFault("gpt-4o", { fault: { kind: "server-error" }, every: 2, times: 2 });
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await call(emu, classicChat(), { body: hello() })).status);
    expect(statuses).toEqual([200, 500, 200, 500, 200, 200, 200, 200, 200, 200]);
  });

  it("`every` counts this deployment's requests since the rule was set, and `every: 1` is every request", async () => {
    expect((await call(emu, classicChat(), { body: hello() })).status).toBe(200);
    emu.setFault("gpt-4o", { fault: { kind: "unavailable" }, every: 3 });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push((await call(emu, classicChat(), { body: hello() })).status);
      expect((await call(emu, classicChat("mini"), { body: hello() })).status).toBe(200);
    }
    expect(statuses).toEqual([200, 200, 503, 200, 200, 503]);
    emu.setFault("gpt-4o", { fault: { kind: "unavailable" }, every: 1, times: 2 });
    statuses.length = 0;
    for (let i = 0; i < 3; i++) statuses.push((await call(emu, classicChat(), { body: hello() })).status);
    expect(statuses).toEqual([503, 503, 200]);
  });

  it("applies until cleared without `times`, and only to its deployment", async () => {
    emu.setFault("gpt-4o", { fault: { kind: "unavailable" } });
    for (let i = 0; i < 3; i++) expect((await call(emu, classicChat(), { body: hello() })).status).toBe(503);
    expect((await call(emu, classicChat("mini"), { body: hello() })).status).toBe(200);
    emu.setFault("gpt-4o", undefined);
    expect((await call(emu, classicChat(), { body: hello() })).status).toBe(200);
  });

  it("reaches v1 calls to the same deployment", async () => {
    emu.setFault("gpt-4o", { fault: { kind: "rate-limit", retryAfterMs: 100 }, times: 1 });
    const r = await call(emu, "/openai/v1/chat/completions", { body: hello({ model: "gpt-4o" }) });
    expect(r.status).toBe(429);
    expect(r.headers["retry-after"]).toBe("1");
  });

  it("refuses unknown deployments and malformed rules", () => {
    expect(() => emu.setFault("nope", { fault: { kind: "server-error" } })).toThrow(/nope/);
    expect(() => emu.setFault("gpt-4o", { fault: { kind: "rate-limit", retryAfterMs: -1 } })).toThrow(/retryAfterMs/);
    expect(() => emu.setFault("gpt-4o", { fault: { kind: "server-error" }, times: 0 })).toThrow(/times/);
    for (const every of [0, -2, 1.5, Number.POSITIVE_INFINITY]) {
      expect(() => emu.setFault("gpt-4o", { fault: { kind: "server-error" }, every })).toThrow(/'every' must be a positive integer/);
    }
    expect(() => emu.setFault("gpt-4o", JSON.parse('{"fault":{"kind":"server-error"},"every":"2"}'))).toThrow(/every/);
  });
});
