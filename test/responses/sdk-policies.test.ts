// A deployment that never lets Azure store responses, and forward compatibility: unknown fields reach Azure untouched, Azure's 400s come back byte for byte.
import OpenAI from "openai";
import { request } from "undici";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { EMULATOR_KEY, startTestGateway, type TestGateway } from "../support/gateway.js";
import { gatewaySdk } from "../support/sdk.js";

let t: TestGateway;
let client: OpenAI;
beforeAll(async () => {
  t = await startTestGateway();
  client = gatewaySdk(t);
});
afterAll(() => t.close());
beforeEach(() => t.emulator.clearRequests());

interface Raw {
  status: number;
  text: string;
}

/** Sends bytes the SDK cannot reshape. */
async function post(url: string, headers: Record<string, string>, body: unknown): Promise<Raw> {
  const res = await request(url, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: res.statusCode, text: await res.body.text() };
}

const viaGateway = (path: string, body: unknown): Promise<Raw> => post(`${t.httpUrl}${path}`, { authorization: `Bearer ${t.apiKey}` }, body);
const toAzure = (path: string, body: unknown): Promise<Raw> => post(`${t.emulator.url}${path}`, { "api-key": EMULATOR_KEY }, body);

describe("responses_store: never (gpt-4o-nostore)", () => {
  it("sends store: false to Azure whatever the client asked", async () => {
    const asked = await client.responses.create({ model: "gpt-4o-nostore", input: "do not keep this", store: true });
    const unsaid = await client.responses.create({ model: "gpt-4o-nostore", input: "nor this" });
    // Azure's answer says it kept nothing (the SDK's types do not model `store` on a response).
    expect(asked).toMatchObject({ store: false });
    expect(unsaid).toMatchObject({ store: false });
    expect(t.emulator.requests.map((r) => [r.deployment, r.body])).toEqual([
      ["gpt-4o-nostore", { model: "gpt-4o-nostore", input: "do not keep this", store: false }],
      ["gpt-4o-nostore", { model: "gpt-4o-nostore", input: "nor this", store: false }],
    ]);
    expect(t.emulator.response(asked.id)).toBeUndefined();
  });

  it("refuses previous_response_id and background with 400 stored_responses_disabled, before Azure", async () => {
    const owned = await client.responses.create({ model: "gpt-4o-mini", input: "a stored one" });
    t.emulator.clearRequests();
    const chained = await client.responses.create({ model: "gpt-4o-nostore", input: "x", previous_response_id: owned.id }).catch((e: unknown) => e);
    expect(chained).toBeInstanceOf(OpenAI.BadRequestError);
    expect(chained).toMatchObject({ status: 400, code: "stored_responses_disabled", param: "previous_response_id" });
    const background = await client.responses.create({ model: "gpt-4o-nostore", input: "x", background: true }).catch((e: unknown) => e);
    expect(background).toBeInstanceOf(OpenAI.BadRequestError);
    expect(background).toMatchObject({ status: 400, code: "stored_responses_disabled", param: "background" });
    expect(t.emulator.requests).toHaveLength(0);
  });
});

describe("forward compatibility", () => {
  const future = { future_param_xyz: { a: [1, 2, { b: null }] } };

  it("passes new chat tool types, tool_choice forms and unknown fields to Azure deep-equal", async () => {
    const body = {
      model: "gpt-4o-mini",
      messages: [{ role: "user", content: "use a tool" }],
      tools: [
        { type: "custom", custom: { name: "x", description: "d" } },
        { type: "function", function: { name: "f", parameters: { type: "object", properties: {} } } },
      ],
      tool_choice: { type: "allowed_tools", allowed_tools: { mode: "auto", tools: [{ type: "function", function: { name: "f" } }] } },
      ...future,
    };
    const got = await viaGateway("/v1/chat/completions", body);
    expect(t.emulator.requests).toHaveLength(1);
    expect(t.emulator.requests[0]?.body).toEqual(body);
    // Whatever Azure makes of it comes back as Azure said it.
    const direct = await toAzure("/openai/v1/chat/completions", body);
    expect(got).toEqual(direct);
  });

  it("passes new Responses tool types, tool_choice forms and unknown fields to Azure deep-equal", async () => {
    const body = {
      model: "gpt-4o-mini",
      input: "use a tool",
      tools: [
        { type: "custom", name: "x", description: "d" },
        { type: "function", name: "f", parameters: { type: "object", properties: {} } },
      ],
      tool_choice: { type: "allowed_tools", mode: "auto", tools: [{ type: "function", name: "f" }] },
      ...future,
    };
    const got = await viaGateway("/v1/responses", body);
    expect(t.emulator.requests).toHaveLength(1);
    expect(t.emulator.requests[0]?.body).toEqual(body);
    const direct = await toAzure("/openai/v1/responses", body);
    expect(got).toEqual(direct);
  });

  it("relays Azure's 400 for a field its api-version refuses, byte for byte", async () => {
    const body = { messages: [{ role: "user", content: "x" }], stream: true, stream_options: { include_usage: true } };
    const got = await viaGateway("/v1/chat/completions", { model: "gpt-4o-old", ...body });
    expect(t.emulator.requests[0]).toMatchObject({ deployment: "gpt-4o-old", apiVersion: "2024-06-01", status: 400 });
    const direct = await toAzure("/openai/deployments/gpt-4o-old/chat/completions?api-version=2024-06-01", body);
    expect(direct.status).toBe(400);
    expect(JSON.parse(direct.text)).toMatchObject({ error: { param: "stream_options" } });
    expect(got).toEqual(direct);
  });
});
