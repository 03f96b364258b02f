// What the core hands back to a transport: a unary body, an event stream, or a local answer; each settles once.
import type { GatewayError } from "./errors.js";
import type { JsonObject } from "./json.js";
import type { ObjectState, StreamShape } from "./operation.js";
import type { Usage } from "./usage.js";

/** Metadata of the upstream answer; never content. */
export interface UpstreamInfo {
  readonly region: string | undefined;
  readonly azureRequestId: string | undefined;
}

export type Outcome = "ok" | "cancelled" | "error";

/** How an answer ended, the same for buffered and streamed bodies: steps read only this. */
export interface Settlement {
  readonly outcome: Outcome;
  /** Azure's own counts, when it sent them. */
  readonly usage: Usage | undefined;
  /** Generated text relayed (streams; memory only), for a local count when Azure sent no usage. */
  readonly relayedText: readonly string[];
  readonly firstTokenMs: number | undefined;
  readonly error: GatewayError | undefined;
  /** The upstream object the answer showed last (a response), when the operation tracks one. */
  readonly object: ObjectState | undefined;
}

interface Settles {
  readonly upstream: UpstreamInfo | undefined;
  /** Resolves exactly once, however the answer ends (sent, cancelled, failed, never read). */
  readonly settled: Promise<Settlement>;
}

export interface UnaryResult extends Settles {
  readonly kind: "unary";
  /** Azure's body bytes as received: HTTP sends them unchanged, so fields Azure adds survive. */
  readonly raw: Buffer;
  readonly json: JsonObject;
}

/**
 * One SSE event: its name (responses have them), the original data text (HTTP forwards it as is)
 * and its parse. An event the gateway needs nothing from may be relayed unparsed where the front
 * door sends text (HTTP): `json` and `sequence` then parse it on first use.
 */
export interface StreamEvent {
  readonly event: string | undefined;
  readonly raw: string;
  /** The upstream's own bytes for this event, when a text front door may forward them as they are (see SseEvent). */
  readonly frame: Buffer | undefined;
  readonly json: JsonObject;
  /** Upstream object ids this event reveals (a response id, item ids). */
  readonly reveals: readonly string[];
  /** Its place in the stream (responses' sequence_number, else the last one before it), for an error event that follows it. */
  readonly sequence: number | undefined;
}

/** Its events in batches (never an empty one): those one upstream read brought come together. */
export interface StreamResult extends Settles, AsyncIterable<readonly StreamEvent[]> {
  readonly kind: "stream";
  /** How its operation frames a stream (a `[DONE]` sentinel or not, its in-band error event). */
  readonly shape: StreamShape;
  /** Stops the stream and releases the upstream connection; safe to call more than once. */
  close(): void;
}

/** Answered by the gateway itself (the model catalog). */
export interface LocalResult extends Settles {
  readonly kind: "local";
  readonly json: JsonObject;
}

export type Result = UnaryResult | StreamResult | LocalResult;

export interface ModelInfo {
  readonly id: string;
  readonly created: number;
}

/**
 * A settlement for an answer that is complete as it is returned (unary and local answers). It
 * resolves on the event loop's next check phase, not at once: the transport writes the answer in
 * the microtasks that follow its return (unless a step waits on I/O first), so the bookkeeping
 * settlement starts (metering, limits, telemetry) runs after the bytes have left instead of in
 * front of them. A client's next request cannot arrive before then, so it still finds the
 * previous answer settled.
 */
export function settledAfterSend(s: Partial<Settlement> & { outcome: Outcome }): Promise<Settlement> {
  const settlement: Settlement = { usage: undefined, relayedText: [], firstTokenMs: undefined, error: undefined, object: undefined, ...s };
  return new Promise((resolve) => setImmediate(resolve, settlement));
}

/**
 * The same stream with `before` run for each event ahead of its batch reaching the reader (the
 * objects step records ownership before the client can learn an id). A failure of `before` fails
 * the stream, and that event's batch never reaches the reader.
 */
export function interceptStream(inner: StreamResult, before: (e: StreamEvent) => Promise<void> | void): StreamResult {
  return {
    kind: "stream",
    shape: inner.shape,
    upstream: inner.upstream,
    settled: inner.settled,
    close: () => inner.close(),
    async *[Symbol.asyncIterator]() {
      for await (const batch of inner) {
        for (const e of batch) {
          // Most events reveal nothing and need no wait.
          const pending = before(e);
          if (pending) await pending;
        }
        yield batch;
      }
    },
  };
}
