// The one canonical form of an email, by which accounts are found, kept unique and locked out.
import { invalidArgument } from "../core/errors.js";

const MAX_EMAIL_LENGTH = 254;

// Control (Cc), format (Cf: zero-width joiners, bidi overrides, BOM) and lone surrogate (Cs)
// characters: never part of a real address, and Postgres refuses NUL in text outright.
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}]/u;
// Dotless ı upper-cases to I, which would merge it with i; Unicode's default case folding keeps it apart.
const DOTLESS_I = "\u0131";

/**
 * Unicode NFKC, then full default case folding, then NFKC again, computed here in JavaScript and
 * nowhere else (Postgres `lower()` depends on the server's collation and disagrees, e.g. on `İ`).
 * JavaScript has no case-fold primitive: upper- then lower-casing each code point gives full
 * case folding (ß → ss, ς → σ, İ → i̇, ǅ → dž) up to which representative a class gets (Cherokee),
 * and a second round settles the few that need it (ẞ → ß → ss). Checked idempotent over every
 * code point in test/auth/email.test.ts. ASCII comes out lower-cased, so ASCII emails keep the
 * lockout counters they had before this form existed.
 */
export function canonicalEmail(email: string): string {
  // Trimmed after NFKC too: compatibility forms such as U+FFE3 (fullwidth macron) decompose to a leading space.
  let folded = email.normalize("NFKC").trim();
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

/**
 * What every email the gateway is given must pass before it is canonicalised, looked up or
 * stored: 1 to 254 characters once trimmed of spaces, and nothing unprintable anywhere. A NUL is
 * a 400 here, never a 500 from Postgres. Returns the trimmed address.
 */
export function checkEmailText(email: string): string {
  const e = email.trim();
  if (e === "" || e.length > MAX_EMAIL_LENGTH) {
    throw invalidArgument("email", `Invalid 'email': 1 to ${MAX_EMAIL_LENGTH} characters.`);
  }
  // Checked before trimming would hide them: a trailing CR LF is refused too, not quietly dropped.
  if (UNPRINTABLE.test(email)) throw invalidArgument("email", "Invalid 'email': control and format characters are not allowed.");
  return e;
}
