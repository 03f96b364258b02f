// 1,000 idle connections on each front door: the gateway still answers a real request at once, and memory stays bounded.
import { connect, type Socket } from "node:net";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChatCompletionRequest, ChatRole } from "../../gen/aik/v1/chat.js";
import { bearer, call, chatClient } from "../support/grpc-client.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { heapAfterGc, MiB } from "./hostile-wire.js";

const IDLE = 1000;

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(() => t.close());

/** Opens `n` TCP connections (each optionally sending a first fragment) and resolves once all are connected. */
async function openIdle(host: string, port: number, n: number, fragment: (i: number) => string): Promise<Socket[]> {
  const sockets = await Promise.all(
    Array.from(
      { length: n },
      (_, i) =>
        new Promise<Socket>((resolve, reject) => {
          const s = connect(port, host, () => {
            const first = fragment(i);
            if (first) s.write(first);
            resolve(s);
          });
          s.on("error", reject);
        }),
    ),
  );
  // The server may close them later (its timeouts); a reset then is expected, not a failure.
  for (const s of sockets) {
    s.removeAllListeners("error");
    s.on("error", () => undefined);
  }
  return sockets;
}

function closeAll(sockets: readonly Socket[]): void {
  for (const s of sockets) s.destroy();
}

describe("idle connections", () => {
  it(`${IDLE} idle HTTP connections (half of them mid-request-line): a request is still served, memory bounded`, async () => {
    const url = new URL(t.httpUrl);
    const heapBefore = heapAfterGc();
    const rssBefore = process.memoryUsage().rss;
    const sockets = await openIdle(url.hostname, Number(url.port), IDLE, (i) => (i % 2 === 0 ? "" : "GET /v1/mo"));
    try {
      const started = performance.now();
      const res = await request(`${t.httpUrl}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: `Bearer ${t.apiKey}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "gpt-4o", messages: [{ role: "user", content: "still there?" }] }),
      });
      expect(res.statusCode).toBe(200);
      await res.body.text();
      expect(performance.now() - started).toBeLessThan(2000);
      // Client and server ends both live in this process: a generous bound that a leak per connection would still break.
      expect(heapAfterGc() - heapBefore).toBeLessThan(64 * MiB);
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(256 * MiB);
    } finally {
      closeAll(sockets);
    }
  });

  it(`${IDLE} idle connections on the gRPC port (half of them with a partial HTTP/2 preface): a call is still served`, async () => {
    const [host, port] = [t.grpcAddress.slice(0, t.grpcAddress.lastIndexOf(":")), Number(t.grpcAddress.slice(t.grpcAddress.lastIndexOf(":") + 1))];
    const heapBefore = heapAfterGc();
    const sockets = await openIdle(host, port, IDLE, (i) => (i % 2 === 0 ? "" : "PRI * HTTP/2.0\r\n"));
    const client = chatClient(t.grpcAddress);
    try {
      const req = ChatCompletionRequest.fromPartial({ model: "gpt-4o", messages: [{ role: ChatRole.CHAT_ROLE_USER, content: { $case: "text", value: "still there?" } }] });
      const started = performance.now();
      const res = await call(client, client.createChatCompletion, req, bearer(t.apiKey), { deadline: Date.now() + 5000 });
      expect(res.choices.length).toBe(1);
      expect(performance.now() - started).toBeLessThan(2000);
      expect(heapAfterGc() - heapBefore).toBeLessThan(64 * MiB);
    } finally {
      client.close();
      closeAll(sockets);
    }
  });

  it("once the idle connections are gone, new ones are accepted as before", async () => {
    const res = await request(`${t.httpUrl}/healthz`);
    expect(res.statusCode).toBe(200);
    await res.body.text();
  });
});
