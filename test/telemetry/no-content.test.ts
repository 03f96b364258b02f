// Promise 1 for telemetry and logs: spans, metric labels and log lines carry metadata, never content.
import { metrics as metricsApi, trace } from "@opentelemetry/api";
import { metrics, tracing } from "@opentelemetry/sdk-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ChatCompletionRequest, ChatRole, type ChatCompletionChunk } from "../../gen/aik/v1/chat.js";
import { bearer, call, chatClient } from "../support/grpc-client.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { gatewaySdk } from "../support/sdk.js";

const SECRET = "zq-sentinel-content-31f9";
const spans = new tracing.InMemorySpanExporter();
const reader = new metrics.PeriodicExportingMetricReader({ exporter: new metrics.InMemoryMetricExporter(metrics.AggregationTemporality.CUMULATIVE), exportIntervalMillis: 3_600_000 });
let t: TestGateway;

beforeAll(async () => {
  // Registered before the gateway starts, as main does, so its instruments are real.
  trace.setGlobalTracerProvider(new tracing.BasicTracerProvider({ spanProcessors: [new tracing.SimpleSpanProcessor(spans)] }));
  metricsApi.setGlobalMeterProvider(new metrics.MeterProvider({ readers: [reader] }));
  t = await startTestGateway();
});
afterAll(() => t.close());

describe("no content in telemetry or logs", () => {
  it("spans and metrics of chats (unary, stream, both protocols, errors) are metadata only", async () => {
    const openai = gatewaySdk(t);
    const messages = [{ role: "user" as const, content: `Tell me about ${SECRET}` }];
    await openai.chat.completions.create({ model: "gpt-4o", messages });
    for await (const _ of await openai.chat.completions.create({ model: "gpt-4o", messages, stream: true })) void _;
    await openai.chat.completions.create({ model: "gpt-4o", messages, temperature: 9 }).catch(() => undefined);
    await openai.chat.completions.create({ model: `${SECRET}-model`, messages }).catch(() => undefined);
    t.emulator.setFault("gpt-4o", { fault: { kind: "content-filter" }, times: 1 });
    await openai.chat.completions.create({ model: "gpt-4o", messages }).catch(() => undefined);
    await openai.embeddings.create({ model: "text-embedding-3-small", input: [SECRET] });

    const client = chatClient(t.grpcAddress);
    const req = ChatCompletionRequest.fromPartial({ model: "gpt-4o", messages: [{ role: ChatRole.CHAT_ROLE_USER, content: { $case: "text", value: SECRET } }] });
    await call(client, client.createChatCompletion, req, bearer(t.apiKey));
    await new Promise<void>((done, fail) => {
      const s = client.streamChatCompletion(req, bearer(t.apiKey));
      s.on("data", (_c: ChatCompletionChunk) => undefined);
      s.on("end", done);
      s.on("error", fail);
    });
    client.close();
    await new Promise((r) => setTimeout(r, 100));

    const finished = spans.getFinishedSpans();
    // Every call that reached the core: a unary, a stream, one Azure refused (temperature), an unknown model, a filtered
    // prompt and embeddings over HTTP, 2 over gRPC.
    expect(finished.length).toBe(8);
    const ok = finished.find((s) => s.name === "aik.chat.completions" && s.attributes["aik.outcome"] === "ok");
    expect(ok?.attributes).toMatchObject({ "aik.deployment": "gpt-4o", "aik.protocol": "http", "gen_ai.usage.input_tokens": expect.any(Number) });
    const everything = JSON.stringify(finished.map((s) => ({ name: s.name, attributes: s.attributes, events: s.events, status: s.status })));
    // A client-typed model name is metadata the span keeps; the prompt text is not.
    expect(everything.replaceAll(`${SECRET}-model`, "")).not.toContain(SECRET);

    const collected = await reader.collect();
    const labels = JSON.stringify(collected.resourceMetrics.scopeMetrics.flatMap((m) => m.metrics.flatMap((x) => x.dataPoints.map((p) => p.attributes))));
    expect(labels).toContain("gpt-4o");
    expect(labels).not.toContain(SECRET);
  });

  it("the gateway's log lines never carry content", () => {
    expect(t.logs.length).toBeGreaterThan(0);
    expect(t.logs.join("\n")).not.toContain(SECRET);
  });
});
