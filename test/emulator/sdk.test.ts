// The official openai SDK (OpenAI on v1, AzureOpenAI on classic routes) works against the emulator unchanged.
import OpenAI, { AzureOpenAI } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { API_KEY, GA, startTestEmulator } from "./harness.js";

let emu: Emulator;
let v1: OpenAI;
let azure: AzureOpenAI;
beforeAll(async () => {
  emu = await startTestEmulator();
  v1 = new OpenAI({ baseURL: `${emu.url}/openai/v1`, apiKey: API_KEY, maxRetries: 0 });
  // The trailing slash makes SDKs produce `//openai/...`, which Azure tolerates.
  azure = new AzureOpenAI({ endpoint: `${emu.url}/`, apiKey: API_KEY, apiVersion: GA, deployment: "gpt-4o", maxRetries: 0 });
});
afterAll(() => emu.close());

const messages = [{ role: "user" as const, content: "sdk check" }];

describe("openai SDK", () => {
  it("OpenAI client: unary chat, streaming chat with usage, embeddings, models", async () => {
    const unary = await v1.chat.completions.create({ model: "gpt-4o", messages, max_tokens: 5 });
    expect(unary.choices[0]?.finish_reason).toBe("length");
    expect(unary.usage?.completion_tokens).toBe(5);

    const stream = await v1.chat.completions.create({ model: "gpt-4o", messages, max_tokens: 5, stream: true, stream_options: { include_usage: true } });
    let text = "";
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(unary.choices[0]?.message.content);
    expect(usage?.total_tokens).toBe(unary.usage?.total_tokens);

    // The SDK asks for base64 by default and decodes it, so this also checks the byte order.
    const emb = await v1.embeddings.create({ model: "embed-small", input: ["a", "b"], dimensions: 8 });
    expect(emb.data).toHaveLength(2);
    expect(emb.data[0]?.embedding).toHaveLength(8);
    const floats = await v1.embeddings.create({ model: "embed-small", input: "a", dimensions: 8, encoding_format: "float" });
    expect(emb.data[0]?.embedding).toEqual(floats.data[0]?.embedding);

    const models = [];
    for await (const m of v1.models.list()) models.push(m.id);
    expect(models).toContain("gpt-4o");
  });

  it("AzureOpenAI client: classic route, tools in a stream, and typed errors", async () => {
    const completion = await azure.chat.completions.create({ model: "", messages });
    expect(completion.model).toBe("gpt-4o-2024-11-20");
    expect(emu.requests.at(-1)?.path).toBe("//openai/deployments/gpt-4o/chat/completions");

    const runner = azure.chat.completions.stream({
      model: "",
      messages,
      tools: [{ type: "function", function: { name: "lookup", parameters: { type: "object", properties: { q: { type: "string" } } } } }],
    });
    const final = await runner.finalChatCompletion();
    expect(final.choices[0]?.message.tool_calls?.[0]).toMatchObject({ type: "function", function: { name: "lookup", arguments: '{"q":"Paris"}' } });

    emu.setFault("gpt-4o", { fault: { kind: "rate-limit", retryAfterMs: 1500 }, times: 1 });
    const err = await azure.chat.completions.create({ model: "", messages }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
  });
});
