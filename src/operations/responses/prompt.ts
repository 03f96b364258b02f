// What a Responses prompt costs before Azure says: instructions, input items and tools.
import { isArray, isObject, type JsonValue } from "../../core/json.js";
import type { Call, PromptText } from "../../core/operation.js";
import { jsonText } from "../json-text.js";

// Framing per input item and for the reply, as for chat messages (OpenAI's cookbook rule).
const TOKENS_PER_ITEM = 3;
const REPLY_PRIMING = 3;
const IMAGE_TOKENS = 85;

export function responsesPromptText(call: Call): PromptText {
  const body = call.body ?? {};
  const texts: string[] = [];
  let overheadTokens = REPLY_PRIMING;
  if (typeof body.instructions === "string") texts.push(body.instructions);
  const input = body.input;
  if (typeof input === "string") {
    texts.push(input);
    overheadTokens += TOKENS_PER_ITEM;
  } else if (isArray(input)) {
    for (const item of input) {
      overheadTokens += TOKENS_PER_ITEM + itemTexts(item, texts);
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
  const content = item.content;
  if (typeof content === "string") {
    texts.push(content);
    return 0;
  }
  if (!isArray(content)) return 0;
  let images = 0;
  for (const part of content) {
    if (!isObject(part)) continue;
    if (typeof part.text === "string") texts.push(part.text);
    else if (part.type === "input_image") images += IMAGE_TOKENS;
  }
  return images;
}
