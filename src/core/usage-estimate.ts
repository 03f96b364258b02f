// Token counts without Azure's word: the final usage of an answer, counted locally when Azure sent none.
import type { Call } from "./operation.js";
import type { Settlement } from "./results.js";
import type { Usage } from "./usage.js";

/** Implemented by metering (an o200k tokenizer, loaded on first use); counts in memory and keeps nothing. */
export interface TokenCounter {
  count(texts: readonly string[]): Promise<number>;
}

export interface FinalUsage {
  readonly usage: Usage;
  /** True when counted locally because Azure's usage never came. */
  readonly estimated: boolean;
}

export const NO_USAGE: Usage = { promptTokens: 0, cachedTokens: 0, completionTokens: 0, reasoningTokens: 0 };

const memo = new WeakMap<Settlement, Promise<FinalUsage>>();

/** The prompt counted locally: the texts the operation names, plus the tokens they do not show (message framing, images). */
export function countPrompt(call: Call, counter: TokenCounter): Promise<number> {
  const prompt = call.op.promptText(call);
  return counter.count(prompt.texts).then((n) => n + prompt.overheadTokens);
}

/**
 * An answer whose object runs on upstream (a background response not yet finished): its usage
 * comes later, when the gateway first sees it finished.
 */
export function isDeferred(s: Settlement, call: Call): boolean {
  return call.background && s.object !== undefined && !s.object.finished;
}

/**
 * An answer's usage: Azure's own when it sent it, else the prompt counted from the request and the
 * completion from the text already relayed. Computed once per answer, however many steps ask.
 */
export function finalUsage(s: Settlement, call: Call, counter: TokenCounter): Promise<FinalUsage> {
  if (s.usage) return Promise.resolve({ usage: s.usage, estimated: false });
  // Only a local count is worth remembering: it runs the tokenizer.
  let result = memo.get(s);
  if (!result) {
    result = Promise.all([countPrompt(call, counter), counter.count(s.relayedText)]).then(([promptTokens, completionTokens]) => ({
      usage: { ...NO_USAGE, promptTokens, completionTokens },
      estimated: true,
    }));
    memo.set(s, result);
  }
  return result;
}
