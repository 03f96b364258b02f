// Hostile gRPC names, credentials and framing: control characters in every field that could reach a URL or log, raw HTTP/2 metadata, compressed frames.
import { connect as h2connect, type ClientHttp2Session, type OutgoingHttpHeaders } from "node:http2";
import { gzipSync } from "node:zlib";
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ChatCompletionRequest, ChatRole, CompletionRequest } from "../../gen/aik/v1/chat.js";
import { CreateResponseRequest, GetResponseRequest } from "../../gen/aik/v1/responses.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { bearerMetadata, CANARY, expectCleanLogs, expectGrpcEnd, grpcFailure, MiB, RawGrpc, unknownKey } from "./hostile-wire.js";

let t: TestGateway;
let raw: RawGrpc;
let h2: ClientHttp2Session;
beforeAll(async () => {
  t = await startTestGateway();
  raw = new RawGrpc(t.grpcAddress);
  h2 = h2connect(`http://${t.grpcAddress}`);
  h2.on("error", () => undefined);
});
afterAll(async () => {
  h2.close();
  raw.close();
  await t.close();
});
beforeEach(() => t.emulator.clearRequests());

const CHAT = "/aik.v1.ChatService/CreateChatCompletion";
const user = { role: ChatRole.CHAT_ROLE_USER, content: { $case: "text" as const, value: CANARY } };
const chat = (over: Partial<ChatCompletionRequest> = {}): Buffer =>
  Buffer.from(ChatCompletionRequest.encode({ ...ChatCompletionRequest.fromPartial({ model: "gpt-4o", messages: [user] }), ...over }).finish());
const responseReq = (over: Partial<CreateResponseRequest>): Buffer =>
  Buffer.from(CreateResponseRequest.encode({ ...CreateResponseRequest.fromPartial({ model: "gpt-4o-mini", inputText: CANARY }), ...over }).finish());
const getReq = (responseId: string, include: string[] = []): Buffer => Buffer.from(GetResponseRequest.encode({ responseId, include, startingAfter: undefined }).finish());

type NameCase = readonly [label: string, path: string, message: () => Buffer, code: status, upstream: number];

describe("control characters in names over gRPC", () => {
  const cases: NameCase[] = [
    ["a NUL in the model", CHAT, () => chat({ model: `gpt-4o\0${CANARY}` }), status.INVALID_ARGUMENT, 0],
    ["CR/LF and a header in the model", CHAT, () => chat({ model: `gpt-4o\r\nx-injected: ${CANARY}` }), status.INVALID_ARGUMENT, 0],
    ["CR/LF in the deployment", CHAT, () => chat({ deployment: "gpt-4o\r\nx-injected: 1" }), status.INVALID_ARGUMENT, 0],
    ["'../x' as the deployment", CHAT, () => chat({ deployment: "../x" }), status.INVALID_ARGUMENT, 0],
    ["'%2e%2e' as the deployment", CHAT, () => chat({ deployment: "%2e%2e" }), status.INVALID_ARGUMENT, 0],
    ["a right-to-left override in the deployment", CHAT, () => chat({ deployment: "\u202egpt-4o" }), status.INVALID_ARGUMENT, 0],
    ["CR/LF in a completion model", "/aik.v1.ChatService/CreateCompletion", () => Buffer.from(CompletionRequest.encode(CompletionRequest.fromPartial({ model: "gpt-35-turbo-instruct\r\n", prompt: [CANARY] })).finish()), status.INVALID_ARGUMENT, 0],
    ["CR/LF in a response model", "/aik.v1.ResponsesService/CreateResponse", () => responseReq({ model: "gpt-4o-mini\r\nx: 1" }), status.INVALID_ARGUMENT, 0],
    ["CR/LF in previous_response_id", "/aik.v1.ResponsesService/CreateResponse", () => responseReq({ previousResponseId: "resp_a\r\nx: 1" }), status.INVALID_ARGUMENT, 0],
    ["a NUL in a response id (GetResponse)", "/aik.v1.ResponsesService/GetResponse", () => getReq("resp_a\0"), status.INVALID_ARGUMENT, 0],
    ["CR/LF in a response id (DeleteResponse)", "/aik.v1.ResponsesService/DeleteResponse", () => getReq("resp_a\r\nb"), status.INVALID_ARGUMENT, 0],
    ["'..' in a response id (CancelResponse)", "/aik.v1.ResponsesService/CancelResponse", () => getReq("resp_a/../../x"), status.INVALID_ARGUMENT, 0],
    ["CR/LF in an include value of an unknown response: not found, nothing sent", "/aik.v1.ResponsesService/GetResponse", () => getReq("resp_0123456789abcdef", ["a\r\nx-injected: 1"]), status.NOT_FOUND, 0],
    ["a routing override with CR/LF in extra_body", CHAT, () => chat({ extraBody: { api_base: "http://x\r\n" } }), status.INVALID_ARGUMENT, 0],
    ["an api-version in extra_body", CHAT, () => chat({ extraBody: { api_version: "2024-10-21\r\nx: 1" } }), status.INVALID_ARGUMENT, 0],
    ["CR/LF and the canary in `user` go up as data, never into a log", CHAT, () => chat({ user: `${CANARY}\r\nx-injected: 1` }), status.OK, 1],
  ];

  it.each(cases)("%s", async (_label, path, message, code, upstream) => {
    await expectGrpcEnd(raw.unary(path, message(), bearerMetadata(t.apiKey)), code);
    expect(t.emulator.requests).toHaveLength(upstream);
  });
});

interface H2Outcome {
  readonly httpStatus: number | undefined;
  readonly grpcStatus: number | undefined;
  /** Non-zero when the server reset the stream (a header HTTP/2 forbids). */
  readonly resetCode: number;
}

/** One gRPC call on raw HTTP/2: headers as given (no client-side validation), one length-prefixed frame. */
function h2call(headers: OutgoingHttpHeaders, frame: Buffer): Promise<H2Outcome> {
  return new Promise((resolve) => {
    let httpStatus: number | undefined;
    let grpcStatus: number | undefined;
    const read = (h: Record<string, unknown>): void => {
      if (typeof h[":status"] === "number") httpStatus = h[":status"];
      if (typeof h["grpc-status"] === "string") grpcStatus = Number(h["grpc-status"]);
    };
    const req = h2.request({ ":method": "POST", ":path": CHAT, "content-type": "application/grpc", te: "trailers", ...headers });
    req.on("response", read);
    req.on("trailers", read);
    req.on("data", () => undefined);
    req.on("error", () => undefined);
    req.on("close", () => resolve({ httpStatus, grpcStatus, resetCode: req.rstCode ?? 0 }));
    req.end(frame);
  });
}

const frame = (message: Buffer, compressed = false): Buffer => {
  const head = Buffer.alloc(5);
  head[0] = compressed ? 1 : 0;
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
};

describe("credentials and framing on raw HTTP/2", () => {
  const refusedOrUnauthenticated = (o: H2Outcome): void => {
    // A NUL or CR/LF in a header is an HTTP/2 protocol error: a stream reset is a refusal too.
    if (o.resetCode !== 0) return;
    expect(o.grpcStatus).toBe(status.UNAUTHENTICATED);
  };

  const credentials: ReadonlyArray<readonly [string, () => string]> = [
    ["a NUL in the credential", (): string => `Bearer ${t.apiKey}\0${CANARY}`],
    ["CR/LF in the credential", (): string => `Bearer ${t.apiKey}\r\nx-injected: ${CANARY}`],
    ["a bare LF in the credential", (): string => `Bearer ${t.apiKey}\n${CANARY}`],
    ["Latin-1 bytes in the credential", (): string => `Bearer aik_\xff\xfe${CANARY}`],
    ["a credential of 8 KB", (): string => `Bearer aik_${"A".repeat(8192)}`],
    ["a well-formed key nobody was given", (): string => `Bearer ${unknownKey()}`],
  ];
  it.each(credentials)("%s -> refused, nothing sent upstream", async (_label, credential) => {
    refusedOrUnauthenticated(await h2call({ authorization: credential() }, frame(chat())));
    expect(t.emulator.requests).toHaveLength(0);
  });

  it("a frame header claiming 2 GiB is RESOURCE_EXHAUSTED at once, without waiting for or allocating the bytes", async () => {
    const head = Buffer.from([0, 0x7f, 0xff, 0xff, 0xff]);
    const o = await h2call({ authorization: `Bearer ${t.apiKey}` }, Buffer.concat([head, Buffer.alloc(16)]));
    expect(o.grpcStatus).toBe(status.RESOURCE_EXHAUSTED);
    expect(t.emulator.requests).toHaveLength(0);
  });

  it("a gzip bomb in a compressed frame is RESOURCE_EXHAUSTED, never inflated past the limit", async () => {
    const bomb = gzipSync(Buffer.alloc(256 * MiB));
    const rssBefore = process.memoryUsage().rss;
    const o = await h2call({ authorization: `Bearer ${t.apiKey}`, "grpc-encoding": "gzip" }, frame(bomb, true));
    expect(o.grpcStatus).toBe(status.RESOURCE_EXHAUSTED);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(128 * MiB);
    expect(t.emulator.requests).toHaveLength(0);
  });

  it("a small gzip-compressed request is served (compression is part of gRPC)", async () => {
    const o = await h2call({ authorization: `Bearer ${t.apiKey}`, "grpc-encoding": "gzip" }, frame(gzipSync(chat()), true));
    expect(o.grpcStatus).toBe(status.OK);
    expect(t.emulator.requests).toHaveLength(1);
  });

  it("a compressed frame in an encoding the server does not know is UNIMPLEMENTED", async () => {
    const o = await h2call({ authorization: `Bearer ${t.apiKey}`, "grpc-encoding": "x-snappy-bomb" }, frame(chat(), true));
    expect(o.grpcStatus).toBe(status.UNIMPLEMENTED);
    expect(t.emulator.requests).toHaveLength(0);
  });

  it("JSON posted to the gRPC port is refused (415), never parsed", async () => {
    const o = await h2call({ authorization: `Bearer ${t.apiKey}`, "content-type": "application/json" }, Buffer.from(JSON.stringify({ model: "gpt-4o" })));
    expect(o.httpStatus).toBe(415);
    expect(t.emulator.requests).toHaveLength(0);
  });

  it("an unknown method is UNIMPLEMENTED", async () => {
    const f = await grpcFailure(raw.unary("/aik.v1.ChatService/DropAllTables", chat(), bearerMetadata(t.apiKey)));
    expect(f.code).toBe(status.UNIMPLEMENTED);
  });
});

describe("afterwards", () => {
  it("the gateway still serves over gRPC, and no log line holds the canary", async () => {
    await raw.unary(CHAT, chat(), bearerMetadata(t.apiKey));
    expectCleanLogs(t.logs);
  });
});
