// Data-plane calls on grpc-js's own call: messages handed on as they come, backpressure, cancel, and the request read as grpc-js reads it.
import { Client, credentials, Metadata, status, type ServiceError, type StatusObject } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChatCompletionChunk, ChatCompletionRequest, ChatRole } from "../../gen/aik/v1/chat.js";
import { DirectCall, HIGH_WATER, type GrpcCall } from "../../src/transport/grpc/direct-call.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { bearer, chatClient } from "../support/grpc-client.js";

/** A grpc-js call that records what it is asked to send and completes writes when told. */
class FakeCall implements GrpcCall {
  readonly sent: unknown[] = [];
  readonly statuses: Array<Pick<StatusObject, "code" | "details">> = [];
  private readonly callbacks: Array<() => void> = [];

  getPeer(): string {
    return "ipv4:127.0.0.1:5000";
  }

  getDeadline(): number {
    return Infinity;
  }

  sendMetadata(): void {}

  sendMessage(message: unknown, callback: () => void): void {
    this.sent.push(message);
    this.callbacks.push(callback);
  }

  sendStatus(s: Pick<StatusObject, "code" | "details">): void {
    this.statuses.push({ code: s.code, details: s.details });
  }

  /** The socket took the oldest `n` messages. */
  complete(n: number): void {
    for (const callback of this.callbacks.splice(0, n)) callback();
  }
}

const settled = async (p: Promise<void>): Promise<boolean> => {
  let done = false;
  void p.then(() => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
};

describe("DirectCall", () => {
  it("hands each message on at once, without waiting for the one before to be written", () => {
    const raw = new FakeCall();
    const call = new DirectCall(raw, new Metadata(), {});
    for (let i = 0; i < 5; i++) expect(call.write(i)).toBe(true);
    expect(raw.sent).toEqual([0, 1, 2, 3, 4]);
    call.end();
    // The status follows the messages at once (grpc-js sends it after them on the HTTP/2 stream).
    expect(raw.statuses).toEqual([{ code: status.OK, details: "OK" }]);
  });

  it(`asks the method to wait once ${HIGH_WATER} messages are unwritten, and lets it go on when all are written`, async () => {
    const raw = new FakeCall();
    const call = new DirectCall(raw, new Metadata(), {});
    for (let i = 1; i < HIGH_WATER; i++) expect(call.write(i)).toBe(true);
    expect(call.write(HIGH_WATER)).toBe(false);
    const drained = call.drained();
    raw.complete(HIGH_WATER - 1);
    expect(await settled(drained)).toBe(false);
    raw.complete(1);
    expect(await settled(drained)).toBe(true);
    expect(await settled(call.drained())).toBe(true);
  });

  it("a cancel frees a waiting method, is heard once, and is heard at once by a listener that comes late", async () => {
    const raw = new FakeCall();
    const call = new DirectCall(raw, new Metadata(), {});
    let heard = 0;
    call.onCancelled(() => heard++);
    for (let i = 0; i < HIGH_WATER; i++) call.write(i);
    const drained = call.drained();
    call.cancel();
    call.cancel();
    expect(await settled(drained)).toBe(true);
    expect(call.cancelled).toBe(true);
    expect(heard).toBe(1);
    let late = 0;
    call.onCancelled(() => late++);
    expect(late).toBe(1);
    expect(await settled(call.drained())).toBe(true);
  });
});

describe("data-plane calls over the wire", () => {
  let t: TestGateway;
  let client: Client;
  beforeAll(async () => {
    t = await startTestGateway();
    client = new Client(t.grpcAddress, credentials.createInsecure());
  });
  afterAll(async () => {
    client.close();
    await t.close();
  });

  const request = (): Buffer =>
    Buffer.from(ChatCompletionRequest.encode(ChatCompletionRequest.fromPartial({ model: "gpt-4o", messages: [{ role: ChatRole.CHAT_ROLE_USER, content: { $case: "text", value: "hi" } }] })).finish());

  /** Sends `messages` as the request stream of `path` (a client stream, which grpc-js lets a client open on any path). */
  const send = (path: string, messages: readonly Buffer[]): Promise<ServiceError | undefined> =>
    new Promise((resolve) => {
      const call = client.makeClientStreamRequest(path, (b: Buffer) => b, (b: Buffer) => b, bearer(t.apiKey), {}, (err: ServiceError | null) => resolve(err ?? undefined));
      for (const m of messages) call.write(m);
      call.end();
    });

  it.each([
    ["CreateChatCompletion", "/aik.v1.ChatService/CreateChatCompletion"],
    ["StreamChatCompletion", "/aik.v1.ChatService/StreamChatCompletion"],
  ])("%s: two request messages are UNIMPLEMENTED, none is UNIMPLEMENTED, and nothing goes upstream", async (_name, path) => {
    t.emulator.clearRequests();
    const two = await send(path, [request(), request()]);
    expect(two?.code).toBe(status.UNIMPLEMENTED);
    expect(two?.details).toBe(`Received a second request message for server streaming method ${path}`);
    const none = await send(path, []);
    expect(none?.code).toBe(status.UNIMPLEMENTED);
    expect(none?.details).toBe(`Received no request message for server streaming method ${path}`);
    expect(t.emulator.requests).toHaveLength(0);
  });

  it("a stream's messages all arrive, in order, then OK; the response metadata comes first", async () => {
    const chat = chatClient(t.grpcAddress);
    try {
      const req = ChatCompletionRequest.fromPartial({ model: "gpt-4o", messages: [{ role: ChatRole.CHAT_ROLE_USER, content: { $case: "text", value: "hi" } }], streamOptions: { includeUsage: true } });
      const stream = chat.streamChatCompletion(req, bearer(t.apiKey));
      const events: string[] = [];
      const chunks: ChatCompletionChunk[] = [];
      stream.on("metadata", (md: Metadata) => events.push(`metadata ${String(md.get("x-request-id")[0]).slice(0, 4)}`));
      stream.on("data", (c: ChatCompletionChunk) => {
        if (chunks.length === 0) events.push("data");
        chunks.push(c);
      });
      const end = await new Promise<StatusObject>((resolve, reject) => {
        stream.on("status", resolve);
        stream.on("error", reject);
      });
      expect(end.code).toBe(status.OK);
      expect(events).toEqual(["metadata req_", "data"]);
      const text = chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("");
      expect(text.length).toBeGreaterThan(0);
      expect(chunks.at(-1)?.usage?.totalTokens).toBeGreaterThan(0);
    } finally {
      chat.close();
    }
  });
});
