// The canonical email: one form for lookup, uniqueness and lockout; stable, and refusing what Postgres would choke on.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { canonicalEmail, checkEmailText } from "../../src/auth/email.js";
import { accountKey } from "../../src/auth/login.js";
import { GatewayError } from "../../src/core/errors.js";

describe("canonicalEmail", () => {
  it("is idempotent on every Unicode code point, alone and after a base letter", () => {
    const unstable: string[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const s = String.fromCodePoint(cp);
      for (const text of [s, `a${s}`]) {
        const once = canonicalEmail(text);
        if (canonicalEmail(once) !== once) unstable.push(cp.toString(16));
      }
    }
    expect(unstable).toEqual([]);
  });

  it.each([
    ["case", "Victim@Example.COM", "victim@example.com"],
    ["full width (NFKC)", "ｖｉｃｔｉｍ＠ｅｘａｍｐｌｅ．ｃｏｍ", "victim@example.com"],
    ["Kelvin sign K", "\u212Aate@example.com", "kate@example.com"],
    ["ligature ﬁ", "\uFB01on@example.com", "fion@example.com"],
    ["sharp s folds to ss", "STRAßE@example.com", "strasse@example.com"],
    ["capital sharp s", "STRA\u1E9EE@example.com", "strasse@example.com"],
    ["final sigma", "ΟΔΟΣ@example.com", "οδοσ@example.com"],
    ["surrounding space", "  a@example.com\t", "a@example.com"],
  ])("%s: %s -> %s", (_label, input, canonical) => {
    expect(canonicalEmail(input)).toBe(canonical);
  });

  it("keeps İ (U+0130) and ı (U+0131) apart from i, as Unicode's default case folding does", () => {
    expect(canonicalEmail("vİctim@example.com")).not.toBe("victim@example.com");
    expect(canonicalEmail("vıctim@example.com")).not.toBe("victim@example.com");
    // ... and every spelling of one of them is still one account.
    expect(canonicalEmail("VİCTIM@example.com")).toBe(canonicalEmail("vi\u0307ctim@example.com"));
  });

  it("the lockout key is the canonical form's: every spelling that finds an account shares its counter", () => {
    const key = accountKey("victim@example.com");
    for (const spelling of ["VICTIM@EXAMPLE.COM", "ｖｉｃｔｉｍ@example.com", " victim@example.com "]) expect(accountKey(spelling)).toBe(key);
    expect(accountKey("vİctim@example.com")).not.toBe(key);
  });

  it("ASCII addresses keep the counter key they had before (SHA-256 of 'account:' + lower case), so existing locks hold", () => {
    expect(accountKey("Victim@Example.com")).toBe(createHash("sha256").update("account:victim@example.com").digest("hex"));
  });
});

describe("checkEmailText", () => {
  const refused = (text: string): GatewayError | undefined => {
    try {
      checkEmailText(text);
      return undefined;
    } catch (e) {
      return e instanceof GatewayError ? e : undefined;
    }
  };

  it.each([
    ["NUL", "vic\u0000tim@example.com"],
    ["CR LF", "a@example.com\r\nBcc: b@example.com"],
    ["trailing CR LF", "a@example.com\r\n"],
    ["tab", "\ta@example.com"],
    ["DEL", "a\u007f@example.com"],
    ["C1 control", "a\u0085@example.com"],
    ["zero-width joiner", "a\u200d@example.com"],
    ["right-to-left override", "a\u202e@example.com"],
    ["lone surrogate", "a\ud800@example.com"],
    ["empty", "   "],
    ["too long", `${"a".repeat(250)}@example.com`],
  ])("refuses %s as 400 invalid_argument on 'email'", (_label, text) => {
    const err = refused(text);
    expect(err?.code).toBe("invalid_argument");
    expect(err?.param).toBe("email");
    // The value itself is never echoed.
    expect(err?.message).not.toContain("example.com");
  });

  it("accepts an internationalised address", () => {
    expect(checkEmailText(" jürgen@beispiel.de ")).toBe("jürgen@beispiel.de");
  });
});

describe("no lookup by Postgres lower()", () => {
  // Comments may name lower() to say why it is gone; code may not call it.
  const code = (text: string): string =>
    text
      .split("\n")
      .filter((line) => !/^\s*(\/\/|\/\*|\*)/.test(line))
      .join("\n");

  it("no source file compares emails (or anything) with SQL lower()", () => {
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        // Applied migrations are history and may not change; 0001 created the index 0005 drops.
        else if (path.endsWith(".ts") && !path.endsWith("0001_identity.ts") && /\blower\s*\(/i.test(code(readFileSync(path, "utf8")))) offenders.push(path);
      }
    };
    walk("src");
    expect(offenders).toEqual([]);
  });
});
