// Relays an upstream event stream event by event, reading each through its operation's stream shape; settles once.
import { readsParsed, type CallContext } from "./context.js";
import { abortError, GatewayError } from "./errors.js";
import { isObject, type JsonObject } from "./json.js";
import type { Call, EventFacts, ObjectState, StreamShape } from "./operation.js";
import type { SseEvent, UpstreamStream } from "./ports.js";
import type { Outcome, Settlement, StreamEvent, StreamResult, UpstreamInfo } from "./results.js";
import { sseFrameFields } from "./sse-frame.js";
import type { Usage } from "./usage.js";

const NONE: readonly string[] = Object.freeze([]);

/**
 * Events passed on unparsed but kept for a local count stay below this many characters per stream
 * (for frames, the bytes of the upstream reads they keep alive); past it they are read down to their
 * text. Memory only, like the text itself.
 */
const MAX_KEPT_CHARS = 64 * 1024;

export function relayStream(src: UpstreamStream, shape: StreamShape, call: Call, ctx: CallContext): StreamResult {
  return new Relay(src, shape, call, ctx);
}

class Relay implements StreamResult {
  readonly kind = "stream";
  readonly upstream: UpstreamInfo;
  readonly settled: Promise<Settlement>;
  private settle!: (s: Settlement) => void;
  private done = false;
  private iterator: AsyncGenerator<readonly StreamEvent[]> | undefined;
  private usage: Usage | undefined;
  private object: ObjectState | undefined;
  private firstTokenMs: number | undefined;
  /** A terminal event came (responses: the stream may end). */
  private terminal = false;
  /** The last sequence number read (responses): an event without one stands at the place of the one before. */
  private sequence: number | undefined;
  // Generated text, kept in memory only, to count usage locally if Azure's count never arrives.
  private readonly text: RelayedText;
  /** A front door that forwards event text (HTTP) lets events that tell nothing go unparsed. */
  private readonly skims: boolean;

  constructor(
    private readonly src: UpstreamStream,
    readonly shape: StreamShape,
    private readonly call: Call,
    private readonly ctx: CallContext,
  ) {
    this.upstream = src.info;
    this.settled = new Promise((resolve) => (this.settle = resolve));
    this.skims = !readsParsed(ctx);
    this.text = new RelayedText(shape, call);
  }

  [Symbol.asyncIterator](): AsyncGenerator<readonly StreamEvent[]> {
    if (this.iterator) throw new GatewayError("internal", "A stream can be read only once.");
    this.iterator = this.relay();
    return this.iterator;
  }

  close(): void {
    this.src.close();
    void this.iterator?.return(undefined);
    this.finish("cancelled", undefined);
  }

  /** The upstream's batches read event by event, relayed as batches too: the events of one upstream read reach the reader together. */
  private async *relay(): AsyncGenerator<readonly StreamEvent[]> {
    let outcome: Outcome = "cancelled";
    let error: GatewayError | undefined;
    try {
      let end: "done" | "cut" | undefined;
      for await (const batch of this.src.events) {
        const out: StreamEvent[] = [];
        let failure: { readonly error: unknown } | undefined;
        for (const e of batch) {
          if (e.data === "[DONE]") {
            end = this.shape.sentinel || this.terminal ? "done" : "cut";
            break;
          }
          try {
            const relayed = this.take(e);
            if (relayed) out.push(relayed);
          } catch (error) {
            // The events before the failing one reach the reader first, as they would have alone.
            failure = { error };
            break;
          }
        }
        if (out.length > 0) yield out;
        if (failure) throw failure.error;
        if (end) break;
      }
      if (end === "done" || (end === undefined && !this.shape.sentinel && this.terminal)) {
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
      // A stream that ended as it should keeps its upstream connection.
      this.src.close(outcome === "ok");
      this.finish(outcome, error);
    }
  }

  /** One event read (or skimmed): what to relay of it, if anything. */
  private take(e: SseEvent): StreamEvent | undefined {
    const { event, data, frame } = e;
    // Only events that may tell something are read, and until the first token is timed those that may carry text too.
    if (this.skims && !this.shape.mayTell(event, data) && looksLikeObject(data)) {
      const carriesText = this.shape.mayCarryText(event, data);
      if (this.firstTokenMs !== undefined || !carriesText) {
        if (carriesText) this.text.keep(e);
        return new UnreadEvent(event, data, frame, this.shape, this.call, this.sequence);
      }
    }
    const json = parseEvent(data);
    const texts = this.text.read.length;
    const facts = this.shape.read(event, json, this.call, this.text.read);
    if (facts.errorCode !== undefined) {
      throw new GatewayError("bad_gateway", `The upstream reported an error mid-stream (code: ${facts.errorCode}).`, {
        reason: "upstream_stream_error",
      });
    }
    if (facts.usage) this.usage = facts.usage;
    if (facts.object) this.object = facts.object;
    if (facts.terminal) this.terminal = true;
    if (this.text.read.length > texts) this.firstTokenMs ??= Math.round(performance.now() - this.ctx.startedAt);
    this.sequence = facts.sequence ?? this.sequence;
    if (!facts.forward) return undefined;
    return { event, raw: data, frame, json, reveals: this.reveals(facts), sequence: this.sequence };
  }

  /** Item ids are the caller's only when Azure stores what this stream creates. */
  private reveals(facts: EventFacts): readonly string[] {
    if (this.object?.stored !== true || (!facts.object && !facts.itemIds)) return NONE;
    return [...(facts.object ? [facts.object.id, ...facts.object.itemIds] : []), ...(facts.itemIds ?? [])];
  }

  private finish(outcome: Outcome, error: GatewayError | undefined): void {
    if (this.done) return;
    this.done = true;
    const text = this.text;
    this.settle({
      outcome,
      usage: this.usage,
      // Asked for by a local count (Azure's usage never came): the events kept unparsed are read then.
      get relayedText(): readonly string[] {
        return text.all();
      },
      firstTokenMs: this.firstTokenMs,
      error,
      object: this.object,
    });
  }
}

/** The generated text a stream relayed: read from parsed events as they pass, from the others only when asked for. */
class RelayedText {
  /** Text read so far, in order. */
  readonly read: string[] = [];
  /**
   * Events passed on unparsed that may carry text: their frames where they have one (name and data
   * are read from it again), else the events. Not the decoder's strings: they would live as long as
   * the stream, and a kept list the GC has moved to the old generation holds every string pushed
   * onto it through each young-generation collection until the next full one. Kept so, they were
   * half of what survived those collections in the HTTP stream bench, and made each pause about 1.7
   * times as long (bench/README.md, 2026-12-02, "what the GC copies").
   */
  private kept: Array<Buffer | SseEvent> = [];
  private chars = 0;
  /** The upstream read the last kept frame is part of: a frame keeps its whole read alive, which is counted once. */
  private lastRead: ArrayBufferLike | undefined;

  constructor(
    private readonly shape: StreamShape,
    private readonly call: Call,
  ) {}

  keep(e: SseEvent): void {
    const frame = e.frame;
    this.kept.push(frame ?? e);
    if (!frame) this.chars += e.data.length;
    else if (frame.buffer !== this.lastRead) {
      this.lastRead = frame.buffer;
      this.chars += frame.buffer.byteLength;
    }
    if (this.chars > MAX_KEPT_CHARS) this.readKept();
  }

  all(): readonly string[] {
    if (this.kept.length > 0) this.readKept();
    return this.read;
  }

  /** Each kept event looked like an object; one that does not parse adds no text (its client got it as sent). */
  private readKept(): void {
    for (const kept of this.kept) {
      const { event, data } = Buffer.isBuffer(kept) ? sseFrameFields(kept) : kept;
      let json: JsonObject;
      try {
        json = parseEvent(data);
      } catch {
        continue;
      }
      this.shape.read(event, json, this.call, this.read);
    }
    this.kept = [];
    this.chars = 0;
    this.lastRead = undefined;
  }
}

/**
 * An event passed on as its text, parsed only if a reader asks (the HTTP door asks for the last
 * event's sequence when a stream fails). It tells nothing, so it reveals nothing. Without a sequence
 * number of its own it stands at `before`, the last one read (not one of an unread event before it).
 */
class UnreadEvent implements StreamEvent {
  readonly reveals = NONE;
  private parsed: JsonObject | undefined;

  constructor(
    readonly event: string | undefined,
    readonly raw: string,
    readonly frame: Buffer | undefined,
    private readonly shape: StreamShape,
    private readonly call: Call,
    private readonly before: number | undefined,
  ) {}

  get json(): JsonObject {
    return (this.parsed ??= parseEvent(this.raw));
  }

  get sequence(): number | undefined {
    try {
      return this.shape.read(this.event, this.json, this.call, []).sequence ?? this.before;
    } catch {
      return this.before;
    }
  }
}

/**
 * The part of the JSON check an event passed on unparsed gets: an object's braces at both ends (what
 * a cut or an array shows). An event malformed inside them reaches an HTTP client as Azure sent it.
 */
function looksLikeObject(data: string): boolean {
  return data.charCodeAt(0) === 0x7b && data.charCodeAt(data.length - 1) === 0x7d;
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
