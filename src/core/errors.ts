// The gateway's one error model: a closed set of codes, mapped to HTTP and gRPC at the edges.
import type { JsonObject } from "./json.js";

/** The closed set of failure classes. Each transport has one table mapping them out. */
export type ErrorCode =
  | "invalid_argument"
  | "unauthenticated"
  | "permission_denied"
  | "not_found"
  | "conflict"
  | "method_not_allowed"
  | "payload_too_large"
  | "unsupported_media_type"
  | "rate_limited"
  | "quota_exceeded"
  | "cancelled"
  | "request_timeout"
  | "deadline_exceeded"
  | "internal"
  | "bad_gateway"
  | "unavailable"
  | "upstream_timeout";

/** One violated quota, for gRPC QuotaFailure details and log metadata. */
export interface QuotaViolation {
  readonly subject: string;
  readonly description: string;
}

export interface GatewayErrorOptions {
  /** OpenAI's `error.code`, e.g. "model_not_found", "invalid_api_key", "content_filter". */
  readonly reason?: string;
  /** OpenAI's `error.param`: the request parameter at fault. */
  readonly param?: string;
  /** OpenAI's `error.type` when it differs from the code's default. */
  readonly type?: string;
  /** How long the client should wait before retrying. */
  readonly retryAfterMs?: number;
  /** Azure's content-filter verdicts: metadata, never content. */
  readonly contentFilterResult?: JsonObject;
  readonly violations?: readonly QuotaViolation[];
  /** Another deployment of the same model may succeed (upstream throttled, down or unreachable). */
  readonly retryable?: boolean;
  /** Set when the gateway's own limits refused the call: the dimension ("requests", "tokens", ...). */
  readonly limit?: string;
  /** The original failure, for the server's own diagnostics; never sent to a client. */
  readonly cause?: unknown;
  /**
   * Azure's own error body (a 400 it judged), sent back unchanged to the HTTP client whose request
   * it answers. It may quote that request, so it is never logged, recorded or sent anywhere else.
   */
  readonly upstreamBody?: Buffer;
}

/**
 * A failure with a message that is safe to send: it never carries prompt text, completion
 * text or an upstream error body beyond Azure's error code and filter result.
 */
export class GatewayError extends Error {
  override readonly name = "GatewayError";
  readonly reason: string | undefined;
  readonly param: string | undefined;
  readonly type: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly contentFilterResult: JsonObject | undefined;
  readonly violations: readonly QuotaViolation[] | undefined;
  readonly retryable: boolean;
  readonly limit: string | undefined;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: GatewayErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.reason = options.reason;
    this.param = options.param;
    this.type = options.type;
    this.retryAfterMs = options.retryAfterMs;
    this.contentFilterResult = options.contentFilterResult;
    this.violations = options.violations;
    this.retryable = options.retryable ?? false;
    this.limit = options.limit;
    // Not enumerable: no serializer (a log line, a span attribute) picks it up by accident.
    Object.defineProperty(this, "upstreamBody", { value: options.upstreamBody, enumerable: false });
  }

  /** See GatewayErrorOptions.upstreamBody. */
  declare readonly upstreamBody: Buffer | undefined;
}

/** Anything thrown becomes a GatewayError; unknown failures become a generic internal error. */
export function toGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  return new GatewayError("internal", "The gateway had an internal error.", { cause: err });
}

/** A model (or alias, or deployment id) no pool serves; also a model the caller's key may not see in the catalog. */
export function modelNotFound(name: string): GatewayError {
  return new GatewayError("not_found", `The model '${name}' does not exist or is not served by this gateway.`, { param: "model", reason: "model_not_found" });
}

export function invalidArgument(param: string, message: string): GatewayError {
  return new GatewayError("invalid_argument", message, { param, reason: "invalid_value" });
}

const CODE = /^[A-Za-z0-9_.-]{1,64}$/;

/** An upstream error code fit to repeat to a client: a short identifier, or undefined. */
export function safeCode(v: unknown): string | undefined {
  if (typeof v === "number" && Number.isInteger(v)) return String(v);
  return typeof v === "string" && CODE.test(v) ? v : undefined;
}

/** The abort reason a front door gives the calls it ends at its shutdown deadline. */
export class ShuttingDown extends Error {
  override readonly name = "ShuttingDown";
}

/** Why an aborted call stopped: the client went away, or the gateway is shutting down (the client may retry elsewhere). */
export function abortError(signal: { readonly reason: unknown }, cause?: unknown): GatewayError {
  if (signal.reason instanceof ShuttingDown) {
    return new GatewayError("unavailable", "The gateway is shutting down; retry the request.", { reason: "shutting_down", cause });
  }
  return new GatewayError("cancelled", "The client cancelled the request.", { cause });
}
