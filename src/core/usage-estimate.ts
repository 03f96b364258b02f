// Token counts without Azure's word: a cheap guess for admission, and the tokenizer's count when a stream ended without usage.
import type { Call } from "./pipeline.js";
import { isArray, isObject, type JsonObject, type JsonValue } from "./json.js";
import type { StreamSummary } from "./results.js";
import type { Usage } from "./usage.js";

/** Implemented by metering (an o200k tokenizer, loaded on first use); counts in memory and keeps nothing. */
export interface TokenCounter {
  promptTokens(body: JsonObject): Promise<number>;
  completionTokens(texts: readonly string[]): Promise<number>;
}

export interface FinalUsage {
  readonly usage: Usage;
  /** True when counted locally because Azure's usage chunk never came. */
  readonly estimated: boolean;
}

const ZERO: Usage = { promptTokens: 0, cachedTokens: 0, completionTokens: 0, reasoningTokens: 0 };
const final = new WeakMap<StreamSummary, Promise<FinalUsage>>();

/**
 * A stream's usage: Azure's own when its usage chunk arrived, else counted from the request and
 * the text already relayed. Computed once per stream, however many steps ask.
 */
export function streamUsage(summary: StreamSummary, body: JsonObject, counter: TokenCounter): Promise<FinalUsage> {
  let result = final.get(summary);
  if (!result) {
    result = summary.usage
      ? Promise.resolve({ usage: summary.usage, estimated: false })
      : Promise.all([counter.promptTokens(body), counter.completionTokens(summary.relayedText)]).then(([promptTokens, completionTokens]) => ({
          usage: { ...ZERO, promptTokens, completionTokens },
          estimated: true,
        }));
    final.set(summary, result);
  }
  return result;
}

/**
 * A fast upper-bound-ish guess of prompt tokens for admission: about 4 characters a token plus
 * a few per message. Runs on every request, so no tokenizer here.
 */
export function roughPromptTokens(call: Call): number {
  if (call.op === "models") return 0;
  const body = call.request.body;
  if (call.op === "embeddings") return Math.ceil(inputLength(body.input) / 4);
  let chars = 0;
  let messages = 0;
  if (isArray(body.messages)) {
    for (const m of body.messages) {
      messages++;
      if (isObject(m)) chars += contentLength(m.content);
    }
  }
  if (isArray(body.tools)) chars += JSON.stringify(body.tools).length;
  return Math.ceil(chars / 4) + 4 * messages + 3;
}

function contentLength(content: JsonValue | undefined): number {
  if (typeof content === "string") return content.length;
  if (!isArray(content)) return 0;
  let n = 0;
  for (const part of content) {
    if (isObject(part) && typeof part.text === "string") n += part.text.length;
    else n += 340; // an image or audio part: ~85 tokens at the least
  }
  return n;
}

function inputLength(input: JsonValue | undefined): number {
  if (typeof input === "string") return input.length;
  if (!isArray(input)) return 0;
  let n = 0;
  for (const item of input) {
    if (typeof item === "string") n += item.length;
    else if (typeof item === "number") n += 4;
    else if (isArray(item)) n += item.length * 4;
  }
  return n;
}
