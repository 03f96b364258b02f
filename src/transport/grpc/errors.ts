// GatewayError -> gRPC status with google.rpc.Status details (ErrorInfo, RetryInfo, QuotaFailure).
import { Metadata, status, type StatusObject } from "@grpc/grpc-js";
import { Any } from "../../../gen/google/protobuf/any.js";
import { ErrorInfo, QuotaFailure, RetryInfo } from "../../../gen/google/rpc/error_details.js";
import { Status } from "../../../gen/google/rpc/status.js";
import type { ErrorCode, GatewayError } from "../../core/errors.js";

const CODE: Record<ErrorCode, status> = {
  invalid_argument: status.INVALID_ARGUMENT,
  unauthenticated: status.UNAUTHENTICATED,
  permission_denied: status.PERMISSION_DENIED,
  not_found: status.NOT_FOUND,
  conflict: status.ALREADY_EXISTS,
  method_not_allowed: status.UNIMPLEMENTED,
  payload_too_large: status.RESOURCE_EXHAUSTED,
  unsupported_media_type: status.INVALID_ARGUMENT,
  rate_limited: status.RESOURCE_EXHAUSTED,
  quota_exceeded: status.RESOURCE_EXHAUSTED,
  cancelled: status.CANCELLED,
  request_timeout: status.DEADLINE_EXCEEDED,
  deadline_exceeded: status.DEADLINE_EXCEEDED,
  internal: status.INTERNAL,
  bad_gateway: status.UNAVAILABLE,
  unavailable: status.UNAVAILABLE,
  upstream_timeout: status.DEADLINE_EXCEEDED,
};

const DOMAIN = "aik.gateway";

function pack(typeName: string, value: Uint8Array): Any {
  return { typeUrl: `type.googleapis.com/${typeName}`, value: Buffer.from(value) };
}

/** A status object grpc-js sends as is; the trailer carries the structured details. */
export function toStatus(err: GatewayError): Partial<StatusObject> & { code: status; details: string } {
  const code = CODE[err.code];
  const details: Any[] = [];
  const info: Record<string, string> = {};
  if (err.param) info.param = err.param;
  if (err.type) info.type = err.type;
  if (err.contentFilterResult) info.content_filter_result = JSON.stringify(err.contentFilterResult);
  details.push(pack("google.rpc.ErrorInfo", ErrorInfo.encode({ reason: (err.reason ?? err.code).toUpperCase(), domain: DOMAIN, metadata: info }).finish()));
  if (err.retryAfterMs !== undefined) {
    const ms = Math.max(0, Math.ceil(err.retryAfterMs));
    const delay = { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
    details.push(pack("google.rpc.RetryInfo", RetryInfo.encode({ retryDelay: delay }).finish()));
  }
  if (err.violations && err.violations.length > 0) {
    const violations = err.violations.map((v) => ({ subject: v.subject, description: v.description }));
    details.push(pack("google.rpc.QuotaFailure", QuotaFailure.encode({ violations }).finish()));
  }
  const metadata = new Metadata();
  metadata.set("grpc-status-details-bin", Buffer.from(Status.encode({ code, message: err.message, details }).finish()));
  if (err.retryAfterMs !== undefined) metadata.set("retry-after-ms", String(Math.ceil(err.retryAfterMs)));
  return { code, details: err.message, metadata };
}
