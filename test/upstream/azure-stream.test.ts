// A stream's upstream connection after its last event: kept when the stream ended as it should, aborted when the client left.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Deployment } from "../../src/core/deployments.js";
import type { UpstreamRequest } from "../../src/core/operation.js";
import { AzureUpstream } from "../../src/upstream/azure-client.js";
import { createLogger } from "../../src/telemetry/logger.js";

let server: Server;
let connections = 0;
let endpoint = "";
beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write('data: {"choices":[]}\n\n');
    res.write("data: [DONE]\n\n");
    // The end comes a moment after the last event, as it may from Azure: a reader that stops at [DONE] has not seen it.
    setTimeout(() => res.end(), 20);
  });
  server.on("connection", () => connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const upstreamOptions = { connections: 4, connectTimeoutMs: 1_000, headersTimeoutMs: 5_000, bodyTimeoutMs: 5_000, keepAliveTimeoutMs: 10_000, maxResponseBytes: 1 << 20 };

function deployment(): Deployment {
  return {
    id: "d", endpoint, deployment: "d", model: "d", auth: { kind: "api_key", apiKey: "k" }, apiStyle: "v1", apiVersion: undefined, apiVersionPolicy: "client",
    responsesStore: "client", kind: "standard", priority: 0, weight: 1, region: undefined, price: undefined,
  };
}
const req: UpstreamRequest = { method: "POST", scope: "deployment", path: "chat/completions", query: [], body: { model: "d" }, stream: true, apiVersion: undefined, askStreamUsage: false };

async function readToDone(up: AzureUpstream, d: Deployment, complete: boolean): Promise<void> {
  const s = await up.stream(d, req, { signal: new AbortController().signal, requestId: "req_1" });
  for await (const batch of s.events) if (batch.some((e) => e.data === "[DONE]")) break;
  s.close(complete);
}

describe("AzureUpstream streams", () => {
  it("ended at [DONE]: the rest is read and the connection serves the next stream", async () => {
    const up = new AzureUpstream(upstreamOptions, createLogger("error", () => undefined));
    const d = deployment();
    connections = 0;
    for (let i = 0; i < 3; i++) {
      await readToDone(up, d, true);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(connections).toBe(1);
    await up.close();
  });

  it("released unfinished (the client left): the body is aborted and its connection goes", async () => {
    const up = new AzureUpstream(upstreamOptions, createLogger("error", () => undefined));
    const d = deployment();
    connections = 0;
    for (let i = 0; i < 2; i++) {
      await readToDone(up, d, false);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(connections).toBeGreaterThanOrEqual(2);
    await up.close();
  });
});
