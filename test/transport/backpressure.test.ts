// Streams honour backpressure end to end: a client that stops reading stops the gateway reading Azure.
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChatCompletionRequest, ChatRole, type ChatCompletionChunk } from "../../gen/aik/v1/chat.js";
import { bearer, chatClient } from "../support/grpc-client.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";

const WORDS = 80_000;
let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
  t.emulator.setTiming({ answerWords: WORDS });
});
afterAll(() => t.close());

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const sent = (): number => t.emulator.requests.at(-1)?.chunksSent ?? 0;

describe("backpressure", () => {
  it("HTTP: while the client reads nothing, Azure's stream stalls; when it reads, all of it arrives", async () => {
    t.emulator.clearRequests();
    const url = new URL(t.httpUrl);
    const body = JSON.stringify({ model: "gpt-4o", stream: true, messages: [{ role: "user", content: "go on" }] });
    const socket = connect(Number(url.port), url.hostname);
    await new Promise<void>((resolve) => socket.once("connect", resolve));
    socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.apiKey}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    socket.pause();
    await sleep(1500);
    // Socket buffers hold a few MB at most: far less than the ~80,000 chunks (~20 MB) of the answer.
    const held = sent();
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThan(WORDS * 0.5);
    let received = "";
    socket.on("data", (d: Buffer) => (received += d.toString("latin1")));
    socket.resume();
    await new Promise<void>((resolve) => socket.once("close", resolve));
    // Chunked transfer encoding frames the body on the raw socket: [DONE] is the last event in it.
    expect(received).toMatch(/data: \[DONE\]\n\n\r\n0\r\n\r\n$/);
    expect(sent()).toBe(WORDS);
  }, 60_000);

  it("gRPC: a paused stream holds Azure back the same way", async () => {
    t.emulator.clearRequests();
    const client = chatClient(t.grpcAddress);
    const req = ChatCompletionRequest.fromPartial({ model: "gpt-4o", messages: [{ role: ChatRole.CHAT_ROLE_USER, content: { $case: "text", value: "go on" } }] });
    const stream = client.streamChatCompletion(req, bearer(t.apiKey));
    let chunks = 0;
    stream.on("data", (_c: ChatCompletionChunk) => {
      if (++chunks === 1) stream.pause();
    });
    await sleep(1500);
    expect(sent()).toBeLessThan(WORDS * 0.5);
    const ended = new Promise<void>((resolve, reject) => {
      stream.on("end", resolve);
      stream.on("error", reject);
    });
    stream.resume();
    await ended;
    client.close();
    expect(sent()).toBe(WORDS);
    // role chunk + prompt-filter event + words + finish chunk
    expect(chunks).toBe(WORDS + 3);
  }, 60_000);
});
