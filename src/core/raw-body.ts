// A request body as the client sent it, beside its parse: sent upstream as those bytes when the gateway changes nothing.
import type { JsonObject } from "./json.js";

const BACKSLASH = 0x5c;
const COLON = 0x3a;

/**
 * Nesting JSON.stringify is sure to write. A deeper body takes the serializing path, which refuses
 * what JSON.stringify cannot write (400): the same bodies are refused whether or not bytes are kept.
 */
export const MAX_DEPTH = 1_000;

/**
 * The client's bytes mean exactly what the parse says only when no object repeats a key:
 * JSON.parse keeps the last, and a parser upstream that kept the first would read a model, an id
 * or a limit the gateway never checked. So the bytes go up only when the text has as many keys as
 * the parse, and otherwise the parse is written out, as it always was.
 */
export class RawBody {
  private verdict: boolean | undefined;

  /** `text`: the bytes decoded (checked UTF-8); `parsed`: what JSON.parse made of it. */
  constructor(
    private readonly bytes: Buffer,
    private text: string | undefined,
    private readonly parsed: unknown,
  ) {}

  /**
   * The client's bytes for `body`: only when `body` is their parse itself (an edit makes a copy)
   * and they say exactly what it says to any JSON reader (worked out once).
   */
  bytesFor(body: JsonObject): Buffer | undefined {
    if (body !== this.parsed) return undefined;
    if (this.verdict === undefined) {
      this.verdict = keysOfParse(body) === keysInText(this.text ?? this.bytes.toString("utf8"));
      this.text = undefined;
    }
    return this.verdict ? this.bytes : undefined;
  }
}

/** Object keys in valid JSON text, counted from its quotes: outside a string a quote opens one, inside an unescaped one closes it. */
function keysInText(text: string): number {
  let keys = 0;
  for (let open = text.indexOf('"'); open >= 0; ) {
    let close = text.indexOf('"', open + 1);
    while (close >= 0 && escaped(text, close)) close = text.indexOf('"', close + 1);
    if (close < 0) return -1;
    let next = close + 1;
    for (let c = text.charCodeAt(next); c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09; c = text.charCodeAt(++next));
    if (text.charCodeAt(next) === COLON) keys++;
    open = text.indexOf('"', next);
  }
  return keys;
}

/** A quote preceded by an odd number of backslashes is part of the string. */
function escaped(text: string, quote: number): boolean {
  let n = 0;
  while (text.charCodeAt(quote - 1 - n) === BACKSLASH) n++;
  return n % 2 === 1;
}

/** Keys of every object in the parse; -2 (never a text's count) past MAX_DEPTH. Iterative: no nesting overflows it. */
function keysOfParse(root: JsonObject): number {
  const values: unknown[] = [root];
  const depths: number[] = [1];
  let keys = 0;
  for (let v = values.pop(); v !== undefined; v = values.pop()) {
    const depth = depths.pop() ?? 0;
    if (typeof v !== "object" || v === null) continue;
    if (depth > MAX_DEPTH) return -2;
    const items: unknown[] = Array.isArray(v) ? v : Object.values(v);
    if (!Array.isArray(v)) keys += items.length;
    for (const item of items) {
      values.push(item);
      depths.push(depth + 1);
    }
  }
  return keys;
}
