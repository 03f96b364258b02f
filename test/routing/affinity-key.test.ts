// The prompt-cache affinity key: the client's prompt_cache_key, else a hash of the leading ~4,096 characters; nothing for short prompts.
import { describe, expect, it } from "vitest";
import type { JsonObject } from "../../src/core/json.js";
import type { Call } from "../../src/core/operation.js";
import { servedMethods } from "../../src/operations/index.js";

/** The named operation's parse of `body` on the OpenAI-style route. */
function parseOperationRequest(name: string, body: JsonObject): Call {
  const op = servedMethods.find((m) => m.op.name === name)?.op;
  if (!op) throw new Error(`no operation ${name}`);
  return op.parse({ body, params: { model: String(body.model) }, query: new URLSearchParams(), style: "openai" });
}

const long = "Follow the house style guide to the letter. ".repeat(120);

describe("affinity keys", () => {
  const chat = (messages: JsonObject[], extra: JsonObject = {}) => parseOperationRequest("chat.completions", { model: "gpt-4o", messages, ...extra });
  const keyOf = (c: ReturnType<typeof chat>) => c.op.affinityKey?.(c);

  it("the same leading prompt gives the same key whatever follows; a different one another key", () => {
    const a = keyOf(chat([{ role: "system", content: long }, { role: "user", content: "first question" }]));
    const b = keyOf(chat([{ role: "system", content: long }, { role: "user", content: "another question entirely" }]));
    const c = keyOf(chat([{ role: "system", content: `Another house. ${long}` }, { role: "user", content: "first question" }]));
    expect(a).toMatch(/^h:/);
    expect(b).toBe(a);
    expect(c).not.toBe(a);
    // The key is a hash: no text of the prompt in it.
    expect(a?.length).toBeLessThan(16);
  });

  it("a prompt too short to be cached gets none; the client's prompt_cache_key always wins", () => {
    expect(keyOf(chat([{ role: "user", content: "hi" }]))).toBeUndefined();
    expect(keyOf(chat([{ role: "user", content: "hi" }], { prompt_cache_key: "tenant-7" }))).toBe("k:tenant-7");
    expect(keyOf(chat([{ role: "user", content: long }], { prompt_cache_key: "tenant-7" }))).toBe("k:tenant-7");
  });

  it("tools lead the prefix (Azure renders them first); text parts count; a 4 MB message is cut, not copied", () => {
    const tools = [{ type: "function", function: { name: "lookup", description: long } }];
    const withTools = keyOf(chat([{ role: "user", content: "x" }], { tools }));
    expect(withTools).toMatch(/^h:/);
    expect(keyOf(chat([{ role: "user", content: "y" }], { tools }))).toBe(withTools);
    expect(keyOf(chat([{ role: "user", content: [{ type: "text", text: long }] }]))).toBe(keyOf(chat([{ role: "user", content: long }])));
    expect(keyOf(chat([{ role: "user", content: long + "z".repeat(4 * 1024 * 1024) }]))).toBe(keyOf(chat([{ role: "user", content: long }])));
  });

  it("Responses: instructions and input; legacy completions: the prompt", () => {
    const r = (body: JsonObject) => {
      const c = parseOperationRequest("responses.create", { model: "gpt-4o", ...body });
      return c.op.affinityKey?.(c);
    };
    expect(r({ instructions: long, input: "a" })).toBe(r({ instructions: long, input: "b" }));
    expect(r({ input: long })).toMatch(/^h:/);
    expect(r({ input: "short" })).toBeUndefined();
    const p = parseOperationRequest("completions", { model: "gpt-35-turbo-instruct", prompt: long });
    expect(p.op.affinityKey?.(p)).toMatch(/^h:/);
  });
});
