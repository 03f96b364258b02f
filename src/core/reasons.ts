// The closed set of failure reasons the gateway records (usage outcomes, span statuses): its own, and Azure's well-known codes.
import type { GatewayError } from "./errors.js";

/** Reasons the gateway itself gives its errors (src/*), plus Azure's documented error codes. */
const KNOWN = new Set([
  // the gateway's own
  "404", "already_exists", "client_closed", "content_filter", "empty_body", "headers_too_large", "insufficient_quota",
  "invalid_api_key", "invalid_credentials", "invalid_encoding", "invalid_json", "invalid_message", "invalid_session",
  "invalid_value", "malformed_request", "method_not_allowed", "missing_required_parameter", "model_not_allowed",
  "model_not_found", "no_deployment_available", "not_found", "permission_denied", "rate_limit_exceeded", "request_timeout", "request_too_large",
  "service_unavailable", "shutting_down", "stored_responses_disabled", "unsupported_content_encoding",
  "unsupported_media_type", "upstream_auth_failed", "upstream_credential_unavailable", "upstream_bad_event", "upstream_bad_response",
  "upstream_deployment_not_found", "upstream_error", "upstream_response_too_large", "upstream_stream_cut",
  "upstream_stream_error", "upstream_timeout", "upstream_unreachable",
  // Azure's (AZURE-WIRE.md and the Responses API)
  "context_length_exceeded", "unknown_parameter", "unsupported_parameter", "unsupported_value", "invalid_type",
  "invalid_request_error", "previous_response_not_found", "OperationNotSupported", "DeploymentNotFound",
]);

/**
 * The error's reason when it is one of the known ones, else its class ("invalid_argument", ...):
 * an upstream's own code, which it could fill with anything, is never recorded as given.
 */
export function closedReason(e: GatewayError): string {
  return e.reason !== undefined && KNOWN.has(e.reason) ? e.reason : e.code;
}
