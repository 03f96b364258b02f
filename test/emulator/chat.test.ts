// Unary chat: Azure's response shape, deterministic usage, length control, validation, tools and JSON mode.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { promptTokensFor, type Emulator } from "../../src/emulator/index.js";
import { call, classicChat, hello, parseAs, startTestEmulator, type ChatJson, type ErrorJson } from "./harness.js";

const SAFE = { filtered: false, severity: "safe" };

let emu: Emulator;
beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(() => emu.close());

async function chat(body: Record<string, unknown>, path = classicChat()): Promise<ChatJson> {
  const r = await call(emu, path, { body });
  expect(r.status, r.text).toBe(200);
  return parseAs<ChatJson>(r.text);
}

async function rejected(body: Record<string, unknown>, path = classicChat()): Promise<ErrorJson["error"]> {
  const r = await call(emu, path, { body });
  expect(r.status, r.text).toBe(400);
  return parseAs<ErrorJson>(r.text).error;
}

describe("unary chat", () => {
  it("answers in Azure's captured shape", async () => {
    const c = await chat(hello());
    expect(c.id).toMatch(/^chatcmpl-[A-Za-z0-9]{29}$/);
    expect(c.object).toBe("chat.completion");
    expect(c.model).toBe("gpt-4o-2024-11-20");
    expect(c.system_fingerprint).toMatch(/^fp_[0-9a-f]{10}$/);
    expect(Math.abs(c.created - Date.now() / 1000)).toBeLessThan(5);
    expect(c.prompt_filter_results).toEqual([
      {
        prompt_index: 0,
        content_filter_results: { hate: SAFE, jailbreak: { filtered: false, detected: false }, self_harm: SAFE, sexual: SAFE, violence: SAFE },
      },
    ]);
    expect(c.choices).toHaveLength(1);
    const [choice] = c.choices;
    expect(choice).toMatchObject({
      index: 0,
      finish_reason: "stop",
      logprobs: null,
      content_filter_results: { hate: SAFE, self_harm: SAFE, sexual: SAFE, violence: SAFE },
      message: { annotations: [], refusal: null, role: "assistant" },
    });
    expect(typeof choice?.message.content).toBe("string");
    expect(choice?.message.content).not.toContain("SECRET-PROMPT-MARKER");
    expect(c.usage).toEqual({
      completion_tokens: 16,
      completion_tokens_details: { accepted_prediction_tokens: 0, audio_tokens: 0, reasoning_tokens: 0, rejected_prediction_tokens: 0 },
      prompt_tokens: promptTokensFor(hello()),
      prompt_tokens_details: { audio_tokens: 0, cached_tokens: 0 },
      total_tokens: promptTokensFor(hello()) + 16,
    });
  });

  it("counts prompt tokens by the documented formula", () => {
    // 3 + (4 + ceil(43 bytes / 4)) = 18
    expect(promptTokensFor(hello())).toBe(18);
    expect(promptTokensFor({ messages: [{ role: "user", content: "é" }, { role: "system", content: "" }] })).toBe(3 + 5 + 4);
    expect(promptTokensFor({ messages: [{ role: "user", content: [{ type: "text", text: "abcd" }, { type: "image_url" }] }] })).toBe(3 + 4 + 1 + 85);
  });

  it("is deterministic: same input, same content and usage; different ids", async () => {
    const body = hello({ messages: [{ role: "user", content: "determinism check" }] });
    const a = await chat(body);
    const b = await chat(body);
    expect(b.usage).toEqual(a.usage);
    expect(b.choices[0]?.message.content).toBe(a.choices[0]?.message.content);
    expect(b.id).not.toBe(a.id);
  });

  it("lets max_tokens and max_completion_tokens control length and finish_reason", async () => {
    const five = await chat(hello({ max_tokens: 5 }));
    expect(five.usage.completion_tokens).toBe(5);
    expect(five.choices[0]?.finish_reason).toBe("length");
    expect(five.choices[0]?.message.content?.split(" ")).toHaveLength(5);
    const exact = await chat(hello({ max_completion_tokens: 16 }));
    expect(exact.usage.completion_tokens).toBe(16);
    expect(exact.choices[0]?.finish_reason).toBe("stop");
    const big = await chat(hello({ max_tokens: 4000 }));
    expect(big.usage.completion_tokens).toBe(16);
    expect(big.choices[0]?.finish_reason).toBe("stop");
  });

  it("returns n choices and bills each", async () => {
    const c = await chat(hello({ n: 3, max_tokens: 4 }));
    expect(c.choices.map((ch) => ch.index)).toEqual([0, 1, 2]);
    expect(c.usage.completion_tokens).toBe(12);
  });

  it("bills reasoning tokens on o-series and rejects max_tokens there", async () => {
    const c = await chat(hello({ max_completion_tokens: 3 }), classicChat("reasoner"));
    const reasoning = c.usage.completion_tokens_details?.reasoning_tokens ?? 0;
    expect(reasoning).toBeGreaterThan(0);
    expect(c.usage.completion_tokens).toBe(3 + reasoning);
    expect(c.model).toBe("o4-mini-2025-04-16");
    expect(await rejected(hello({ max_tokens: 10 }), classicChat("reasoner"))).toEqual({
      message: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
      type: "invalid_request_error",
      param: "max_tokens",
      code: "unsupported_parameter",
    });
  });

  it("reports cached tokens on a repeated long prompt", async () => {
    const long = { messages: [{ role: "user", content: "x".repeat(4 * 1500) }] };
    const first = await chat(long);
    const second = await chat(long);
    expect(first.usage.prompt_tokens).toBe(1507);
    expect(first.usage.prompt_tokens_details?.cached_tokens).toBe(0);
    expect(second.usage.prompt_tokens_details?.cached_tokens).toBe(1408);
  });
});

describe("validation", () => {
  it("rejects stream_options and max_completion_tokens on api-versions that do not know them", async () => {
    for (const version of ["2024-06-01", "2024-07-01-preview", "2024-02-15-preview"]) {
      const error = await rejected(hello({ stream: true, stream_options: { include_usage: true } }), classicChat("gpt-4o", version));
      expect(error).toEqual({
        message: "Unknown parameter: 'stream_options'.",
        type: "invalid_request_error",
        param: "stream_options",
        code: "unknown_parameter",
      });
      const mct = await rejected(hello({ max_completion_tokens: 5 }), classicChat("gpt-4o", version));
      expect(mct).toMatchObject({ param: "max_completion_tokens", code: "unknown_parameter" });
    }
    for (const version of ["2024-10-21", "2024-08-01-preview", "2025-04-01-preview"]) {
      const r = await call(emu, classicChat("gpt-4o", version), { body: hello({ max_completion_tokens: 5 }) });
      expect(r.status, version).toBe(200);
    }
  });

  it("rejects stream_options without stream", async () => {
    const error = await rejected(hello({ stream_options: { include_usage: true } }));
    expect(error).toMatchObject({ param: "stream_options", type: "invalid_request_error" });
  });

  it("rejects out-of-range and mistyped numbers, naming the parameter", async () => {
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ temperature: 2.5 }, "temperature", "decimal_above_max_value"],
      [{ temperature: -0.1 }, "temperature", "decimal_below_min_value"],
      [{ temperature: "hot" }, "temperature", "invalid_type"],
      [{ n: 0 }, "n", "integer_below_min_value"],
      [{ n: 129 }, "n", "integer_above_max_value"],
      [{ n: 1.5 }, "n", "invalid_type"],
      [{ max_tokens: 0 }, "max_tokens", "integer_below_min_value"],
      [{ max_tokens: "ten" }, "max_tokens", "invalid_type"],
    ];
    for (const [extra, param, code] of cases) {
      const error = await rejected(hello(extra));
      expect(error, JSON.stringify(extra)).toMatchObject({ param, code, type: "invalid_request_error" });
    }
  });

  it("rejects malformed messages", async () => {
    expect(await rejected({ messages: [] })).toMatchObject({ param: "messages", code: "empty_array" });
    expect(await rejected({ messages: "hi" })).toMatchObject({ param: "messages", code: "invalid_type" });
    expect(await rejected({ messages: [{ content: "hi" }] })).toMatchObject({ param: "messages[0].role" });
    const bad = await rejected({ messages: [{ role: "wizard-XYZZY", content: "hi" }] });
    expect(bad).toMatchObject({ param: "messages[0].role", code: "invalid_value" });
    expect(bad.message).not.toContain("XYZZY");
  });
});

const WEATHER_TOOL = {
  type: "function",
  function: {
    name: "get_weather",
    parameters: {
      type: "object",
      properties: { location: { type: "string" }, unit: { type: "string", enum: ["celsius", "fahrenheit"] }, days: { type: "integer" } },
    },
  },
};
const TIME_TOOL = { type: "function", function: { name: "get_time", parameters: { type: "object", properties: {} } } };

describe("tools and JSON mode", () => {
  it("calls the first tool with schema-shaped arguments", async () => {
    const c = await chat(hello({ tools: [WEATHER_TOOL, TIME_TOOL] }));
    const choice = c.choices[0];
    expect(choice?.finish_reason).toBe("tool_calls");
    expect(choice?.message.content).toBeNull();
    const call0 = choice?.message.tool_calls?.[0];
    expect(call0?.id).toMatch(/^call_[A-Za-z0-9]{24}$/);
    expect(call0?.type).toBe("function");
    expect(call0?.function.name).toBe("get_weather");
    expect(JSON.parse(call0?.function.arguments ?? "")).toEqual({ location: "Paris", unit: "celsius", days: 1 });
    expect(c.usage.completion_tokens).toBeGreaterThan(0);
  });

  it("honours a named tool_choice and tool_choice none", async () => {
    const named = await chat(hello({ tools: [WEATHER_TOOL, TIME_TOOL], tool_choice: { type: "function", function: { name: "get_time" } } }));
    expect(named.choices[0]?.message.tool_calls?.[0]?.function).toEqual({ name: "get_time", arguments: "{}" });
    const none = await chat(hello({ tools: [WEATHER_TOOL], tool_choice: "none" }));
    expect(none.choices[0]?.finish_reason).toBe("stop");
    expect(none.choices[0]?.message.tool_calls).toBeUndefined();
    const unknown = await rejected(hello({ tools: [WEATHER_TOOL], tool_choice: { type: "function", function: { name: "nope" } } }));
    expect(unknown.param).toBe("tool_choice");
  });

  it("answers JSON mode with a JSON object", async () => {
    for (const response_format of [
      { type: "json_object" },
      { type: "json_schema", json_schema: { name: "x", schema: { type: "object" } } },
    ]) {
      const c = await chat(hello({ response_format, max_tokens: 3 }));
      const parsed: unknown = JSON.parse(c.choices[0]?.message.content ?? "");
      expect(parsed).toMatchObject({ result: "ok" });
      expect(c.usage.completion_tokens).toBe(3);
    }
    expect((await rejected(hello({ response_format: { type: "yaml" } }))).param).toBe("response_format.type");
  });
});
