// Local o200k token counts for answers that ended without Azure's usage (client cancel, upstream cut); each operation says which texts.
import { countTokens as o200kCount, setMergeCacheSize } from "gpt-tokenizer/encoding/o200k_base";

/*
 * gpt-tokenizer keeps a cache of recently merged text pieces across calls. Turned off: with it,
 * fragments of prompts and completions would outlive the request that carried them. Counting
 * stays in memory for the call's duration only, and nothing here logs or keeps the text.
 */
setMergeCacheSize(0);

// Text such as "<|endoftext|>" in a prompt is counted as the plain text Azure sees, never
// refused: an empty disallowed set stops the tokenizer throwing on it.
const AS_PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

/** o200k token count of the texts, added up. */
export function countTokens(texts: readonly string[]): number {
  let total = 0;
  for (const t of texts) if (t.length > 0) total += o200kCount(t, AS_PLAIN_TEXT);
  return total;
}
