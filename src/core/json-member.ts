// One member of a JSON object's text, read without parsing the rest: Azure's unary answers end with their usage.
import { isObject, type JsonObject } from "./json.js";

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COLON = 0x3a;

function isSpace(c: number | undefined): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** The index just past the string whose opening quote is at `at`, or -1 if it never closes. */
function skipString(text: Buffer, at: number): number {
  for (let i = at + 1; i < text.length; i++) {
    const c = text[i];
    if (c === BACKSLASH) i++;
    else if (c === QUOTE) return i + 1;
  }
  return -1;
}

/**
 * Scans from `from` with `depth` containers open, strings skipped, to where the depth first falls to
 * zero; -1 if it never does.
 */
function closeOf(text: Buffer, from: number, depth: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === QUOTE) {
      const past = skipString(text, i);
      if (past < 0) return -1;
      i = past - 1;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/**
 * The object value of `key` in the top-level object `text` is (UTF-8 bytes; every byte the scan
 * looks for is ASCII, which no multi-byte character contains), found from the end: the key's last
 * occurrence, its value read to its closing brace and parsed alone, and the text after it checked
 * to close the top-level object and nothing else. Undefined when that cannot be decided this way
 * (the key is absent, escaped, nested, or its value is not an object): the caller parses the whole
 * text then. For a text that is valid JSON the answer is what `JSON.parse(text)[key]` gives; the rest
 * of the text is not checked to be valid.
 */
export function topLevelMember(text: Buffer, key: string): JsonObject | undefined {
  let first = 0;
  while (isSpace(text[first])) first++;
  let last = text.length - 1;
  while (last > first && isSpace(text[last])) last--;
  if (text[first] !== OPEN_BRACE || text[last] !== CLOSE_BRACE) return undefined;
  const at = text.lastIndexOf(`"${key}"`, last, "latin1");
  if (at <= first) return undefined;
  // A quote after an odd run of backslashes is inside a string: not a key.
  let slashes = 0;
  while (text[at - 1 - slashes] === BACKSLASH) slashes++;
  if (slashes % 2 === 1) return undefined;
  let i = at + key.length + 2;
  while (isSpace(text[i])) i++;
  if (text[i] !== COLON) return undefined;
  i++;
  while (isSpace(text[i])) i++;
  if (text[i] !== OPEN_BRACE) return undefined;
  const end = closeOf(text, i + 1, 1);
  if (end < 0) return undefined;
  // With the key directly in the top-level object, what follows its value closes exactly that object, at the end.
  if (closeOf(text, end + 1, 1) !== last) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text.toString("utf8", i, end + 1));
  } catch {
    return undefined;
  }
  return isObject(value) ? value : undefined;
}
