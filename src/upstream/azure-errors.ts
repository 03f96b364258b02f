// Maps Azure's answers and connection failures to the gateway's error model, repeating only codes and verdicts.
import type { CallSignal } from "../core/context.js";
import type { Deployment } from "../core/deployments.js";
import { abortError, GatewayError, safeCode } from "../core/errors.js";
import { isObject, type JsonObject } from "../core/json.js";
import { filterVerdicts } from "./content-filter.js";
import { retryAfterMs } from "./retry-after.js";

type Headers = Record<string, string | string[] | undefined>;

/** Azure's error body, parsed once for everything read from it below; undefined when it is not JSON. */
function parseBody(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined; // not JSON: only the status speaks
  }
}

/** Azure's error body has three shapes; all we read is the code, param and filter verdicts. */
function errorObject(body: unknown): JsonObject {
  if (!isObject(body)) return {};
  return isObject(body.error) ? body.error : body;
}

/** Azure's error body when it is a JSON object (what HTTP clients expect back), else nothing. */
function jsonBody(raw: string, body: unknown): Buffer | undefined {
  return isObject(body) ? Buffer.from(raw, "utf8") : undefined;
}

export function azureError(d: Deployment, status: number, headers: Headers, raw: string): GatewayError {
  const body = parseBody(raw);
  const err = errorObject(body);
  const code = safeCode(err.code) ?? safeCode(err.statusCode);
  const at = `deployment '${d.id}'`;
  if (status === 400 && code === "content_filter") {
    const inner = isObject(err.innererror) ? err.innererror : {};
    return new GatewayError("invalid_argument", "The prompt was filtered by Azure OpenAI's content management policy.", {
      reason: "content_filter",
      param: "prompt",
      contentFilterResult: filterVerdicts(inner.content_filter_result) ?? {},
      upstreamBody: jsonBody(raw, body),
    });
  }
  if (status === 400 || status === 422) {
    const param = safeCode(err.param);
    // The parameter's name stays out of the message (which spans record): a client can name a parameter anything.
    return new GatewayError(
      "invalid_argument",
      `Azure OpenAI rejected the request (code: ${code ?? "invalid_request_error"}).`,
      // Azure judges what the gateway does not model: its own answer goes back to the client that sent the request.
      { reason: code ?? "invalid_request_error", ...(param ? { param } : {}), upstreamBody: jsonBody(raw, body) },
    );
  }
  if (status === 401 || status === 403) {
    return new GatewayError("bad_gateway", `Azure OpenAI refused the gateway's credential for ${at}.`, {
      reason: "upstream_auth_failed",
    });
  }
  if (status === 404) {
    const message =
      code === "DeploymentNotFound"
        ? `Azure OpenAI has no deployment behind ${at}.`
        : `Azure OpenAI answered 404 for ${at}: check its endpoint and api-version.`;
    return new GatewayError("bad_gateway", message, { reason: "upstream_deployment_not_found" });
  }
  if (status === 413) {
    return new GatewayError("payload_too_large", "Azure OpenAI refused the request as too large.", {
      reason: "request_too_large",
    });
  }
  if (status === 408 || status === 504) {
    return new GatewayError("upstream_timeout", `Azure OpenAI timed out for ${at}.`, { reason: "upstream_timeout", retryable: true });
  }
  if (status === 429) {
    const wait = retryAfterMs(headers);
    return new GatewayError("rate_limited", `Azure OpenAI is throttling ${at}; retry later.`, {
      reason: "rate_limit_exceeded",
      type: "requests",
      retryable: true,
      ...(wait === undefined ? {} : { retryAfterMs: wait }),
    });
  }
  return new GatewayError("bad_gateway", `Azure OpenAI failed with status ${status} for ${at}.`, {
    reason: "upstream_error",
    retryable: status >= 500,
  });
}

const TIMEOUT_CODES = new Set(["UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);

/** Connection-level failures; GatewayErrors pass through unchanged. */
export function transportError(err: unknown, d: Deployment, signal: CallSignal): GatewayError {
  if (err instanceof GatewayError) return err;
  if (signal.aborted) return abortError(signal, err);
  const code = err instanceof Error && "code" in err ? err.code : undefined;
  if (typeof code === "string" && TIMEOUT_CODES.has(code)) {
    // Nothing has reached the client yet: another member may answer in time.
    return new GatewayError("upstream_timeout", `Azure OpenAI did not answer in time for deployment '${d.id}'.`, {
      reason: "upstream_timeout",
      retryable: true,
      cause: err,
    });
  }
  return new GatewayError("bad_gateway", `Azure OpenAI could not be reached for deployment '${d.id}'.`, {
    reason: "upstream_unreachable",
    retryable: true,
    cause: err,
  });
}
