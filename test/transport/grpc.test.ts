// gRPC specifics: deadlines and cancellation reach Azure, error details are standard google.rpc types.
import { Metadata, status } from "@grpc/grpc-js";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ChatCompletionRequest, ChatRole, type ChatCompletionChunk } from "../../gen/aik/v1/chat.js";
import { ErrorInfo, RetryInfo } from "../../gen/google/rpc/error_details.js";
import { Status } from "../../gen/google/rpc/status.js";
import { bearer, call, chatClient, isServiceError } from "../support/grpc-client.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { request } from "undici";

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(() => t.close());
beforeEach(() => {
  t.emulator.clearRequests();
  t.resetUpstream();
  t.emulator.setTiming({ timeToFirstTokenMs: 0, chunkDelayMs: 0 });
});

const req = ChatCompletionRequest.fromPartial({
  model: "gpt-4o",
  messages: [{ role: ChatRole.CHAT_ROLE_USER, content: { $case: "text", value: "Hello" } }],
});

describe("gRPC front door", () => {
  it("sends x-request-id in the response metadata", async () => {
    const client = chatClient(t.grpcAddress);
    const ids: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const c = client.createChatCompletion(req, bearer(t.apiKey), (err) => (err ? reject(err) : resolve()));
      c.on("metadata", (md: Metadata) => ids.push(String(md.get("x-request-id")[0])));
    });
    expect(ids[0]).toMatch(/^req_[0-9a-f]{32}$/);
    client.close();
  });

  it("a deadline shorter than Azure's answer -> DEADLINE_EXCEEDED, and Azure sees the connection close", async () => {
    t.emulator.setFault("gpt-4o", { fault: { kind: "slow-headers", delayMs: 3000 } });
    const client = chatClient(t.grpcAddress);
    const started = Date.now();
    const err = await call(client, client.createChatCompletion, req, bearer(t.apiKey), { deadline: Date.now() + 300 }).catch((e: unknown) => e);
    expect(isServiceError(err) && err.code).toBe(status.DEADLINE_EXCEEDED);
    expect(Date.now() - started).toBeLessThan(2000);
    await t.emulator.waitFor((e) => e.requests.some((r) => r.aborted), 2000);
    client.close();
  });

  it("cancelling a stream aborts the upstream request", async () => {
    t.emulator.setTiming({ chunkDelayMs: 100 });
    const client = chatClient(t.grpcAddress);
    const stream = client.streamChatCompletion(req, bearer(t.apiKey));
    let chunks = 0;
    await new Promise<void>((resolve) => {
      stream.on("data", (_c: ChatCompletionChunk) => {
        if (++chunks === 3) {
          stream.cancel();
          resolve();
        }
      });
      stream.on("error", () => resolve());
    });
    await t.emulator.waitFor((e) => e.requests.some((r) => r.aborted), 2000);
    expect(t.emulator.requests[0]?.aborted).toBe(true);
    client.close();
  });

  // Silent: nothing is written after the client goes, so only the closed socket can tell the gateway (not a failed write).
  it.each([
    ["mid-stream", { chunkDelayMs: 100 }],
    ["while the stream is silent", { timeToFirstTokenMs: 60_000 }],
  ])("an HTTP client closing its socket %s aborts the upstream request at once", async (_when, timing) => {
    t.emulator.setTiming(timing);
    const ac = new AbortController();
    const res = await request(`${t.httpUrl}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${t.apiKey}` },
      body: JSON.stringify({ model: "gpt-4o", stream: true, messages: [{ role: "user", content: "Hello" }] }),
      signal: ac.signal,
    });
    for await (const _chunk of res.body) {
      ac.abort();
      break;
    }
    await t.emulator.waitFor((e) => e.requests.some((r) => r.aborted), 2000);
    expect(t.emulator.requests[0]?.aborted).toBe(true);
  });

  it("a 429 carries google.rpc.RetryInfo and ErrorInfo in grpc-status-details-bin", async () => {
    t.emulator.setFault("gpt-4o", { fault: { kind: "rate-limit", retryAfterMs: 2500 } });
    const client = chatClient(t.grpcAddress);
    const err = await call(client, client.createChatCompletion, req, bearer(t.apiKey)).catch((e: unknown) => e);
    if (!isServiceError(err)) throw new Error("expected a ServiceError");
    expect(err.code).toBe(status.RESOURCE_EXHAUSTED);
    const raw = err.metadata.get("grpc-status-details-bin")[0];
    if (!Buffer.isBuffer(raw)) throw new Error("no status details");
    const details = Status.decode(raw);
    expect(details.code).toBe(status.RESOURCE_EXHAUSTED);
    const retry = details.details.find((d) => d.typeUrl === "type.googleapis.com/google.rpc.RetryInfo");
    expect(retry && RetryInfo.decode(retry.value).retryDelay).toEqual({ seconds: 2, nanos: 500_000_000 });
    const info = details.details.find((d) => d.typeUrl === "type.googleapis.com/google.rpc.ErrorInfo");
    expect(info && ErrorInfo.decode(info.value).reason).toBe("RATE_LIMIT_EXCEEDED");
    client.close();
  });

  it("StreamChatCompletion refuses stream_options on the unary method", async () => {
    const client = chatClient(t.grpcAddress);
    const err = await call(client, client.createChatCompletion, { ...req, streamOptions: { includeUsage: true } }, bearer(t.apiKey)).catch((e: unknown) => e);
    expect(isServiceError(err) && err.code).toBe(status.INVALID_ARGUMENT);
    client.close();
  });

  it("a role left unspecified is INVALID_ARGUMENT naming the message", async () => {
    const client = chatClient(t.grpcAddress);
    const bad = ChatCompletionRequest.fromPartial({ model: "gpt-4o", messages: [{ content: { $case: "text", value: "x" } }] });
    const err = await call(client, client.createChatCompletion, bad, bearer(t.apiKey)).catch((e: unknown) => e);
    expect(isServiceError(err) && err.code).toBe(status.INVALID_ARGUMENT);
    expect(isServiceError(err) && err.details).toMatch(/messages\[0\]\.role/);
    client.close();
  });
});
