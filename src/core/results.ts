// What the core hands back to a transport: a parsed unary body, a chunk stream, or the model list.
import type { GatewayError } from "./errors.js";
import type { JsonObject } from "./json.js";
import type { Usage } from "./usage.js";

/** Metadata of the upstream answer; never content. */
export interface UpstreamInfo {
  readonly deploymentId: string;
  readonly region: string | undefined;
  readonly azureRequestId: string | undefined;
}

export interface UnaryResult {
  readonly kind: "unary";
  /** Azure's body bytes as received: HTTP sends them unchanged, so fields Azure adds survive. */
  readonly raw: Buffer;
  readonly json: JsonObject;
  readonly usage: Usage | undefined;
  readonly upstream: UpstreamInfo;
}

/** One SSE event's data: the original text (HTTP forwards it as is) and its parse. */
export interface ChatChunk {
  readonly raw: string;
  readonly json: JsonObject;
}

export type StreamOutcome = "ok" | "cancelled" | "error";

export interface StreamSummary {
  readonly outcome: StreamOutcome;
  /** Azure's own counts, when its usage chunk arrived. */
  readonly usage: Usage | undefined;
  /** Completion text relayed so far (in memory only), for estimating usage when Azure sent none. */
  readonly relayedText: readonly string[];
  readonly firstTokenMs: number | undefined;
  readonly error: GatewayError | undefined;
}

export interface ChatStream extends AsyncIterable<ChatChunk> {
  readonly kind: "stream";
  readonly upstream: UpstreamInfo;
  /** Resolves exactly once, however the stream ends (completed, cancelled, failed, never read). */
  readonly done: Promise<StreamSummary>;
  /** Stops the stream and releases the upstream connection; safe to call more than once. */
  close(): void;
}

export interface ModelInfo {
  readonly id: string;
  readonly created: number;
  readonly ownedBy: string;
}

export interface ModelList {
  readonly kind: "models";
  readonly models: readonly ModelInfo[];
}

export type Result = UnaryResult | ChatStream | ModelList;
