// An operation described once: what the gateway reads of its request, answer and stream; every step works from this.
import type { Deployment } from "./deployments.js";
import type { RawBody } from "./raw-body.js";
import { GatewayError } from "./errors.js";
import type { JsonObject } from "./json.js";
import type { ModelInfo } from "./results.js";
import type { Usage } from "./usage.js";

/** Which URL family a request arrived on: OpenAI's `/v1/...`, Azure's `/openai/v1/...`, or Azure's classic `/openai/...?api-version=`. */
export type RouteStyle = "openai" | "azure-v1" | "azure-classic";

/** A request as any front door hands it over: OpenAI's JSON body, path parameters and query, nothing transport-specific. */
export interface OperationInput {
  readonly body: JsonObject | undefined;
  /** The body as the client sent it (HTTP; a gRPC request has no JSON bytes). */
  readonly raw?: RawBody | undefined;
  /** Path parameters, percent-decoded (not yet validated). */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly style: RouteStyle;
}

/**
 * model: routed by model name to a pool of deployments, limited and metered per request.
 * object: names an upstream object the caller owns (a stored response); served where it lives.
 * catalog: answered from the deployment list, no upstream call.
 */
export type OperationKind = "model" | "object" | "catalog";

/**
 * request: one usage record per request (model calls).
 * settles: no record of its own, but an answer showing a background object finished records that object's usage.
 * none: reads nothing billable.
 */
export type MeteringMode = "request" | "settles" | "none";

/** The upstream call an operation makes, in OpenAI's terms; src/upstream turns it into Azure's URL for a deployment. */
export interface UpstreamRequest {
  readonly method: "GET" | "POST" | "DELETE";
  /** Chat, completions and embeddings live under a deployment; responses (files, batches) under the resource. */
  readonly scope: "deployment" | "resource";
  /** OpenAI-relative path from validated parts only, e.g. "chat/completions", "responses/resp_1/cancel". */
  readonly path: string;
  /** Query parameters to pass on (names checked by the operation). */
  readonly query: ReadonlyArray<readonly [string, string]>;
  readonly body: JsonObject | undefined;
  /** The client's body as sent (HTTP): its bytes go up when `body` is still its parse, unedited. */
  readonly raw?: RawBody | undefined;
  readonly stream: boolean;
  /** The client's api-version from a classic route; the deployment's policy decides whether it is used. */
  readonly apiVersion: string | undefined;
  /** Ask Azure for the stream's usage event (`stream_options.include_usage`) where the api-version knows it. */
  readonly askStreamUsage: boolean;
}

/** The state of an upstream object an answer shows (a response): what ownership and deferred metering need. */
export interface ObjectState {
  readonly id: string;
  /** Azure keeps it (store !== false): its id becomes the caller's. */
  readonly stored: boolean;
  /** Finished (completed, incomplete, failed, cancelled): its usage is final. */
  readonly finished: boolean;
  /** The outcome to record once finished: "ok", "client_cancelled" or "upstream_error:<code>". */
  readonly outcome: string;
  readonly usage: Usage | undefined;
  /** Ids of the items inside it (messages, calls, reasoning): referable later, so owned too. */
  readonly itemIds: readonly string[];
}

/** What one stream event tells the gateway (an SSE event's name and parsed data). */
export interface EventFacts {
  /** false: drop it (the usage chunk a client did not ask for). */
  readonly forward: boolean;
  readonly usage?: Usage;
  /** The stream reached its terminal event (responses); streams with a `[DONE]` sentinel end on that. */
  readonly terminal?: boolean;
  /** The object this event shows (response.created, .completed, ...). */
  readonly object?: ObjectState;
  /** Item ids this event reveals (an output item added). */
  readonly itemIds?: readonly string[];
  /** The upstream reported an error in-band: the relay ends the stream with a gateway error. */
  readonly errorCode?: string;
  /** The event's place in the stream (responses' sequence_number). */
  readonly sequence?: number;
}

export interface StreamShape {
  /** Chat and completions end with `data: [DONE]`; responses end after their terminal event. */
  readonly sentinel: boolean;
  /**
   * What the event tells; its generated text is pushed onto `text` (the relay's, memory only: a
   * local count if Azure's usage never comes), so reading an event allocates no list of its own.
   */
  read(event: string | undefined, data: JsonObject, call: Call, text: string[]): EventFacts;
  /**
   * Whether an event may tell the gateway anything (usage, an error, an object, ids it reveals,
   * the end), judged from its name and text alone: a test that may say yes wrongly, never no
   * wrongly. Where the front door forwards events as text (HTTP), the others go on unparsed.
   */
  mayTell(event: string | undefined, data: string): boolean;
  /** Whether an event passed on unparsed may carry generated text (kept in memory, for a local count). */
  mayCarryText(event: string | undefined, data: string): boolean;
  /** The in-band error a front door sends when the stream fails mid-way, in this operation's framing. */
  errorEvent(envelope: JsonObject, lastSequence: number | undefined): { readonly event: string | undefined; readonly data: JsonObject };
}

/** A validated request: what the steps act on. Everything else in the body goes to Azure untouched. */
export interface Call {
  readonly op: Operation;
  /** model kind: the model or gateway deployment id asked for (checked safe for any URL). */
  readonly model: string | undefined;
  /** object kind: the upstream object the path names (checked). */
  readonly objectId: string | undefined;
  /** Upstream ids named in the body (previous_response_id, item references): each must be the caller's. */
  readonly references: readonly string[];
  /** The body as the client sent it; forwarded with only routing-required edits. */
  readonly body: JsonObject | undefined;
  /** Its bytes as they came (HTTP): forwarded as they are when nothing is edited. */
  readonly raw: RawBody | undefined;
  /** Query parameters for the upstream call (checked names). */
  readonly query: ReadonlyArray<readonly [string, string]>;
  readonly stream: boolean;
  /** The client's api-version on an Azure classic route (checked form). */
  readonly apiVersion: string | undefined;
  /** The client asked for the stream's usage event itself. */
  readonly includeUsage: boolean;
  /** The request needs Azure to store state (previous_response_id, background). */
  readonly needsStoredState: boolean;
  /** It runs on after the answer (background): metered when first seen finished. */
  readonly background: boolean;
  /** Output token cap the client set (times `choices`), for the token reservation. */
  readonly maxOutputTokens: number | undefined;
  readonly choices: number;
}

export interface Operation {
  /** "chat.completions", "responses.create", ...: span names and metric labels. */
  readonly name: string;
  readonly kind: OperationKind;
  readonly metering: MeteringMode;
  /** How its streams are read; undefined when it never streams. */
  readonly stream: StreamShape | undefined;
  /** Its answers create upstream objects that become the caller's (a stored response and its items). */
  readonly createsObjects: boolean;
  /** Validates what the gateway acts on; throws a GatewayError naming the parameter. */
  parse(input: OperationInput): Call;
  /** The upstream call for one deployment (deployment settings may edit the body, e.g. store: false). */
  upstream(call: Call, d: Deployment): UpstreamRequest;
  /** Usage in a unary answer, when it has one. */
  usage(answer: JsonObject): Usage | undefined;
  /**
   * True when `usage` and `object` read nothing of a unary answer but its top-level `usage` object:
   * a front door that forwards Azure's bytes (HTTP) then has only that member read from the answer's
   * end (src/core/json-member.ts), not the whole answer parsed (an embeddings answer is tens of KB).
   */
  readonly readsOnlyUsage?: boolean;
  /** The upstream object a unary answer is, when it is one the gateway tracks. */
  object(answer: JsonObject): ObjectState | undefined;
  /** The request field that caps output (max_tokens, max_output_tokens, ...): a refusal for size names it. */
  outputCapParam(call: Call): string;
  /**
   * What keeps requests with the same leading prompt on one pool member (Azure's prompt cache is
   * per deployment): the client's `prompt_cache_key`, else a hash of the prompt's start. Memory
   * only: never stored, logged or exported.
   */
  affinityKey?(call: Call): string | undefined;
  /** A fast guess of prompt tokens for admission (no tokenizer: it runs on every request). */
  roughPromptTokens(call: Call): number;
  /** The prompt's texts and fixed overheads, for a tokenizer count when Azure sends no usage. */
  promptText(call: Call): PromptText;
  /** The 404 for an id (in the path, or `id` in the body) the caller may not name, exactly like the one an unknown id gets. */
  notFound?(call: Call, id?: string): GatewayError;
  /** Catalog kind: the answer from the models this caller may use. */
  catalog?(call: Call, models: readonly ModelInfo[]): JsonObject;
  /** Object kind: a successful answer removes the object (DELETE). */
  readonly forgetsObject?: boolean;
}

export interface PromptText {
  readonly texts: readonly string[];
  /** Tokens the texts do not show: per-message framing, images, tool definitions' rendering. */
  readonly overheadTokens: number;
}

/** The operation's own 404 for an object the caller may not name, or a generic one. */
export function notFoundOf(call: Call, id?: string): GatewayError {
  return call.op.notFound?.(call, id) ?? new GatewayError("not_found", "No such object.", { reason: "not_found" });
}
