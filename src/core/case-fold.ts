// Case-insensitive identity of a name, computed in JavaScript only (Postgres lower() depends on the server's collation).

// Dotless ı upper-cases to I, which would merge it with i; Unicode's default case folding keeps it apart.
const DOTLESS_I = "\u0131";

/**
 * Unicode NFKC, then full default case folding, then NFKC again. JavaScript has no case-fold
 * primitive: upper- then lower-casing each code point gives full case folding (ß → ss, ς → σ,
 * İ → i̇, ǅ → dž) up to which representative a class gets (Cherokee), and a second round settles
 * the few that need it (ẞ → ß → ss). Checked idempotent over every code point in
 * test/auth/email.test.ts. ASCII comes out lower-cased. Trimmed after NFKC too: compatibility
 * forms such as U+FFE3 (fullwidth macron) decompose to a leading space.
 */
export function caseFolded(text: string): string {
  let folded = text.normalize("NFKC").trim();
  for (let round = 0; round < 3; round++) {
    const next = foldOnce(folded).normalize("NFKC").trim();
    if (next === folded) break;
    folded = next;
  }
  return folded;
}

function foldOnce(text: string): string {
  let out = "";
  // Per code point, so the context-sensitive final-sigma rule of toLowerCase never applies: Σ, σ and ς fold alike.
  for (const c of text) out += c === DOTLESS_I ? c : c.toUpperCase().toLowerCase();
  return out;
}
