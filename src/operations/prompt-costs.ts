// What a prompt costs besides its text, for the estimates made before Azure says (chat and Responses alike).
import { isArray, isObject, type JsonValue } from "../core/json.js";

/*
 * OpenAI's cookbook ("How to count tokens with tiktoken") for gpt-4o: 3 tokens a message (a
 * Responses input item alike), 3 to prime the reply. An image part counts 85 tokens (gpt-4o's
 * low-detail cost, the least an image costs).
 */
export const TOKENS_PER_MESSAGE = 3;
export const REPLY_PRIMING = 3;
export const IMAGE_PART_TOKENS = 85;

/**
 * Pushes the texts of a message's content (a string, or parts with `text`) onto `texts`; returns
 * the tokens of its image parts (those of type `imageType`: chat's image_url, Responses' input_image).
 */
export function contentTexts(content: JsonValue | undefined, texts: string[], imageType: string): number {
  if (typeof content === "string") {
    texts.push(content);
    return 0;
  }
  if (!isArray(content)) return 0;
  let images = 0;
  for (const part of content) {
    if (!isObject(part)) continue;
    if (typeof part.text === "string") texts.push(part.text);
    else if (part.type === imageType) images += IMAGE_PART_TOKENS;
  }
  return images;
}
