// Properties of the stream relay: random upstream event sequences and random client behaviour always settle, once, with the outcome a simple model predicts.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createContext } from "../../src/core/context.js";
import { GatewayError } from "../../src/core/errors.js";
import type { SseEvent, UpstreamStream } from "../../src/core/ports.js";
import { relayStream } from "../../src/core/relay.js";
import type { Outcome } from "../../src/core/results.js";
import { chatCompletions } from "../../src/operations/chat/operation.js";
import { createResponse } from "../../src/operations/responses/create.js";
import { RUNS } from "./arbitraries.js";

type Kind = "chunk" | "usage" | "done" | "malformed" | "array" | "error";
const DATA: Record<Kind, string> = {
  chunk: JSON.stringify({ choices: [{ index: 0, delta: { content: "w" } }] }),
  usage: JSON.stringify({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } }),
  done: "[DONE]",
  malformed: '{"choices": [',
  array: "[1,2]",
  error: JSON.stringify({ error: { code: "server_error", message: "x" } }),
};

type Client = { readonly kind: "drain" } | { readonly kind: "break" | "close" | "abort"; readonly after: number } | { readonly kind: "close-first" };

interface Scenario {
  readonly events: readonly Kind[];
  /** The upstream connection fails when it reaches this event. */
  readonly failAt: number | undefined;
  /** After its events the upstream goes silent instead of ending. */
  readonly hang: boolean;
  readonly client: Client;
}

const client: fc.Arbitrary<Client> = fc.oneof(
  fc.constant<Client>({ kind: "drain" }),
  fc.record({ kind: fc.constantFrom("break" as const, "close" as const, "abort" as const), after: fc.nat(6) }),
  fc.constant<Client>({ kind: "close-first" }),
);
const kind = fc.oneof({ arbitrary: fc.constant<Kind>("chunk"), weight: 6 }, fc.constantFrom<Kind>("usage", "done", "malformed", "array", "error"));
const ending: fc.Arbitrary<Scenario> = fc.record({ events: fc.array(kind, { maxLength: 10 }), failAt: fc.option(fc.nat(10), { nil: undefined }), hang: fc.constant(false), client });
// A silent upstream: the client must walk away (at or before the last event), or it would rightly wait forever.
const silent: fc.Arbitrary<Scenario> = fc
  .tuple(fc.array(fc.constantFrom<Kind>("chunk", "chunk", "usage"), { maxLength: 8 }), fc.constantFrom("break" as const, "close" as const, "abort" as const), fc.nat(8))
  .map(([events, k, n]) => ({ events, failAt: undefined, hang: true, client: { kind: k, after: n % (events.filter((e) => e === "chunk").length + 1) } }));
const scenario = fc.oneof({ arbitrary: ending, weight: 3 }, { arbitrary: silent, weight: 1 });

/** What the relay must do: which events reach the client and how the stream settles. */
function model(s: Scenario): { forwarded: number; outcome: Outcome } {
  if (s.client.kind === "close-first") return { forwarded: 0, outcome: "cancelled" };
  const stopAfter = s.client.kind === "drain" ? Infinity : s.client.after;
  let forwarded = 0;
  for (let i = 0; ; i++) {
    // The client walks away right after its n-th event, before the relay reads another.
    if (forwarded >= stopAfter && s.client.kind !== "drain") return { forwarded, outcome: "cancelled" };
    if (s.failAt === i || i === s.events.length) return { forwarded, outcome: "error" };
    const kind = s.events[i];
    if (kind === "done") return { forwarded, outcome: "ok" };
    if (kind === "malformed" || kind === "array" || kind === "error") return { forwarded, outcome: "error" };
    if (kind === "chunk") forwarded++;
  }
}

function upstream(s: Scenario, signal: AbortSignal): UpstreamStream & { closes: number } {
  let wake: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (wake = resolve));
  signal.addEventListener("abort", () => wake());
  let closes = 0;
  // One event per upstream read: the client's steps below count events.
  const events = async function* (): AsyncGenerator<SseEvent[]> {
    for (let i = 0; i < s.events.length; i++) {
      // Like undici: an aborted or released body throws on the next read.
      if (signal.aborted || closes > 0) throw new Error("aborted");
      if (s.failAt === i) throw new Error("socket hang up");
      yield [{ event: undefined, data: DATA[s.events[i] ?? "chunk"] }];
    }
    if (s.failAt !== undefined && s.failAt >= s.events.length) throw new Error("socket hang up");
    if (s.hang) {
      await stopped;
      throw new Error("aborted");
    }
  };
  return {
    get closes() {
      return closes;
    },
    info: { region: undefined, azureRequestId: undefined },
    events: events(),
    close: () => {
      closes++;
      wake();
    },
  };
}

const chatCall = chatCompletions.parse({ body: { model: "gpt-4o", stream: true, messages: [{ role: "user", content: "x" }] }, params: {}, query: new URLSearchParams(), style: "openai" });

describe("relayStream", () => {
  it("chat: every scenario settles exactly once, with the outcome and the events the model predicts", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const controller = new AbortController();
        const ctx = createContext({ requestId: "req_f", protocol: "http", signal: controller.signal, credential: undefined, peer: undefined });
        const src = upstream(s, controller.signal);
        const stream = relayStream(src, chatCompletions.stream!, chatCall, ctx);
        let forwarded = 0;
        let thrown: unknown;
        const walksAwayFirst = s.client.kind === "close-first" || ((s.client.kind === "break" || s.client.kind === "close") && s.client.after === 0);
        // A client gone before the first event never iterates: its front door closes the stream.
        if (walksAwayFirst) stream.close();
        else {
          if (s.client.kind === "abort" && s.client.after === 0) controller.abort();
          try {
            for await (const batch of stream) {
              forwarded += batch.length;
              if (s.client.kind !== "drain" && forwarded >= s.client.after) {
                if (s.client.kind === "break") break;
                if (s.client.kind === "close") {
                  stream.close();
                  break;
                }
                controller.abort();
              }
            }
          } catch (err) {
            thrown = err;
          }
        }
        const settlement = await stream.settled;
        const want = model(s);
        expect({ outcome: settlement.outcome, forwarded }).toEqual(want);
        // Settled once: whatever the client does afterwards, the settlement stands.
        stream.close();
        expect((await stream.settled).outcome).toBe(want.outcome);
        if (thrown !== undefined) expect(thrown).toBeInstanceOf(GatewayError);
        expect(src.closes).toBeGreaterThanOrEqual(1);
        if (want.outcome === "error") expect(settlement.error).toBeInstanceOf(GatewayError);
      }),
      RUNS,
    );
  });

  it("responses: any sequence of named events, in batches cut anywhere, settles once, ok exactly when a terminal event came first and nothing broke after it", async () => {
    const types = ["response.created", "response.in_progress", "response.output_text.delta", "response.completed", "response.failed", "error", "[DONE]", "{"] as const;
    const call = createResponse.parse({ body: { model: "gpt-4o-mini", input: "x", stream: true }, params: {}, query: new URLSearchParams(), style: "openai" });
    const expected = (seq: readonly string[]): Outcome => {
      let terminal = false;
      for (const t of seq) {
        if (t === "[DONE]") return terminal ? "ok" : "error";
        if (t === "error" || t === "{") return "error";
        if (t === "response.completed" || t === "response.failed") terminal = true;
      }
      return terminal ? "ok" : "error";
    };
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...types), { maxLength: 8 }), fc.array(fc.nat(8)), async (seq, cuts) => {
        const events: SseEvent[] = seq.map((type, i) =>
          type === "[DONE]" || type === "{" ? { event: undefined, data: type } : { event: type, data: JSON.stringify({ type, sequence_number: i, delta: "w", response: { id: "resp_a1", status: "completed", output: [] } }) },
        );
        let closes = 0;
        const src: UpstreamStream = {
          info: { region: undefined, azureRequestId: undefined },
          events: (async function* () {
            // The upstream reads: the events cut into batches at the given points (as TCP might deliver them).
            const points = [...new Set(cuts.filter((c) => c > 0 && c < events.length)), events.length].sort((a, b) => a - b);
            let from = 0;
            for (const p of points) {
              if (p > from) yield events.slice(from, p);
              from = p;
            }
          })(),
          close: () => void closes++,
        };
        const ctx = createContext({ requestId: "req_f", protocol: "http", signal: new AbortController().signal, credential: undefined, peer: undefined });
        const stream = relayStream(src, createResponse.stream!, call, ctx);
        try {
          for await (const batch of stream) expect(batch.length).toBeGreaterThan(0);
        } catch (err) {
          expect(err).toBeInstanceOf(GatewayError);
        }
        expect((await stream.settled).outcome).toBe(expected(seq));
        stream.close();
        expect((await stream.settled).outcome).toBe(expected(seq));
        expect(closes).toBeGreaterThanOrEqual(1);
      }),
      RUNS,
    );
  });
});
