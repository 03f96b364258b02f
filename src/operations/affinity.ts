// Prompt-cache affinity keys: the client's prompt_cache_key, else a hash of the prompt's first ~1,024 tokens, in memory only.
import { GatewayError } from "../core/errors.js";
import { isArray, isObject, type JsonObject, type JsonValue } from "../core/json.js";
import { fnv1a } from "../core/routing/choice.js";

/** Azure caches a prompt's first 1,024 tokens (and on in 128-token steps): about this many characters. */
const LEADING_CHARS = 4_096;

/** The client's own key when it sends one (OpenAI's `prompt_cache_key`), else a hash of the leading text. */
export function affinityKey(body: JsonObject | undefined, leading: (body: JsonObject) => Iterable<string>): string | undefined {
  if (!body) return undefined;
  if (typeof body.prompt_cache_key === "string" && body.prompt_cache_key !== "") return `k:${body.prompt_cache_key}`;
  let text = "";
  try {
    for (const part of leading(body)) {
      // Only the part that counts is copied: a megabyte message costs no more than a short one.
      text += part.length > LEADING_CHARS - text.length ? part.slice(0, LEADING_CHARS - text.length) : part;
      if (text.length >= LEADING_CHARS) break;
    }
  } catch (err) {
    // Tools nested too deeply to write out: the limits step refuses the request; routing just has no key.
    if (err instanceof GatewayError) return undefined;
    throw err;
  }
  // Too short to be cached at all: no affinity, the strategy alone decides.
  if (text.length < LEADING_CHARS) return undefined;
  return `h:${fnv1a(text).toString(36)}`;
}

/** The text of a message's or item's content, in order (strings and text parts). */
export function* contentText(content: JsonValue | undefined): Generator<string> {
  if (typeof content === "string") yield content;
  else if (isArray(content)) for (const part of content) if (isObject(part) && typeof part.text === "string") yield part.text;
}
