// Properties of the proto<->JSON mappings: arbitrary request messages into OpenAI JSON and arbitrary JSON answers into messages throw only GatewayError, carry typed fields exactly, and stay encodable.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ChatCompletionRequest, ChatRole, CompletionRequest, CreateEmbeddingRequest, GetModelRequest } from "../../gen/aik/v1/chat.js";
import { CreateResponseRequest, GetResponseRequest, ListInputItemsRequest } from "../../gen/aik/v1/responses.js";
import { GatewayError } from "../../src/core/errors.js";
import type { JsonObject } from "../../src/core/json.js";
import { servedMethods, type ServedMethod } from "../../src/operations/index.js";
import { jsonObject, jsonValue, mostly, RUNS, text } from "./arbitraries.js";

const method = (key: string): ServedMethod => {
  const m = servedMethods.find((s) => s.key === key);
  if (!m) throw new Error(`no served method ${key}`);
  return m;
};

/** Runs `fn`; a GatewayError is an answer, anything else thrown fails the property. */
function onlyGatewayErrors<T>(fn: () => T): T | GatewayError {
  try {
    return fn();
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
}

/** Paths of the numbers JSON text cannot carry (NaN, ±Infinity). */
function nonFinite(v: unknown, path = "body"): string[] {
  if (typeof v === "number") return Number.isFinite(v) ? [] : [path];
  if (Array.isArray(v)) return v.flatMap((item, i) => nonFinite(item, `${path}[${i}]`));
  if (typeof v === "object" && v !== null) return Object.entries(v).flatMap(([k, item]) => nonFinite(item, `${path}.${k}`));
  return [];
}

// Struct values as the wire can carry them: any JSON, and doubles JSON cannot (NaN, ±Infinity).
const structValue = mostly(fc.jsonValue({ maxDepth: 3 }), fc.oneof(jsonValue, fc.constantFrom(Number.NaN, Infinity, -Infinity)), 12);
const struct = fc.dictionary(fc.string({ maxLength: 6 }), structValue, { maxKeys: 3 });
const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const double = fc.double();
const enumValue = (max: number): fc.Arbitrary<number> => mostly(fc.integer({ min: 1, max }), fc.oneof(fc.constant(0), fc.integer({ min: -5, max: 99 })), 12);

const chatMessage = fc.record({
  role: enumValue(5),
  content: fc.oneof(
    fc.constant(undefined),
    text.map((value) => ({ $case: "text" as const, value })),
    fc.array(fc.record({ part: mostly(fc.oneof(text.map((value) => ({ $case: "text" as const, value })), fc.record({ url: text, detail: text }).map((value) => ({ $case: "imageUrl" as const, value }))), fc.constant(undefined), 12) }), { maxLength: 2 }).map((parts) => ({ $case: "parts" as const, value: { parts } })),
  ),
  name: text,
  toolCalls: fc.array(fc.record({ id: text, type: text, function: fc.record({ name: text, arguments: text }) }), { maxLength: 2 }),
  toolCallId: text,
  refusal: fc.option(text, { nil: undefined }),
});

const chatRequest = fc.record(
  {
    model: mostly(fc.constantFrom("gpt-4o", "gpt-4o-mini"), text),
    deployment: mostly(fc.constant(""), text),
    messages: mostly(fc.array(chatMessage, { minLength: 1, maxLength: 3 }), fc.array(chatMessage, { maxLength: 0 })),
    temperature: double,
    topP: double,
    n: mostly(fc.integer({ min: 1, max: 128 }), int32),
    stop: fc.array(text, { maxLength: 3 }),
    maxTokens: mostly(fc.integer({ min: 1, max: 100_000 }), int32),
    maxCompletionTokens: mostly(fc.integer({ min: 1, max: 100_000 }), int32),
    presencePenalty: double,
    logitBias: struct,
    logprobs: fc.boolean(),
    topLogprobs: int32,
    seed: fc.integer(),
    user: text,
    tools: fc.array(fc.record({ type: text, function: fc.option(fc.record({ name: text, description: text, parameters: fc.option(struct, { nil: undefined }), strict: fc.option(fc.boolean(), { nil: undefined }) }), { nil: undefined, freq: 8 }) }), { maxLength: 2 }),
    toolChoice: fc.record({ choice: fc.oneof(fc.constant(undefined), text.map((value) => ({ $case: "mode" as const, value })), text.map((value) => ({ $case: "functionName" as const, value }))) }),
    responseFormat: fc.record({ type: enumValue(3), jsonSchema: fc.option(fc.record({ name: text, description: text, schema: fc.option(struct, { nil: undefined }), strict: fc.option(fc.boolean(), { nil: undefined }) }), { nil: undefined }) }),
    reasoningEffort: enumValue(5),
    streamOptions: mostly(fc.constant(undefined), fc.record({ includeUsage: fc.boolean() })),
    metadata: struct,
    store: fc.boolean(),
    extraBody: fc.dictionary(mostly(fc.string({ maxLength: 6 }), fc.constantFrom("model", "api_base", "messages", "x_new_field"), 12), structValue, { maxKeys: 3 }),
  },
  { requiredKeys: ["model", "deployment", "messages", "stop", "user", "tools"] },
);

const ROLE_NAMES: Partial<Record<number, string>> = { [ChatRole.CHAT_ROLE_SYSTEM]: "system", [ChatRole.CHAT_ROLE_DEVELOPER]: "developer", [ChatRole.CHAT_ROLE_USER]: "user", [ChatRole.CHAT_ROLE_ASSISTANT]: "assistant", [ChatRole.CHAT_ROLE_TOOL]: "tool" };

describe("request messages into OpenAI JSON", () => {
  it.each(["createChatCompletion", "streamChatCompletion"])("%s: any message maps to JSON carrying each typed field exactly, or to a GatewayError", (key) => {
    const m = method(key);
    fc.assert(
      fc.property(chatRequest, (partial) => {
        const msg = ChatCompletionRequest.fromPartial(partial as Parameters<typeof ChatCompletionRequest.fromPartial>[0]);
        const input = onlyGatewayErrors(() => m.input(msg));
        if (input instanceof GatewayError) return;
        onlyGatewayErrors(() => m.op.parse(input));
        const body = input.body ?? {};
        if (msg.model) expect(body.model).toBe(msg.model);
        if (msg.deployment) expect(input.params.deployment).toBe(msg.deployment);
        for (const [field, value] of [["temperature", msg.temperature], ["top_p", msg.topP], ["n", msg.n], ["max_tokens", msg.maxTokens], ["seed", msg.seed], ["store", msg.store]] as const) {
          if (value !== undefined) expect(body[field]).toBe(value);
        }
        expect(body.messages).toHaveLength(msg.messages.length);
        msg.messages.forEach((mm, i) => {
          const j = (body.messages as JsonObject[])[i];
          expect(j?.role).toBe(ROLE_NAMES[mm.role]);
          if (mm.content?.$case === "text") expect(j?.content).toBe(mm.content.value);
        });
        if (msg.stop.length > 0) expect(body.stop).toEqual(msg.stop);
        // What goes upstream is JSON text: a value JSON cannot hold (NaN, Infinity) would arrive as null, silently changed.
        expect(nonFinite(body)).toEqual([]);
      }),
      RUNS,
    );
  });

  it("CreateResponse: any message maps to JSON carrying its typed fields, or to a GatewayError", () => {
    const m = method("createResponse");
    const req = fc.record(
      {
        model: mostly(fc.constant("gpt-4o-mini"), text),
        instructions: text,
        inputText: text,
        input: fc.array(struct, { maxLength: 2 }),
        previousResponseId: mostly(fc.constant(""), text),
        maxOutputTokens: int32,
        store: fc.boolean(),
        background: fc.boolean(),
        temperature: double,
        topP: double,
        tools: fc.array(struct, { maxLength: 2 }),
        metadata: struct,
        extraBody: struct,
      },
      { requiredKeys: ["model", "input", "tools"] },
    );
    fc.assert(
      fc.property(req, (partial) => {
        const msg = CreateResponseRequest.fromPartial(partial as Parameters<typeof CreateResponseRequest.fromPartial>[0]);
        const input = onlyGatewayErrors(() => m.input(msg));
        if (input instanceof GatewayError) return;
        onlyGatewayErrors(() => m.op.parse(input));
        const body = input.body ?? {};
        if (msg.model) expect(body.model).toBe(msg.model);
        if (msg.maxOutputTokens !== undefined) expect(body.max_output_tokens).toBe(msg.maxOutputTokens);
        if (msg.inputText && msg.input.length === 0) expect(body.input).toBe(msg.inputText);
        expect(nonFinite(body)).toEqual([]);
      }),
      RUNS,
    );
  });

  // A generated message of the method's type, encoded; then random bytes after it and random edits anywhere.
  const responseId = mostly(fc.constantFrom("resp_abc123", "resp_Z9"), text);
  const bases: Record<string, fc.Arbitrary<Uint8Array>> = {
    createChatCompletion: chatRequest.map((p) => ChatCompletionRequest.encode(ChatCompletionRequest.fromPartial(p as Parameters<typeof ChatCompletionRequest.fromPartial>[0])).finish()),
    createCompletion: fc.record({ model: text, deployment: text, prompt: fc.array(text, { maxLength: 3 }), maxTokens: int32, n: int32, extraBody: struct }).map((p) => CompletionRequest.encode(CompletionRequest.fromPartial(p)).finish()),
    createEmbedding: fc.record({ model: text, deployment: text, input: fc.array(text, { maxLength: 3 }), dimensions: int32, user: text }).map((p) => CreateEmbeddingRequest.encode(CreateEmbeddingRequest.fromPartial(p)).finish()),
    listModels: fc.constant(new Uint8Array(0)),
    getModel: text.map((model) => GetModelRequest.encode({ model }).finish()),
    createResponse: fc.record({ model: text, inputText: text, input: fc.array(struct, { maxLength: 2 }), previousResponseId: text, metadata: struct, extraBody: struct }).map((p) => CreateResponseRequest.encode(CreateResponseRequest.fromPartial(p)).finish()),
    getResponse: fc.record({ responseId, include: fc.array(text, { maxLength: 2 }), startingAfter: fc.option(fc.integer(), { nil: undefined }) }).map((p) => GetResponseRequest.encode(GetResponseRequest.fromPartial(p)).finish()),
    listInputItems: fc.record({ responseId, limit: fc.option(int32, { nil: undefined }), order: text, after: text, include: fc.array(text, { maxLength: 2 }) }).map((p) => ListInputItemsRequest.encode(ListInputItemsRequest.fromPartial(p)).finish()),
  };
  const BASE_OF: Record<string, string> = { streamChatCompletion: "createChatCompletion", streamCompletion: "createCompletion", streamResponse: "createResponse", resumeResponse: "getResponse", deleteResponse: "getResponse", cancelResponse: "getResponse" };
  it.each(servedMethods.map((m) => [m.name, m] as const))("%s: bytes a client could send decode to a message that maps and parses to a GatewayError at worst", (_name, m) => {
    const base = bases[BASE_OF[m.key] ?? m.key];
    if (!base) throw new Error(`no message generator for ${m.key}: add one`);
    const edits = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom("set", "insert", "delete")), { maxLength: 8 });
    fc.assert(
      fc.property(base, fc.uint8Array({ maxLength: 32 }), edits, (sample, noise, changes) => {
        const bytes = [...sample, ...noise];
        for (const [at, byte, op] of changes) {
          const i = bytes.length === 0 ? 0 : at % bytes.length;
          if (op === "set") bytes[i] = byte;
          else if (op === "insert") bytes.splice(i, 0, byte);
          else bytes.splice(i, 1);
        }
        let decoded: unknown;
        try {
          decoded = m.definition.requestDeserialize(Buffer.from(bytes));
        } catch {
          return; // not protobuf: the transport's to refuse
        }
        const input = onlyGatewayErrors(() => m.input(decoded));
        if (!(input instanceof GatewayError)) onlyGatewayErrors(() => m.op.parse(input));
      }),
      RUNS,
    );
  });
});

const usage = fc.record({ prompt_tokens: fc.nat(1e6), completion_tokens: fc.nat(1e6), total_tokens: fc.nat(2e6) });
const chatAnswer = fc.record({
  id: text,
  object: fc.constant("chat.completion"),
  created: fc.nat(2 ** 40),
  model: text,
  choices: fc.array(fc.record({ index: fc.nat(127), message: fc.record({ role: fc.constant("assistant"), content: text }), finish_reason: fc.constantFrom("stop", "length", "tool_calls", "content_filter") }), { maxLength: 3 }),
  usage,
});

describe("JSON answers into response messages", () => {
  it.each(servedMethods.map((m) => [m.name, m] as const))("%s: any JSON answer maps to a message that encodes and decodes to itself", (_name, m) => {
    fc.assert(
      // ts-proto's generated Struct.wrap/unwrap (gen/, both ends of the wire) assign keys onto plain objects, so a
      // "__proto__" key becomes a prototype and vanishes: a generator limitation, left out of this property.
      fc.property(fc.oneof(jsonObject, chatAnswer).filter((a) => !JSON.stringify(a).includes('"__proto__"')), (answer) => {
        const out = onlyGatewayErrors(() => m.output(answer));
        if (out instanceof GatewayError) return;
        expect(m.definition.responseDeserialize(m.definition.responseSerialize(out))).toEqual(out);
      }),
      RUNS,
    );
  });

  it("chat: the typed fields of a well-formed answer arrive exactly", () => {
    const m = method("createChatCompletion");
    fc.assert(
      fc.property(chatAnswer, (answer) => {
        const out = m.definition.responseDeserialize(m.definition.responseSerialize(m.output(answer)));
        expect(out).toMatchObject({
          id: answer.id,
          model: answer.model,
          created: answer.created,
          usage: { promptTokens: answer.usage.prompt_tokens, completionTokens: answer.usage.completion_tokens, totalTokens: answer.usage.total_tokens },
          choices: answer.choices.map((c) => ({ index: c.index, message: { content: { $case: "text", value: c.message.content } } })),
        });
      }),
      RUNS,
    );
  });
});
