// Token usage as the core counts it, read from OpenAI/Azure `usage` objects.
import { intAt, objectAt, type JsonObject } from "./json.js";

export interface Usage {
  readonly promptTokens: number;
  readonly cachedTokens: number;
  readonly completionTokens: number;
  readonly reasoningTokens: number;
}

/** Reads `body.usage`; undefined when the body carries none. */
export function usageOf(body: JsonObject): Usage | undefined {
  const usage = objectAt(body, "usage");
  if (!usage) return undefined;
  const prompt = intAt(usage, "prompt_tokens");
  if (prompt === undefined) return undefined;
  return {
    promptTokens: prompt,
    cachedTokens: intAt(objectAt(usage, "prompt_tokens_details"), "cached_tokens") ?? 0,
    completionTokens: intAt(usage, "completion_tokens") ?? 0,
    reasoningTokens: intAt(objectAt(usage, "completion_tokens_details"), "reasoning_tokens") ?? 0,
  };
}
