// Deterministic token accounting: the same request always costs the same, streamed or not.
import { createHash } from "node:crypto";
import { isObject } from "./json-body.js";

/** A fixed cost per non-text part (image, audio, file): Azure's low-detail image price. */
const NON_TEXT_PART_TOKENS = 85;

const utf8Tokens = (text: string): number => Math.ceil(Buffer.byteLength(text, "utf8") / 4);

/**
 * prompt_tokens = 3 + Σ over messages (4 + ceil(utf8 bytes of the message's text / 4))
 *                   + 85 per non-text content part
 *                   + ceil(utf8 bytes of JSON.stringify(tools) / 4) when `tools` is present.
 * A message's text is its string content (or the `text` of its text parts), its `name`, and
 * the name and arguments of each tool call it carries. Anything else counts nothing.
 */
export function promptTokensFor(body: unknown): number {
  if (!isObject(body)) return 3;
  let tokens = 3;
  if (Array.isArray(body.messages)) {
    for (const message of body.messages) tokens += 4 + messageTokens(message);
  }
  if (Array.isArray(body.tools)) tokens += utf8Tokens(JSON.stringify(body.tools));
  return tokens;
}

function messageTokens(message: unknown): number {
  if (!isObject(message)) return 0;
  let text = typeof message.name === "string" ? message.name : "";
  let extra = 0;
  const content = message.content;
  if (typeof content === "string") text += content;
  else if (Array.isArray(content)) {
    for (const part of content) {
      if (isObject(part) && typeof part.text === "string") text += part.text;
      else extra += NON_TEXT_PART_TOKENS;
    }
  }
  if (Array.isArray(message.tool_calls)) {
    for (const call of message.tool_calls) {
      const fn = isObject(call) ? call.function : undefined;
      if (!isObject(fn)) continue;
      if (typeof fn.name === "string") text += fn.name;
      if (typeof fn.arguments === "string") text += fn.arguments;
    }
  }
  return utf8Tokens(text) + extra;
}

/**
 * Responses API input_tokens = 3 + ceil(utf8 bytes of `instructions` / 4)
 *   + Σ over input items (4 + ceil(utf8 bytes of the item's text / 4) + 85 per non-text content part)
 *   + ceil(utf8 bytes of JSON.stringify(tools) / 4) when `tools` is present
 *   + `previousTokens`: the previous response's input_tokens + output_tokens, when chained.
 * A string `input` is one item of that text. An item's text is a message's string content (or the `text`
 * of its parts), a function_call_output's `output` (read the same way), or a function_call's name and
 * arguments; any other item (item_reference, reasoning, ...) costs its 4 alone.
 */
export function responseInputTokensFor(body: unknown, previousTokens = 0): number {
  if (!isObject(body)) return 3 + previousTokens;
  let tokens = 3 + previousTokens;
  if (typeof body.instructions === "string") tokens += utf8Tokens(body.instructions);
  if (typeof body.input === "string") tokens += 4 + utf8Tokens(body.input);
  else if (Array.isArray(body.input)) {
    for (const item of body.input) tokens += 4 + itemTokens(item);
  }
  if (Array.isArray(body.tools)) tokens += utf8Tokens(JSON.stringify(body.tools));
  return tokens;
}

function itemTokens(item: unknown): number {
  if (!isObject(item)) return 0;
  switch (item.type ?? "message") {
    case "message":
      return messageTokens({ content: item.content });
    case "function_call_output":
      return messageTokens({ content: item.output });
    case "function_call":
      return messageTokens({ tool_calls: [{ function: { name: item.name, arguments: item.arguments } }] });
    default:
      return 0;
  }
}

/** Legacy completions: prompt_tokens = Σ over prompts max(1, ceil(utf8 bytes / 4)). */
export function completionPromptTokens(prompts: readonly string[]): number {
  let tokens = 0;
  for (const prompt of prompts) tokens += Math.max(1, utf8Tokens(prompt));
  return tokens;
}

/** An embeddings input: a string costs ceil(utf8 bytes / 4) (at least 1), a token array its length. */
export function embeddingInputTokens(input: string | readonly number[]): number {
  return typeof input === "string" ? Math.max(1, utf8Tokens(input)) : input.length;
}

/** Words of the emulated answer; none is derived from the prompt, so no test can mistake an echo for output. */
const WORDS = [
  "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliett", "kilo", "lima",
  "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango", "uniform", "victor", "whiskey",
  "xray", "yankee", "zulu",
];

/** Natural answer length; a smaller max_tokens cuts it short (finish_reason "length"). */
export const NATURAL_COMPLETION_WORDS = 16;

/** Hidden reasoning tokens an o-series model bills per choice, on top of its visible words. */
export const REASONING_TOKENS_PER_CHOICE = 64;

/** `count` words starting at a position fixed by the prompt size and choice index. */
export function completionWords(promptTokens: number, choice: number, count: number): string[] {
  const out: string[] = [];
  const start = promptTokens + choice * 7;
  for (let i = 0; i < count; i++) out.push(WORDS[(start + i) % WORDS.length] ?? "alpha");
  return out;
}

/** Azure caches only the first 1,024 identical prompt tokens and grows hits in 128-token steps. */
const CACHE_MIN_TOKENS = 1024;
const CACHE_STEP = 128;

/** Remembers which long prompts were seen, to report `cached_tokens` on repeats; bounded, oldest evicted first. */
export class PromptCache {
  private readonly seen = new Set<string>();

  constructor(private readonly capacity = 10_000) {}

  /** `identity` is computed only for prompts long enough to be cached, to keep short requests cheap. */
  cachedTokens(promptTokens: number, identity: () => string): number {
    if (promptTokens < CACHE_MIN_TOKENS) return 0;
    const key = createHash("sha256").update(identity()).digest("base64");
    if (this.seen.has(key)) {
      return Math.floor((promptTokens - CACHE_MIN_TOKENS) / CACHE_STEP) * CACHE_STEP + CACHE_MIN_TOKENS;
    }
    this.seen.add(key);
    if (this.seen.size > this.capacity) {
      const oldest = this.seen.values().next();
      if (!oldest.done) this.seen.delete(oldest.value);
    }
    return 0;
  }
}
