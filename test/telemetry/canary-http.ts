// The canary's HTTP paths: the openai SDK and raw undici over every operation, fault and refusal; each checks the client saw what it should.
import { setTimeout as sleep } from "node:timers/promises";
import OpenAI from "openai";
import { Agent, request } from "undici";
import { expect } from "vitest";
import { BAD_MODEL, CANARY, UNKNOWN_MODEL, PROMPT, TOOL_DESCRIPTION, TOOL_PARAMETERS, path, until, type CanaryRun } from "./canary-run.js";

const CHAT_TOOL = { type: "function" as const, function: { name: "lookup", description: TOOL_DESCRIPTION, parameters: TOOL_PARAMETERS } };
const RESPONSE_TOOL = { type: "function" as const, name: "lookup", description: TOOL_DESCRIPTION, parameters: TOOL_PARAMETERS, strict: false };
const RESPONSE = { model: "gpt-4o-mini", instructions: `Always mention ${CANARY}.`, input: PROMPT, tools: [RESPONSE_TOOL] };
const MESSAGES = [{ role: "user" as const, content: PROMPT }];

interface Reply {
  status: number;
  text: string;
  requestId: string;
}

// Its own connections, closed at the end: an abandoned stream can leave one that the gateway's graceful close would wait for.
const agent = new Agent();

async function raw(run: CanaryRun, method: "GET" | "POST", url: string, body: string | undefined, key: string | undefined, abortAfterBytes?: number): Promise<Reply> {
  const ac = new AbortController();
  const res = await request(`${run.httpUrl}${url}`, {
    method,
    dispatcher: agent,
    headers: { ...(key === undefined ? {} : { authorization: `Bearer ${key}` }), ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body,
    signal: ac.signal,
  });
  let text = "";
  try {
    for await (const chunk of res.body) {
      text += String(chunk);
      if (abortAfterBytes !== undefined && text.length >= abortAfterBytes) {
        ac.abort();
        break;
      }
    }
  } catch {
    // the client's own abandonment
  }
  return { status: res.statusCode, text, requestId: String(res.headers["x-request-id"] ?? "") };
}

/** An SDK call Azure fails: the error the client gets, with its status. */
async function sdkError(call: () => Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  const err = await call().then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof OpenAI.APIError)) throw new Error(`expected an API error, got ${String(err)}`);
  return err;
}

export async function sendOverHttp(run: CanaryRun): Promise<void> {
  const sdk = new OpenAI({ baseURL: `${run.httpUrl}/v1`, apiKey: run.member.apiKey, maxRetries: 0, fetchOptions: { dispatcher: agent } });
  const em = run.emulator;
  const json = (v: unknown): string => JSON.stringify(v);
  const key = run.member.apiKey;
  try {
    await path(run, "http sdk chat unary with a tool call", async () => {
      const r = await sdk.chat.completions.create({ model: "gpt-4o", messages: MESSAGES, tools: [CHAT_TOOL] }).withResponse();
      expect(json(r.data.choices[0]?.message.tool_calls)).toContain(CANARY);
      run.requestIds.push(r.response.headers.get("x-request-id") ?? "");
    });
    await path(run, "http sdk chat stream with a tool call", async () => {
      let args = "";
      for await (const chunk of await sdk.chat.completions.create({ model: "gpt-4o", messages: MESSAGES, tools: [CHAT_TOOL], stream: true, stream_options: { include_usage: true } })) {
        args += chunk.choices[0]?.delta.tool_calls?.[0]?.function?.arguments ?? "";
      }
      expect(args).toContain(CANARY);
    });
    await path(run, "http sdk embeddings", async () => {
      const r = await sdk.embeddings.create({ model: "text-embedding-3-small", input: [PROMPT, CANARY] });
      expect(r.data).toHaveLength(2);
    });
    await path(run, "http raw legacy completions, unary and stream, echoing the prompt", async () => {
      const unary = await raw(run, "POST", "/v1/completions", json({ model: "gpt-35-turbo-instruct", prompt: PROMPT, echo: true }), key);
      expect(unary.status).toBe(200);
      expect(unary.text).toContain(CANARY);
      run.requestIds.push(unary.requestId);
      const streamed = await raw(run, "POST", "/openai/deployments/gpt-35-turbo-instruct/completions?api-version=2024-10-21", json({ prompt: PROMPT, echo: true, stream: true }), key);
      expect(streamed.text).toContain(CANARY);
    });
    await path(run, "http sdk responses unary, stream, input_items, delete", async () => {
      const r = await sdk.responses.create(RESPONSE);
      expect(json(r.output)).toContain(CANARY);
      let events = "";
      for await (const e of await sdk.responses.create({ ...RESPONSE, stream: true })) events += json(e);
      expect(events).toContain(CANARY);
      const items = await sdk.responses.inputItems.list(r.id);
      expect(json(items.data)).toContain(CANARY);
      // The tool's result, holding the canary, fed back on top of the stored response.
      const call = r.output.find((i) => i.type === "function_call");
      const followUp = await sdk.responses.create({
        model: "gpt-4o-mini",
        previous_response_id: r.id,
        input: [{ type: "function_call_output", call_id: call?.type === "function_call" ? call.call_id : "", output: `The archive says ${CANARY} is a bird.` }],
      });
      expect(followUp.status).toBe("completed");
      expect((await sdk.responses.delete(r.id).withResponse()).response.status).toBe(200);
    });
    await path(run, "http sdk responses background: polled, stream resumed, cancelled, deleted", async () => {
      em.setTiming({ timeToFirstTokenMs: 150, chunkDelayMs: 10 });
      const bg = await sdk.responses.create({ ...RESPONSE, background: true });
      em.setTiming({ timeToFirstTokenMs: 10_000, chunkDelayMs: 10 });
      const doomed = await sdk.responses.create({ ...RESPONSE, background: true });
      em.setTiming({ timeToFirstTokenMs: 0, chunkDelayMs: 0 });
      expect((await sdk.responses.cancel(doomed.id)).status).toBe("cancelled");
      await sdk.responses.delete(doomed.id);
      let done: OpenAI.Responses.Response | undefined;
      await until("the background response completed", async () => (done = await sdk.responses.retrieve(bg.id)).status === "completed");
      expect(json(done)).toContain(CANARY);
      let resumed = "";
      for await (const e of await sdk.responses.retrieve(bg.id, { stream: true, starting_after: 1 })) resumed += json(e);
      expect(resumed).toContain(CANARY);
    });
    await path(run, "http raw responses: Azure refuses a parameter named with the canary and says so", async () => {
      const r = await raw(run, "POST", "/v1/responses", json({ ...RESPONSE, [`x_${CANARY}`]: true }), key);
      expect(r.status).toBe(400);
      expect(r.text).toContain(CANARY);
    });
    await path(run, "http sdk chat: content filter, 429, 500 from Azure", async () => {
      em.setFault("gpt-4o", { fault: { kind: "content-filter" } });
      expect((await sdkError(() => sdk.chat.completions.create({ model: "gpt-4o", messages: MESSAGES }))).status).toBe(400);
      // Cooling for 1 ms: the 500 after it must reach Azure, not be refused by a cooling pool.
      em.setFault("gpt-4o", { fault: { kind: "rate-limit", retryAfterMs: 1 } });
      expect((await sdkError(() => sdk.chat.completions.create({ model: "gpt-4o", messages: MESSAGES }))).status).toBe(429);
      await sleep(5);
      em.setFault("gpt-4o", { fault: { kind: "server-error" } });
      expect((await sdkError(() => sdk.chat.completions.create({ model: "gpt-4o", messages: MESSAGES }))).status).toBe(502);
      em.setFault("gpt-4o", undefined);
    });
    await path(run, "http sdk chat stream cut by Azure mid-way", async () => {
      em.setFault("gpt-4o", { fault: { kind: "reset-mid-stream", afterChunks: 3 }, times: 1 });
      const cut = await (async () => {
        for await (const _ of await sdk.chat.completions.create({ model: "gpt-4o", messages: MESSAGES, tools: [CHAT_TOOL], stream: true })) void _;
      })().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(cut).toBeInstanceOf(Error);
    });
    await path(run, "http raw chat stream abandoned by the client", async () => {
      em.setTiming({ timeToFirstTokenMs: 0, chunkDelayMs: 20, answerWords: 40 });
      const r = await raw(run, "POST", "/v1/chat/completions", json({ model: "gpt-4o", messages: MESSAGES, stream: true }), key, 200);
      em.setTiming({ timeToFirstTokenMs: 0, chunkDelayMs: 0, answerWords: 16 });
      expect(r.status).toBe(200);
    });
    await path(run, "http raw refusals: malformed JSON, invalid key, bad and unknown model (body and URL), limit, model scope", async () => {
      const malformed = await raw(run, "POST", "/v1/chat/completions", `{"model":"gpt-4o","messages":[{"role":"user","content":"${CANARY}"}`, key);
      expect(malformed.status).toBe(400);
      const chat = json({ model: "gpt-4o", messages: MESSAGES });
      // Well-formed (aik_ and 49 base62 characters), unknown: it is looked up, then refused.
      const forged = `aik_${CANARY}`.padEnd(53, "x");
      expect((await raw(run, "POST", "/v1/chat/completions", chat, forged)).status).toBe(401);
      expect((await raw(run, "POST", "/v1/chat/completions", chat, `Bearer-${CANARY}`)).status).toBe(401);
      expect((await raw(run, "POST", "/v1/chat/completions", json({ model: BAD_MODEL, messages: MESSAGES }), key)).status).toBe(400);
      expect((await raw(run, "POST", "/v1/chat/completions", json({ model: UNKNOWN_MODEL, messages: MESSAGES }), key)).status).toBe(404);
      const badPath = await raw(run, "POST", `/openai/deployments/${encodeURIComponent(BAD_MODEL)}/chat/completions?api-version=2024-10-21`, json({ messages: MESSAGES }), key);
      expect(badPath.status).toBeGreaterThanOrEqual(400);
      expect((await raw(run, "POST", "/v1/chat/completions", chat, run.limited.apiKey)).status).toBe(200);
      expect((await raw(run, "POST", "/v1/chat/completions", chat, run.limited.apiKey)).status).toBe(429);
      expect((await raw(run, "POST", "/v1/embeddings", json({ model: "text-embedding-3-small", input: CANARY }), run.scoped.apiKey)).status).toBe(403);
    });
  } finally {
    em.setFault("gpt-4o", undefined);
    em.setTiming({ timeToFirstTokenMs: 0, chunkDelayMs: 0, answerWords: 16 });
  }
}

/** One more answered chat, for the requests sent while Postgres is away: its id must end up in the spool. */
export async function chatOnce(run: CanaryRun): Promise<string> {
  const r = await raw(run, "POST", "/v1/chat/completions", JSON.stringify({ model: "gpt-4o", messages: MESSAGES, tools: [CHAT_TOOL] }), run.member.apiKey);
  expect(r.status).toBe(200);
  expect(r.text).toContain(CANARY);
  return r.requestId;
}

export const closeHttpAgent = (): Promise<void> => agent.close();
