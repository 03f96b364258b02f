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

/** `textOf` pushes the generated text of one choice of a chunk (a chat delta, a completion fragment) onto `text`. */
export function openAiStream(textOf: (choice: JsonObject, text: string[]) => void): StreamShape {
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
    mayCarryText: () => true,
    errorEvent: (envelope) => ({ event: undefined, data: envelope }),
  };
}
