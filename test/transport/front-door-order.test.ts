// What a front door does before it looks at a body: the credential first; and a 413 that reaches a client still sending.
import { connect } from "node:net";
import { Metadata, status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChatCompletionRequest } from "../../gen/aik/v1/chat.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { call, chatClient, isServiceError } from "../support/grpc-client.js";

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(() => t.close());

/** Sends the head and part of a body that would never finish; resolves with what the server answered, if anything. */
function halfSent(head: string, bodyPart: string, waitMs = 2_000): Promise<string> {
  return new Promise((resolve) => {
    const url = new URL(t.httpUrl);
    const socket = connect(Number(url.port), url.hostname, () => socket.write(head + bodyPart));
    let out = "";
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(out);
    }, waitMs);
    socket.on("data", (d) => {
      out += d.toString("latin1");
      if (out.includes("\r\n\r\n") && /content-length: (\d+)/i.test(out)) {
        const length = Number(/content-length: (\d+)/i.exec(out)?.[1]);
        if (out.length - out.indexOf("\r\n\r\n") - 4 >= length) {
          clearTimeout(timer);
          socket.destroy();
          resolve(out);
        }
      }
    });
    socket.on("error", () => undefined);
  });
}

describe("authentication before any body work", () => {
  it("HTTP: no key and a body that never finishes -> 401 at once (the body is never waited for, read or parsed)", async () => {
    const head = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n";
    const raw = await halfSent(head, '{"model": "gpt-4o", "messages": [');
    expect(raw).toMatch(/^HTTP\/1\.1 401/);
    expect(raw).toMatch(/"code":"invalid_api_key"/);
    expect(raw).toMatch(/connection: close/i);
  });

  it("HTTP: a wrong key with a body over the limit and a broken body -> 401, not 413 or 400", async () => {
    for (const [length, body] of [[50_000_000, "{"], [20, '{"model": 42, "mess']] as const) {
      const head = `POST /v1/responses HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer aik_wrong\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;
      expect(await halfSent(head, body)).toMatch(/^HTTP\/1\.1 401/);
    }
    expect(t.emulator.requests).toHaveLength(0);
  });

  it("gRPC: no key and an invalid message -> UNAUTHENTICATED, never INVALID_ARGUMENT", async () => {
    const client = chatClient(t.grpcAddress);
    try {
      const err = await call(client, client.createChatCompletion, ChatCompletionRequest.fromPartial({ model: "../x", messages: [] }), new Metadata()).catch((e: unknown) => e);
      expect(isServiceError(err) && err.code).toBe(status.UNAUTHENTICATED);
    } finally {
      client.close();
    }
  });
});

describe("a 413 that arrives", () => {
  it("a 40 MB body sent with fetch, 10 times, with and without a Content-Length: 10 x 413 in the OpenAI envelope, never a broken pipe", async () => {
    const text = JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "x".repeat(40 * 1024 * 1024) }] });
    const bytes = new TextEncoder().encode(text);
    /** Chunked, so the size is learnt only while reading: the server answers while the client still sends. */
    const streamed = (): ReadableStream<Uint8Array> => {
      let at = 0;
      return new ReadableStream({
        pull(controller) {
          if (at >= bytes.length) return controller.close();
          controller.enqueue(bytes.subarray(at, at + 256 * 1024));
          at += 256 * 1024;
        },
      });
    };
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`${t.httpUrl}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${t.apiKey}`, "content-type": "application/json" },
        ...(i % 2 === 0 ? { body: text } : { body: streamed(), duplex: "half" }),
      });
      statuses.push(res.status);
      expect(res.headers.get("connection")).toBe("close");
      expect(await res.json()).toMatchObject({ error: { code: "request_too_large" } });
    }
    expect(statuses).toEqual(Array(10).fill(413));
  });

  it("after the 413 the server reads and drops the rest of the body (a lingering close): a client still writing gets no reset", async () => {
    const url = new URL(t.httpUrl);
    const socket = connect(Number(url.port), url.hostname);
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    const errors: string[] = [];
    socket.on("error", (e: Error & { code?: string }) => errors.push(e.code ?? e.message));
    let answer = "";
    const answered = new Promise<void>((resolve) => socket.on("data", (d) => ((answer += d.toString("latin1")), answer.includes("request_too_large") && resolve())));
    const ended = new Promise<void>((resolve) => socket.once("end", () => resolve()));
    socket.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.apiKey}\r\nContent-Type: application/json\r\nContent-Length: ${8 * 1024 * 1024}\r\n\r\n`);
    await answered;
    expect(answer).toMatch(/^HTTP\/1\.1 413/);
    expect(answer).toMatch(/connection: close/i);
    // The rest of the announced body, sent after the answer: the server must still be reading.
    const chunk = Buffer.alloc(256 * 1024, 0x78);
    for (let sent = 0; sent < 8 * 1024 * 1024; sent += chunk.length) {
      if (!socket.write(chunk)) await new Promise((resolve) => socket.once("drain", resolve));
    }
    await ended;
    socket.end();
    expect(errors).toEqual([]);
  });
});

describe("a body that trickles", () => {
  it("is answered 408 in the OpenAI envelope once the request timeout passes, not held for minutes", async () => {
    const slow = await startTestGateway({ requestTimeoutMs: 1_500 });
    try {
      const url = new URL(slow.httpUrl);
      const socket = connect(Number(url.port), url.hostname);
      await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
      let answer = "";
      socket.on("data", (d) => (answer += d.toString("latin1")));
      socket.on("error", () => undefined);
      const started = performance.now();
      socket.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${slow.apiKey}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"mo`);
      const drip = setInterval(() => socket.write("d"), 300);
      await new Promise<void>((resolve) => socket.once("close", () => resolve()));
      clearInterval(drip);
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
      expect(answer).toMatch(/"code":"request_timeout"/);
      expect(answer).toMatch(/x-content-type-options: nosniff/i);
      expect(performance.now() - started).toBeLessThan(5_000);
    } finally {
      await slow.close();
    }
  });
});
