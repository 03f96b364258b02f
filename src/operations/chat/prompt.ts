// What a chat prompt costs before Azure says: a quick guess for admission and the texts for a tokenizer count.
import { isArray, isObject, jsonText, type JsonValue } from "../../core/json.js";
import type { Call, PromptText } from "../../core/operation.js";
import { contentTexts, IMAGE_PART_TOKENS, REPLY_PRIMING, TOKENS_PER_MESSAGE } from "../prompt-costs.js";

/*
 * Message overheads (prompt-costs.ts) plus its string fields, 1 more for a `name`; tool calls
 * count their name and arguments, tool definitions their JSON text.
 */
const TOKENS_PER_NAME = 1;

export function chatPromptText(call: Call): PromptText {
  const body = call.body ?? {};
  const texts: string[] = [];
  let overheadTokens = REPLY_PRIMING;
  if (isArray(body.messages)) {
    for (const m of body.messages) {
      if (!isObject(m)) continue;
      overheadTokens += TOKENS_PER_MESSAGE;
      for (const [key, value] of Object.entries(m)) {
        if (key === "content") overheadTokens += contentTexts(value, texts, "image_url");
        else if (key === "tool_calls") toolCallTexts(value, texts);
        else if (key === "function_call") toolCallTexts([{ function: value }], texts);
        else if (typeof value === "string") texts.push(value);
        if (key === "name") overheadTokens += TOKENS_PER_NAME;
      }
    }
  }
  for (const key of ["tools", "functions"]) {
    const defs = body[key];
    if (isArray(defs) && defs.length > 0) texts.push(jsonText(defs, key));
  }
  return { texts, overheadTokens };
}

/** About 4 characters a token plus a few a message: runs on every request, so no tokenizer. */
export function roughChatPromptTokens(call: Call): number {
  const body = call.body ?? {};
  let chars = 0;
  let messages = 0;
  if (isArray(body.messages)) {
    for (const m of body.messages) {
      messages++;
      if (isObject(m)) chars += contentLength(m.content);
    }
  }
  if (isArray(body.tools)) chars += jsonText(body.tools, "tools").length;
  return Math.ceil(chars / 4) + 4 * messages + 3;
}

function toolCallTexts(calls: JsonValue | undefined, texts: string[]): void {
  if (!isArray(calls)) return;
  for (const c of calls) {
    const fn = isObject(c) ? c.function : undefined;
    if (!isObject(fn)) continue;
    for (const field of [fn.name, fn.arguments]) if (typeof field === "string") texts.push(field);
  }
}

function contentLength(content: JsonValue | undefined): number {
  if (typeof content === "string") return content.length;
  if (!isArray(content)) return 0;
  let n = 0;
  for (const part of content) {
    if (isObject(part) && typeof part.text === "string") n += part.text.length;
    else n += 4 * IMAGE_PART_TOKENS; // an image or audio part, in characters
  }
  return n;
}
