// A unary answer from Azure over undici's dispatch (src/upstream/unary-exchange.ts): read whole, bounded, abortable, its
// headers read raw; each failure maps to the gateway's error and leaves no connection or listener behind.
import { describe, expect, it } from "vitest";
import type { UpstreamRequest } from "../../src/core/operation.js";
import { CallAbort } from "../../src/transport/call-abort.js";
import { AzureUpstream } from "../../src/upstream/azure-client.js";
import { headerObject, headerValue } from "../../src/upstream/raw-headers.js";
import { createLogger } from "../../src/telemetry/logger.js";
import { classicDeployment } from "../support/deployment.js";
import { handAzure } from "../support/hand-azure.js";
import { until } from "../support/usage-db.js";
import { expectAbortBeforeAnswer, failure } from "./exchange-cases.js";

const azure = handAzure();
const d = () => classicDeployment({ endpoint: azure.endpoint, region: "swedencentral" });
const req: UpstreamRequest = { method: "POST", scope: "deployment", path: "chat/completions", query: [], body: { messages: [] }, stream: false, apiVersion: undefined, askStreamUsage: false };
const options = { connections: 4, connectTimeoutMs: 1_000, headersTimeoutMs: 500, bodyTimeoutMs: 500, keepAliveTimeoutMs: 10_000, maxResponseBytes: 1024 };
const upstream = () => new AzureUpstream(options, createLogger("error", () => undefined));
const answer = JSON.stringify({ id: "chatcmpl-1", choices: [], usage: { prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 } });

describe("AzureUpstream unary answers", () => {
  it("reads the whole answer, in pieces too, with the region and Azure's request id from the raw headers", async () => {
    azure.handler = (r, res) => {
      r.resume();
      res.writeHead(200, { "content-type": "application/json", "x-ms-region": "Sweden Central", "apim-request-id": "abc-123" });
      res.write(answer.slice(0, 10));
      setTimeout(() => res.end(answer.slice(10)), 10);
    };
    const up = upstream();
    const got = await up.unary(d(), req, { signal: new CallAbort(), requestId: "req_1" });
    expect(got.raw.toString()).toBe(answer);
    expect(got.json).toEqual(JSON.parse(answer));
    expect(got.info).toEqual({ region: "Sweden Central", azureRequestId: "abc-123" });
    await up.close();
  });

  it("refuses an answer past max_response_bytes and drops its connection instead of reading on", async () => {
    azure.handler = (r, res) => {
      r.resume();
      res.writeHead(200, { "content-type": "application/json" });
      res.write("x".repeat(800));
      setTimeout(() => res.write("x".repeat(800)), 10); // the end never comes: only the gateway can stop this
    };
    const up = upstream();
    const before = azure.closed;
    const err = await failure(up.unary(d(), req, { signal: new CallAbort(), requestId: "req_1" }));
    expect(err).toMatchObject({ code: "bad_gateway", reason: "upstream_response_too_large" });
    await until("the connection closes", async () => azure.closed > before, 2_000);
    await up.close();
  });

  it("maps an error answer by Azure's status and headers; one too large to keep still speaks by its status", async () => {
    azure.handler = (r, res) => {
      r.resume();
      res.writeHead(429, { "content-type": "application/json", "retry-after-ms": "2500" });
      res.end(JSON.stringify({ error: { code: "429", message: "Rate limit is exceeded." } }));
    };
    const up = upstream();
    const limited = await failure(up.unary(d(), req, { signal: new CallAbort(), requestId: "req_1" }));
    expect(limited).toMatchObject({ code: "rate_limited", retryAfterMs: 2500 });

    azure.handler = (r, res) => {
      r.resume();
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "server_error", message: "y".repeat(100 * 1024) } }));
    };
    const big = await failure(up.unary(d(), req, { signal: new CallAbort(), requestId: "req_1" }));
    expect(big.code).toBe("bad_gateway");
    await up.close();
  });

  it("the call's signal aborts the exchange at any point, an EventEmitter's or an AbortSignal's, and leaves no listener", async () => {
    azure.handler = (r) => r.resume(); // no answer
    const up = upstream();
    const emitter = new CallAbort();
    const pending = up.unary(d(), req, { signal: emitter, requestId: "req_1" });
    await until("the request reaches Azure", async () => azure.requests > 0, 2_000);
    emitter.abort();
    expect((await failure(pending)).code).toBe("cancelled");
    expect(emitter.listenerCount("abort")).toBe(0);

    await expectAbortBeforeAnswer(azure, (signal, requestId) => up.unary(d(), req, { signal, requestId }));
    await up.close();
  });

  it("no answer in headers_timeout_ms is an upstream timeout another member may retry; a cut body fails, never hangs", async () => {
    azure.handler = (r) => r.resume();
    const up = upstream();
    const signal = new CallAbort();
    const late = await failure(up.unary(d(), req, { signal, requestId: "req_1" }));
    expect(late).toMatchObject({ code: "upstream_timeout", retryable: true });
    expect(signal.listenerCount("abort")).toBe(0);

    azure.handler = (r, res) => {
      r.resume();
      res.writeHead(200, { "content-type": "application/json", "content-length": "500" });
      res.write(answer.slice(0, 20));
      setTimeout(() => res.socket?.destroy(), 10);
    };
    const cut = await failure(up.unary(d(), req, { signal: new CallAbort(), requestId: "req_2" }));
    expect(cut).toMatchObject({ code: "bad_gateway", reason: "upstream_unreachable" });
    await up.close();
  });

  it("reads header values raw: the first by name, or all as an object with repeats as arrays and no prototype", () => {
    const raw = ["Content-Type", "application/json", "Set-Cookie", "a=1", "set-cookie", "b=2", "__proto__", "x"].map((s) => Buffer.from(s, "latin1"));
    expect(headerValue(raw, "content-type")).toBe("application/json");
    expect(headerValue(raw, "set-cookie")).toBe("a=1");
    expect(headerValue(raw, "x-ms-region")).toBeUndefined();
    const all = headerObject(raw);
    expect(all["set-cookie"]).toEqual(["a=1", "b=2"]);
    expect(Object.getPrototypeOf(all)).toBeNull();
    expect(all["__proto__"]).toBe("x");
  });
});
