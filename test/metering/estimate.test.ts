// Local o200k counts: known strings give the counts tiktoken's o200k_base gives; each operation's prompt texts and overheads follow OpenAI's rule.
import { describe, expect, it } from "vitest";
import type { JsonObject } from "../../src/core/json.js";
import type { Operation } from "../../src/core/operation.js";
import { countTokens } from "../../src/metering/estimate.js";
import { chatCompletions } from "../../src/operations/chat/operation.js";
import { embeddings } from "../../src/operations/embeddings/operation.js";
import { createResponse } from "../../src/operations/responses/create.js";

/** A local count of a request body as metering makes it: the operation's texts through the tokenizer, plus its overheads. */
function estimate(op: Operation, valid: JsonObject, body: unknown): number {
  const call = { ...op.parse({ body: valid, params: {}, query: new URLSearchParams(), style: "openai" }), body: body as JsonObject };
  const prompt = op.promptText(call);
  return countTokens(prompt.texts) + prompt.overheadTokens;
}
const CHAT_OK = { model: "gpt-4o", messages: [{ role: "user", content: "x" }] };
const estimatePromptTokens = (body: unknown): number => estimate(chatCompletions, CHAT_OK, body);
const estimateEmbedding = (body: unknown): number => estimate(embeddings, { model: "e", input: "x" }, body);

// Expected counts were taken from a second, independent o200k_base implementation (js-tiktoken 1.0.21).
describe("countTokens", () => {
  it("counts known strings as o200k_base does", () => {
    expect(countTokens(["hello world"])).toBe(2); // [24912, 2375]
    expect(countTokens(["Hello, world!"])).toBe(4);
    expect(countTokens(["The quick brown fox jumps over the lazy dog."])).toBe(10);
    expect(countTokens(["こんにちは世界"])).toBe(2);
    expect(countTokens(["🙂🙃"])).toBe(3);
    expect(countTokens(["    indented code\n\tx = 1"])).toBe(9);
  });

  it("adds up several texts and counts nothing for none", () => {
    expect(countTokens(["hello world", "Hello, world!", ""])).toBe(6);
    expect(countTokens([])).toBe(0);
  });

  it("counts special-token look-alikes as the plain text they are, without throwing", () => {
    expect(countTokens(["<|endoftext|>"])).toBe(7);
  });
});

describe("estimatePromptTokens", () => {
  it("matches the OpenAI cookbook example (124 prompt tokens for gpt-4o)", () => {
    const body = {
      model: "gpt-4o",
      messages: [
        { role: "system", content: "You are a helpful, pattern-following assistant that translates corporate jargon into plain English." },
        { role: "system", name: "example_user", content: "New synergies will help drive top-line growth." },
        { role: "system", name: "example_assistant", content: "Things working well together will increase revenue." },
        { role: "system", name: "example_user", content: "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage." },
        { role: "system", name: "example_assistant", content: "Let's talk later when we're less busy about how to do better." },
        { role: "user", content: "This late pivot means we don't have time to boil the ocean for the client deliverable." },
      ],
    };
    expect(estimatePromptTokens(body)).toBe(124);
  });

  it("adds 3 per message, 1 per name and 3 for the reply", () => {
    // system: 3 + "system"(1) + 6; user: 3 + "user"(1) + "Hello"(1) + "bob"(1) + 1; reply: 3.
    expect(estimatePromptTokens({ messages: [{ role: "system", content: "You are a helpful assistant." }, { role: "user", content: "Hello", name: "bob" }] })).toBe(20);
    expect(estimatePromptTokens({ messages: [] })).toBe(3);
  });

  it("counts text parts, a floor for images, tool calls and tool definitions", () => {
    const parts = { messages: [{ role: "user", content: [{ type: "text", text: "hello world" }, { type: "image_url", image_url: { url: "https://example.invalid/x.png" } }] }] };
    expect(estimatePromptTokens(parts)).toBe(3 + 1 + 2 + 85 + 3);
    const call = { messages: [{ role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "get_weather", arguments: "{\"city\":\"Paris\"}" } }] }] };
    expect(estimatePromptTokens(call)).toBe(3 + countTokens(["assistant"]) + countTokens(["get_weather", "{\"city\":\"Paris\"}"]) + 3);
    const tools = [{ type: "function", function: { name: "f", parameters: { type: "object" } } }];
    expect(estimatePromptTokens({ messages: [], tools })).toBe(3 + countTokens([JSON.stringify(tools)]));
  });

  it("counts embedding inputs and nothing but the reply priming for what it cannot read", () => {
    expect(estimateEmbedding({ input: "hello world" })).toBe(2);
    expect(estimateEmbedding({ input: ["hello world", "Hello, world!"] })).toBe(6);
    expect(estimateEmbedding({ input: [[1, 2, 3], [4]] })).toBe(4);
    expect(estimateEmbedding({ input: { a: 1 } })).toBe(0);
    for (const junk of [{}, { messages: "no" }, { input: { a: 1 } }]) expect(estimatePromptTokens(junk)).toBe(3);
    expect(estimatePromptTokens({ messages: [null, 7, { role: "user", content: 5 }] })).toBe(3 + 3 + 1);
  });
});

describe("Responses prompt estimate", () => {
  const RESP_OK = { model: "gpt-4o", input: "x" };
  const estimateResponse = (body: unknown): number => estimate(createResponse, RESP_OK, body);

  it("counts instructions, a text input, input items, images and tools", () => {
    // "hello world" (2) + 3 for the item + 3 for the reply.
    expect(estimateResponse({ input: "hello world" })).toBe(2 + 3 + 3);
    expect(estimateResponse({ instructions: "Hello, world!", input: "hello world" })).toBe(4 + 2 + 3 + 3);
    const items = [
      { role: "user", content: [{ type: "input_text", text: "hello world" }, { type: "input_image", image_url: "https://example.invalid/x.png" }] },
      { type: "function_call_output", call_id: "call_1", output: "Hello, world!" },
    ];
    expect(estimateResponse({ input: items })).toBe(2 + 85 + 3 + 4 + 3 + 3);
    const tools = [{ type: "function", name: "f", parameters: { type: "object" } }];
    expect(estimateResponse({ input: "hello world", tools })).toBe(2 + 3 + 3 + countTokens([JSON.stringify(tools)]));
  });
});
