// The openai SDK's background responses through the gateway: polled to completion, cancelled, and a stream resumed exactly once.
import OpenAI from "openai";
import { Agent, request } from "undici";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { EMULATOR_KEY, startTestGateway, type TestGateway } from "../support/gateway.js";

let t: TestGateway;
let client: OpenAI;
// The SDK's own connections: after a stream is abandoned undici may hold a connection that never sends a
// request, which the gateway's graceful close waits its whole grace period for; this agent is closed first.
const agent = new Agent();
beforeAll(async () => {
  t = await startTestGateway();
  client = new OpenAI({ baseURL: `${t.httpUrl}/v1`, apiKey: t.apiKey, maxRetries: 0, fetchOptions: { dispatcher: agent } });
});
afterAll(async () => {
  await agent.destroy();
  await t.close();
});
beforeEach(() => t.emulator.clearRequests());
afterEach(() => t.emulator.setTiming({ timeToFirstTokenMs: 0, chunkDelayMs: 0 }));

/** What Azure billed for a response, in the Responses API's own spelling. */
function azureUsage(id: string): OpenAI.Responses.ResponseUsage {
  const billed = t.emulator.response(id)?.usage;
  if (!billed) throw new Error(`the emulator has not billed ${id}`);
  return {
    input_tokens: billed.prompt_tokens,
    input_tokens_details: { cached_tokens: billed.cached_tokens ?? 0 },
    output_tokens: billed.completion_tokens,
    output_tokens_details: { reasoning_tokens: billed.reasoning_tokens ?? 0 },
    total_tokens: billed.total_tokens,
  };
}

describe("background responses", () => {
  it("answers queued at once and is retrieved completed once Azure has finished it", async () => {
    t.emulator.setTiming({ timeToFirstTokenMs: 300, chunkDelayMs: 10 });
    const r = await client.responses.create({ model: "gpt-4o-mini", input: "work in the background", background: true });
    expect(r).toMatchObject({ status: "queued", background: true, usage: null });
    const early = await client.responses.retrieve(r.id);
    expect(early.status).toBe("in_progress");

    await t.emulator.waitFor((e) => e.response(r.id)?.status === "completed", 3000);
    const done = await client.responses.retrieve(r.id);
    expect(done.status).toBe("completed");
    expect(done.output_text.length).toBeGreaterThan(0);
    expect(done.usage).toEqual(azureUsage(r.id));
  });

  it("cancels a background response", async () => {
    // Long enough that the run cannot finish before the cancel arrives.
    t.emulator.setTiming({ timeToFirstTokenMs: 10_000, chunkDelayMs: 10 });
    const r = await client.responses.create({ model: "gpt-4o-mini", input: "cancel me", background: true });
    const cancelled = await client.responses.cancel(r.id);
    expect(cancelled).toMatchObject({ id: r.id, status: "cancelled" });
    expect(t.emulator.response(r.id)?.status).toBe("cancelled");
    expect(t.emulator.requests.at(-1)).toMatchObject({ method: "POST", path: `/openai/v1/responses/${r.id}/cancel`, status: 200 });
  });

  it("relays Azure's own 400 when a foreground response is cancelled", async () => {
    const r = await client.responses.create({ model: "gpt-4o-mini", input: "not in the background" });
    const err = await client.responses.cancel(r.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({ status: 400, message: expect.stringContaining("Only background responses can be cancelled.") });

    // Byte for byte what Azure said: compare with the emulator asked directly.
    const viaGateway = await request(`${t.httpUrl}/v1/responses/${r.id}/cancel`, { method: "POST", headers: { authorization: `Bearer ${t.apiKey}` } });
    const direct = await request(`${t.emulator.url}/openai/v1/responses/${r.id}/cancel`, { method: "POST", headers: { "api-key": EMULATOR_KEY } });
    expect(viaGateway.statusCode).toBe(400);
    expect(direct.statusCode).toBe(400);
    expect(await viaGateway.body.text()).toBe(await direct.body.text());
  });

  it("resumes a background stream after the last event read: the rest arrives exactly once", async () => {
    t.emulator.setTiming({ timeToFirstTokenMs: 30, chunkDelayMs: 20 });
    const stream = await client.responses.create({ model: "gpt-4o-mini", input: "resume me", background: true, stream: true });
    const seen: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of stream) {
      seen.push(event);
      // Leaving the loop aborts the request, as a dropped connection would.
      if (seen.filter((e) => e.type === "response.output_text.delta").length >= 3) break;
    }
    const created = seen[0];
    if (created?.type !== "response.created") throw new Error("the stream did not open with response.created");
    expect(created.response).toMatchObject({ status: "queued", background: true });
    const id = created.response.id;
    const last = seen.at(-1)?.sequence_number ?? -1;

    const rest: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of await client.responses.retrieve(id, { stream: true, starting_after: last })) rest.push(event);
    expect(rest[0]?.sequence_number).toBe(last + 1);
    const all = [...seen, ...rest];
    expect(all.map((e) => e.sequence_number)).toEqual(all.map((_, i) => i));
    const end = all.at(-1);
    if (end?.type !== "response.completed") throw new Error("the resumed stream did not end with response.completed");
    const text = all.flatMap((e) => (e.type === "response.output_text.delta" ? [e.delta] : [])).join("");
    const done = all.find((e): e is OpenAI.Responses.ResponseTextDoneEvent => e.type === "response.output_text.done");
    expect(done?.text).toBe(text);
    expect(end.response.usage).toEqual(azureUsage(id));
    expect(t.emulator.requests.at(-1)).toMatchObject({ method: "GET", stream: true, responseId: id, status: 200 });
  });
});
