// Token usage as the core counts it, read from OpenAI/Azure `usage` objects.
import { intAt, objectAt, type JsonObject } from "./json.js";

export interface Usage {
  readonly promptTokens: number;
  readonly cachedTokens: number;
  readonly completionTokens: number;
  readonly reasoningTokens: number;
}

/** What a `usage` object calls its counts: chat and completions say prompt/completion, Responses input/output. */
export interface UsageNames {
  readonly prompt: string;
  readonly promptDetails: string;
  readonly completion: string;
  readonly completionDetails: string;
}

export function usageNames(prompt: string, completion: string): UsageNames {
  return { prompt: `${prompt}_tokens`, promptDetails: `${prompt}_tokens_details`, completion: `${completion}_tokens`, completionDetails: `${completion}_tokens_details` };
}

const CHAT_NAMES = usageNames("prompt", "completion");

/** Reads a `usage` object (its prompt and completion counts, cached and reasoning tokens in their details); undefined without a prompt count. */
export function readUsage(usage: JsonObject | undefined, names: UsageNames): Usage | undefined {
  const prompt = intAt(usage, names.prompt);
  if (!usage || prompt === undefined) return undefined;
  return {
    promptTokens: prompt,
    cachedTokens: intAt(objectAt(usage, names.promptDetails), "cached_tokens") ?? 0,
    completionTokens: intAt(usage, names.completion) ?? 0,
    reasoningTokens: intAt(objectAt(usage, names.completionDetails), "reasoning_tokens") ?? 0,
  };
}

/** Reads `body.usage` (chat, completions, embeddings); undefined when the body carries none. */
export function usageOf(body: JsonObject): Usage | undefined {
  return readUsage(objectAt(body, "usage"), CHAT_NAMES);
}
