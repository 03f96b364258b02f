// Embeddings: deterministic unit vectors, dimensions, base64 float32, usage and input validation.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { call, classicEmbeddings, parseAs, startTestEmulator, type ErrorJson } from "./harness.js";

interface EmbeddingList<T> {
  object: string;
  model: string;
  data: Array<{ object: string; index: number; embedding: T }>;
  usage: { prompt_tokens: number; total_tokens: number };
}

let emu: Emulator;
beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(() => emu.close());

async function embed<T = number[]>(body: Record<string, unknown>, path = classicEmbeddings()): Promise<EmbeddingList<T>> {
  const r = await call(emu, path, { body });
  expect(r.status, r.text).toBe(200);
  return parseAs<EmbeddingList<T>>(r.text);
}

const norm = (v: readonly number[]): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

describe("embeddings", () => {
  it("returns one unit vector per input in OpenAI's list shape, sized by model", async () => {
    const small = await embed({ input: ["alpha", "beta"] });
    expect(small.object).toBe("list");
    expect(small.model).toBe("text-embedding-3-small");
    expect(small.data.map((d) => [d.object, d.index])).toEqual([
      ["embedding", 0],
      ["embedding", 1],
    ]);
    for (const d of small.data) {
      expect(d.embedding).toHaveLength(1536);
      expect(norm(d.embedding)).toBeCloseTo(1, 5);
    }
    expect(small.data[0]?.embedding).not.toEqual(small.data[1]?.embedding);
    const large = await embed({ input: "alpha" }, classicEmbeddings("embed-large"));
    expect(large.data[0]?.embedding).toHaveLength(3072);
    const v1 = await call(emu, "/openai/v1/embeddings", { body: { model: "ada", input: "alpha" } });
    expect(parseAs<EmbeddingList<number[]>>(v1.text).data[0]?.embedding).toHaveLength(1536);
  });

  it("is deterministic per input, whatever its position", async () => {
    const a = await embed({ input: ["one", "two"] });
    const b = await embed({ input: ["two", "one"] });
    expect(b.data[0]?.embedding).toEqual(a.data[1]?.embedding);
    expect(b.data[1]?.embedding).toEqual(a.data[0]?.embedding);
  });

  it("honours dimensions on text-embedding-3 and refuses it on ada", async () => {
    const r = await embed({ input: "alpha", dimensions: 256 });
    expect(r.data[0]?.embedding).toHaveLength(256);
    expect(norm(r.data[0]?.embedding ?? [])).toBeCloseTo(1, 5);
    const ada = await call(emu, classicEmbeddings("ada"), { body: { input: "alpha", dimensions: 256 } });
    expect(ada.status).toBe(400);
    expect(parseAs<ErrorJson>(ada.text).error.param).toBe("dimensions");
    const tooBig = await call(emu, classicEmbeddings(), { body: { input: "alpha", dimensions: 2000 } });
    expect(tooBig.status).toBe(400);
  });

  it("encodes base64 as little-endian float32 equal to the float answer", async () => {
    const floats = await embed({ input: ["alpha", "beta"], dimensions: 64 });
    const b64 = await embed<string>({ input: ["alpha", "beta"], dimensions: 64, encoding_format: "base64" });
    for (let i = 0; i < 2; i++) {
      const bytes = Buffer.from(b64.data[i]?.embedding ?? "", "base64");
      expect(bytes.length).toBe(64 * 4);
      const decoded = Array.from({ length: 64 }, (_, k) => bytes.readFloatLE(k * 4));
      expect(decoded).toEqual(floats.data[i]?.embedding);
    }
  });

  it("bills ceil(utf8 bytes / 4) per string and the length of token arrays", async () => {
    const r = await embed({ input: ["abcdefgh", "é", [1, 2, 3]] });
    expect(r.usage).toEqual({ prompt_tokens: 2 + 1 + 3, total_tokens: 6 });
    const tokens = await embed({ input: [5, 6, 7, 8] });
    expect(tokens.data).toHaveLength(1);
    expect(tokens.usage.prompt_tokens).toBe(4);
    const record = emu.requests.at(-1);
    expect(record?.usage).toEqual({ prompt_tokens: 4, completion_tokens: 0, total_tokens: 4 });
  });

  it("rejects missing or malformed input and unknown encodings", async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{}, "input"],
      [{ input: "" }, "input"],
      [{ input: [] }, "input"],
      [{ input: [{ text: "x" }] }, "input"],
      [{ input: 42 }, "input"],
      [{ input: "x", encoding_format: "hex" }, "encoding_format"],
    ];
    for (const [body, param] of cases) {
      const r = await call(emu, classicEmbeddings(), { body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(parseAs<ErrorJson>(r.text).error.param).toBe(param);
    }
  });
});
