// Streaming chat: Azure's exact event order, usage parity with unary, tool deltas, pacing and client aborts.
import { request as httpRequest } from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import {
  API_KEY,
  call,
  classicChat,
  hello,
  parseAs,
  sseData,
  startTestEmulator,
  streamChunks,
  type ChatJson,
} from "./harness.js";

const SAFE = { filtered: false, severity: "safe" };
/** A content chunk with text, not the role chunk's empty content. */
const CONTENT_DELTA = /"delta":\{"content":"[^"]/;
const CHOICE_FILTER = { hate: SAFE, self_harm: SAFE, sexual: SAFE, violence: SAFE };

let emu: Emulator;
beforeAll(async () => {
  emu = await startTestEmulator();
});
afterEach(() => emu.setTiming({ timeToFirstTokenMs: 0, chunkDelayMs: 0 }));
afterAll(() => emu.close());

async function stream(body: Record<string, unknown>, path = classicChat()) {
  const r = await call(emu, path, { body: { ...body, stream: true } });
  expect(r.status, r.text).toBe(200);
  return r;
}

describe("stream event order", () => {
  it("sends prompt filter, role, content, finish, [DONE] exactly as Azure", async () => {
    const r = await stream(hello({ max_tokens: 4 }));
    expect(r.headers["content-type"]).toBe("text/event-stream; charset=utf-8");
    const data = sseData(r.text);
    expect(data).toHaveLength(1 + 1 + 4 + 1 + 1);
    expect(data.at(-1)).toBe("[DONE]");
    const [first, role, ...rest] = streamChunks(r.text);
    expect(first).toEqual({
      choices: [],
      created: 0,
      id: "",
      model: "",
      object: "",
      prompt_filter_results: [
        {
          prompt_index: 0,
          content_filter_results: { hate: SAFE, jailbreak: { filtered: false, detected: false }, self_harm: SAFE, sexual: SAFE, violence: SAFE },
        },
      ],
    });
    expect(role?.choices).toEqual([
      { content_filter_results: {}, delta: { content: "", refusal: null, role: "assistant" }, finish_reason: null, index: 0, logprobs: null },
    ]);
    expect(role?.id).toMatch(/^chatcmpl-[A-Za-z0-9]{29}$/);
    expect(role).toMatchObject({ object: "chat.completion.chunk", model: "gpt-4o-2024-11-20" });
    expect(role?.system_fingerprint).toMatch(/^fp_/);
    const content = rest.slice(0, 4);
    for (const c of content) {
      expect(c.id).toBe(role?.id);
      expect(c.choices).toHaveLength(1);
      expect(c.choices[0]).toMatchObject({ content_filter_results: CHOICE_FILTER, finish_reason: null, index: 0, logprobs: null });
      expect(Object.keys(c.choices[0]?.delta ?? {})).toEqual(["content"]);
    }
    expect(rest[4]?.choices).toEqual([{ content_filter_results: {}, delta: {}, finish_reason: "length", index: 0, logprobs: null }]);
    expect(rest[4]?.usage).toBeUndefined();
  });

  it("adds a usage chunk with empty choices before [DONE] only when include_usage is true", async () => {
    const without = await stream(hello({ stream_options: { include_usage: false } }));
    expect(streamChunks(without.text).some((c) => c.usage !== undefined)).toBe(false);
    const r = await stream(hello({ stream_options: { include_usage: true } }));
    const chunks = streamChunks(r.text);
    expect(chunks).toHaveLength(1 + 1 + 16 + 1 + 1);
    const usage = chunks.at(-1);
    expect(usage?.choices).toEqual([]);
    expect(usage?.object).toBe("chat.completion.chunk");
    expect(usage?.id).toBe(chunks[1]?.id);
    expect(usage?.usage?.completion_tokens).toBe(16);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe("stop");
  });

  it("bills the same usage as the unary call, and records it even without the usage chunk", async () => {
    const body = { messages: [{ role: "system", content: "be brief" }, { role: "user", content: "parity check" }], max_tokens: 7 };
    const unary = parseAs<ChatJson>((await call(emu, classicChat(), { body })).text);
    const r = await stream({ ...body, stream_options: { include_usage: true } });
    const streamed = streamChunks(r.text).at(-1)?.usage;
    expect(streamed).toEqual(unary.usage);
    const text = streamChunks(r.text)
      .map((c) => c.choices[0]?.delta.content ?? "")
      .join("");
    expect(text).toBe(unary.choices[0]?.message.content);

    emu.clearRequests();
    await stream(body);
    const record = emu.requests[0];
    expect(record?.stream).toBe(true);
    expect(record?.usage).toEqual({
      prompt_tokens: unary.usage.prompt_tokens,
      completion_tokens: unary.usage.completion_tokens,
      total_tokens: unary.usage.total_tokens,
    });
  });

  it("interleaves n choices", async () => {
    const chunks = streamChunks((await stream(hello({ n: 2, max_tokens: 2 }))).text);
    const indexes = chunks.slice(1).map((c) => c.choices[0]?.index);
    expect(indexes).toEqual([0, 1, 0, 1, 0, 1, 0, 1]);
  });

  it("streams JSON mode as fragments of one JSON object", async () => {
    const chunks = streamChunks((await stream(hello({ response_format: { type: "json_object" } }))).text);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    expect(JSON.parse(text)).toMatchObject({ result: "ok" });
  });
});

describe("stream tool calls", () => {
  it("sends the call header with empty arguments, then argument fragments with only index", async () => {
    const tools = [{ type: "function", function: { name: "lookup", parameters: { type: "object", properties: { city: { type: "string" }, n: { type: "integer" } } } } }];
    const unary = parseAs<ChatJson>((await call(emu, classicChat(), { body: hello({ tools }) })).text);
    const chunks = streamChunks((await stream(hello({ tools, stream_options: { include_usage: true } }))).text);
    const header = chunks[1]?.choices[0]?.delta;
    expect(header?.role).toBe("assistant");
    expect(header?.content).toBeNull();
    const call0 = header?.tool_calls?.[0];
    expect(call0).toMatchObject({ index: 0, type: "function", function: { name: "lookup", arguments: "" } });
    expect(call0?.id).toMatch(/^call_/);
    const fragments = chunks.slice(2, -2);
    expect(fragments.length).toBeGreaterThan(1);
    for (const f of fragments) {
      expect(f.choices[0]?.delta).toEqual({ tool_calls: [{ function: { arguments: expect.any(String) }, index: 0 }] });
    }
    const args = fragments.map((f) => f.choices[0]?.delta.tool_calls?.[0]?.function.arguments ?? "").join("");
    expect(JSON.parse(args)).toEqual({ city: "Paris", n: 1 });
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe("tool_calls");
    expect(chunks.at(-1)?.usage).toEqual(unary.usage);
  });
});

describe("stream pacing and aborts", () => {
  it("waits timeToFirstTokenMs before the first content chunk, after the headers", async () => {
    emu.setTiming({ timeToFirstTokenMs: 200 });
    const times = await chunkTimes(hello({ max_tokens: 2 }));
    expect(times.headers).toBeLessThan(150);
    expect(times.firstContent).toBeGreaterThanOrEqual(190);
  });

  it("spaces content chunks by chunkDelayMs", async () => {
    emu.setTiming({ chunkDelayMs: 30 });
    const times = await chunkTimes(hello({ max_tokens: 6 }));
    expect(times.end - times.firstContent).toBeGreaterThanOrEqual(5 * 30 - 10);
  });

  it("marks the record aborted when the client leaves mid-stream", async () => {
    emu.setTiming({ chunkDelayMs: 50 });
    emu.clearRequests();
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest(`${emu.url}${classicChat()}`, { method: "POST", headers: { "api-key": API_KEY, "content-type": "application/json" } });
      req.on("response", (res) => {
        res.on("data", (d: Buffer) => {
          if (CONTENT_DELTA.test(d.toString())) {
            req.destroy();
            resolve();
          }
        });
      });
      req.on("error", (err) => {
        if (!req.destroyed) reject(err);
      });
      req.end(JSON.stringify(hello({ stream: true })));
    });
    await emu.waitFor((e) => e.requests[0]?.aborted === true, 2000);
    expect(emu.requests[0]).toMatchObject({ status: 200, stream: true, aborted: true, deployment: "gpt-4o" });
  });

  it("survives a client that stops reading (backpressure) and delivers everything after", async () => {
    const text = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(`${emu.url}${classicChat()}`, { method: "POST", headers: { "api-key": API_KEY, "content-type": "application/json" } });
      req.on("response", (res) => {
        res.pause();
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (body += d));
        res.on("end", () => resolve(body));
        setTimeout(() => res.resume(), 200);
      });
      req.on("error", reject);
      req.end(JSON.stringify(hello({ stream: true, n: 128 })));
    });
    expect(text.length).toBeGreaterThan(512 * 1024);
    const chunks = streamChunks(text);
    expect(chunks).toHaveLength(1 + 128 + 128 * 16 + 128);
  });

  it("does not mark a completed stream aborted", async () => {
    emu.clearRequests();
    await stream(hello());
    await new Promise((r) => setTimeout(r, 20));
    expect(emu.requests[0]).toMatchObject({ status: 200, aborted: false });
  });
});

/** Milliseconds from request start to headers, first content chunk, and end of stream. */
function chunkTimes(body: Record<string, unknown>): Promise<{ headers: number; firstContent: number; end: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let firstContent = -1;
    const req = httpRequest(`${emu.url}${classicChat()}`, { method: "POST", headers: { "api-key": API_KEY, "content-type": "application/json" } });
    req.on("response", (res) => {
      const headers = Date.now() - started;
      res.on("data", (d: Buffer) => {
        if (firstContent < 0 && CONTENT_DELTA.test(d.toString())) firstContent = Date.now() - started;
      });
      res.on("end", () => resolve({ headers, firstContent, end: Date.now() - started }));
    });
    req.on("error", reject);
    req.end(JSON.stringify({ ...body, stream: true }));
  });
}
