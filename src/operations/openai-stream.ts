// The stream shape of chat and legacy completions: data-only events, a usage chunk with no choices, `[DONE]` last.
import { safeCode } from "../core/errors.js";
import { isArray, isObject, type JsonObject } from "../core/json.js";
import type { EventFacts, StreamShape } from "../core/operation.js";
import { usageOf } from "../core/usage.js";

const FORWARD: EventFacts = Object.freeze({ forward: true });

/**
 * What `read` acts on: an `error` key, or a `usage` object (a JSON string holds no unescaped quote,
 * so these tokens are keys or whole values, never content; `\u` catches a key spelt with escapes).
 * Chunks carrying `"usage":null` are ordinary chunks.
 */
const TELLS = /"error"|"usage"\s*:\s*\{|\\u/;

/**
 * Whether an event may carry generated text under one of `keys`: one of them with a non-empty string
 * value. Never no wrongly: a non-empty JSON string starts with a character other than an unescaped
 * quote, and a key spelt with escapes makes TELLS say yes (the event is then read in full anyway).
 */
export function textKeys(keys: readonly string[]): (data: string) => boolean {
  const pattern = new RegExp(`"(?:${keys.join("|")})"\\s*:\\s*"[^"]`);
  return (data) => pattern.test(data);
}

/**
 * `textOf` pushes the generated text of one choice of a chunk (a chat delta, a completion fragment)
 * onto `text`; `carriesText` is textKeys of the keys it reads.
 */
export function openAiStream(textOf: (choice: JsonObject, text: string[]) => void, carriesText: (data: string) => boolean): StreamShape {
  return {
    sentinel: true,
    read(_event, data, call, text): EventFacts {
      if (isObject(data.error)) return { forward: false, errorCode: safeCode(data.error.code) ?? "unknown" };
      const choices = data.choices;
      // Azure's usage chunk: no choices, a usage object. The gateway always asks for it; the client may not have.
      if (isArray(choices) && choices.length === 0 && isObject(data.usage)) return { forward: call.includeUsage, usage: usageOf(data) };
      if (!isArray(choices)) return FORWARD;
      for (const choice of choices) if (isObject(choice)) textOf(choice, text);
      return FORWARD;
    },
    mayTell: (_event, data) => TELLS.test(data),
    mayCarryText: (_event, data) => carriesText(data),
    errorEvent: (envelope) => ({ event: undefined, data: envelope }),
  };
}
