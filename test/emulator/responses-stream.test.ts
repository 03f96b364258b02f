// Responses API streams: named events in OpenAI's order, sequence numbers, parity with unary, pacing and resets.
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { API_KEY, call, namedEvents, parseAs, readStreamUntil, startTestEmulator, type NamedEvent } from "./harness.js";

const PREVIEW_RESPONSES = "/openai/responses?api-version=2025-04-01-preview";

let emu: Emulator;
let sdk: OpenAI;
beforeAll(async () => {
  emu = await startTestEmulator();
  sdk = new OpenAI({ baseURL: `${emu.url}/openai/v1`, apiKey: API_KEY, maxRetries: 0 });
});
afterEach(() => {
  emu.setTiming({ timeToFirstTokenMs: 0, chunkDelayMs: 0, answerWords: 16 });
  emu.setFault("gpt-4o", undefined);
});
afterAll(() => emu.close());

async function streamed(body: Record<string, unknown>, path = PREVIEW_RESPONSES): Promise<NamedEvent[]> {
  const r = await call(emu, path, { body: { ...body, stream: true } });
  expect(r.status, r.text).toBe(200);
  expect(r.headers["content-type"]).toBe("text/event-stream; charset=utf-8");
  expect(r.text).not.toContain("[DONE]");
  return namedEvents(r.text);
}

const typesOf = (events: NamedEvent[]): string[] => events.map((e) => e.event);
/** A field of an event's data, in the shape the test expects; its assertions are what check it. */
const fieldOf = <T>(event: NamedEvent | undefined, field: string): T => parseAs<T>(JSON.stringify(event?.data[field] ?? null));
const deltas = (n: number, type = "response.output_text.delta"): string[] => Array.from({ length: n }, () => type);

interface ResponseJson {
  id: string;
  status: string;
  output: Array<{ type: string; content?: Array<{ text: string }> }>;
  usage: { input_tokens: number; output_tokens: number; total_tokens: number } | null;
}

describe("responses stream", () => {
  it("sends Azure's event sequence with sequence numbers from 0, and no [DONE]", async () => {
    const events = await streamed({ model: "gpt-4o", input: "stream me" });
    expect(typesOf(events)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      ...deltas(16),
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(events.map((e) => e.data.sequence_number)).toEqual(events.map((_, i) => i));
    const created = fieldOf<ResponseJson>(events[0], "response");
    expect(created).toMatchObject({ status: "in_progress", output: [], usage: null });
    expect(events[2]?.data).toMatchObject({ output_index: 0, item: { type: "message", status: "in_progress", role: "assistant", content: [] } });
    const itemId = fieldOf<{ id: string }>(events[2], "item").id;
    expect(events[3]?.data).toMatchObject({ item_id: itemId, output_index: 0, content_index: 0, part: { type: "output_text", text: "" } });
    expect(events[4]?.data).toEqual({
      type: "response.output_text.delta",
      sequence_number: 4,
      item_id: itemId,
      output_index: 0,
      content_index: 0,
      delta: expect.any(String),
      logprobs: [],
    });
    const text = events.filter((e) => e.event === "response.output_text.delta").map((e) => e.data.delta).join("");
    expect(events[20]?.data).toMatchObject({ item_id: itemId, text });

    const unary = parseAs<ResponseJson>((await call(emu, PREVIEW_RESPONSES, { body: { model: "gpt-4o", input: "stream me" } })).text);
    const completed = fieldOf<ResponseJson>(events.at(-1), "response");
    expect(completed.status).toBe("completed");
    expect(completed.id).toBe(created.id);
    expect(completed.usage).toEqual(unary.usage);
    expect(completed.output[0]?.content?.[0]?.text).toBe(text);
    expect(unary.output[0]?.content?.[0]?.text).toBe(text);
  });

  it("streams a function call as argument fragments, after a reasoning item on reasoning models", async () => {
    const tools = [{ type: "function", name: "lookup", parameters: { type: "object", properties: { q: { type: "string" } } } }];
    const events = await streamed({ model: "reasoner", input: "find", tools });
    const fragments = events.filter((e) => e.event === "response.function_call_arguments.delta");
    expect(typesOf(events)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.output_item.done",
      "response.output_item.added",
      ...deltas(fragments.length, "response.function_call_arguments.delta"),
      "response.function_call_arguments.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(events[2]?.data.item).toMatchObject({ type: "reasoning", summary: [] });
    expect(events[4]?.data).toMatchObject({ output_index: 1, item: { type: "function_call", name: "lookup", arguments: "", status: "in_progress" } });
    const args = fragments.map((e) => e.data.delta).join("");
    expect(JSON.parse(args)).toEqual({ q: "Paris" });
    expect(events.at(-3)?.data).toMatchObject({ output_index: 1, arguments: args });
    const usage = fieldOf<ResponseJson>(events.at(-1), "response").usage;
    expect(usage?.output_tokens).toBe(fragments.length + 64);
  });

  it("ends with response.incomplete when max_output_tokens cuts the answer", async () => {
    emu.setTiming({ answerWords: 30 });
    const events = await streamed({ model: "gpt-4o", input: "x", max_output_tokens: 17 });
    expect(events.filter((e) => e.event === "response.output_text.delta")).toHaveLength(17);
    expect(events.at(-1)?.event).toBe("response.incomplete");
    expect(events.at(-1)?.data.response).toMatchObject({ status: "incomplete", incomplete_details: { reason: "max_output_tokens" } });
    expect(events.at(-2)?.data.item).toMatchObject({ status: "incomplete" });
  });

  it("works with the SDK's stream helper and records the stream", async () => {
    emu.clearRequests();
    const runner = sdk.responses.stream({ model: "gpt-4o", input: "sdk stream" });
    let text = "";
    runner.on("response.output_text.delta", (e) => (text += e.delta));
    const final = await runner.finalResponse();
    expect(final.status).toBe("completed");
    expect(final.output[0]?.type === "message" && final.output[0].content[0]).toMatchObject({ text });
    const record = emu.requests[0];
    expect(record).toMatchObject({ stream: true, status: 200, aborted: false, chunksSent: 16, deployment: "gpt-4o", responseId: final.id });
    expect(record?.usage?.total_tokens).toBe(final.usage?.total_tokens);
  });

  it("waits timeToFirstTokenMs before the first delta, not before response.created", async () => {
    emu.setTiming({ timeToFirstTokenMs: 150 });
    const started = Date.now();
    let created = -1;
    let firstDelta = -1;
    await readStreamUntil(emu, PREVIEW_RESPONSES, { body: { model: "gpt-4o", input: "x", stream: true } }, (text) => {
      if (created < 0 && text.includes("response.created")) created = Date.now() - started;
      if (firstDelta < 0 && text.includes("response.output_text.delta")) firstDelta = Date.now() - started;
      return false;
    });
    expect(created).toBeLessThan(100);
    expect(firstDelta).toBeGreaterThanOrEqual(140);
    const unary = await call(emu, PREVIEW_RESPONSES, { body: { model: "gpt-4o", input: "x" } });
    expect(unary.ms).toBeGreaterThanOrEqual(140);
  });

  it("reset-mid-stream breaks the connection after N deltas", async () => {
    emu.setFault("gpt-4o", { fault: { kind: "reset-mid-stream", afterChunks: 3 }, times: 1 });
    const r = await readStreamUntil(emu, PREVIEW_RESPONSES, { body: { model: "gpt-4o", input: "x", stream: true } });
    expect(r.status).toBe(200);
    expect(r.broken).toBe(true);
    const events = namedEvents(r.text, true);
    expect(events.filter((e) => e.event === "response.output_text.delta")).toHaveLength(3);
    expect(typesOf(events)).not.toContain("response.completed");
  });
});
