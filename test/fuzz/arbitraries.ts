// Shared fast-check arbitraries for the fuzz suites: hostile strings, JSON values and request-shaped bodies, and the fixed run settings.
import fc from "fast-check";
import type { JsonObject, JsonValue } from "../../src/core/json.js";

/** A fixed seed and run count: the same cases in CI every time, a few seconds in all. */
export const RUNS = { seed: 0x5eed_a1c, numRuns: 300 } as const;

/** Put inside generated strings: an error message or log line must never contain it. */
export const MARK = "zz-fuzz-mark-zz";

/** Strings a parser must survive: names it knows, separators, control characters, any code point, the mark. */
export const text: fc.Arbitrary<string> = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary", maxLength: 24 }),
  fc.constantFrom("gpt-4o", "gpt-4o-mini", "text-embedding-3-small", "resp_abc123", "msg_1", "..", "a/b", "", " ", "\r\n", "\0", "%2e%2e", "\u202e", "2024-10-21", "2025-04-01-preview", "true", "false", "item_reference", "user", "function"),
  fc.tuple(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 })).map(([a, b]) => `${a}${MARK}${b}`),
);

/** Numbers JSON.parse can produce: any finite double, ±Infinity (from 1e400), -0, huge integers; never NaN. */
const number: fc.Arbitrary<number> = fc.oneof(fc.integer(), fc.double({ noNaN: true }), fc.constantFrom(0, -0, 1, -1, 1.5, 2 ** 53, 2 ** 31, 1e308, Infinity, -Infinity));

const scalar: fc.Arbitrary<JsonValue> = fc.oneof(text, number, fc.boolean(), fc.constant(null));

/** Keys the operations read, keys that try to redirect the call, keys JavaScript treats specially, and anything. */
const KNOWN_KEYS = [
  "model", "messages", "stream", "stream_options", "include_usage", "n", "max_tokens", "max_completion_tokens", "max_output_tokens",
  "input", "prompt", "tools", "function", "parameters", "previous_response_id", "background", "store", "conversation", "id", "type",
  "role", "content", "text", "image_url", "tool_calls", "name", "arguments", "instructions", "__proto__", "constructor", "toString",
] as const;
const ROUTING_KEYS = ["api_base", "api_version", "deployment_id", "azure_endpoint", "engine"] as const;
export const key: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.string({ maxLength: 8 }), weight: 6 },
  { arbitrary: fc.constantFrom(...KNOWN_KEYS), weight: 3 },
  { arbitrary: fc.constantFrom(...ROUTING_KEYS), weight: 1 },
);

/** Mostly what a real client sends, sometimes anything: so both the refusals and the paths after a success are explored. */
export function mostly<T>(usual: fc.Arbitrary<T>, hostile: fc.Arbitrary<T>, odds = 4): fc.Arbitrary<T> {
  return fc.oneof({ arbitrary: usual, weight: odds }, { arbitrary: hostile, weight: 1 });
}

export const jsonValue: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar,
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(key, tie("value"), { maxKeys: 4, noNullPrototype: true }),
  ),
})).value;

export const jsonObject: fc.Arbitrary<JsonObject> = fc.dictionary(key, jsonValue, { maxKeys: 6, noNullPrototype: true });
const extraFields: fc.Arbitrary<JsonObject> = fc.dictionary(key, jsonValue, { maxKeys: 2, noNullPrototype: true });

const part = fc.record(
  { type: fc.constantFrom("text", "image_url", "input_audio", "file", "input_text", "refusal", "weird"), text: fc.oneof(text, jsonValue), image_url: jsonValue },
  { requiredKeys: ["type"] },
);
const message = fc.record(
  {
    role: mostly(fc.constantFrom("system", "developer", "user", "assistant", "tool", "function"), text),
    content: mostly(text, fc.oneof(fc.array(fc.oneof(part, jsonValue), { maxLength: 3 }), jsonValue)),
    name: text,
    tool_calls: fc.oneof(fc.array(fc.record({ id: text, type: text, function: fc.record({ name: text, arguments: fc.oneof(text, jsonValue) }) }), { maxLength: 2 }), jsonValue),
    tool_call_id: text,
  },
  { requiredKeys: ["role"] },
);
const responseItem = fc.oneof(
  fc.record({ type: fc.constant("item_reference"), id: fc.oneof(text, fc.constantFrom("msg_abc", "fc_1", "rs_2"), jsonValue) }),
  fc.record({ type: fc.constant("message"), role: text, content: fc.oneof(text, fc.array(part, { maxLength: 2 })) }, { requiredKeys: ["type"] }),
  jsonValue,
);

const tokens = mostly(fc.integer({ min: 1, max: 100_000 }), fc.oneof(fc.integer({ min: -2, max: 2_000_000 }), number, jsonValue));
const flag = mostly(fc.boolean(), jsonValue);

/** Bodies shaped like requests (the fields the operations read, usually valid, sometimes hostile) plus a few other fields. */
const hostileBody: fc.Arbitrary<JsonObject> = fc
  .tuple(
    fc.record(
      {
        model: mostly(fc.constantFrom("gpt-4o", "gpt-4o-mini", "text-embedding-3-small", "gpt-35-turbo-instruct"), fc.oneof(text, jsonValue)),
        messages: mostly(fc.array(message, { minLength: 1, maxLength: 4 }), jsonValue),
        input: mostly(fc.oneof(text, fc.array(fc.oneof(text, responseItem), { minLength: 1, maxLength: 4 })), fc.oneof(fc.array(fc.oneof(number, fc.array(number, { maxLength: 3 })), { maxLength: 3 }), jsonValue)),
        prompt: mostly(fc.oneof(text, fc.array(text, { maxLength: 3 })), jsonValue),
        stream: flag,
        stream_options: fc.oneof(fc.record({ include_usage: flag }), jsonValue),
        n: mostly(fc.integer({ min: 1, max: 128 }), fc.oneof(fc.integer({ min: -2, max: 200 }), number, jsonValue)),
        max_tokens: tokens,
        max_completion_tokens: tokens,
        max_output_tokens: tokens,
        tools: mostly(fc.array(fc.record({ type: fc.constant("function"), function: fc.record({ name: text, parameters: jsonValue }) }), { maxLength: 2 }), jsonValue),
        previous_response_id: mostly(fc.constantFrom("resp_abc", "resp_0123456789"), fc.oneof(text, jsonValue)),
        background: flag,
        store: flag,
        conversation: fc.oneof(text, fc.record({ id: fc.oneof(fc.constantFrom("conv_1"), text, jsonValue) }), jsonValue),
      },
      { requiredKeys: [] },
    ),
    extraFields,
  )
  .map(([typed, extra]) => ({ ...extra, ...typed }));

/** A request any operation could accept: valid typed fields (with any text in them), sometimes a stream with its options. */
const plausibleBody: fc.Arbitrary<JsonObject> = fc
  .record(
    {
      model: fc.constantFrom("gpt-4o", "gpt-4o-mini", "text-embedding-3-small"),
      messages: fc.array(fc.record({ role: fc.constantFrom("system", "user", "assistant"), content: fc.oneof(text, fc.array(part, { maxLength: 2 })) }), { minLength: 1, maxLength: 3 }),
      input: fc.oneof(text, fc.array(fc.oneof(text, responseItem), { minLength: 1, maxLength: 3 })),
      prompt: fc.oneof(text, fc.array(text, { maxLength: 3 })),
      stream: fc.boolean(),
      includeUsage: fc.option(fc.boolean(), { nil: undefined }),
      n: fc.option(fc.integer({ min: 1, max: 128 }), { nil: undefined }),
      max_tokens: fc.option(fc.integer({ min: 1, max: 100_000 }), { nil: undefined }),
      max_output_tokens: fc.option(fc.integer({ min: 1, max: 100_000 }), { nil: undefined }),
      tools: fc.option(fc.array(fc.record({ type: fc.constant("function"), function: fc.record({ name: text, parameters: jsonValue }) }), { maxLength: 2 }), { nil: undefined }),
    },
    { requiredKeys: ["model", "messages", "input", "prompt", "stream"] },
  )
  .map(({ includeUsage, ...fields }) => {
    const body: JsonObject = {};
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) body[k] = v;
    if (body.stream === true && includeUsage !== undefined) body.stream_options = { include_usage: includeUsage };
    return body;
  });

export const requestBody: fc.Arbitrary<JsonObject> = fc.oneof({ arbitrary: plausibleBody, weight: 3 }, { arbitrary: hostileBody, weight: 2 });

/** Every string a value holds, keys included: for "never echoed" checks. */
export function stringsIn(v: unknown, out: string[] = []): string[] {
  if (typeof v === "string") out.push(v);
  else if (Array.isArray(v)) for (const item of v) stringsIn(item, out);
  else if (typeof v === "object" && v !== null) {
    for (const [k, item] of Object.entries(v)) {
      out.push(k);
      stringsIn(item, out);
    }
  }
  return out;
}
