// The official openai SDK, unchanged: OpenAI client on /v1 and /openai/v1, AzureOpenAI client on Azure-style paths.
import OpenAI, { AzureOpenAI } from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { gatewaySdk } from "../support/sdk.js";

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(() => t.close());
beforeEach(() => {
  t.emulator.clearRequests();
  t.resetUpstream();
});

const messages = [{ role: "user" as const, content: "Hello there" }];

describe("AzureOpenAI client against the gateway's Azure-style routes", () => {
  const azure = (endpoint: string, deployment?: string): AzureOpenAI =>
    new AzureOpenAI({ endpoint, apiKey: t.apiKey, apiVersion: "2024-10-21", maxRetries: 0, ...(deployment ? { deployment } : {}) });

  it("chats through /openai/deployments/{deployment}/chat/completions", async () => {
    const r = await azure(t.httpUrl, "gpt-4o").chat.completions.create({ model: "", messages });
    expect(r.choices[0]?.message.content).toBeTruthy();
    expect(r.usage?.total_tokens).toBeGreaterThan(0);
    expect(r._request_id).toMatch(/^req_/);
  });

  it("tolerates the SDK's '//openai' when the endpoint ends in '/'", async () => {
    const r = await azure(`${t.httpUrl}/`).chat.completions.create({ model: "gpt-4o-mini", messages });
    expect(r.choices).toHaveLength(1);
  });

  it("streams, with usage when asked", async () => {
    const stream = await azure(t.httpUrl, "gpt-4o").chat.completions.create({
      model: "",
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage = 0;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      usage += chunk.usage ? 1 : 0;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(usage).toBe(1);
  });

  it("creates embeddings through /openai/deployments/{deployment}/embeddings", async () => {
    const r = await azure(t.httpUrl, "embed").embeddings.create({ model: "", input: ["one", "two", "three"] });
    expect(r.data).toHaveLength(3);
    expect(t.emulator.requests[0]?.path).toBe("/openai/deployments/text-embedding-3-small/embeddings");
  });

  it("surfaces an unknown deployment as NotFoundError", async () => {
    await expect(azure(t.httpUrl, "nope").chat.completions.create({ model: "", messages })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });
});

describe("OpenAI client", () => {
  const client = (): OpenAI => gatewaySdk(t);

  it("works at /openai/v1 as well", async () => {
    const v1 = new OpenAI({ baseURL: `${t.httpUrl}/openai/v1`, apiKey: t.apiKey, maxRetries: 0 });
    const r = await v1.chat.completions.create({ model: "gpt-4o", messages });
    expect(r.object).toBe("chat.completion");
    expect((await v1.models.list()).data.length).toBeGreaterThan(0);
  });

  it("passes fields Azure adds through unchanged", async () => {
    const r = await client().chat.completions.create({ model: "gpt-4o", messages });
    expect(r).toHaveProperty("prompt_filter_results");
    expect(r.choices[0]).toHaveProperty("content_filter_results");
    expect(r.system_fingerprint).toBeTruthy();
  });

  it("forwards request fields the proto does not model, unchanged", async () => {
    await client().chat.completions.create({ model: "gpt-4o", messages, prediction: { type: "content", content: "x" }, service_tier: "auto" });
    expect(t.emulator.requests[0]?.body).toMatchObject({ prediction: { type: "content", content: "x" }, service_tier: "auto" });
  });

  it("raises the SDK's typed errors", async () => {
    await expect(client().chat.completions.create({ model: "gpt-4o", messages, temperature: 7 })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(client().chat.completions.create({ model: "missing-model", messages })).rejects.toMatchObject({
      status: 404,
      code: "model_not_found",
    });
    t.emulator.setFault("gpt-4o", { fault: { kind: "rate-limit", retryAfterMs: 1500 } });
    const limited = await client().chat.completions.create({ model: "gpt-4o", messages }).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect(limited).toMatchObject({ code: "rate_limit_exceeded" });
    expect((limited as InstanceType<typeof OpenAI.RateLimitError>).headers.get("retry-after")).toBe("2");
    // The 429 cooled the only member: the next call would be refused before reaching Azure.
    t.resetUpstream();
    t.emulator.setFault("gpt-4o", { fault: { kind: "server-error" } });
    await expect(client().chat.completions.create({ model: "gpt-4o", messages })).rejects.toMatchObject({ status: 502 });
    t.emulator.setFault("gpt-4o", { fault: { kind: "content-filter" } });
    const filtered = await client().chat.completions.create({ model: "gpt-4o", messages }).catch((e: unknown) => e);
    expect(filtered).toBeInstanceOf(OpenAI.BadRequestError);
    expect(filtered).toMatchObject({ code: "content_filter", error: { innererror: { content_filter_result: { jailbreak: { filtered: true } } } } });
  });

  it("a slow Azure hits the gateway's header timeout: 504", async () => {
    const slow = await startTestGateway({
      upstream: { connections: 4, connectTimeoutMs: 1000, headersTimeoutMs: 1000, bodyTimeoutMs: 1000, keepAliveTimeoutMs: 1000, maxResponseBytes: 1 << 20 },
    });
    try {
      slow.emulator.setFault("gpt-4o", { fault: { kind: "slow-headers", delayMs: 3000 } });
      const c = gatewaySdk(slow);
      await expect(c.chat.completions.create({ model: "gpt-4o", messages })).rejects.toMatchObject({ status: 504 });
    } finally {
      await slow.close();
    }
  });
});
