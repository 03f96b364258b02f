// Azure's prompt cache, per deployment: a prompt whose leading 1,024 or more tokens were read before is partly served from it.
import { createHash } from "node:crypto";
import type { PromptPiece } from "./tokens.js";

/** Azure caches nothing shorter than this many identical leading tokens, and grows a hit in steps of 128. */
const CACHE_MIN_TOKENS = 1024;
const CACHE_STEP = 128;
/** Opens every piece in the hashed stream: 0xFF never occurs in UTF-8, so no text can pass for a piece boundary. */
const PIECE_START = Buffer.from([0xff]);

interface Prefix {
  tokens: number;
  key: string;
}

/**
 * Remembers, per deployment, a hash of every prompt's leading 1,024 tokens and of each longer leading part
 * ending on a 128-token boundary. cached_tokens is then the longest such part seen before on that deployment:
 * 0, or a multiple of 128 from 1,024 up to prompt_tokens. Bounded per deployment; the least recently read go first.
 */
export class PromptCache {
  private readonly seen = new Map<string, Set<string>>();

  constructor(private readonly capacity = 20_000) {}

  /**
   * `promptTokens` is the size of `prompt`; below 1,024 nothing is hashed, nor built when `prompt` is given as
   * the function that builds it, to keep short requests cheap.
   */
  cachedTokens(deployment: string, promptTokens: number, prompt: readonly PromptPiece[] | (() => readonly PromptPiece[])): number {
    if (promptTokens < CACHE_MIN_TOKENS) return 0;
    let seen = this.seen.get(deployment);
    if (!seen) {
      seen = new Set();
      this.seen.set(deployment, seen);
    }
    const prefixes = leadingPrefixes(typeof prompt === "function" ? prompt() : prompt);
    let cached = 0;
    for (const prefix of prefixes) if (seen.has(prefix.key)) cached = prefix.tokens;
    for (const { key } of prefixes) {
      // Re-inserting moves a key to the young end, so the set's order is least recently read first.
      seen.delete(key);
      seen.add(key);
    }
    for (const key of seen) {
      if (seen.size <= this.capacity) break;
      seen.delete(key);
    }
    return Math.min(cached, promptTokens);
  }
}

/** The hash of the prompt's leading 1,024 tokens, 1,152 tokens, ... as far as the prompt reaches. */
function leadingPrefixes(prompt: readonly PromptPiece[]): Prefix[] {
  const prefixes: Prefix[] = [];
  const hash = createHash("sha256");
  let at = 0;
  let next = CACHE_MIN_TOKENS;
  const mark = (): void => {
    prefixes.push({ tokens: next, key: hash.copy().digest("base64") });
    next += CACHE_STEP;
  };
  for (const piece of prompt) {
    hash.update(PIECE_START);
    if ("text" in piece) {
      // Token k of a text is its bytes 4k..4k+3, so a boundary inside the text cuts it at a multiple of 4 bytes.
      const bytes = Buffer.from(piece.text, "utf8");
      const tokens = Math.ceil(bytes.length / 4);
      hash.update("t");
      let fed = 0;
      while (next <= at + tokens) {
        const end = (next - at) * 4;
        hash.update(bytes.subarray(fed, end));
        fed = end;
        mark();
      }
      hash.update(bytes.subarray(fed));
      at += tokens;
    } else {
      // A fixed-cost piece is known whole from its first token on.
      hash.update(`f${piece.fixed}:${JSON.stringify(piece.what) ?? ""}`);
      while (next <= at + piece.fixed) mark();
      at += piece.fixed;
    }
  }
  return prefixes;
}
