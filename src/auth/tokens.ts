// Secret formats: "aik_" API keys and "aiks_" session tokens, 256 random bits in base62 plus a CRC32 check.
import { hash, randomBytes } from "node:crypto";
import { crc32 } from "node:zlib";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
// 62^43 > 2^256: 32 random bytes always fit in 43 base62 digits.
const BODY_LENGTH = 43;
// 62^6 > 2^32: a CRC32 always fits in 6 digits.
const CHECK_LENGTH = 6;
const DISPLAY_LENGTH = 6;

export const API_KEY_PREFIX = "aik_";
export const SESSION_PREFIX = "aiks_";

export interface NewSecret {
  /** The whole secret: shown once, never stored. */
  readonly secret: string;
  /** SHA-256 of the whole secret: what the database keeps. */
  readonly hash: Buffer;
  /** The prefix plus a few characters, to recognise the secret in a list. */
  readonly display: string;
}

function base62(value: bigint, width: number): string {
  let out = "";
  let v = value;
  for (let i = 0; i < width; i++) {
    out = ALPHABET[Number(v % 62n)] + out;
    v /= 62n;
  }
  return out;
}

/** The CRC32 (below 2^32, exact in a double) in base62, with Number arithmetic: every request checks one. */
function checksum(text: string): string {
  let out = "";
  let v = crc32(text);
  for (let i = 0; i < CHECK_LENGTH; i++) {
    out = ALPHABET[v % 62] + out;
    v = Math.floor(v / 62);
  }
  return out;
}

export function newSecret(prefix: string): NewSecret {
  const body = base62(BigInt(`0x${randomBytes(32).toString("hex")}`), BODY_LENGTH);
  const secret = `${prefix}${body}${checksum(prefix + body)}`;
  return { secret, hash: hashSecret(secret), display: `${prefix}${body.slice(0, DISPLAY_LENGTH)}` };
}

const SHAPE = new RegExp(`^[0-9A-Za-z]{${BODY_LENGTH + CHECK_LENGTH}}$`);

/**
 * Format and checksum only, no database: typos, truncations and scanners' random finds are
 * recognised here. Not a secret comparison (the checksum is public), so no constant time needed.
 */
export function isWellFormed(prefix: string, candidate: string): boolean {
  if (candidate.length !== prefix.length + BODY_LENGTH + CHECK_LENGTH || !candidate.startsWith(prefix)) return false;
  const rest = candidate.slice(prefix.length);
  if (!SHAPE.test(rest)) return false;
  const body = rest.slice(0, BODY_LENGTH);
  return checksum(prefix + body) === rest.slice(BODY_LENGTH);
}

export function hashSecret(secret: string): Buffer {
  return hash("sha256", secret, "buffer");
}

/** The same hash in hex, as the caches key it: crypto.hash in one call costs a fraction of a Hash object's three. */
export function hashSecretHex(secret: string): string {
  return hash("sha256", secret, "hex");
}
