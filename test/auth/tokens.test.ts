// The key format: 256 random bits, base62, a CRC32 check that catches typos without a database.
import { describe, expect, it } from "vitest";
import { API_KEY_PREFIX, hashSecret, isWellFormed, newSecret, SESSION_PREFIX } from "../../src/auth/tokens.js";

describe("API key format", () => {
  it("is aik_ + 43 base62 characters + a 6-character checksum, and unique", () => {
    const keys = Array.from({ length: 200 }, () => newSecret(API_KEY_PREFIX).secret);
    for (const k of keys) {
      expect(k).toMatch(/^aik_[0-9A-Za-z]{49}$/);
      expect(isWellFormed(API_KEY_PREFIX, k)).toBe(true);
    }
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("recognises every single-character change, truncation, extension and wrong prefix", () => {
    const { secret } = newSecret(API_KEY_PREFIX);
    const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    for (let i = API_KEY_PREFIX.length; i < secret.length; i++) {
      const replacement = alphabet[(alphabet.indexOf(secret[i] ?? "0") + 7) % 62];
      expect(isWellFormed(API_KEY_PREFIX, secret.slice(0, i) + replacement + secret.slice(i + 1))).toBe(false);
    }
    expect(isWellFormed(API_KEY_PREFIX, secret.slice(0, -1))).toBe(false);
    expect(isWellFormed(API_KEY_PREFIX, `${secret}0`)).toBe(false);
    expect(isWellFormed(API_KEY_PREFIX, `sk_${secret.slice(4)}`)).toBe(false);
    expect(isWellFormed(SESSION_PREFIX, secret)).toBe(false);
    expect(isWellFormed(API_KEY_PREFIX, "")).toBe(false);
  });

  it("stores only a SHA-256 of the whole key and shows a short prefix", () => {
    const s = newSecret(API_KEY_PREFIX);
    expect(s.hash).toEqual(hashSecret(s.secret));
    expect(s.hash).toHaveLength(32);
    expect(s.display).toBe(s.secret.slice(0, 10));
  });
});
