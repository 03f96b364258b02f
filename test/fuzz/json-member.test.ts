// topLevelMember (src/core/json-member.ts) on random JSON texts: when it decides, it finds what JSON.parse finds; it
// declines rather than guess (a nested or escaped key, a value that is not an object, a text that is not an object).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { topLevelMember } from "../../src/core/json-member.js";
import { jsonObject, jsonValue, RUNS, text } from "./arbitraries.js";

const usage = fc.oneof(jsonObject, fc.record({ prompt_tokens: fc.nat(), completion_tokens: fc.nat(), total_tokens: fc.nat() }));
// Texts that imitate the key inside strings, nested objects that have a usage key of their own.
const decoy = fc.oneof(
  text,
  fc.constantFrom('"usage": {', '\\"usage\\": {"a":1}', 'usage":{}', '"usage"', "\\", "\\\\"),
  fc.record({ usage }),
  fc.array(fc.record({ usage }), { maxLength: 2 }),
  jsonValue,
);
const answer = fc
  .tuple(fc.array(fc.tuple(fc.constantFrom("id", "choices", "model", "usage_x", "x", "usage", 'say "usage', "\\usage"), decoy), { maxLength: 5 }), fc.option(usage, { nil: undefined }), fc.nat(5))
  .map(([members, u, at]) => {
    const entries: [string, unknown][] = members.map(([k, v]) => [k, v]);
    if (u !== undefined) entries.splice(Math.min(at, entries.length), 0, ["usage", u]);
    return entries;
  });

/** JSON text with the members in this order, duplicates kept (JSON.parse keeps the last). */
function textOf(entries: readonly [string, unknown][], space: string): string {
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${space}${JSON.stringify(v, null, space || undefined)}`).join(`,${space}`)}}`;
}

describe("topLevelMember", () => {
  it("finds what JSON.parse finds, or declines", () => {
    let decided = 0;
    fc.assert(
      fc.property(answer, fc.constantFrom("", " ", "\n  "), (entries, space) => {
        const json = textOf(entries, space);
        const found = topLevelMember(Buffer.from(json, "utf8"), "usage");
        if (found === undefined) return;
        decided++;
        const parsed = JSON.parse(json) as Record<string, unknown>;
        expect(found, json).toEqual(parsed["usage"]);
      }),
      { ...RUNS, numRuns: 2_000 },
    );
    // The property is about something: most answers with a top-level usage object are decided.
    expect(decided).toBeGreaterThan(300);
  });

  it("declines what is not a top-level object member that is an object", () => {
    const no = (s: string) => expect(topLevelMember(Buffer.from(s), "usage"), s).toBeUndefined();
    no('[{"usage":{"a":1}}]');
    no('{"a":{"usage":{"b":1}}}');
    no('{"usage":5}');
    no('{"usage":null}');
    no('{"x":"\\"usage\\":{\\"a\\":1}"}');
    // The key `say "usage` ends in the key's text: its opening quote is escaped.
    no('{"say \\"usage": {"a":1}}');
    no('{"usage":{"a":1}');
    no('{"usage":{"a":1},"b":[}');
    no("");
    expect(topLevelMember(Buffer.from(' {"usage" : {"a":[1,"}"]} , "b":"{"}\n'), "usage")).toEqual({ a: [1, "}"] });
  });
});
