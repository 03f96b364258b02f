// What a Responses prompt costs before Azure says: instructions, input items and tools.
import { isArray, isObject, jsonText, type JsonValue } from "../../core/json.js";
import type { Call, PromptText } from "../../core/operation.js";
import { contentTexts, REPLY_PRIMING, TOKENS_PER_MESSAGE } from "../prompt-costs.js";

// Framing per input item and for the reply, as for chat messages (see prompt-costs.ts).
export function responsesPromptText(call: Call): PromptText {
  const body = call.body ?? {};
  const texts: string[] = [];
  let overheadTokens = REPLY_PRIMING;
  if (typeof body.instructions === "string") texts.push(body.instructions);
  const input = body.input;
  if (typeof input === "string") {
    texts.push(input);
    overheadTokens += TOKENS_PER_MESSAGE;
  } else if (isArray(input)) {
    for (const item of input) {
      overheadTokens += TOKENS_PER_MESSAGE + itemTexts(item, texts);
    }
  }
  if (isArray(body.tools) && body.tools.length > 0) texts.push(jsonText(body.tools, "tools"));
  return { texts, overheadTokens };
}

/** About 4 characters a token: runs on every request, so no tokenizer. */
export function roughResponsesPromptTokens(call: Call): number {
  const { texts, overheadTokens } = responsesPromptText(call);
  return Math.ceil(texts.reduce((n, t) => n + t.length, 0) / 4) + overheadTokens;
}

/** Texts of one input item (a message's content, a tool call's arguments or output); returns image tokens. */
function itemTexts(item: JsonValue, texts: string[]): number {
  if (!isObject(item)) return 0;
  for (const key of ["arguments", "output", "name"]) {
    const v = item[key];
    if (typeof v === "string") texts.push(v);
  }
  return contentTexts(item.content, texts, "input_image");
}
