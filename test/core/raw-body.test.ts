// The client's body bytes go upstream only when they mean exactly what the gateway parsed: never with a key twice, never past the depth it can write.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { JsonObject } from "../../src/core/json.js";
import { RawBody } from "../../src/core/raw-body.js";
import { RUNS } from "../fuzz/arbitraries.js";

function raw(text: string): { raw: RawBody; parsed: JsonObject } {
  const parsed = JSON.parse(text) as JsonObject;
  return { raw: new RawBody(Buffer.from(text), text, parsed), parsed };
}

/** JSON text with whitespace of every kind JSON allows around its tokens (never inside strings). */
function spaced(value: unknown): string {
  return JSON.stringify(value, null, "\t").replace(/\n/g, "\r\n ");
}

const keyText = fc.oneof(fc.string(), fc.constantFrom('"', "\\", '\\"', ':', '":', "\\\\", "\u0000", "é", "__proto__"));
const object = fc.dictionary(keyText, fc.jsonValue({ maxDepth: 4 }), { maxKeys: 6 });

describe("RawBody", () => {
  it("any object without repeated keys, compact or spaced: its own bytes go up", () => {
    fc.assert(
      fc.property(object, fc.boolean(), (o, space) => {
        const text = space ? spaced(o) : JSON.stringify(o);
        const { raw: body, parsed } = raw(text);
        expect(body.bytesFor(parsed)?.toString()).toBe(text);
      }),
      RUNS,
    );
  });

  it("a key repeated anywhere (top level or nested): the parse is written out instead", () => {
    fc.assert(
      fc.property(object, fc.string(), fc.jsonValue({ maxDepth: 2 }), fc.boolean(), (o, key, value, nested) => {
        const inner = `{${JSON.stringify(key)}:${JSON.stringify(value)},${JSON.stringify(key)} : ${JSON.stringify(value)}}`;
        const text = nested ? `{"x":[1,${inner}],"y":${JSON.stringify(o)}}` : `${inner.slice(0, -1)}${Object.keys(o).length > 0 ? "," : ""}${JSON.stringify(o).slice(1)}`;
        const { raw: body, parsed } = raw(text);
        expect(body.bytesFor(parsed)).toBeUndefined();
      }),
      RUNS,
    );
  });

  it("strings that look like keys (quotes, colons, backslashes inside) are not counted as keys", () => {
    const text = '{"a":"\\":\\"b\\":","c":["\\\\",":","\\\\\\"d\\":"],"e":{"f\\"":"g"}}';
    const { raw: body, parsed } = raw(text);
    expect(Object.keys(parsed)).toEqual(["a", "c", "e"]);
    expect(body.bytesFor(parsed)?.toString()).toBe(text);
  });

  it("an edited copy of the body, or one nested past the writable depth, is written out instead", () => {
    const { raw: body, parsed } = raw('{"model":"gpt-4o","store":true}');
    expect(body.bytesFor({ ...parsed, store: false })).toBeUndefined();
    expect(body.bytesFor(parsed)).toBeDefined();
    const deep = raw(`{"a":${"[".repeat(1_500)}${"]".repeat(1_500)}}`);
    expect(deep.raw.bytesFor(deep.parsed)).toBeUndefined();
    const fine = raw(`{"a":${"[".repeat(500)}${"]".repeat(500)}}`);
    expect(fine.raw.bytesFor(fine.parsed)).toBeDefined();
  });
});
