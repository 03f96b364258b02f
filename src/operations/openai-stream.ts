// The stream shape of chat and legacy completions: data-only events, a usage chunk with no choices, `[DONE]` last.
import { safeCode } from "../core/errors.js";
import { isArray, isObject, type JsonObject } from "../core/json.js";
import type { EventFacts, StreamShape } from "../core/operation.js";
import { usageOf } from "../core/usage.js";

/** `textOf` reads the generated text of one choice of a chunk (a chat delta, a completion fragment). */
export function openAiStream(textOf: (choice: JsonObject) => string[]): StreamShape {
  return {
    sentinel: true,
    read(_event, data, call): EventFacts {
      if (isObject(data.error)) return { forward: false, errorCode: safeCode(data.error.code) ?? "unknown" };
      const choices = data.choices;
      // Azure's usage chunk: no choices, a usage object. The gateway always asks for it; the client may not have.
      if (isArray(choices) && choices.length === 0 && isObject(data.usage)) return { forward: call.includeUsage, usage: usageOf(data) };
      if (!isArray(choices)) return { forward: true };
      const text: string[] = [];
      for (const choice of choices) if (isObject(choice)) text.push(...textOf(choice));
      return { forward: true, text };
    },
    errorEvent: (envelope) => ({ event: undefined, data: envelope }),
  };
}
