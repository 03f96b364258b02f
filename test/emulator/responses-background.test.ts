// Background responses on the emulator's clock: polling, streaming and resuming, cancel, delete, input items.
import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { API_KEY, call, namedEvents, parseAs, readStreamUntil, startTestEmulator, type ErrorJson, type Reply } from "./harness.js";

let emu: Emulator;
let sdk: OpenAI;
beforeAll(async () => {
  emu = await startTestEmulator();
  sdk = new OpenAI({ baseURL: `${emu.url}/openai/v1`, apiKey: API_KEY, maxRetries: 0 });
});
afterEach(() => emu.setTiming({ timeToFirstTokenMs: 0, chunkDelayMs: 0 }));
afterAll(() => emu.close());

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const messageText = (r: OpenAI.Responses.Response): string =>
  r.output.flatMap((item) => (item.type === "message" ? item.content : [])).map((part) => (part.type === "output_text" ? part.text : "")).join("");
const deltaCount = (text: string): number => text.split("event: response.output_text.delta\n").length - 1;

describe("background responses", () => {
  it("answers queued at once, then runs on the clock of its creation until polled completed", async () => {
    emu.setTiming({ timeToFirstTokenMs: 150, chunkDelayMs: 6 });
    const started = Date.now();
    const r = await sdk.responses.create({ model: "gpt-4o", input: "in the background", background: true });
    expect(Date.now() - started).toBeLessThan(140);
    expect(r).toMatchObject({ status: "queued", background: true, output: [], usage: null });
    const record = emu.requests.at(-1);
    expect(record).toMatchObject({ responseId: r.id, deployment: "gpt-4o", status: 200 });
    expect(record?.usage).toBeUndefined();
    // Later timing changes do not move a run already scheduled.
    emu.setTiming({ timeToFirstTokenMs: 0, chunkDelayMs: 0 });

    let got = await sdk.responses.retrieve(r.id);
    expect(got).toMatchObject({ status: "in_progress", usage: null });
    expect(emu.response(r.id)).toEqual({ status: "in_progress", deployment: "gpt-4o", background: true, usage: undefined });
    while (got.status !== "completed" && Date.now() - started < 3000) {
      await sleep(20);
      got = await sdk.responses.retrieve(r.id);
    }
    expect(got.status).toBe("completed");
    expect(Date.now() - started).toBeGreaterThanOrEqual(150 + 15 * 6 - 10);
    expect(got.output_text.split(" ")).toHaveLength(16);
    expect(got.usage).toMatchObject({ input_tokens: 3 + 4 + 5, output_tokens: 16, total_tokens: 28 });
    await emu.waitFor(() => record?.usage !== undefined, 1000);
    expect(record?.usage).toEqual({ prompt_tokens: 12, completion_tokens: 16, total_tokens: 28, cached_tokens: 0, reasoning_tokens: 0 });
    expect(emu.response(r.id)?.usage).toEqual(record?.usage);
  });

  it("streams as it happens, and a resumed stream gives the remaining events exactly once", async () => {
    emu.setTiming({ timeToFirstTokenMs: 30, chunkDelayMs: 15 });
    emu.clearRequests();
    const body = { model: "gpt-4o", input: "stream in the background", background: true, stream: true };
    const first = await readStreamUntil(emu, "/openai/v1/responses", { body }, (text) => deltaCount(text) >= 3 && text.endsWith("\n\n"));
    expect(first.stopped).toBe(true);
    const seen = namedEvents(first.text, true).map((e) => e.data);
    expect(seen[0]).toMatchObject({ type: "response.created", response: { status: "queued", background: true } });
    expect(seen[1]).toMatchObject({ type: "response.in_progress", response: { status: "in_progress" } });
    const id = parseAs<{ id: string }>(JSON.stringify(seen[0]?.response)).id;
    const last = seen.at(-1)?.sequence_number ?? -1;

    const rest: unknown[] = [];
    for await (const event of await sdk.responses.retrieve(id, { stream: true, starting_after: last })) rest.push(event);
    const all = [...seen, ...parseAs<Array<{ sequence_number: number; type: string }>>(JSON.stringify(rest))];
    expect(all.map((e) => e.sequence_number)).toEqual(all.map((_, i) => i));
    expect(all.at(-1)?.type).toBe("response.completed");

    // Once finished, a replay from the start gives the very same events at once.
    const replay = await call(emu, `/openai/v1/responses/${id}?stream=true`);
    expect(namedEvents(replay.text).map((e) => e.data)).toEqual(all);
    expect(emu.requests[0]).toMatchObject({ aborted: true, stream: true, responseId: id });
    expect(emu.requests[1]).toMatchObject({ method: "GET", stream: true, deployment: "gpt-4o", responseId: id, status: 200 });
  });

  it("ends a live stream without a terminal event when the response is cancelled", async () => {
    emu.setTiming({ timeToFirstTokenMs: 20, chunkDelayMs: 30 });
    let cancelled: Promise<Reply> | undefined;
    const r = await readStreamUntil(emu, "/openai/v1/responses", { body: { model: "gpt-4o", input: "x", background: true, stream: true } }, (text) => {
      if (!cancelled && deltaCount(text) >= 2) {
        const id = /"id":"(resp_[0-9a-f]+)"/.exec(text)?.[1] ?? "";
        cancelled = call(emu, `/openai/v1/responses/${id}/cancel`, { method: "POST" });
      }
      return false;
    });
    expect(r.broken).toBe(false);
    const events = namedEvents(r.text);
    expect(events.at(-1)?.event).toBe("response.output_text.delta");
    const response = parseAs<OpenAI.Responses.Response>((await cancelled)?.text ?? "");
    expect(response.status).toBe("cancelled");
    expect(response.usage?.output_tokens).toBe(deltaCount(r.text));
  });

  it("cancels an unfinished response for good, idempotently, and bills what was generated", async () => {
    emu.setTiming({ timeToFirstTokenMs: 60, chunkDelayMs: 30 });
    const r = await sdk.responses.create({ model: "gpt-4o", input: "cancel me", background: true });
    const record = emu.requests.at(-1);
    await sleep(120);
    const cancelled = await sdk.responses.cancel(r.id);
    expect(cancelled.status).toBe("cancelled");
    const words = messageText(cancelled).split(" ").length;
    expect(words).toBeGreaterThan(0);
    expect(words).toBeLessThan(16);
    expect(cancelled.output[0]).toMatchObject({ type: "message", status: "incomplete" });
    // 3 + (4 + ceil(9 bytes / 4)) input tokens.
    expect(cancelled.usage).toMatchObject({ input_tokens: 10, output_tokens: words, total_tokens: 10 + words });
    expect(record?.usage).toMatchObject({ prompt_tokens: 10, completion_tokens: words });

    expect(await sdk.responses.cancel(r.id)).toEqual(cancelled);
    // Past the moment it would have completed.
    await sleep(60 + 15 * 30 - 120 + 30);
    const later = await sdk.responses.retrieve(r.id);
    expect(later.status).toBe("cancelled");
    expect(later.usage).toEqual(cancelled.usage);
    expect(emu.response(r.id)?.status).toBe("cancelled");
  });

  it("leaves a finished response as it is, refuses non-background ones, and 404s unknown ids", async () => {
    const done = await sdk.responses.create({ model: "gpt-4o", input: "quick", background: true });
    const finished = await sdk.responses.retrieve(done.id);
    expect(finished.status).toBe("completed");
    expect(parseAs<unknown>((await call(emu, `/openai/v1/responses/${done.id}/cancel`, { method: "POST" })).text)).toEqual(
      parseAs<unknown>((await call(emu, `/openai/v1/responses/${done.id}`)).text),
    );

    const unary = await sdk.responses.create({ model: "gpt-4o", input: "not background" });
    const refused = await call(emu, `/openai/v1/responses/${unary.id}/cancel`, { method: "POST" });
    expect(refused.status).toBe(400);
    expect(JSON.parse(refused.text)).toEqual({
      error: { message: "Only background responses can be cancelled.", type: "invalid_request_error", param: null, code: null },
    });
    const replay = await call(emu, `/openai/v1/responses/${unary.id}?stream=true`);
    expect(replay.status).toBe(400);
    expect(parseAs<ErrorJson>(replay.text).error).toMatchObject({ type: "invalid_request_error", param: "stream" });
    expect((await call(emu, "/openai/v1/responses/resp_unknown/cancel", { method: "POST" })).status).toBe(404);
  });
});

describe("delete and input items", () => {
  it("deletes a response; afterwards every route treats it as unknown", async () => {
    const r = await sdk.responses.create({ model: "gpt-4o", input: "delete me" });
    const del = await call(emu, `/openai/v1/responses/${r.id}`, { method: "DELETE" });
    expect(del.status).toBe(200);
    expect(JSON.parse(del.text)).toEqual({ id: r.id, object: "response.deleted", deleted: true });
    const notFound = { error: { message: `Response with id '${r.id}' not found.`, type: "invalid_request_error", param: null, code: null } };
    for (const [path, method] of [
      [`/openai/v1/responses/${r.id}`, "GET"],
      [`/openai/v1/responses/${r.id}`, "DELETE"],
      [`/openai/v1/responses/${r.id}/input_items`, "GET"],
      [`/openai/v1/responses/${r.id}/cancel`, "POST"],
    ] as const) {
      const reply = await call(emu, path, { method });
      expect(reply.status, `${method} ${path}`).toBe(404);
      expect(JSON.parse(reply.text)).toEqual(notFound);
    }
    const chained = await call(emu, "/openai/v1/responses", { body: { model: "gpt-4o", input: "x", previous_response_id: r.id } });
    expect(parseAs<ErrorJson>(chained.text).error.code).toBe("previous_response_not_found");
    expect(emu.response(r.id)).toBeUndefined();

    const viaSdk = await sdk.responses.create({ model: "gpt-4o", input: "delete me too" });
    await sdk.responses.delete(viaSdk.id);
    await expect(sdk.responses.retrieve(viaSdk.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it("lists input items newest first by default, with limit, order and after", async () => {
    const input = [
      { role: "system" as const, content: "sys" },
      { type: "message" as const, id: "msg_mine", role: "user" as const, content: [{ type: "input_text" as const, text: "u1" }] },
      { role: "assistant" as const, content: "a1" },
      { role: "user" as const, content: "u2" },
      { type: "function_call_output" as const, call_id: "call_1", output: "42" },
    ];
    const r = await sdk.responses.create({ model: "gpt-4o", input });
    const list = async (query: string) => call(emu, `/openai/v1/responses/${r.id}/input_items${query}`);
    type Page = { object: string; data: Array<{ id: string; type: string; role?: string; content?: unknown }>; first_id: string | null; last_id: string | null; has_more: boolean };

    const all = parseAs<Page>((await list("")).text);
    expect(all.object).toBe("list");
    expect(all.data.map((i) => i.role ?? i.type)).toEqual(["function_call_output", "user", "assistant", "user", "system"]);
    expect(all.data[1]?.id).toMatch(/^msg_[0-9a-f]{48}$/);
    expect(all.data[3]?.id).toBe("msg_mine");
    expect(all.data[4]).toEqual({ id: expect.any(String), type: "message", role: "system", content: [{ type: "input_text", text: "sys" }], status: "completed" });
    expect(all.data[2]?.content).toEqual([{ type: "output_text", text: "a1" }]);
    expect(all).toMatchObject({ first_id: all.data[0]?.id, last_id: all.data[4]?.id, has_more: false });

    const page1 = parseAs<Page>((await list("?limit=2&order=asc")).text);
    expect(page1.data.map((i) => i.role ?? i.type)).toEqual(["system", "user"]);
    expect(page1).toMatchObject({ first_id: page1.data[0]?.id, last_id: "msg_mine", has_more: true });
    const page2 = parseAs<Page>((await list(`?limit=2&order=asc&after=${page1.last_id}`)).text);
    expect(page2.data.map((i) => i.role ?? i.type)).toEqual(["assistant", "user"]);
    expect(page2.has_more).toBe(true);
    const page3 = parseAs<Page>((await list(`?limit=2&order=asc&after=${page2.last_id}&include[]=message.input_image.image_url`)).text);
    expect(page3.data.map((i) => i.type)).toEqual(["function_call_output"]);
    expect(page3.has_more).toBe(false);

    const viaSdk: string[] = [];
    for await (const item of sdk.responses.inputItems.list(r.id, { limit: 2, order: "asc" })) viaSdk.push(item.id ?? "");
    expect(viaSdk).toEqual([...all.data].reverse().map((i) => i.id));

    for (const [query, param] of [["?limit=0", "limit"], ["?limit=101", "limit"], ["?limit=ten", "limit"], ["?order=up", "order"]]) {
      const bad = await list(query ?? "");
      expect(bad.status, query).toBe(400);
      expect(parseAs<ErrorJson>(bad.text).error.param).toBe(param);
    }
  });
});
