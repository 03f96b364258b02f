// A streamed answer from Azure over undici's dispatch (src/upstream/stream-exchange.ts): events as they come, errors
// mapped, the call's signal ending it at any point, and no connection or listener left behind whichever way it ends.
import type { IncomingMessage, ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import type { UpstreamRequest } from "../../src/core/operation.js";
import { CallAbort } from "../../src/transport/call-abort.js";
import { AzureUpstream } from "../../src/upstream/azure-client.js";
import { createLogger } from "../../src/telemetry/logger.js";
import { classicDeployment } from "../support/deployment.js";
import { handAzure } from "../support/hand-azure.js";
import { until } from "../support/usage-db.js";
import { expectAbortBeforeAnswer, failure } from "./exchange-cases.js";

const azure = handAzure();
const d = () => classicDeployment({ endpoint: azure.endpoint });
const req: UpstreamRequest = { method: "POST", scope: "deployment", path: "chat/completions", query: [], body: { messages: [] }, stream: true, apiVersion: undefined, askStreamUsage: false };
const options = { connections: 4, connectTimeoutMs: 1_000, headersTimeoutMs: 1_000, bodyTimeoutMs: 1_000, keepAliveTimeoutMs: 10_000, maxResponseBytes: 1024 };
const upstream = () => new AzureUpstream(options, createLogger("error", () => undefined));
const sse = (r: IncomingMessage, res: ServerResponse): void => {
  r.resume();
  res.writeHead(200, { "content-type": "text/event-stream", "x-ms-region": "Sweden Central" });
};

describe("AzureUpstream stream exchange", () => {
  it("yields the events as they come, split anywhere, with the region from the raw headers, and leaves no listener", async () => {
    azure.handler = (r, res) => {
      sse(r, res);
      const text = 'data: {"a":1}\n\ndata: {"b":2}\n\ndata: [DONE]\n\n';
      res.write(text.slice(0, 9));
      setTimeout(() => res.write(text.slice(9, 20)), 5);
      setTimeout(() => res.end(text.slice(20)), 10);
    };
    const up = upstream();
    const signal = new CallAbort();
    const s = await up.stream(d(), req, { signal, requestId: "req_1" });
    expect(s.info.region).toBe("Sweden Central");
    const data: string[] = [];
    for await (const batch of s.events) for (const e of batch) data.push(e.data);
    s.close(true);
    expect(data).toEqual(['{"a":1}', '{"b":2}', "[DONE]"]);
    expect(signal.listenerCount("abort")).toBe(0);
    await up.close();
  });

  it("an answer that is no event stream, or an error answer, is mapped and its connection let go", async () => {
    const up = upstream();
    azure.handler = (r, res) => {
      r.resume();
      res.writeHead(200, { "content-type": "application/json" });
      res.write("{");
    };
    const before = azure.closed;
    expect(await failure(up.stream(d(), req, { signal: new CallAbort(), requestId: "req_1" }))).toMatchObject({ code: "bad_gateway", reason: "upstream_bad_response" });
    await until("the connection closes", async () => azure.closed > before, 2_000);

    azure.handler = (r, res) => {
      r.resume();
      res.writeHead(429, { "content-type": "application/json", "retry-after-ms": "1500" });
      res.end(JSON.stringify({ error: { code: "429", message: "Rate limit is exceeded." } }));
    };
    expect(await failure(up.stream(d(), req, { signal: new CallAbort(), requestId: "req_2" }))).toMatchObject({ code: "rate_limited", retryAfterMs: 1500 });
    await up.close();
  });

  it("the call's signal ends it while the reader waits for an event, before the answer, and before the request is sent", async () => {
    const up = upstream();
    azure.handler = (r, res) => {
      sse(r, res);
      res.write('data: {"a":1}\n\n'); // then silence
    };
    const signal = new CallAbort();
    const s = await up.stream(d(), req, { signal, requestId: "req_1" });
    const before = azure.closed;
    const reading = (async () => {
      for await (const _e of s.events) signal.abort();
    })();
    await expect(reading).rejects.toBeDefined();
    await until("the connection closes", async () => azure.closed > before, 2_000);
    expect(signal.listenerCount("abort")).toBe(0);

    await expectAbortBeforeAnswer(azure, (signal, requestId) => up.stream(d(), req, { signal, requestId }));
    await up.close();
  });

  it("closed complete, a short tail is read and the connection kept; a long one, or closed early, and it goes", async () => {
    const up = upstream();
    let tail = 0;
    azure.handler = (r, res) => {
      sse(r, res);
      res.write("data: [DONE]\n\n");
      if (tail === 0) setTimeout(() => res.end(), 10);
      else {
        // A comment line every 20 ms, never an end: only the gateway's bound (not a timeout) can let this go.
        const timer = setInterval(() => res.write(": ".padEnd(tail, "x") + "\n"), 20);
        res.once("close", () => clearInterval(timer));
      }
    };
    const once = async (complete: boolean): Promise<void> => {
      const s = await up.stream(d(), req, { signal: new CallAbort(), requestId: "req" });
      for await (const batch of s.events) if (batch.some((e) => e.data === "[DONE]")) break;
      s.close(complete);
    };
    const before = azure.closed;
    await once(true);
    await new Promise((r) => setTimeout(r, 50));
    await once(true);
    await new Promise((r) => setTimeout(r, 50));
    expect(azure.closed).toBe(before);

    tail = 8 * 1024; // past the 64 KB the gateway reads after the end within about 200 ms, well inside the body timeout
    await once(true);
    await until("the connection closes", async () => azure.closed > before, 700);

    tail = 0;
    const after = azure.closed;
    await once(false);
    await until("the connection closes", async () => azure.closed > after, 2_000);
    await up.close();
  });
});
