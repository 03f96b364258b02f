// The gRPC door's response serializer (one reused writer) writes exactly the bytes of each method's generated serializer.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ChatCompletion, FinishReason } from "../../gen/aik/v1/chat.js";
import type { JsonObject } from "../../src/core/json.js";
import { servedMethods } from "../../src/operations/index.js";
import { loadApiSchema } from "../../src/schema/api-schema.js";
import { responseSerializer } from "../../src/transport/grpc/response-writer.js";
import { jsonObject, RUNS } from "../fuzz/arbitraries.js";

const schema = loadApiSchema();
const descriptor = (name: string) => {
  const [service, method] = name.split("/");
  const d = schema.registry.getService(service ?? "")?.methods.find((m) => m.name === method);
  if (!d) throw new Error(`no descriptor for ${name}`);
  return d;
};
const chat = servedMethods.find((m) => m.key === "createChatCompletion");
if (!chat) throw new Error("no createChatCompletion");
const serializeChat = responseSerializer(descriptor(chat.name));

// Answers shaped as Azure sends them (choices, deltas, filters, usage), beside arbitrary JSON.
const severity = fc.record({ filtered: fc.boolean(), severity: fc.constantFrom("safe", "low", "medium", "high") });
const filters = fc.record({ hate: severity, self_harm: severity, sexual: severity, violence: severity, jailbreak: fc.record({ filtered: fc.boolean(), detected: fc.boolean() }) }, { requiredKeys: [] });
const choice = fc.record(
  {
    index: fc.nat(8),
    message: fc.record({ role: fc.constant("assistant"), content: fc.option(fc.string(), { nil: null }), tool_calls: fc.array(fc.record({ id: fc.string(), type: fc.constant("function"), function: fc.record({ name: fc.string(), arguments: fc.string() }) }), { maxLength: 2 }) }),
    delta: fc.record({ role: fc.constant("assistant"), content: fc.string() }, { requiredKeys: [] }),
    text: fc.string(),
    finish_reason: fc.option(fc.constantFrom("stop", "length", "tool_calls", "content_filter"), { nil: null }),
    content_filter_results: filters,
  },
  { requiredKeys: ["index"] },
);
const shaped: fc.Arbitrary<JsonObject> = fc.record(
  {
    id: fc.string(),
    object: fc.constantFrom("chat.completion", "chat.completion.chunk", "text_completion", "list", "model"),
    created: fc.oneof(fc.nat(), fc.constant(1_796_046_288), fc.constant(2 ** 40)),
    model: fc.string(),
    system_fingerprint: fc.string(),
    choices: fc.array(choice, { maxLength: 2 }),
    prompt_filter_results: fc.array(fc.record({ prompt_index: fc.nat(3), content_filter_results: filters }), { maxLength: 1 }),
    usage: fc.record({ prompt_tokens: fc.nat(), completion_tokens: fc.nat(), total_tokens: fc.nat(), prompt_tokens_details: fc.record({ cached_tokens: fc.nat() }) }, { requiredKeys: [] }),
    data: fc.array(fc.record({ object: fc.constant("embedding"), index: fc.nat(4), embedding: fc.array(fc.float({ noNaN: true }), { maxLength: 4 }), id: fc.string() }), { maxLength: 2 }),
  },
  { requiredKeys: [] },
);

const answer = (content: string, index = 0): JsonObject => ({
  id: "chatcmpl-1",
  object: "chat.completion",
  created: 1_796_046_288,
  model: "gpt-4o",
  choices: [{ index, message: { role: "assistant", content }, finish_reason: "stop" }],
  usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
});

describe("response serializer", () => {
  it.each(servedMethods.map((m) => [m.name, m] as const))("%s: the same bytes as the generated serializer, answer after answer", (_name, m) => {
    const serialize = responseSerializer(descriptor(m.name));
    fc.assert(
      // One writer serves every message: a property run is hundreds of messages through it in turn.
      fc.property(fc.array(fc.oneof(shaped, jsonObject.filter((a) => !JSON.stringify(a).includes('"__proto__"'))), { minLength: 1, maxLength: 3 }), (answers) => {
        for (const a of answers) {
          const message = m.output(a);
          let expected: Buffer;
          try {
            expected = m.definition.responseSerialize(message);
          } catch {
            // Not encodable (an int32 out of range): the reused writer throws too, and the next message is still whole.
            expect(() => serialize(message)).toThrow();
            continue;
          }
          expect(serialize(message).equals(expected)).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it("a message that cannot be encoded throws, and the next one is written whole", () => {
    // An index past int32: the generated encoder refuses it (grpc-js then answers INTERNAL).
    expect(() => serializeChat(chat.output(answer("x", 2 ** 40)))).toThrow();
    const next = chat.output(answer("after"));
    expect(serializeChat(next).equals(chat.definition.responseSerialize(next))).toBe(true);
    expect(ChatCompletion.decode(serializeChat(next)).choices[0]?.finishReason).toBe(FinishReason.FINISH_REASON_STOP);
  });

  it("a message past the writer's keep size is written whole, and so is a small one after it", () => {
    const big = chat.output(answer("y".repeat(200_000)));
    const small = chat.output(answer("z"));
    expect(serializeChat(big).equals(chat.definition.responseSerialize(big))).toBe(true);
    expect(serializeChat(small).equals(chat.definition.responseSerialize(small))).toBe(true);
  });

  it("each message gets its own bytes: a later message does not overwrite an earlier one's", () => {
    const first = serializeChat(chat.output(answer("first")));
    const copy = Buffer.from(first);
    serializeChat(chat.output(answer("second, and longer than the first")));
    expect(first.equals(copy)).toBe(true);
  });
});
