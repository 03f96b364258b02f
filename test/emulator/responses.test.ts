// Responses API create through the official SDK on v1: the response object, token accounting, tools, reasoning, chaining.
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { responseInputTokensFor, type Emulator } from "../../src/emulator/index.js";
import { API_KEY, call, parseAs, startTestEmulator, type ErrorJson } from "./harness.js";

let emu: Emulator;
let sdk: OpenAI;
beforeAll(async () => {
  emu = await startTestEmulator();
  sdk = new OpenAI({ baseURL: `${emu.url}/openai/v1`, apiKey: API_KEY, maxRetries: 0 });
});
afterEach(() => emu.setTiming({ answerWords: 16 }));
afterAll(() => emu.close());

const WEATHER = {
  type: "function" as const,
  name: "get_weather",
  parameters: { type: "object", properties: { city: { type: "string" }, days: { type: "integer" } } },
  strict: false,
};

/** A create Azure refuses: its status and error body. */
async function refused(body: Record<string, unknown>): Promise<{ status: number; error: ErrorJson["error"] }> {
  const r = await call(emu, "/openai/v1/responses", { body });
  return { status: r.status, error: parseAs<ErrorJson>(r.text).error };
}

describe("responses create", () => {
  it("answers a unary create with the full response object, keys in OpenAI's order", async () => {
    const r = await sdk.responses.create({ model: "gpt-4o", input: "hello SECRET-PROMPT-MARKER", instructions: "be brief" });
    expect(r.id).toMatch(/^resp_[0-9a-f]{48}$/);
    expect(r).toMatchObject({
      object: "response",
      status: "completed",
      background: false,
      error: null,
      incomplete_details: null,
      instructions: "be brief",
      max_output_tokens: null,
      model: "gpt-4o-2024-11-20",
      parallel_tool_calls: true,
      previous_response_id: null,
      reasoning: { effort: null, summary: null },
      store: true,
      temperature: 1,
      text: { format: { type: "text" } },
      tool_choice: "auto",
      tools: [],
      top_p: 1,
      truncation: "disabled",
      user: null,
      metadata: {},
    });
    expect(Math.abs(r.created_at - Date.now() / 1000)).toBeLessThan(5);
    expect(r.output).toHaveLength(1);
    const message = r.output[0];
    expect(message).toMatchObject({ type: "message", status: "completed", role: "assistant" });
    expect(message?.id).toMatch(/^msg_[0-9a-f]{48}$/);
    expect(message?.type === "message" && message.content).toEqual([{ type: "output_text", text: r.output_text, annotations: [], logprobs: [] }]);
    expect(r.output_text.split(" ")).toHaveLength(16);
    expect(r.output_text).not.toContain("SECRET");
    // 3 + ceil(8 bytes / 4) for the instructions + (4 + ceil(26 / 4)) for the one input item.
    expect(r.usage).toEqual({
      input_tokens: 3 + 2 + 4 + 7,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 16,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 16 + 16,
    });

    const raw = await call(emu, "/openai/v1/responses", { body: { model: "gpt-4o", input: "hi" } });
    expect(Object.keys(parseAs<Record<string, unknown>>(raw.text))).toEqual([
      "id", "object", "created_at", "status", "background", "error", "incomplete_details", "instructions", "max_output_tokens",
      "model", "output", "parallel_tool_calls", "previous_response_id", "reasoning", "store", "temperature", "text",
      "tool_choice", "tools", "top_p", "truncation", "usage", "user", "metadata",
    ]);
  });

  it("counts input tokens by the documented formula", () => {
    expect(responseInputTokensFor({ input: "hello" })).toBe(3 + 4 + 2);
    const items = [
      { role: "user", content: [{ type: "input_text", text: "abcd" }, { type: "input_image", image_url: "https://x/y.png" }] },
      { type: "function_call_output", call_id: "call_1", output: "12345678" },
      { type: "item_reference", id: "msg_1" },
      { type: "function_call", call_id: "call_1", name: "ab", arguments: "{}" },
    ];
    expect(responseInputTokensFor({ input: items })).toBe(3 + (4 + 1 + 85) + (4 + 2) + 4 + (4 + 1));
    const tools = [WEATHER];
    expect(responseInputTokensFor({ input: "hello", tools }, 25)).toBe(9 + Math.ceil(JSON.stringify(tools).length / 4) + 25);
  });

  it("answers with a function call shaped by the schema, and in words once given the result", async () => {
    const r = await sdk.responses.create({ model: "gpt-4o", input: "weather?", tools: [{ type: "web_search_preview" }, WEATHER] });
    expect(r.tools).toEqual([{ type: "web_search_preview" }, WEATHER]);
    expect(r.output).toHaveLength(1);
    const fc = r.output[0];
    if (fc?.type !== "function_call") throw new Error(`expected a function call, got ${fc?.type}`);
    expect(fc.id).toMatch(/^fc_[0-9a-f]{48}$/);
    expect(fc.call_id).toMatch(/^call_[A-Za-z0-9]{24}$/);
    expect(fc).toMatchObject({ status: "completed", name: "get_weather" });
    expect(JSON.parse(fc.arguments)).toEqual({ city: "Paris", days: 1 });
    expect(r.usage?.output_tokens).toBe(Math.ceil(fc.arguments.length / 6));

    const next = await sdk.responses.create({
      model: "gpt-4o",
      previous_response_id: r.id,
      tools: [WEATHER],
      input: [{ type: "function_call_output", call_id: fc.call_id, output: '{"temp":21}' }],
    });
    expect(next.output[0]?.type).toBe("message");
    expect(next.output_text.split(" ")).toHaveLength(16);

    const none = await sdk.responses.create({ model: "gpt-4o", input: "weather?", tools: [WEATHER], tool_choice: "none" });
    expect(none.output[0]?.type).toBe("message");
    const hostedOnly = await sdk.responses.create({ model: "gpt-4o", input: "news?", tools: [{ type: "web_search_preview" }] });
    expect(hostedOnly.output[0]?.type).toBe("message");
  });

  it("bills reasoning tokens on reasoning models and shows the reasoning item first", async () => {
    const r = await sdk.responses.create({ model: "reasoner", input: "think" });
    expect(r.model).toBe("o4-mini-2025-04-16");
    expect(r.reasoning).toEqual({ effort: "medium", summary: null });
    expect(r.output.map((item) => item.type)).toEqual(["reasoning", "message"]);
    expect(r.output[0]).toEqual({ id: expect.stringMatching(/^rs_[0-9a-f]{48}$/), type: "reasoning", summary: [] });
    expect(r.usage?.output_tokens_details.reasoning_tokens).toBe(64);
    expect(r.usage?.output_tokens).toBe(16 + 64);
    expect(emu.requests.at(-1)?.usage).toEqual({
      prompt_tokens: r.usage?.input_tokens,
      completion_tokens: 80,
      total_tokens: (r.usage?.input_tokens ?? 0) + 80,
      cached_tokens: 0,
      reasoning_tokens: 64,
    });
  });

  it("stops at max_output_tokens with status incomplete, and refuses a limit below 16", async () => {
    emu.setTiming({ answerWords: 40 });
    const r = await sdk.responses.create({ model: "gpt-4o", input: "long story", max_output_tokens: 20 });
    expect(r.status).toBe("incomplete");
    expect(r.incomplete_details).toEqual({ reason: "max_output_tokens" });
    expect(r.max_output_tokens).toBe(20);
    expect(r.output[0]).toMatchObject({ type: "message", status: "incomplete" });
    expect(r.output_text.split(" ")).toHaveLength(20);
    expect(r.usage?.output_tokens).toBe(20);
    const full = await sdk.responses.create({ model: "gpt-4o", input: "long story", max_output_tokens: 40 });
    expect(full.status).toBe("completed");

    const low = await refused({ model: "gpt-4o", input: "x", max_output_tokens: 15 });
    expect(low.status).toBe(400);
    expect(low.error).toMatchObject({ param: "max_output_tokens", code: "integer_below_min_value", type: "invalid_request_error" });
  });

  it("reports cached tokens when the same long input comes again", async () => {
    const input = "y".repeat(4 * 1500);
    const first = await sdk.responses.create({ model: "mini", input });
    const second = await sdk.responses.create({ model: "mini", input });
    expect(first.usage?.input_tokens).toBe(1507);
    expect(first.usage?.input_tokens_details.cached_tokens).toBe(0);
    expect(second.usage?.input_tokens_details.cached_tokens).toBe(1408);
    expect(emu.requests.at(-1)?.usage?.cached_tokens).toBe(1408);
  });

  it("chains on previous_response_id: the prompt carries the previous input and output", async () => {
    const first = await sdk.responses.create({ model: "gpt-4o", input: "hello" });
    expect(first.usage?.total_tokens).toBe(9 + 16);
    const second = await sdk.responses.create({ model: "gpt-4o", input: "hello", previous_response_id: first.id });
    expect(second.previous_response_id).toBe(first.id);
    expect(second.usage?.input_tokens).toBe(9 + 25);
    const third = await sdk.responses.create({ model: "gpt-4o", input: "hello", previous_response_id: second.id });
    expect(third.usage?.input_tokens).toBe(9 + 34 + 16);

    const missing = await refused({ model: "gpt-4o", input: "x", previous_response_id: "resp_nope" });
    expect(missing.status).toBe(400);
    expect(missing.error).toEqual({
      message: "Previous response with id 'resp_nope' not found.",
      type: "invalid_request_error",
      param: "previous_response_id",
      code: "previous_response_not_found",
    });
  });

  it("keeps nothing when store is false", async () => {
    const r = await sdk.responses.create({ model: "gpt-4o", input: "forget me", store: false });
    expect(r).toMatchObject({ store: false, status: "completed" });
    expect(emu.response(r.id)).toBeUndefined();
    const got = await sdk.responses.retrieve(r.id).catch((e: unknown) => e);
    expect(got).toBeInstanceOf(OpenAI.NotFoundError);
    const raw = await call(emu, `/openai/v1/responses/${r.id}`);
    expect(JSON.parse(raw.text)).toEqual({
      error: { message: `Response with id '${r.id}' not found.`, type: "invalid_request_error", param: null, code: null },
    });
    expect((await refused({ model: "gpt-4o", input: "x", previous_response_id: r.id })).error.code).toBe("previous_response_not_found");
  });

  it("answers JSON text for text.format json_object", async () => {
    const r = await sdk.responses.create({ model: "gpt-4o", input: "json please", text: { format: { type: "json_object" } } });
    expect(r.text).toEqual({ format: { type: "json_object" } });
    expect(JSON.parse(r.output_text)).toMatchObject({ result: "ok" });
  });
});

describe("responses create validation", () => {
  it("rejects unknown top-level fields, naming them", async () => {
    const r = await refused({ model: "gpt-4o", input: "x", max_tokens: 10 });
    expect(r.status).toBe(400);
    expect(r.error).toEqual({ message: "Unknown parameter: 'max_tokens'.", type: "invalid_request_error", param: "max_tokens", code: "unknown_parameter" });
    const known = { prompt_cache_key: "k", safety_identifier: "s", service_tier: "auto", top_logprobs: 2, max_tool_calls: 3, include: [], user: "u" };
    expect((await call(emu, "/openai/v1/responses", { body: { model: "gpt-4o", input: "x", ...known } })).status).toBe(200);
  });

  it("requires model, a boolean stream, and store for background", async () => {
    expect(await refused({ input: "x" })).toEqual({
      status: 400,
      error: { message: "Missing required parameter: 'model'.", type: "invalid_request_error", param: "model", code: "missing_required_parameter" },
    });
    const stream = await refused({ model: "gpt-4o", input: "x", stream: "yes" });
    expect(stream.error).toMatchObject({ param: "stream", code: "invalid_type" });
    expect(await refused({ model: "gpt-4o", input: "x", background: true, store: false })).toEqual({
      status: 400,
      error: { message: "Background mode requires 'store' to be true.", type: "invalid_request_error", param: "background", code: "invalid_value" },
    });
  });

  it("refuses unknown deployments and models that cannot answer", async () => {
    const unknown = await call(emu, "/openai/v1/responses", { body: { model: "nope", input: "x" } });
    expect(unknown.status).toBe(404);
    expect(parseAs<ErrorJson>(unknown.text).error.code).toBe("DeploymentNotFound");
    const embed = await call(emu, "/openai/v1/responses", { body: { model: "embed-small", input: "x" } });
    expect(embed.status).toBe(400);
    expect(parseAs<ErrorJson>(embed.text).error.code).toBe("OperationNotSupported");
  });

  it("checks input items without echoing their content", async () => {
    const role = await refused({ model: "gpt-4o", input: [{ role: "wizard-XYZZY", content: "hi" }] });
    expect(role.error).toMatchObject({ param: "input[0].role", code: "invalid_value" });
    expect(role.error.message).not.toContain("XYZZY");
    expect((await refused({ model: "gpt-4o", input: [{ type: "function_call_output", output: "x" }] })).error.param).toBe("input[0].call_id");
    expect((await refused({ model: "gpt-4o", input: 42 })).error).toMatchObject({ param: "input", code: "invalid_type" });
    expect((await refused({ model: "gpt-4o", input: "x", tools: [{ type: "function" }] })).error.param).toBe("tools[0].name");
  });
});
