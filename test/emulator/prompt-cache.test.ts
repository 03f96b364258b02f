// Prompt caching as Azure does it: by identical leading part, per deployment, from 1,024 tokens in 128-token steps.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { PromptCache } from "../../src/emulator/prompt-cache.js";
import { completionsPrompt, promptSize, type PromptPiece } from "../../src/emulator/tokens.js";
import { call, classicChat, GA, parseAs, startTestEmulator, TEST_DEPLOYMENTS, type ChatJson } from "./harness.js";

/** Exactly `tokens` tokens of text (4 ASCII bytes each). */
const text = (tokens: number, letter = "x"): string => letter.repeat(4 * tokens);

/** What a fresh cache reports for `second` after it has read `first`, both on one deployment. */
function afterOne(first: string, second: string, cache = new PromptCache()): number {
  const a = completionsPrompt([first]);
  const b = completionsPrompt([second]);
  expect(cache.cachedTokens("d", promptSize(a), a)).toBe(0);
  return cache.cachedTokens("d", promptSize(b), b);
}

describe("PromptCache", () => {
  it.each([
    [1023, 0],
    [1024, 1024],
    [1151, 1024],
    [1152, 1152],
    [1300, 1280],
    [2000, 1920],
  ])("%i identical leading tokens, then different text: %i cached", (shared, cached) => {
    expect(afterOne(text(shared) + text(200, "a"), text(shared) + text(200, "b"))).toBe(cached);
  });

  it("a whole repeated prompt is cached in 128-token steps, up to its full length", () => {
    expect(afterOne(text(1535), text(1535))).toBe(1408);
    expect(afterOne(text(1536), text(1536))).toBe(1536);
    // A longer prompt that starts with an earlier one reuses all of it.
    expect(afterOne(text(1536), text(1536) + text(700, "z"))).toBe(1536);
    // A shorter one that the earlier one starts with: cut at its own length.
    expect(afterOne(text(3000), text(1100))).toBe(1024);
  });

  it("counts bytes, not characters: a token is 4 UTF-8 bytes", () => {
    // "é" is 2 bytes: 2,300 of them are 1,150 tokens, then the prompts differ.
    expect(afterOne(`${"é".repeat(2300)}${text(50, "a")}`, `${"é".repeat(2300)}${text(50, "b")}`)).toBe(1024);
  });

  it("keeps each deployment's prompts apart", () => {
    const cache = new PromptCache();
    const prompt = completionsPrompt([text(1200)]);
    expect(cache.cachedTokens("a", 1200, prompt)).toBe(0);
    expect(cache.cachedTokens("b", 1200, prompt)).toBe(0);
    expect(cache.cachedTokens("a", 1200, prompt)).toBe(1152);
    expect(cache.cachedTokens("b", 1200, prompt)).toBe(1152);
  });

  it("reads nothing of a prompt below 1,024 tokens", () => {
    const unreadable = new Proxy<PromptPiece[]>([], {
      get: () => {
        throw new Error("the prompt was read");
      },
    });
    expect(new PromptCache().cachedTokens("d", 1023, unreadable)).toBe(0);
  });

  it("is bounded per deployment: the least recently read prefix goes first", () => {
    // Each prompt has one boundary (1,024) to remember; there is room for two.
    const cache = new PromptCache(2);
    const read = (letter: string): number => cache.cachedTokens("d", 1100, completionsPrompt([text(1100, letter)]));
    expect(["a", "b", "a"].map(read)).toEqual([0, 0, 1024]);
    // c evicts b, not a: a was read since.
    expect(["c", "a", "c", "b"].map(read)).toEqual([0, 1024, 1024, 0]);
  });
});

describe("prompt caching on the wire", () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startTestEmulator({ deployments: [...TEST_DEPLOYMENTS, { name: "instruct", model: "gpt-35-turbo-instruct" }] });
  });
  afterAll(() => emu.close());

  async function post<T>(path: string, body: Record<string, unknown>): Promise<T> {
    const r = await call(emu, path, { body });
    expect(r.status, r.text).toBe(200);
    return parseAs<T>(r.text);
  }
  const chatCached = async (body: Record<string, unknown>, deployment = "gpt-4o"): Promise<number | undefined> =>
    (await post<ChatJson>(classicChat(deployment), body)).usage.prompt_tokens_details?.cached_tokens;

  it("chat: a shared 1,200-token system message is cached for the next question, on that deployment only", async () => {
    const system = { role: "system", content: text(1200, "s") };
    const ask = (question: string): Record<string, unknown> => ({ messages: [system, { role: "user", content: question }] });
    expect(await chatCached(ask("What is the first answer?"))).toBe(0);
    // 3 priming + 4 + 1,200 system + 4 for the user turn's header are identical: 1,211, down to 1,152.
    expect(await chatCached(ask("And a different second question?"))).toBe(1152);
    expect(await chatCached(ask("The same on another deployment"), "mini")).toBe(0);
    expect(await chatCached(ask("...and again there"), "mini")).toBe(1152);

    // A 1,100-token shared part only reaches the first boundary.
    const shorter = { role: "system", content: text(1100, "t") };
    expect(await chatCached({ messages: [shorter, { role: "user", content: "one" }] })).toBe(0);
    expect(await chatCached({ messages: [shorter, { role: "user", content: "two" }] })).toBe(1024);
  });

  it("chat: tools come first, so different tools spoil the cache for the same messages", async () => {
    const messages = [{ role: "user", content: text(1500, "m") }];
    const tool = (name: string): unknown[] => [{ type: "function", function: { name, parameters: { type: "object", properties: {} } } }];
    expect(await chatCached({ messages, tools: tool("alpha") })).toBe(0);
    expect(await chatCached({ messages, tools: tool("bravo") })).toBe(0);
    expect(await chatCached({ messages, tools: tool("alpha") })).toBeGreaterThanOrEqual(1024);

    // Long shared tools with a different conversation after them still hit.
    const long = [{ type: "function", function: { name: "lookup", description: text(1100, "d"), parameters: { type: "object" } } }];
    expect(await chatCached({ messages: [{ role: "user", content: "first" }], tools: long })).toBe(0);
    expect(await chatCached({ messages: [{ role: "user", content: "second" }], tools: long })).toBe(1024);
  });

  it("Responses: shared instructions are the leading part, then the input", async () => {
    interface ResponseJson {
      usage: { input_tokens: number; input_tokens_details: { cached_tokens: number } };
    }
    const create = async (input: string, model = "gpt-4o"): Promise<number> =>
      (await post<ResponseJson>("/openai/v1/responses", { model, instructions: text(1300, "i"), input })).usage.input_tokens_details.cached_tokens;
    expect(await create("first question")).toBe(0);
    // 3 + 1,300 instructions + 4 for the input message's header: 1,307, down to 1,280.
    expect(await create("second question")).toBe(1280);
    expect(await create("second question", "mini")).toBe(0);
    expect(emu.requests.at(-1)?.usage?.cached_tokens).toBe(0);
  });

  it("completions: the prompt's leading text, with details only when something was cached", async () => {
    interface CompletionJson {
      usage: { prompt_tokens: number; prompt_tokens_details?: { cached_tokens: number } };
    }
    const path = `/openai/deployments/instruct/completions?api-version=${GA}`;
    const first = await post<CompletionJson>(path, { prompt: `${text(1300, "p")} tail one` });
    expect(first.usage).toEqual({ prompt_tokens: 1303, completion_tokens: 16, total_tokens: 1319 });
    // " tai" is the last identical token: 1,301, down to 1,280.
    const second = await post<CompletionJson>(path, { prompt: `${text(1300, "p")} tail two` });
    expect(second.usage).toEqual({ prompt_tokens: 1303, completion_tokens: 16, total_tokens: 1319, prompt_tokens_details: { cached_tokens: 1280 } });
  });
});
