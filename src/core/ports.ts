// The port the core calls to reach Azure; src/upstream implements it, tests may too.
import type { CallSignal } from "./context.js";
import type { Deployment } from "./deployments.js";
import type { JsonObject } from "./json.js";
import type { UpstreamRequest } from "./operation.js";
import type { UpstreamInfo } from "./results.js";
import type { Usage } from "./usage.js";

export interface UpstreamCallOptions {
  readonly signal: CallSignal;
  readonly requestId: string;
}

export interface UpstreamUnary {
  readonly raw: Buffer;
  /** The parse of `raw`, which may be made only when first read; reading it throws bad_gateway when `raw` is no JSON object. */
  readonly json: JsonObject;
  readonly info: UpstreamInfo;
}

/** One server-sent event: its `event:` name when it has one, and its data. */
export interface SseEvent {
  readonly event: string | undefined;
  readonly data: string;
  /**
   * The event's bytes as the upstream sent them, when they are exactly what a front door that writes
   * events as text would write for it (sseFrame in sse-frame.ts: `event: <name>` line at most, one
   * `data: ` line, blank line; valid UTF-8): such a door forwards them as they are.
   */
  readonly frame?: Buffer;
}

export interface UpstreamStream {
  readonly info: UpstreamInfo;
  /** Events in arrival order, `[DONE]` included, in batches: those one upstream read completed (never an empty one). */
  readonly events: AsyncIterable<readonly SseEvent[]>;
  /**
   * Releases the upstream connection. `complete`: the stream's last event came, so what is left
   * (normally only the body's end) is read and dropped and the connection kept; otherwise an
   * unfinished body is aborted. The first call decides.
   */
  close(complete?: boolean): void;
}

/** Failures are thrown as GatewayError with Azure's error mapped (see src/upstream/azure-errors.ts). */
export interface Upstream {
  unary(d: Deployment, req: UpstreamRequest, opts: UpstreamCallOptions): Promise<UpstreamUnary>;
  stream(d: Deployment, req: UpstreamRequest, opts: UpstreamCallOptions): Promise<UpstreamStream>;
}

/** What a request cost on a deployment, in integer micro-USD; unpriced models cost 0 and say so. */
export type Pricing = (deployment: Deployment, usage: Usage) => { readonly costMicroUsd: number; readonly priced: boolean };
