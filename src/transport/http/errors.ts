// GatewayError -> HTTP status and OpenAI's error envelope: the one table for the HTTP front door.
import type { ServerResponse } from "node:http";
import type { ErrorCode, GatewayError } from "../../core/errors.js";
import type { JsonObject } from "../../core/json.js";

const STATUS: Record<ErrorCode, number> = {
  invalid_argument: 400,
  unauthenticated: 401,
  permission_denied: 403,
  not_found: 404,
  conflict: 409,
  method_not_allowed: 405,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  quota_exceeded: 429,
  cancelled: 499,
  request_timeout: 408,
  internal: 500,
  bad_gateway: 502,
  unavailable: 503,
  upstream_timeout: 504,
  deadline_exceeded: 504,
};

function typeOf(err: GatewayError, status: number): string {
  if (err.type) return err.type;
  if (err.code === "quota_exceeded") return "insufficient_quota";
  if (status === 429) return "rate_limit_error";
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  return status >= 500 ? "server_error" : "invalid_request_error";
}

/** OpenAI's envelope; a content-filter refusal also carries Azure's verdicts as `innererror`. */
export function errorEnvelope(err: GatewayError): JsonObject {
  const status = STATUS[err.code];
  const error: JsonObject = {
    message: err.message,
    type: typeOf(err, status),
    param: err.param ?? null,
    code: err.reason ?? null,
  };
  if (err.contentFilterResult) {
    error.innererror = { code: "ResponsibleAIPolicyViolation", content_filter_result: err.contentFilterResult };
  }
  return { error };
}

export function sendError(res: ServerResponse, err: GatewayError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const status = STATUS[err.code];
  if (err.retryAfterMs !== undefined) {
    res.setHeader("retry-after", String(Math.max(1, Math.ceil(err.retryAfterMs / 1000))));
    res.setHeader("retry-after-ms", String(Math.ceil(err.retryAfterMs)));
  }
  // Azure's own 400 goes back unchanged to the client whose request it judged.
  const body = err.upstreamBody ?? Buffer.from(JSON.stringify(errorEnvelope(err)));
  res.writeHead(status, { "content-type": "application/json", "content-length": body.length });
  res.end(body);
}
