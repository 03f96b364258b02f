// The port the core calls to reach Azure; src/upstream implements it, tests may too.
import type { Deployment } from "./deployments.js";
import type { JsonObject } from "./json.js";
import type { UpstreamInfo } from "./results.js";
import type { Usage } from "./usage.js";

export type UpstreamOperation = "chat" | "embeddings";

export interface UpstreamCallOptions {
  readonly signal: AbortSignal;
  readonly requestId: string;
}

export interface UpstreamUnary {
  readonly raw: Buffer;
  readonly json: JsonObject;
  readonly info: UpstreamInfo;
}

export interface UpstreamStream {
  readonly info: UpstreamInfo;
  /** SSE `data:` payloads in arrival order, `[DONE]` included. */
  readonly events: AsyncIterable<string>;
  /** Releases the upstream connection (aborting it when unfinished). */
  close(): void;
}

/** Failures are thrown as GatewayError with Azure's error mapped (see src/upstream/azure-errors.ts). */
export interface Upstream {
  unary(d: Deployment, op: UpstreamOperation, body: JsonObject, opts: UpstreamCallOptions): Promise<UpstreamUnary>;
  stream(d: Deployment, body: JsonObject, opts: UpstreamCallOptions): Promise<UpstreamStream>;
}

/** What a request cost on a deployment, in integer micro-USD; unpriced models cost 0 and say so. */
export type Pricing = (deployment: Deployment, usage: Usage) => { readonly costMicroUsd: number; readonly priced: boolean };
