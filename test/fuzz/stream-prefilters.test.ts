// The relay reads an HTTP stream's events only when its shape's prefilters say they may matter (src/core/relay.ts).
// Their promise, checked on random chunks: they may say yes wrongly, never no wrongly. An event whose full read finds
// generated text, usage or an error is never one the prefilters let pass unread.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Call, StreamShape } from "../../src/core/operation.js";
import { chatCompletions } from "../../src/operations/chat/operation.js";
import { completions } from "../../src/operations/completions/operation.js";
import { RUNS, text } from "./arbitraries.js";

const maybeText = fc.oneof(text, fc.constantFrom("", '"', '\\"', "\\u0041", "\n"), fc.constant(null), fc.constant(undefined));
const delta = fc.record(
  {
    role: fc.constantFrom("assistant", undefined),
    content: maybeText,
    refusal: maybeText,
    tool_calls: fc.option(fc.array(fc.record({ index: fc.nat(3), id: fc.string(), function: fc.record({ name: maybeText, arguments: maybeText }, { requiredKeys: [] }) })), { nil: undefined }),
  },
  { requiredKeys: [] },
);
const filterResults = fc.constant({ content_filter_results: { hate: { filtered: false, severity: "safe" } } });
const chatChunk = fc.oneof(
  fc.record({ id: fc.string(), choices: fc.array(fc.record({ index: fc.nat(3), delta, finish_reason: fc.constantFrom(null, "stop") }), { maxLength: 3 }) }),
  fc.record({ choices: fc.constant([]), prompt_filter_results: fc.array(fc.record({ prompt_index: fc.nat(2), content_filter_results: filterResults }), { maxLength: 2 }) }),
  fc.record({ choices: fc.constant([]), usage: fc.record({ prompt_tokens: fc.nat(), completion_tokens: fc.nat(), total_tokens: fc.nat() }) }),
  fc.record({ error: fc.record({ code: fc.string(), message: text }) }),
);
const completionChunk = fc.oneof(
  fc.record({ choices: fc.array(fc.record({ index: fc.nat(3), text: maybeText, finish_reason: fc.constantFrom(null, "length") }), { maxLength: 3 }) }),
  fc.record({ choices: fc.constant([]), usage: fc.record({ prompt_tokens: fc.nat(), completion_tokens: fc.nat(), total_tokens: fc.nat() }) }),
);
// Azure writes compact JSON; the prefilters hold for indented JSON too.
const spacing = fc.constantFrom(undefined, 1, "  ");

function check(shape: StreamShape, chunk: fc.Arbitrary<object>): void {
  const call = { includeUsage: true } as unknown as Call;
  fc.assert(
    fc.property(chunk, spacing, (value, space) => {
      const data = JSON.stringify(value, null, space);
      const found: string[] = [];
      const facts = shape.read(undefined, JSON.parse(data), call, found);
      if (found.length > 0) expect(shape.mayCarryText(undefined, data), data).toBe(true);
      if (facts.usage !== undefined || facts.errorCode !== undefined) expect(shape.mayTell(undefined, data), data).toBe(true);
    }),
    RUNS,
  );
}

describe("stream prefilters never say no wrongly", () => {
  it("chat completions chunks", () => check(chatCompletions.stream as StreamShape, chatChunk));
  it("legacy completions chunks", () => check(completions.stream as StreamShape, completionChunk));
  it("Azure's role and prompt-filter chunks carry no text, so an HTTP stream reads neither", () => {
    const shape = chatCompletions.stream as StreamShape;
    expect(shape.mayCarryText(undefined, '{"choices":[],"prompt_filter_results":[{"prompt_index":0,"content_filter_results":{"hate":{"filtered":false,"severity":"safe"}}}]}')).toBe(false);
    expect(shape.mayCarryText(undefined, '{"choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null}}]}')).toBe(false);
    expect(shape.mayCarryText(undefined, '{"choices":[{"index":0,"delta":{"content":"Hi"}}]}')).toBe(true);
  });
});
