// Azure's retry hints: milliseconds headers first, then retry-after in seconds or as a date; nonsense ignored, huge values capped.
import { describe, expect, it } from "vitest";
import { retryAfterMs } from "../../src/upstream/retry-after.js";

describe("retryAfterMs", () => {
  const now = Date.parse("2026-11-30T12:00:00Z");
  it.each<[string, Record<string, string | string[]>, number | undefined]>([
    ["retry-after-ms", { "retry-after-ms": "1500" }, 1500],
    ["x-ms-retry-after-ms", { "x-ms-retry-after-ms": "250" }, 250],
    ["retry-after-ms before x-ms- and retry-after", { "retry-after-ms": "10", "x-ms-retry-after-ms": "20", "retry-after": "30" }, 10],
    ["retry-after in seconds", { "retry-after": "3" }, 3000],
    ["fractional ms rounded up", { "retry-after-ms": "1.2" }, 2],
    ["retry-after as an HTTP date", { "retry-after": "Mon, 30 Nov 2026 12:00:07 GMT" }, 7000],
    ["a date in the past is now", { "retry-after": "Mon, 30 Nov 2026 11:00:00 GMT" }, 0],
    ["a repeated header: the first", { "retry-after-ms": ["40", "90"] }, 40],
    ["nonsense in the ms header falls back to retry-after", { "retry-after-ms": "soon", "retry-after": "2" }, 2000],
    ["negative is ignored", { "retry-after-ms": "-5" }, undefined],
    ["no hint", {}, undefined],
    ["a year is capped at a day", { "retry-after": String(365 * 86400) }, 86_400_000],
  ])("%s", (_label, headers, expected) => {
    expect(retryAfterMs(headers, now)).toBe(expected);
  });
});
