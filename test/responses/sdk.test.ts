// The openai SDK's Responses API through the gateway (OpenAI client at /v1): create, stream, retrieve, delete, chain, tools, reasoning.
import OpenAI from "openai";
import { request } from "undici";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RequestRecord } from "../../src/emulator/index.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { gatewaySdk } from "../support/sdk.js";

let t: TestGateway;
let client: OpenAI;
beforeAll(async () => {
  t = await startTestGateway();
  client = gatewaySdk(t);
});
afterAll(() => t.close());
beforeEach(() => t.emulator.clearRequests());

/** The emulator's record of the create call that made `id`. */
function createRecord(id: string): RequestRecord {
  const record = t.emulator.requests.find((r) => r.method === "POST" && r.responseId === id);
  if (!record?.usage) throw new Error(`no billed create record for ${id}`);
  return record;
}

/** The client saw exactly what Azure billed for this response. */
function expectAzureUsage(usage: OpenAI.Responses.ResponseUsage | null | undefined, id: string): void {
  const billed = createRecord(id).usage;
  expect(usage).toEqual({
    input_tokens: billed?.prompt_tokens,
    input_tokens_details: { cached_tokens: billed?.cached_tokens },
    output_tokens: billed?.completion_tokens,
    output_tokens_details: { reasoning_tokens: billed?.reasoning_tokens },
    total_tokens: billed?.total_tokens,
  });
}

/** The message text in a response's output; the SDK adds `output_text` only to unary answers. */
function messageText(r: OpenAI.Responses.Response): string {
  return r.output
    .flatMap((item) => (item.type === "message" ? item.content : []))
    .map((part) => (part.type === "output_text" ? part.text : ""))
    .join("");
}

/** Azure's event order for one text message: lifecycle, the item and its part, deltas, their closings, the terminal event. */
function expectAzureOrder(types: readonly string[]): void {
  const deltas = types.filter((x) => x === "response.output_text.delta").length;
  expect(deltas).toBeGreaterThan(0);
  expect(types).toEqual([
    "response.created",
    "response.in_progress",
    "response.output_item.added",
    "response.content_part.added",
    ...Array<string>(deltas).fill("response.output_text.delta"),
    "response.output_text.done",
    "response.content_part.done",
    "response.output_item.done",
    "response.completed",
  ]);
}

describe("responses.create", () => {
  it("answers unary with output_text and Azure's own usage", async () => {
    const r = await client.responses.create({ model: "gpt-4o-mini", input: "Say something short" });
    expect(r).toMatchObject({ object: "response", status: "completed", model: "gpt-4o-mini-2024-07-18" });
    expect(r.output_text.length).toBeGreaterThan(0);
    expectAzureUsage(r.usage, r.id);
    expect(createRecord(r.id)).toMatchObject({ path: "/openai/v1/responses", deployment: "gpt-4o-mini", stream: false });
  });

  it("streams the SDK's typed events in Azure's order, usage on response.completed", async () => {
    const stream = await client.responses.create({ model: "gpt-4o-mini", input: "Stream please", stream: true });
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    expectAzureOrder(events.map((e) => e.type));
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const last = events.at(-1);
    if (last?.type !== "response.completed") throw new Error("the stream did not end with response.completed");
    const text = events.flatMap((e) => (e.type === "response.output_text.delta" ? [e.delta] : [])).join("");
    expect(messageText(last.response)).toBe(text);
    expectAzureUsage(last.response.usage, last.response.id);
  });

  it("frames the raw stream with event: lines naming each data's type, and no [DONE]", async () => {
    const res = await request(`${t.httpUrl}/v1/responses`, {
      method: "POST",
      headers: { authorization: `Bearer ${t.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "gpt-4o-mini", input: "raw stream", stream: true }),
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/event-stream/);
    const text = await res.body.text();
    expect(text).not.toContain("[DONE]");
    const blocks = text.split("\n\n").filter((b) => b.length > 0);
    const names = blocks.map((block) => {
      const lines = block.split("\n");
      expect(lines).toHaveLength(2);
      const event = /^event: (.+)$/.exec(lines[0] ?? "")?.[1];
      const data = /^data: (.+)$/.exec(lines[1] ?? "")?.[1];
      expect(event).toBeDefined();
      expect((JSON.parse(data ?? "null") as { type?: unknown }).type).toBe(event);
      return event ?? "";
    });
    expectAzureOrder(names);
  });

  it("uses the SDK's responses.stream helper", async () => {
    let deltas = "";
    const stream = client.responses.stream({ model: "gpt-4o-mini", input: "helper" }).on("response.output_text.delta", (e) => {
      deltas += e.delta;
    });
    const final = await stream.finalResponse();
    expect(final.status).toBe("completed");
    expect(messageText(final)).toBe(deltas);
    expect(deltas.length).toBeGreaterThan(0);
    expectAzureUsage(final.usage, final.id);
  });

  it("reports reasoning tokens for o4-mini", async () => {
    const r = await client.responses.create({ model: "o4-mini", input: "Think first" });
    expect(r.output.map((item) => item.type)).toEqual(["reasoning", "message"]);
    expect(r.usage?.output_tokens_details.reasoning_tokens).toBeGreaterThan(0);
    expectAzureUsage(r.usage, r.id);
  });
});

describe("stored responses", () => {
  it("retrieves, deletes, and then answers 404 without asking Azure", async () => {
    const created = await client.responses.create({ model: "gpt-4o-mini", input: "keep me" });
    const got = await client.responses.retrieve(created.id);
    expect(got).toMatchObject({ id: created.id, status: "completed", output_text: created.output_text });
    expect(got.usage).toEqual(created.usage);

    await client.responses.delete(created.id);
    expect(t.emulator.requests.at(-1)).toMatchObject({ method: "DELETE", path: `/openai/v1/responses/${created.id}`, status: 200 });
    expect(t.emulator.response(created.id)).toBeUndefined();

    const asked = t.emulator.requests.length;
    const gone = await client.responses.retrieve(created.id).catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(OpenAI.NotFoundError);
    expect(gone).toMatchObject({ status: 404, code: "not_found", param: "response_id" });
    expect(t.emulator.requests).toHaveLength(asked);
  });

  it("lists input items with limit and order, and pages through them with the SDK's cursor", async () => {
    const r = await client.responses.create({
      model: "gpt-4o-mini",
      input: [
        { role: "user", content: "one" },
        { role: "assistant", content: "two" },
        { role: "user", content: "three" },
      ],
    });
    const textOf = (item: OpenAI.Responses.ResponseItem): string =>
      item.type === "message" ? item.content.map((part) => ("text" in part ? (part.text ?? "") : "")).join("") : "";

    const asc = await client.responses.inputItems.list(r.id, { limit: 2, order: "asc" });
    expect(asc.data.map(textOf)).toEqual(["one", "two"]);
    expect(asc.has_more).toBe(true);
    const desc = await client.responses.inputItems.list(r.id, { limit: 2, order: "desc" });
    expect(desc.data.map(textOf)).toEqual(["three", "two"]);
    // The SDK fetches the next page with `after`: the gateway must pass it through.
    const all: string[] = [];
    for await (const item of client.responses.inputItems.list(r.id, { limit: 2, order: "asc" })) all.push(textOf(item));
    expect(all).toEqual(["one", "two", "three"]);
  });

  it("chains with previous_response_id: the second's input includes the first", async () => {
    const first = await client.responses.create({ model: "gpt-4o-mini", input: "Remember the word teal." });
    const second = await client.responses.create({ model: "gpt-4o-mini", input: "What was the word?", previous_response_id: first.id });
    expect(second.previous_response_id).toBe(first.id);
    expect(second.usage?.input_tokens).toBeGreaterThan(first.usage?.input_tokens ?? Infinity);
    expect(createRecord(second.id).body).toMatchObject({ previous_response_id: first.id });
    expectAzureUsage(second.usage, second.id);
  });

  it("round-trips a function call: function_call item, then function_call_output on the previous response", async () => {
    const tools: OpenAI.Responses.Tool[] = [
      {
        type: "function",
        name: "get_weather",
        description: "Weather in a city",
        parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"], additionalProperties: false },
        strict: true,
      },
    ];
    const asked = await client.responses.create({ model: "gpt-4o-mini", input: "Weather in Paris?", tools });
    const call = asked.output.find((item): item is OpenAI.Responses.ResponseFunctionToolCall => item.type === "function_call");
    expect(call).toMatchObject({ type: "function_call", name: "get_weather", status: "completed" });
    expect(call?.call_id).toMatch(/^call_/);
    expect(() => JSON.parse(call?.arguments ?? "")).not.toThrow();
    expect(asked.output_text).toBe("");

    const answered = await client.responses.create({
      model: "gpt-4o-mini",
      previous_response_id: asked.id,
      input: [{ type: "function_call_output", call_id: call?.call_id ?? "", output: JSON.stringify({ celsius: 21 }) }],
      tools,
    });
    expect(answered.output.map((item) => item.type)).toEqual(["message"]);
    expect(answered.output_text.length).toBeGreaterThan(0);
    expect(createRecord(answered.id).body).toMatchObject({
      previous_response_id: asked.id,
      input: [{ type: "function_call_output", call_id: call?.call_id }],
    });
  });
});
