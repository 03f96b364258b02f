// Embeddings: deterministic unit vectors seeded by each input, as float JSON or base64 little-endian float32.
import type { JsonObject } from "./json-body.js";
import { embeddingShape } from "./models.js";
import { embeddingInputTokens } from "./tokens.js";
import { invalidType, invalidValue, missingParam, openAiError, type WireError } from "./wire-errors.js";

export interface EmbeddingsAnswer {
  body: string;
  promptTokens: number;
}

type Input = string | readonly number[];

const MAX_INPUTS = 2048;
/** Benchmarks repeat inputs; caching the serialized vector turns the hot path into a map lookup. */
const CACHE_ENTRIES = 1024;
const CACHEABLE_INPUT_CHARS = 2048;

export class EmbeddingMaker {
  private readonly cache = new Map<string, string>();

  answer(body: JsonObject, model: string): EmbeddingsAnswer | WireError {
    const inputs = readInputs(body.input);
    if (!Array.isArray(inputs)) return inputs;
    const shape = embeddingShape(model);
    let dimensions = shape.defaultDimensions;
    if (body.dimensions !== undefined && body.dimensions !== null) {
      const d = body.dimensions;
      if (typeof d !== "number" || !Number.isInteger(d)) return invalidType("dimensions", "an integer", d);
      if (!shape.shortenable) return openAiError(400, "This model does not support specifying dimensions.", "dimensions", null);
      if (d < 1 || d > shape.defaultDimensions) {
        return invalidValue("dimensions", `expected an integer between 1 and ${shape.defaultDimensions}.`);
      }
      dimensions = d;
    }
    const format = body.encoding_format ?? "float";
    if (format !== "float" && format !== "base64") return invalidValue("encoding_format", "supported values are: 'float' and 'base64'.");

    let promptTokens = 0;
    const data: string[] = [];
    inputs.forEach((input, index) => {
      promptTokens += embeddingInputTokens(input);
      data.push(`{"object":"embedding","index":${index},"embedding":${this.vectorJson(input, dimensions, format)}}`);
    });
    const usage = `{"prompt_tokens":${promptTokens},"total_tokens":${promptTokens}}`;
    return { body: `{"object":"list","data":[${data.join(",")}],"model":${JSON.stringify(model)},"usage":${usage}}`, promptTokens };
  }

  private vectorJson(input: Input, dimensions: number, format: "float" | "base64"): string {
    const text = typeof input === "string" ? input : input.join(",");
    const cacheable = text.length <= CACHEABLE_INPUT_CHARS;
    const key = `${dimensions}|${format}|${typeof input === "string" ? "s" : "t"}|${text}`;
    if (cacheable) {
      const hit = this.cache.get(key);
      if (hit !== undefined) return hit;
    }
    const vector = unitVector(seedOf(input), dimensions);
    const json = format === "base64" ? JSON.stringify(littleEndianBase64(vector)) : JSON.stringify(Array.from(vector));
    if (cacheable) {
      this.cache.set(key, json);
      if (this.cache.size > CACHE_ENTRIES) {
        const oldest = this.cache.keys().next();
        if (!oldest.done) this.cache.delete(oldest.value);
      }
    }
    return json;
  }
}

function readInputs(input: unknown): Input[] | WireError {
  if (input === undefined || input === null) return missingParam("input");
  const invalid = () => openAiError(400, "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.", "input", null);
  const isTokens = (v: unknown): v is number[] => Array.isArray(v) && v.length > 0 && v.every((t) => Number.isInteger(t) && t >= 0);
  if (typeof input === "string") return input.length > 0 ? [input] : invalid();
  if (!Array.isArray(input)) return invalidType("input", "a string or an array", input);
  if (input.length === 0) return invalid();
  if (input.length > MAX_INPUTS) {
    return openAiError(400, `Too many inputs. The max number of inputs is ${MAX_INPUTS}.`, "input", null);
  }
  if (isTokens(input)) return [input];
  const inputs: Input[] = [];
  for (const item of input) {
    if (typeof item === "string" && item.length > 0) inputs.push(item);
    else if (isTokens(item)) inputs.push(item);
    else return invalid();
  }
  return inputs;
}

/** FNV-1a over the input, so equal inputs always land on the same vector. */
function seedOf(input: Input): number {
  let h = 0x811c9dc5;
  if (typeof input === "string") {
    for (let i = 0; i < input.length; i++) h = Math.imul(h ^ input.charCodeAt(i), 0x01000193);
  } else {
    for (const token of input) h = Math.imul(h ^ (token & 0xffffffff), 0x01000193);
    h = Math.imul(h ^ 0x7f, 0x01000193); // keeps [65] apart from the string "A"
  }
  return h >>> 0;
}

/** mulberry32 fill, normalized to length 1 like real embeddings. */
function unitVector(seed: number, dimensions: number): Float32Array {
  const raw = new Float64Array(dimensions);
  let state = seed;
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    const v = ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
    raw[i] = v;
    norm += v * v;
  }
  const scale = 1 / Math.sqrt(norm || 1);
  const out = new Float32Array(dimensions);
  for (let i = 0; i < dimensions; i++) out[i] = (raw[i] ?? 0) * scale;
  return out;
}

/** The wire format is little-endian whatever this machine's byte order is. */
function littleEndianBase64(vector: Float32Array): string {
  const bytes = Buffer.allocUnsafe(vector.length * 4);
  vector.forEach((v, i) => bytes.writeFloatLE(v, i * 4));
  return bytes.toString("base64");
}
