// Relays an upstream event stream event by event, reading each through its operation's stream shape; settles once.
import type { CallContext } from "./context.js";
import { abortError, GatewayError } from "./errors.js";
import { isObject, type JsonObject } from "./json.js";
import type { Call, ObjectState, StreamShape } from "./operation.js";
import type { UpstreamStream } from "./ports.js";
import type { Outcome, Settlement, StreamEvent, StreamResult, UpstreamInfo } from "./results.js";
import type { Usage } from "./usage.js";

const NONE: readonly string[] = Object.freeze([]);

export function relayStream(src: UpstreamStream, shape: StreamShape, call: Call, ctx: CallContext): StreamResult {
  return new Relay(src, shape, call, ctx);
}

class Relay implements StreamResult {
  readonly kind = "stream";
  readonly upstream: UpstreamInfo;
  readonly settled: Promise<Settlement>;
  private settle!: (s: Settlement) => void;
  private done = false;
  private iterator: AsyncGenerator<StreamEvent> | undefined;
  private usage: Usage | undefined;
  private object: ObjectState | undefined;
  private firstTokenMs: number | undefined;
  // Generated text, kept in memory only, to count usage locally if Azure's count never arrives.
  private readonly text: string[] = [];

  constructor(
    private readonly src: UpstreamStream,
    readonly shape: StreamShape,
    private readonly call: Call,
    private readonly ctx: CallContext,
  ) {
    this.upstream = src.info;
    this.settled = new Promise((resolve) => (this.settle = resolve));
  }

  [Symbol.asyncIterator](): AsyncGenerator<StreamEvent> {
    if (this.iterator) throw new GatewayError("internal", "A stream can be read only once.");
    this.iterator = this.relay();
    return this.iterator;
  }

  close(): void {
    this.src.close();
    void this.iterator?.return(undefined);
    this.finish("cancelled", undefined);
  }

  private async *relay(): AsyncGenerator<StreamEvent> {
    let outcome: Outcome = "cancelled";
    let error: GatewayError | undefined;
    let terminal = false;
    try {
      for await (const { event, data } of this.src.events) {
        if (data === "[DONE]") {
          if (!this.shape.sentinel && !terminal) break;
          outcome = "ok";
          return;
        }
        const json = parseEvent(data);
        const texts = this.text.length;
        const facts = this.shape.read(event, json, this.call, this.text);
        if (facts.errorCode !== undefined) {
          throw new GatewayError("bad_gateway", `The upstream reported an error mid-stream (code: ${facts.errorCode}).`, {
            reason: "upstream_stream_error",
          });
        }
        if (facts.usage) this.usage = facts.usage;
        if (facts.object) this.object = facts.object;
        if (facts.terminal) terminal = true;
        if (this.text.length > texts) this.firstTokenMs ??= Math.round(performance.now() - this.ctx.startedAt);
        if (!facts.forward) continue;
        // Item ids are the caller's only when Azure stores what this stream creates.
        const stored = this.object?.stored === true;
        const reveals = stored && (facts.object || facts.itemIds) ? [...(facts.object ? [facts.object.id, ...facts.object.itemIds] : []), ...(facts.itemIds ?? [])] : NONE;
        yield { event, raw: data, json, reveals, sequence: facts.sequence };
      }
      if (!this.shape.sentinel && terminal) {
        outcome = "ok";
        return;
      }
      throw new GatewayError("bad_gateway", "The upstream stream ended before it was complete.", { reason: "upstream_stream_cut" });
    } catch (err) {
      if (this.ctx.signal.aborted) {
        // A client that left needs no answer; a shutdown's end is an error the client is told of, and metered as such.
        const aborted = abortError(this.ctx.signal, err);
        if (aborted.code === "cancelled") throw aborted;
        error = aborted;
        outcome = "error";
        throw aborted;
      }
      outcome = "error";
      error =
        err instanceof GatewayError
          ? err
          : new GatewayError("bad_gateway", "The upstream stream failed before it was complete.", { reason: "upstream_stream_cut", cause: err });
      throw error;
    } finally {
      this.src.close();
      this.finish(outcome, error);
    }
  }

  private finish(outcome: Outcome, error: GatewayError | undefined): void {
    if (this.done) return;
    this.done = true;
    this.settle({ outcome, usage: this.usage, relayedText: this.text, firstTokenMs: this.firstTokenMs, error, object: this.object });
  }
}

function parseEvent(data: string): JsonObject {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    json = undefined;
  }
  if (!isObject(json)) {
    throw new GatewayError("bad_gateway", "The upstream sent a malformed stream event.", { reason: "upstream_bad_event" });
  }
  return json;
}
