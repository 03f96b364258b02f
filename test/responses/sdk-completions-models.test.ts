// The openai SDK's legacy completions and model catalog through the gateway (OpenAI client at /v1), and a key's model allow-list.
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Usage } from "../../src/emulator/index.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { provisionUser } from "../support/identity.js";
import { gatewaySdk } from "../support/sdk.js";

let t: TestGateway;
let client: OpenAI;
beforeAll(async () => {
  t = await startTestGateway();
  client = gatewaySdk(t);
});
afterAll(() => t.close());
beforeEach(() => t.emulator.clearRequests());

/** The one model call this test made, as Azure billed it. */
function billed(): Usage | undefined {
  expect(t.emulator.requests).toHaveLength(1);
  return t.emulator.requests[0]?.usage;
}

describe("completions.create on gpt-35-turbo-instruct", () => {
  it("answers unary with text and Azure's usage", async () => {
    const r = await client.completions.create({ model: "gpt-35-turbo-instruct", prompt: "Once upon a time", max_tokens: 20 });
    expect(r.object).toBe("text_completion");
    expect(r.choices[0]?.text.trim().length).toBeGreaterThan(0);
    expect(r.usage).toEqual(billed());
    expect(t.emulator.requests[0]).toMatchObject({ path: "/openai/deployments/gpt-35-turbo-instruct/completions", apiVersion: "2024-10-21" });
  });

  it("streams, with one usage chunk when include_usage is asked", async () => {
    const stream = await client.completions.create({
      model: "gpt-35-turbo-instruct",
      prompt: "Once upon a time",
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    const usages: OpenAI.CompletionUsage[] = [];
    for await (const chunk of stream) {
      text += chunk.choices.map((c) => c.text).join("");
      if (chunk.usage) usages.push(chunk.usage);
    }
    expect(text.trim().length).toBeGreaterThan(0);
    expect(usages).toEqual([billed()]);
    expect(t.emulator.requests[0]).toMatchObject({ stream: true, body: { stream_options: { include_usage: true } } });
  });
});

describe("models", () => {
  it("retrieves a served model, answered by the gateway alone", async () => {
    const m = await client.models.retrieve("gpt-4o");
    expect(m).toMatchObject({ id: "gpt-4o", object: "model" });
    const listed = (await client.models.list()).data.map((x) => x.id);
    expect(listed).toEqual(expect.arrayContaining(["gpt-4o", "gpt-4o-mini", "o4-mini", "gpt-35-turbo-instruct"]));
    expect(t.emulator.requests).toHaveLength(0);
  });

  it("answers 404 model_not_found for an unknown model", async () => {
    const err = await client.models.retrieve("no-such-model").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect(err).toMatchObject({ status: 404, code: "model_not_found", param: "model" });
  });

  it("shows a key limited to one model only that model", async () => {
    const limited = await provisionUser(t.httpUrl, t.adminToken, "member", { allowed_models: ["gpt-4o-mini"] });
    const c = gatewaySdk(t, limited.apiKey);
    expect((await c.models.list()).data.map((m) => m.id)).toEqual(["gpt-4o-mini"]);
    expect(await c.models.retrieve("gpt-4o-mini")).toMatchObject({ id: "gpt-4o-mini" });
    // Hidden, not forbidden: the same 404 as a model that does not exist.
    const err = await c.models.retrieve("gpt-4o").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect(err).toMatchObject({ status: 404, code: "model_not_found" });
  });
});
