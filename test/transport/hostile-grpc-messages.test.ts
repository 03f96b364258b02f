// Hostile gRPC messages, the twin of the HTTP body suite: bytes that are not protobuf, deep Structs, unknown enums, invalid UTF-8 and sizes.
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ChatCompletionRequest, ChatRole, CompletionRequest, CreateEmbeddingRequest, GetModelRequest, ReasoningEffort, ResponseFormat_Type } from "../../gen/aik/v1/chat.js";
import { CreateResponseRequest } from "../../gen/aik/v1/responses.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { bearerMetadata, CANARY, expectCleanLogs, field, expectGrpcEnd, grpcFailure, MiB, nestedList, nestedStruct, RawGrpc } from "./hostile-wire.js";

let t: TestGateway;
let raw: RawGrpc;
beforeAll(async () => {
  t = await startTestGateway();
  raw = new RawGrpc(t.grpcAddress);
});
afterAll(async () => {
  raw.close();
  await t.close();
});
beforeEach(() => t.emulator.clearRequests());

const CHAT = "/aik.v1.ChatService/CreateChatCompletion";
const CHAT_STREAM = "/aik.v1.ChatService/StreamChatCompletion";
const COMPLETION = "/aik.v1.ChatService/CreateCompletion";
const EMBED = "/aik.v1.ChatService/CreateEmbedding";
const GET_MODEL = "/aik.v1.ChatService/GetModel";
const RESPONSE = "/aik.v1.ResponsesService/CreateResponse";
const CREATE_USER = "/aik.v1.AdminService/CreateUser";

const bytes = (u: Uint8Array): Buffer => Buffer.from(u);
const user = { role: ChatRole.CHAT_ROLE_USER, content: { $case: "text" as const, value: CANARY } };
const chat = (over: Partial<ChatCompletionRequest> = {}): Buffer =>
  bytes(ChatCompletionRequest.encode({ ...ChatCompletionRequest.fromPartial({ model: "gpt-4o", messages: [user] }), ...over }).finish());
const response = (): Buffer => bytes(CreateResponseRequest.encode(CreateResponseRequest.fromPartial({ model: "gpt-4o-mini", inputText: CANARY })).finish());
const DEEP = 100_000;

/** A struct as a Tool's function.parameters: Tool{type:"function", function{name:"f", parameters}}. */
const toolWith = (struct: Buffer): Buffer => field(17, Buffer.concat([field(1, Buffer.from("function")), field(2, Buffer.concat([field(1, Buffer.from("f")), field(3, struct)]))]));
const schemaWith = (struct: Buffer): Buffer => field(20, Buffer.concat([Buffer.from([0x08, ResponseFormat_Type.TYPE_JSON_SCHEMA]), field(2, Buffer.concat([field(1, Buffer.from("s")), field(3, struct)]))]));
/** A chat message whose text is the bytes given, unchecked. */
const rawText = (text: Buffer): Buffer => field(3, Buffer.concat([Buffer.from([0x08, ChatRole.CHAT_ROLE_USER]), field(2, text)]));

type Kind = "unary" | "stream";
type Case = readonly [label: string, kind: Kind, path: string, message: () => Buffer, code: status, upstream: number];

const INVALID = status.INVALID_ARGUMENT;

describe("hostile gRPC messages", () => {
  const cases: Case[] = [
    // Not protobuf at all: the client's fault, not the server's (INTERNAL would page an operator).
    ["random bytes", "unary", CHAT, () => Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), INVALID, 0],
    ["a length running past the end", "unary", CHAT, () => Buffer.from([0x0a, 0x10, 0x61]), INVALID, 0],
    ["an unterminated group after a valid request", "unary", CHAT, () => Buffer.concat([chat(), Buffer.from([0x0b])]), INVALID, 0],
    ["a reserved wire type (6) after a valid request", "unary", CHAT, () => Buffer.concat([chat(), Buffer.from([0x0e, 0x00])]), INVALID, 0],
    ["a varint of 11 bytes", "unary", CHAT, () => Buffer.concat([chat(), Buffer.from([0x40, ...new Array<number>(10).fill(0xff), 0x01])]), INVALID, 0],
    ["random bytes on a server stream", "stream", CHAT_STREAM, () => Buffer.from([0xff, 0xff, 0xff]), INVALID, 0],
    ["random bytes on CreateEmbedding", "unary", EMBED, () => Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), INVALID, 0],
    ["random bytes on CreateResponse", "unary", RESPONSE, () => Buffer.from([0x22, 0x05, 0x0a]), INVALID, 0],
    ["random bytes on GetModel", "unary", GET_MODEL, () => Buffer.from([0x0a, 0x7f]), INVALID, 0],
    // Structs: the decoder and every walk after it must stop at a depth, with the field named.
    ["an extra_body Struct nested 100 deep", "unary", CHAT, () => Buffer.concat([chat(), field(100, nestedStruct(100))]), INVALID, 0],
    [`an extra_body Struct nested ${DEEP} deep`, "unary", CHAT, () => Buffer.concat([chat(), field(100, nestedStruct(DEEP))]), INVALID, 0],
    [`an extra_body list nested ${DEEP} deep`, "unary", CHAT, () => Buffer.concat([chat(), field(100, nestedList(DEEP))]), INVALID, 0],
    [`tool parameters nested ${DEEP} deep`, "unary", CHAT, () => Buffer.concat([chat(), toolWith(nestedStruct(DEEP))]), INVALID, 0],
    [`a JSON schema nested ${DEEP} deep`, "unary", CHAT, () => Buffer.concat([chat(), schemaWith(nestedStruct(DEEP))]), INVALID, 0],
    [`logit_bias nested ${DEEP} deep`, "unary", CHAT, () => Buffer.concat([chat(), field(12, nestedStruct(DEEP))]), INVALID, 0],
    [`chat metadata nested ${DEEP} deep`, "unary", CHAT, () => Buffer.concat([chat(), field(23, nestedStruct(DEEP))]), INVALID, 0],
    [`a streamed chat's extra_body nested ${DEEP} deep`, "stream", CHAT_STREAM, () => Buffer.concat([chat(), field(100, nestedStruct(DEEP))]), INVALID, 0],
    [`a completion's extra_body nested ${DEEP} deep`, "unary", COMPLETION, () => Buffer.concat([bytes(CompletionRequest.encode(CompletionRequest.fromPartial({ model: "gpt-35-turbo-instruct", prompt: [CANARY] })).finish()), field(100, nestedStruct(DEEP))]), INVALID, 0],
    [`a response input item nested ${DEEP} deep`, "unary", RESPONSE, () => Buffer.concat([bytes(CreateResponseRequest.encode(CreateResponseRequest.fromPartial({ model: "gpt-4o-mini" })).finish()), field(4, nestedStruct(DEEP))]), INVALID, 0],
    [`response metadata nested ${DEEP} deep`, "unary", RESPONSE, () => Buffer.concat([response(), field(12, nestedStruct(DEEP))]), INVALID, 0],
    ["an extra_body Struct nested 10 deep goes up as it is", "unary", CHAT, () => Buffer.concat([chat(), field(100, nestedStruct(10))]), status.OK, 1],
    // Enum values the proto does not define: refused naming the field, never dropped in silence.
    ["a message role of 99", "unary", CHAT, () => chat({ messages: [{ ...ChatCompletionRequest.fromPartial({ messages: [user] }).messages[0]!, role: 99 as ChatRole }] }), INVALID, 0],
    ["a message role of -1", "unary", CHAT, () => chat({ messages: [{ ...ChatCompletionRequest.fromPartial({ messages: [user] }).messages[0]!, role: -1 as ChatRole }] }), INVALID, 0],
    ["a response_format type of 99", "unary", CHAT, () => chat({ responseFormat: { type: 99 as ResponseFormat_Type, jsonSchema: undefined } }), INVALID, 0],
    ["a reasoning_effort of 99", "unary", CHAT, () => chat({ reasoningEffort: 99 as ReasoningEffort }), INVALID, 0],
    // A double JSON cannot carry would reach Azure as null (its default): refused instead of silently changed.
    ["a temperature of NaN", "unary", CHAT, () => chat({ temperature: Number.NaN }), INVALID, 0],
    ["a top_p of Infinity", "unary", CHAT, () => chat({ topP: Infinity }), INVALID, 0],
    // Protobuf strings are UTF-8: bytes that are not are refused, not replaced with U+FFFD and forwarded.
    ["invalid UTF-8 in the model", "unary", CHAT, () => Buffer.concat([field(1, Buffer.from([0x67, 0xff, 0xfe])), rawText(Buffer.from("hi"))]), INVALID, 0],
    ["invalid UTF-8 in a message", "unary", CHAT, () => Buffer.concat([field(1, Buffer.from("gpt-4o")), rawText(Buffer.from([0x61, 0xc0, 0xaf]))]), INVALID, 0],
    ["a UTF-16 surrogate in embeddings input", "unary", EMBED, () => Buffer.concat([field(1, Buffer.from("text-embedding-3-small")), field(3, Buffer.from([0xed, 0xa0, 0x80]))]), INVALID, 0],
    // Sizes: the message limit, and the message-count bound the HTTP door has too.
    ["a message over the size limit", "unary", CHAT, () => chat({ messages: [{ ...ChatCompletionRequest.fromPartial({ messages: [user] }).messages[0]!, content: { $case: "text", value: "x".repeat(5 * MiB) } }] }), status.RESOURCE_EXHAUSTED, 0],
    ["100,001 messages", "unary", CHAT, () => chat({ messages: new Array(100_001).fill(ChatCompletionRequest.fromPartial({ messages: [user] }).messages[0]) }), INVALID, 0],
    ["100,000 messages (the bound) go up once", "unary", CHAT, () => chat({ messages: new Array(100_000).fill(ChatCompletionRequest.fromPartial({ messages: [{ role: ChatRole.CHAT_ROLE_USER, content: { $case: "text", value: "x" } }] }).messages[0]) }), status.OK, 1],
  ];

  it.each(cases)("%s", async (_label, kind, path, message, code, upstream) => {
    const md = bearerMetadata(t.apiKey);
    await expectGrpcEnd(kind === "unary" ? raw.unary(path, message(), md) : raw.stream(path, message(), md), code);
    expect(t.emulator.requests).toHaveLength(upstream);
  });

  it("the control plane refuses bytes that are not protobuf with INVALID_ARGUMENT too", async () => {
    const f = await grpcFailure(raw.unary(CREATE_USER, Buffer.from([0x0a, 0x40, 0x61]), bearerMetadata(t.adminToken)));
    expect(f.code, f.details).toBe(INVALID);
  });

  it("GetModel with a name of control characters is INVALID_ARGUMENT naming the model", async () => {
    for (const model of ["gpt-4o\0", "gpt-4o\r\nx-injected: 1", "..", `${CANARY}\n`]) {
      const f = await grpcFailure(raw.unary(GET_MODEL, bytes(GetModelRequest.encode({ model }).finish()), bearerMetadata(t.apiKey)));
      expect(f.code, f.details).toBe(INVALID);
      expect(f.details).not.toContain(CANARY);
    }
  });

  it("CreateEmbedding with CR/LF in the model is refused before any upstream call", async () => {
    const msg = bytes(CreateEmbeddingRequest.encode(CreateEmbeddingRequest.fromPartial({ model: "text\r\nembedding", input: [CANARY] })).finish());
    expect((await grpcFailure(raw.unary(EMBED, msg, bearerMetadata(t.apiKey)))).code).toBe(INVALID);
    expect(t.emulator.requests).toHaveLength(0);
  });
});

describe("afterwards", () => {
  it("the gateway still serves over gRPC, and no log line holds the canary", async () => {
    await raw.unary(CHAT, chat(), bearerMetadata(t.apiKey));
    expect(t.emulator.requests).toHaveLength(1);
    expectCleanLogs(t.logs);
  });
});
