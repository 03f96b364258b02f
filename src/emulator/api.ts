// Public contract of the Azure OpenAI emulator: other modules and every test build on these types.

export interface EmulatorDeployment {
  /** Azure deployment name: path segment on classic routes, body `model` on v1. */
  name: string;
  /** Snapshot family, e.g. "gpt-4o", "o4-mini", "text-embedding-3-small". */
  model: string;
  /** x-ms-region display name; defaults to "East US". */
  region?: string;
}

export type Fault =
  | { kind: "rate-limit"; retryAfterMs: number }
  | { kind: "server-error" }
  | { kind: "unavailable" }
  | { kind: "reset-mid-stream"; afterChunks: number }
  | { kind: "slow-headers"; delayMs: number }
  | { kind: "content-filter" }
  | { kind: "unauthorized" };

/**
 * Applies to requests to the deployment from the moment it is set. With `every: n` only the n-th, 2n-th, ...
 * request since then is faulted (deterministic: `every: 2` fails every second request, starting with the second).
 */
export interface FaultRule {
  fault: Fault;
  /** How many requests it faults, then it expires (with `every`, faulted ones only); absent: until cleared. */
  times?: number;
  /** Fault one request in `every` (an integer >= 1); absent or 1: every request. */
  every?: number;
}

export interface EmulatorOptions {
  host?: string;
  port?: number;
  apiKey: string;
  /** The secret an Entra stand-in signs its tokens with (HS256): `Bearer` tokens signed with it, for Azure's audience and unexpired, pass. */
  entraKey?: string;
  deployments: EmulatorDeployment[];
  timeToFirstTokenMs?: number;
  chunkDelayMs?: number;
}

/** On Responses API records, input tokens are `prompt_tokens` and output tokens `completion_tokens`. */
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /** Responses API: prompt tokens served from the prompt cache. */
  cached_tokens?: number;
  /** Responses API: hidden reasoning tokens, already counted in `completion_tokens`. */
  reasoning_tokens?: number;
}

export interface RequestRecord {
  method: string;
  path: string;
  /** Which credential the caller sent: `api-key`, a key as `Bearer` (v1), or an Entra token; never the credential itself. */
  credential?: "api-key" | "bearer-key" | "entra";
  /** The caller's x-ms-client-request-id, as Azure logs it for correlation. */
  clientRequestId?: string;
  /** Stream content frames handed to the socket so far (a reader that stops reading holds this back). */
  chunksSent?: number;
  deployment?: string;
  apiVersion?: string;
  stream: boolean;
  status: number;
  aborted: boolean;
  /** Parsed JSON request body, kept in memory for tests only; never served by the control API. */
  body?: unknown;
  /** What the call billed; a background response's create record gets it when the run ends or is cancelled. */
  usage?: Usage;
  /** Responses API: the response created, or the stored one a retrieve, cancel, delete or input_items call named. */
  responseId?: string;
}

export interface Timing {
  timeToFirstTokenMs?: number;
  chunkDelayMs?: number;
  /** Words in an answer that max_tokens does not cut short (default 16): long answers make long streams. */
  answerWords?: number;
  /**
   * For benchmarks (default false): the first content chunk of each chat or completions stream
   * carries `"emulator_sent_at_ms"`, the wall-clock time (ms since the epoch, sub-ms precision:
   * `performance.timeOrigin + performance.now()`) at which it was handed to the socket. A client on
   * the same machine subtracts it from when it read the chunk: the first token's transit, without
   * the emulator's own timer jitter.
   */
  stampFirstToken?: boolean;
}

/** A stored Responses API response as it stands now; no content. */
export interface ResponseState {
  /** "queued" never shows here: a background response is in progress from its creation. */
  status: string;
  deployment: string;
  background: boolean;
  /** Undefined until the response finishes or is cancelled. */
  usage: Usage | undefined;
}

export interface Emulator {
  readonly url: string;
  setFault(deployment: string, rule: FaultRule | undefined): void;
  setTiming(t: Timing): void;
  readonly requests: readonly RequestRecord[];
  clearRequests(): void;
  /** Undefined for ids never stored (store: false), deleted or evicted. */
  response(id: string): ResponseState | undefined;
  waitFor(pred: (e: Emulator) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}
