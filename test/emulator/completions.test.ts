// Legacy completions on instruct models: Azure's text_completion shape, streams, usage, and who may serve them.
import OpenAI, { AzureOpenAI } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { API_KEY, call, classicChat, GA, hello, parseAs, sseData, startTestEmulator, TEST_DEPLOYMENTS, type ErrorJson } from "./harness.js";

const SAFE = { filtered: false, severity: "safe" };
const CHOICE_FILTER = { hate: SAFE, self_harm: SAFE, sexual: SAFE, violence: SAFE };
const PROMPT_FILTER = { hate: SAFE, jailbreak: { filtered: false, detected: false }, self_harm: SAFE, sexual: SAFE, violence: SAFE };

const classicCompletions = (deployment = "instruct", version = GA): string =>
  `/openai/deployments/${deployment}/completions?api-version=${version}`;

interface TextCompletionJson {
  id: string;
  object: string;
  created: number;
  model: string;
  choices: Array<{ text: string; index: number; logprobs: null; finish_reason: string | null; content_filter_results: unknown }>;
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  prompt_filter_results?: unknown[];
}

let emu: Emulator;
beforeAll(async () => {
  emu = await startTestEmulator({ deployments: [...TEST_DEPLOYMENTS, { name: "instruct", model: "gpt-35-turbo-instruct" }] });
});
afterAll(() => emu.close());

async function complete(body: Record<string, unknown>, path = classicCompletions()): Promise<TextCompletionJson> {
  const r = await call(emu, path, { body });
  expect(r.status, r.text).toBe(200);
  return parseAs<TextCompletionJson>(r.text);
}

/** The JSON events of a data-only stream, checking it ends with [DONE]. */
function completionChunks(text: string): TextCompletionJson[] {
  const data = sseData(text);
  expect(data.at(-1)).toBe("[DONE]");
  return data.slice(0, -1).map((d) => parseAs<TextCompletionJson>(d));
}

describe("legacy completions", () => {
  it("answers a classic call in Azure's text_completion shape", async () => {
    const c = await complete({ prompt: "Say this is a test" });
    expect(Object.keys(c)).toEqual(["id", "object", "created", "model", "choices", "usage", "prompt_filter_results"]);
    expect(c.id).toMatch(/^cmpl-[A-Za-z0-9]{29}$/);
    expect(c).toMatchObject({ object: "text_completion", model: "gpt-35-turbo-instruct-0914" });
    expect(Math.abs(c.created - Date.now() / 1000)).toBeLessThan(5);
    expect(c.choices).toEqual([{ text: expect.any(String), index: 0, logprobs: null, finish_reason: "stop", content_filter_results: CHOICE_FILTER }]);
    expect(c.choices[0]?.text).toMatch(/^( [a-z]+){16}$/);
    // ceil(18 bytes / 4) prompt tokens; the default max_tokens (16) meets the natural answer length.
    expect(c.usage).toEqual({ prompt_tokens: 5, completion_tokens: 16, total_tokens: 21 });
    expect(c.prompt_filter_results).toEqual([{ prompt_index: 0, content_filter_results: PROMPT_FILTER }]);
    expect(emu.requests.at(-1)).toMatchObject({ deployment: "instruct", stream: false, usage: { prompt_tokens: 5, completion_tokens: 16, total_tokens: 21 } });
  });

  it("cuts at max_tokens, answers n choices per prompt, and can echo the prompt", async () => {
    const short = await complete({ prompt: "x", max_tokens: 5 });
    expect(short.choices[0]?.finish_reason).toBe("length");
    expect(short.choices[0]?.text.trim().split(" ")).toHaveLength(5);
    const many = await complete({ model: "instruct", prompt: ["first", "second prompt"], n: 2, max_tokens: 3 }, "/openai/v1/completions");
    expect(many.choices.map((ch) => ch.index)).toEqual([0, 1, 2, 3]);
    expect(many.prompt_filter_results).toHaveLength(2);
    expect(many.usage).toEqual({ prompt_tokens: 2 + 4, completion_tokens: 12, total_tokens: 18 });
    const echoed = await complete({ prompt: "Once upon", echo: true, max_tokens: 2 });
    expect(echoed.choices[0]?.text).toMatch(/^Once upon [a-z]+ [a-z]+$/);
    expect(echoed.usage?.completion_tokens).toBe(2);
  });

  it("streams data-only chunks: prompt filters, words, a finish chunk per choice, usage, [DONE]", async () => {
    const r = await call(emu, classicCompletions(), { body: { prompt: "stream", max_tokens: 4, stream: true, stream_options: { include_usage: true } } });
    expect(r.headers["content-type"]).toBe("text/event-stream; charset=utf-8");
    const chunks = completionChunks(r.text);
    expect(chunks).toHaveLength(1 + 4 + 1 + 1);
    expect(chunks[0]).toEqual({ choices: [], created: 0, id: "", model: "", object: "", prompt_filter_results: [{ prompt_index: 0, content_filter_results: PROMPT_FILTER }] });
    const words = chunks.slice(1, 5);
    for (const w of words) {
      expect(Object.keys(w)).toEqual(["id", "object", "created", "model", "choices"]);
      expect(w).toMatchObject({ object: "text_completion", model: "gpt-35-turbo-instruct-0914" });
      expect(w.choices).toEqual([{ text: expect.stringMatching(/^ [a-z]+$/), index: 0, logprobs: null, finish_reason: null, content_filter_results: CHOICE_FILTER }]);
    }
    expect(chunks[5]?.choices).toEqual([{ text: "", index: 0, logprobs: null, finish_reason: "length", content_filter_results: {} }]);
    expect(chunks[6]).toEqual({ id: words[0]?.id, object: "text_completion", created: words[0]?.created, model: "gpt-35-turbo-instruct-0914", choices: [], usage: { prompt_tokens: 2, completion_tokens: 4, total_tokens: 6 } });
    const unary = await complete({ prompt: "stream", max_tokens: 4 });
    expect(words.map((w) => w.choices[0]?.text).join("")).toBe(unary.choices[0]?.text);

    const noUsage = completionChunks((await call(emu, classicCompletions(), { body: { prompt: "stream", stream: true } })).text);
    expect(noUsage.some((c) => c.usage !== undefined)).toBe(false);
    expect(noUsage.at(-1)?.choices[0]?.finish_reason).toBe("stop");
  });

  it("judges stream_options as chat does, and requires a prompt", async () => {
    const old = await call(emu, classicCompletions("instruct", "2024-06-01"), { body: { prompt: "x", stream: true, stream_options: { include_usage: true } } });
    expect(old.status).toBe(400);
    expect(parseAs<ErrorJson>(old.text).error).toMatchObject({ param: "stream_options", code: "unknown_parameter" });
    const unstreamed = await call(emu, classicCompletions(), { body: { prompt: "x", stream_options: { include_usage: true } } });
    expect(parseAs<ErrorJson>(unstreamed.text).error.param).toBe("stream_options");
    const missing = await call(emu, classicCompletions(), { body: { max_tokens: 3 } });
    expect(missing.status).toBe(400);
    expect(JSON.parse(missing.text)).toEqual({
      error: { message: "Missing required parameter: 'prompt'.", type: "invalid_request_error", param: "prompt", code: "missing_required_parameter" },
    });
    expect(parseAs<ErrorJson>((await call(emu, classicCompletions(), { body: { prompt: [1, 2] } })).text).error.param).toBe("prompt");
    expect(parseAs<ErrorJson>((await call(emu, classicCompletions(), { body: { prompt: "x", n: 3, best_of: 2 } })).text).error.param).toBe("best_of");
  });

  it("is served by instruct models only, and instruct models serve nothing else", async () => {
    const onChatModel = await call(emu, classicCompletions("gpt-4o"), { body: { prompt: "x" } });
    expect(onChatModel.status).toBe(400);
    expect(JSON.parse(onChatModel.text)).toEqual({
      error: {
        code: "OperationNotSupported",
        message:
          "The completion operation does not work with the specified model, gpt-4o. Please choose different model and try again. You can learn more about which models can be used with each operation here: https://go.microsoft.com/fwlink/?linkid=2197993.",
      },
    });
    const chatOnInstruct = await call(emu, classicChat("instruct"), { body: hello() });
    expect(chatOnInstruct.status).toBe(400);
    expect(parseAs<{ error: { code: string; message: string } }>(chatOnInstruct.text).error).toMatchObject({
      code: "OperationNotSupported",
      message: expect.stringMatching(/^The chatCompletion operation does not work with the specified model, gpt-35-turbo-instruct\./),
    });
    const responsesOnInstruct = await call(emu, "/openai/v1/responses", { body: { model: "instruct", input: "x" } });
    expect(parseAs<ErrorJson>(responsesOnInstruct.text).error.code).toBe("OperationNotSupported");
    const onEmbeddings = await call(emu, "/openai/v1/completions", { body: { model: "embed-small", prompt: "x" } });
    expect(parseAs<ErrorJson>(onEmbeddings.text).error.code).toBe("OperationNotSupported");
  });

  it("works with the SDK on v1 (body model) and on classic routes", async () => {
    const v1 = new OpenAI({ baseURL: `${emu.url}/openai/v1`, apiKey: API_KEY, maxRetries: 0 });
    const unary = await v1.completions.create({ model: "instruct", prompt: "sdk", max_tokens: 6 });
    expect(unary.choices[0]?.finish_reason).toBe("length");
    const stream = await v1.completions.create({ model: "instruct", prompt: "sdk", max_tokens: 6, stream: true, stream_options: { include_usage: true } });
    let text = "";
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.text ?? "";
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe(unary.choices[0]?.text);
    expect(usage).toEqual(unary.usage);

    const azure = new AzureOpenAI({ endpoint: emu.url, apiKey: API_KEY, apiVersion: GA, deployment: "instruct", maxRetries: 0 });
    const viaAzure = await azure.completions.create({ model: "", prompt: "sdk", max_tokens: 6 });
    expect(viaAzure.choices[0]?.text).toBe(unary.choices[0]?.text);
    expect(emu.requests.at(-1)?.path).toBe("/openai/deployments/instruct/completions");
  });
});
