// The stream relay: each way a stream can end settles it exactly once, with the outcome and what it saw.
import { describe, expect, it } from "vitest";
import { createContext, type CallContext } from "../../src/core/context.js";
import type { Call } from "../../src/core/operation.js";
import type { SseEvent, UpstreamStream } from "../../src/core/ports.js";
import { relayStream } from "../../src/core/relay.js";
import { sseBatches } from "../../src/upstream/sse.js";
import { chunkReader } from "../support/chunk-reader.js";
import type { Settlement, StreamResult } from "../../src/core/results.js";
import { chatCompletions } from "../../src/operations/chat/operation.js";
import { createResponse } from "../../src/operations/responses/create.js";

const input = (body: Record<string, unknown>) => ({ body: { model: "gpt-4o", ...body } as never, params: {}, query: new URLSearchParams(), style: "openai" as const });
const chat: Call = chatCompletions.parse(input({ messages: [{ role: "user", content: "x" }], stream: true }));
const responses: Call = createResponse.parse(input({ input: "x", stream: true }));

/** One event per upstream read, unless `together` (all in one read, as a short answer often comes). */
function upstream(events: SseEvent[], opts: { failAfter?: number; hang?: boolean; together?: boolean } = {}): UpstreamStream & { closed: number } {
  const src = {
    closed: 0,
    info: { region: undefined, azureRequestId: undefined },
    events: (async function* () {
      if (opts.together) yield events;
      else {
        let i = 0;
        for (const e of events) {
          if (opts.failAfter !== undefined && i++ === opts.failAfter) throw new Error("socket hang up");
          yield [e];
        }
      }
      if (opts.hang) await new Promise(() => undefined);
    })(),
    close: () => void (src.closed += 1),
  };
  return src;
}

const data = (json: unknown): SseEvent => ({ event: undefined, data: JSON.stringify(json) });
const chunk = (content: string): SseEvent => data({ choices: [{ index: 0, delta: { content } }] });
const usage = data({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } });
const DONE: SseEvent = { event: undefined, data: "[DONE]" };

/** Reads a stream to its end, returning what it threw. */
async function drain(s: StreamResult): Promise<{ error: unknown; seen: number }> {
  let seen = 0;
  try {
    for await (const batch of s) seen += batch.length;
    return { error: undefined, seen };
  } catch (err) {
    return { error: err, seen };
  }
}

function context(protocol: "http" | "grpc" = "http"): CallContext {
  return createContext({ requestId: "req_1", protocol, signal: new AbortController().signal, credential: undefined, peer: undefined });
}

describe("relayStream", () => {
  it("a chat stream to [DONE] settles ok with Azure's usage, and drops the usage chunk the client did not ask for", async () => {
    const src = upstream([chunk("a"), chunk("b"), usage, DONE]);
    const s = relayStream(src, chatCompletions.stream!, chat, context());
    const { error, seen } = await drain(s);
    expect(error).toBeUndefined();
    expect(seen).toBe(2);
    const settled: Settlement = await s.settled;
    expect(settled).toMatchObject({ outcome: "ok", usage: { promptTokens: 5, completionTokens: 2 }, relayedText: ["a", "b"] });
    expect(src.closed).toBeGreaterThan(0);
  });

  it("a chat stream that ends without [DONE] is a cut: an error, settled once as such", async () => {
    const s = relayStream(upstream([chunk("a")]), chatCompletions.stream!, chat, context());
    const { error } = await drain(s);
    expect(error).toMatchObject({ code: "bad_gateway", reason: "upstream_stream_cut" });
    expect(await s.settled).toMatchObject({ outcome: "error", error: { reason: "upstream_stream_cut" } });
  });

  it("a socket failure mid-stream settles as an error; closing afterwards changes nothing", async () => {
    const s = relayStream(upstream([chunk("a"), chunk("b")], { failAfter: 1 }), chatCompletions.stream!, chat, context());
    await drain(s);
    s.close();
    expect((await s.settled).outcome).toBe("error");
  });

  it("closed before anyone read it: settles cancelled and releases the upstream", async () => {
    const src = upstream([chunk("a"), DONE]);
    const s = relayStream(src, chatCompletions.stream!, chat, context());
    s.close();
    s.close();
    expect(await s.settled).toMatchObject({ outcome: "cancelled", relayedText: [] });
    expect(src.closed).toBeGreaterThan(0);
  });

  it("closed while a reader waits on a silent upstream: settles cancelled with the text relayed so far", async () => {
    const s = relayStream(upstream([chunk("a")], { hang: true }), chatCompletions.stream!, chat, context());
    const it = s[Symbol.asyncIterator]();
    await it.next();
    s.close();
    expect(await s.settled).toMatchObject({ outcome: "cancelled", relayedText: ["a"] });
  });

  it("a Responses stream ends ok at its terminal event with no [DONE], revealing the stored ids in order", async () => {
    const response = (status: string, extra: Record<string, unknown> = {}) => ({ id: "resp_1", object: "response", status, store: true, output: [], ...extra });
    const events: SseEvent[] = [
      { event: "response.created", data: JSON.stringify({ type: "response.created", sequence_number: 0, response: response("in_progress") }) },
      { event: "response.output_item.added", data: JSON.stringify({ type: "response.output_item.added", sequence_number: 1, item: { id: "msg_1", type: "message" } }) },
      { event: "response.output_text.delta", data: JSON.stringify({ type: "response.output_text.delta", sequence_number: 2, delta: "hi" }) },
      {
        event: "response.completed",
        data: JSON.stringify({
          type: "response.completed",
          sequence_number: 3,
          response: response("completed", { output: [{ id: "msg_1", type: "message" }], usage: { input_tokens: 4, output_tokens: 1, input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 } } }),
        }),
      },
    ];
    const s = relayStream(upstream(events), createResponse.stream!, responses, context());
    const reveals: string[][] = [];
    for await (const batch of s) for (const e of batch) reveals.push([...e.reveals]);
    expect(reveals).toEqual([["resp_1"], ["msg_1"], [], ["resp_1", "msg_1"]]);
    expect(await s.settled).toMatchObject({ outcome: "ok", usage: { promptTokens: 4, completionTokens: 1 }, relayedText: ["hi"], object: { id: "resp_1", finished: true } });
  });

  it("the events one upstream read brought come out as one batch; an error event inside it lets the events before it out first", async () => {
    const whole = relayStream(upstream([chunk("a"), chunk("b"), usage, DONE], { together: true }), chatCompletions.stream!, { ...chat, includeUsage: true }, context());
    const batches: number[] = [];
    for await (const batch of whole) batches.push(batch.length);
    expect(batches).toEqual([3]);
    expect(await whole.settled).toMatchObject({ outcome: "ok", relayedText: ["a", "b"] });

    const failing = data({ error: { code: "server_error", message: "x" } });
    const broken = relayStream(upstream([chunk("a"), chunk("b"), failing, chunk("c"), DONE], { together: true }), chatCompletions.stream!, chat, context());
    const { error, seen } = await drain(broken);
    expect(seen).toBe(2);
    expect(error).toMatchObject({ reason: "upstream_stream_error" });
    expect(await broken.settled).toMatchObject({ outcome: "error", relayedText: ["a", "b"] });
  });

  it("a Responses stream cut before its terminal event is an error; an upstream error event ends it as one", async () => {
    const created = { event: "response.created", data: JSON.stringify({ type: "response.created", sequence_number: 0, response: { id: "resp_1", object: "response", status: "in_progress", store: false } }) };
    const cut = relayStream(upstream([created]), createResponse.stream!, responses, context());
    const first = await drain(cut);
    expect(first.error).toMatchObject({ reason: "upstream_stream_cut" });
    const failed = relayStream(upstream([created, { event: "error", data: JSON.stringify({ type: "error", code: "server_error", message: "x" }) }]), createResponse.stream!, responses, context());
    const second = await drain(failed);
    expect(second.error).toMatchObject({ reason: "upstream_stream_error" });
    expect(await failed.settled).toMatchObject({ outcome: "error", object: { id: "resp_1", stored: false } });
  });

  it("over HTTP, events after the first token that tell nothing go on unparsed: the same text out, the same usage, time and text in the settlement", async () => {
    const { performance } = globalThis;
    const events = [data({ choices: [], prompt_filter_results: [] }), chunk("a"), chunk("b"), chunk("c"), usage, DONE];
    const http = relayStream(upstream(events), chatCompletions.stream!, { ...chat, includeUsage: true }, context("http"));
    const grpc = relayStream(upstream(events), chatCompletions.stream!, { ...chat, includeUsage: true }, context("grpc"));
    const seen = async (s: StreamResult) => {
      const out: { raw: string; json: unknown }[] = [];
      for await (const batch of s) for (const e of batch) out.push({ raw: e.raw, json: e.json });
      return out;
    };
    const [fromHttp, fromGrpc] = [await seen(http), await seen(grpc)];
    expect(fromHttp).toEqual(fromGrpc);
    expect(fromHttp.map((e) => e.raw)).toEqual(events.slice(0, 5).map((e) => e.data));
    for (const s of [http, grpc]) {
      const settled = await s.settled;
      expect(settled).toMatchObject({ outcome: "ok", usage: { promptTokens: 5, completionTokens: 2 } });
      expect(settled.relayedText).toEqual(["a", "b", "c"]);
      expect(settled.firstTokenMs).toBeGreaterThanOrEqual(0);
      expect(settled.firstTokenMs).toBeLessThanOrEqual(performance.now());
    }
  });

  describe("events passed on unparsed are kept as the upstream's bytes (their frames), read only for a local count", () => {
    /** The events of `text` as the upstream decoder gives them: frames and all, cut after the last one (no usage, no end). */
    function fromBytes(text: string): UpstreamStream {
      return {
        info: { region: undefined, azureRequestId: undefined },
        events: sseBatches(chunkReader([Buffer.from(text)])),
        close: () => undefined,
      };
    }
    async function relayedText(s: StreamResult): Promise<readonly string[]> {
      const { error } = await drain(s);
      expect(error).toMatchObject({ reason: "upstream_stream_cut" });
      return (await s.settled).relayedText;
    }

    it("chat: multi-byte text, and past the kept limit (64 KB), as the parsed (gRPC) reading counts it", async () => {
      const texts = ["a", "é€😀", ...Array.from({ length: 70 }, (_, i) => `${i}`.padEnd(1_000, "x")), "z"];
      const bytes = [{ choices: [], prompt_filter_results: [] }, ...texts.map((t) => ({ choices: [{ index: 0, delta: { content: t } }] }))]
        .map((j) => `data: ${JSON.stringify(j)}\n\n`)
        .join("");
      const http = await relayedText(relayStream(fromBytes(bytes), chatCompletions.stream!, chat, context("http")));
      const grpc = await relayedText(relayStream(fromBytes(bytes), chatCompletions.stream!, chat, context("grpc")));
      expect(http).toEqual(texts);
      expect(grpc).toEqual(texts);
    });

    it("Responses: a delta whose data has no type takes it from its frame's event line", async () => {
      const created = { type: "response.created", sequence_number: 0, response: { id: "resp_1", object: "response", status: "in_progress", store: false } };
      const bytes = [
        `event: response.created\ndata: ${JSON.stringify(created)}\n\n`,
        `event: response.output_text.delta\ndata: ${JSON.stringify({ type: "response.output_text.delta", sequence_number: 1, delta: "hi" })}\n\n`,
        `event: response.output_text.delta\ndata: ${JSON.stringify({ sequence_number: 2, delta: " thére" })}\n\n`,
        `event: response.audio.delta\ndata: ${JSON.stringify({ sequence_number: 3, delta: "AAAA" })}\n\n`,
      ].join("");
      expect(await relayedText(relayStream(fromBytes(bytes), createResponse.stream!, responses, context("http")))).toEqual(["hi", " thére"]);
    });
  });

  it("a Responses event passed on unparsed still gives its sequence number (the last one read when it has none) and its text", async () => {
    const ev = (type: string, fields: Record<string, unknown>): SseEvent => ({ event: type, data: JSON.stringify({ type, ...fields }) });
    const events: SseEvent[] = [
      ev("response.created", { sequence_number: 0, response: { id: "resp_1", object: "response", status: "in_progress", store: false } }),
      ev("response.output_text.delta", { sequence_number: 1, delta: "hi" }),
      ev("response.output_text.delta", { sequence_number: 2, delta: " there" }),
      ev("response.output_text.done", { text: "hi there" }),
    ];
    const s = relayStream(upstream(events), createResponse.stream!, responses, context("http"));
    const sequences: Array<number | undefined> = [];
    const { error } = await (async () => {
      try {
        for await (const batch of s) for (const e of batch) sequences.push(e.sequence);
        return { error: undefined };
      } catch (err) {
        return { error: err };
      }
    })();
    expect(error).toMatchObject({ reason: "upstream_stream_cut" });
    // The first delta is read (it times the first token), the second is not: the `.done` without a number stands at 1.
    expect(sequences).toEqual([0, 1, 2, 1]);
    expect((await s.settled).relayedText).toEqual(["hi", " there"]);
  });
});
