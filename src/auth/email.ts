// The one canonical form of an email, by which accounts are found, kept unique and locked out.
import { caseFolded } from "../core/case-fold.js";
import { invalidArgument } from "../core/errors.js";

const MAX_EMAIL_LENGTH = 254;

// Control (Cc), format (Cf: zero-width joiners, bidi overrides, BOM) and lone surrogate (Cs)
// characters: never part of a real address, and Postgres refuses NUL in text outright.
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}]/u;

/**
 * The case-folded form (see caseFolded), computed here in JavaScript and nowhere else. ASCII
 * emails keep the lockout counters they had before this form existed: ASCII comes out lower-cased.
 */
export function canonicalEmail(email: string): string {
  return caseFolded(email);
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
