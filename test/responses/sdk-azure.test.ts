// The openai SDK's AzureOpenAI client through the gateway's Azure classic routes: responses, completions, models, and api-version handling.
import OpenAI, { AzureOpenAI } from "openai";
import { request } from "undici";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../support/gateway.js";

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway();
});
afterAll(() => t.close());
beforeEach(() => t.emulator.clearRequests());

const PREVIEW = "2025-04-01-preview";
const azure = (apiVersion = PREVIEW): AzureOpenAI => new AzureOpenAI({ endpoint: t.httpUrl, apiKey: t.apiKey, apiVersion, maxRetries: 0 });

describe("AzureOpenAI: responses at /openai/responses", () => {
  it("creates, retrieves, lists input items and deletes on a classic deployment, with the client's api-version", async () => {
    const client = azure();
    const r = await client.responses.create({ model: "gpt-4o", input: [{ role: "user", content: "first" }, { role: "user", content: "second" }] });
    expect(r.status).toBe("completed");
    expect(r.output_text.length).toBeGreaterThan(0);
    expect(r.usage?.input_tokens).toBe(t.emulator.requests[0]?.usage?.prompt_tokens);

    const got = await client.responses.retrieve(r.id);
    expect(got).toMatchObject({ id: r.id, output_text: r.output_text });
    const items = await client.responses.inputItems.list(r.id, { limit: 1, order: "asc" });
    expect(items.data).toHaveLength(1);
    expect(items.data[0]).toMatchObject({ type: "message", content: [{ type: "input_text", text: "first" }] });
    expect(items.has_more).toBe(true);
    await client.responses.delete(r.id);

    expect(t.emulator.requests.map((x) => [x.method, x.path, x.apiVersion, x.status])).toEqual([
      ["POST", "/openai/responses", PREVIEW, 200],
      ["GET", `/openai/responses/${r.id}`, PREVIEW, 200],
      ["GET", `/openai/responses/${r.id}/input_items`, PREVIEW, 200],
      ["DELETE", `/openai/responses/${r.id}`, PREVIEW, 200],
    ]);
    expect(t.emulator.requests[0]?.deployment).toBe("gpt-4o");
    await expect(client.responses.retrieve(r.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    expect(t.emulator.requests).toHaveLength(4);
  });

  it("reaches a v1 deployment through the classic route too", async () => {
    const client = azure();
    const r = await client.responses.create({ model: "gpt-4o-mini", input: "to a v1 deployment" });
    const got = await client.responses.retrieve(r.id);
    expect(got.status).toBe("completed");
    expect(t.emulator.requests.map((x) => [x.method, x.path, x.apiVersion])).toEqual([
      ["POST", "/openai/v1/responses", undefined],
      ["GET", `/openai/v1/responses/${r.id}`, undefined],
    ]);
  });
});

describe("AzureOpenAI: completions and models", () => {
  it("completes through /openai/deployments/{deployment}/completions, the client's api-version forwarded", async () => {
    const r = await azure().completions.create({ model: "gpt-35-turbo-instruct", prompt: "Once upon a time" });
    expect(r.choices[0]?.text.trim().length).toBeGreaterThan(0);
    expect(r.usage).toEqual(t.emulator.requests[0]?.usage);
    expect(t.emulator.requests[0]).toMatchObject({ path: "/openai/deployments/gpt-35-turbo-instruct/completions", apiVersion: PREVIEW });
  });

  it("lists and retrieves models at /openai/models", async () => {
    const client = azure();
    const ids = (await client.models.list()).data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(["gpt-4o", "gpt-4o-mini", "gpt-35-turbo-instruct"]));
    expect(await client.models.retrieve("gpt-4o")).toMatchObject({ id: "gpt-4o", object: "model" });
    await expect(client.models.retrieve("no-such-model")).rejects.toMatchObject({ status: 404, code: "model_not_found" });
    expect(t.emulator.requests).toHaveLength(0);
  });
});

describe("api-version on classic routes", () => {
  it("forwards the client's version to classic deployments, but a pinned deployment keeps its own", async () => {
    const client = azure("2025-03-01-preview");
    await client.responses.create({ model: "gpt-4o", input: "classic" });
    await client.responses.create({ model: "gpt-4o-pinned", input: "pinned" });
    await azure("2024-10-21").chat.completions.create({ model: "gpt-4o-pinned", messages: [{ role: "user", content: "pinned chat" }] });
    expect(t.emulator.requests.map((x) => [x.deployment, x.apiVersion])).toEqual([
      ["gpt-4o", "2025-03-01-preview"],
      ["gpt-4o-pinned", PREVIEW],
      ["gpt-4o-pinned", PREVIEW],
    ]);
  });

  it("refuses a malformed api-version with 400 naming it, before Azure", async () => {
    const client = azure("garbage");
    const calls: Array<() => Promise<unknown>> = [
      () => client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: "x" }] }),
      () => client.responses.create({ model: "gpt-4o", input: "x" }),
      () => client.completions.create({ model: "gpt-35-turbo-instruct", prompt: "x" }),
      () => client.models.list(),
    ];
    for (const call of calls) {
      const err = await call().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect(err).toMatchObject({ status: 400, param: "api-version" });
    }
    expect(t.emulator.requests).toHaveLength(0);
  });

  it("answers a missing api-version with 404, before Azure", async () => {
    const cases: Array<[string, string, unknown]> = [
      ["POST", "/openai/deployments/gpt-4o/chat/completions", { messages: [{ role: "user", content: "x" }] }],
      ["POST", "/openai/responses", { model: "gpt-4o", input: "x" }],
      ["GET", "/openai/models", undefined],
    ];
    for (const [method, path, body] of cases) {
      const res = await request(`${t.httpUrl}${path}`, {
        method: method === "GET" ? "GET" : "POST",
        headers: { "api-key": t.apiKey, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      expect([path, res.statusCode]).toEqual([path, 404]);
      const json = (await res.body.json()) as { error?: { param?: unknown } };
      expect(json.error?.param).toBe("api-version");
    }
    expect(t.emulator.requests).toHaveLength(0);
  });
});
