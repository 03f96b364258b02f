// Local o200k token counts for requests whose stream ended without Azure's usage chunk (client cancel, upstream cut).
import { countTokens as o200kCount, setMergeCacheSize } from "gpt-tokenizer/encoding/o200k_base";
import { isArray, isObject, type JsonObject, type JsonValue } from "../core/json.js";

/*
 * gpt-tokenizer keeps a cache of recently merged text pieces across calls. Turned off: with it,
 * fragments of prompts and completions would outlive the request that carried them. Counting
 * stays in memory for the call's duration only, and nothing here logs or keeps the text.
 */
setMergeCacheSize(0);

// Text such as "<|endoftext|>" in a prompt is counted as the plain text Azure sees, never
// refused: an empty disallowed set stops the tokenizer throwing on it.
const AS_PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

/*
 * Message overheads: the rule OpenAI's cookbook ("How to count tokens with tiktoken",
 * num_tokens_from_messages) gives for gpt-4o / gpt-4o-mini / gpt-4 chat models: every message
 * costs 3 tokens plus the tokens of each of its string fields (role, content, name), a `name`
 * costs 1 more, and 3 tokens prime the reply. Beyond that rule (the cookbook has none):
 * - content given as parts counts the text parts; each image part counts 85 tokens, gpt-4o's
 *   low-detail image cost and the least an image can cost (its size is not known here);
 * - an assistant message's tool calls count their function name and argument text;
 * - tool / function definitions count as their JSON text, a rough stand-in for the schema
 *   rendering Azure applies.
 * Embedding requests (`input` as text, texts or token arrays) count their tokens, no overheads.
 */
const TOKENS_PER_MESSAGE = 3;
const TOKENS_PER_NAME = 1;
const REPLY_PRIMING = 3;
const IMAGE_PART_TOKENS = 85;

/** o200k token count of the texts, added up. */
export function countTokens(texts: readonly string[]): number {
  let total = 0;
  for (const t of texts) if (t.length > 0) total += o200kCount(t, AS_PLAIN_TEXT);
  return total;
}

/** Estimated prompt tokens of an OpenAI chat (or embeddings) request body; 0 for anything else. */
export function estimatePromptTokens(body: unknown): number {
  if (!isObject(body)) return 0;
  const messages = body["messages"];
  if (isArray(messages)) return chatTokens(body, messages);
  return embeddingInputTokens(body["input"]);
}

function chatTokens(body: JsonObject, messages: JsonValue[]): number {
  let total = REPLY_PRIMING;
  for (const m of messages) {
    if (!isObject(m)) continue;
    total += TOKENS_PER_MESSAGE;
    for (const [key, value] of Object.entries(m)) {
      if (key === "content") total += contentTokens(value);
      else if (key === "tool_calls") total += toolCallTokens(value);
      else if (key === "function_call") total += toolCallTokens([{ function: value }]);
      else if (typeof value === "string") total += countTokens([value]);
      if (key === "name") total += TOKENS_PER_NAME;
    }
  }
  for (const key of ["tools", "functions"]) {
    const defs = body[key];
    if (isArray(defs) && defs.length > 0) total += countTokens([JSON.stringify(defs)]);
  }
  return total;
}

function contentTokens(content: JsonValue | undefined): number {
  if (typeof content === "string") return countTokens([content]);
  if (!isArray(content)) return 0;
  let total = 0;
  for (const part of content) {
    if (!isObject(part)) continue;
    const text = part["text"];
    if (typeof text === "string") total += countTokens([text]);
    else if (part["type"] === "image_url") total += IMAGE_PART_TOKENS;
  }
  return total;
}

function toolCallTokens(calls: JsonValue | undefined): number {
  if (!isArray(calls)) return 0;
  let total = 0;
  for (const call of calls) {
    const fn = isObject(call) ? call["function"] : undefined;
    if (!isObject(fn)) continue;
    for (const field of [fn["name"], fn["arguments"]]) if (typeof field === "string") total += countTokens([field]);
  }
  return total;
}

function embeddingInputTokens(input: JsonValue | undefined): number {
  if (typeof input === "string") return countTokens([input]);
  if (!isArray(input)) return 0;
  let total = 0;
  for (const item of input) {
    if (typeof item === "string") total += countTokens([item]);
    else if (typeof item === "number") total += 1; // a pre-tokenized input: one token per id
    else if (isArray(item)) total += item.length;
  }
  return total;
}
