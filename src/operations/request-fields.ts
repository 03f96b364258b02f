// The few request fields every operation's gateway acts on: the model, the stream flag, the client's api-version.
import { GatewayError, invalidArgument } from "../core/errors.js";
import { isObject, type JsonObject } from "../core/json.js";
import { checkName } from "../core/names.js";
import type { OperationInput } from "../core/operation.js";
import { optionalBoolean, refuseRoutingOverrides } from "../core/param-checks.js";

/** A POST body: a JSON object with no field that would redirect the upstream call. */
export function bodyOf(input: OperationInput): JsonObject {
  const body = input.body;
  if (!isObject(body)) throw invalidArgument("body", "The request body must be a JSON object.");
  refuseRoutingOverrides(body);
  return body;
}

export function missing(param: string): GatewayError {
  return new GatewayError("invalid_argument", `Missing required parameter: '${param}'.`, { param, reason: "missing_required_parameter" });
}

/** The model: an Azure classic deployment route names it in the path, which wins over the body's. */
export function modelOf(input: OperationInput, body: JsonObject): string {
  const fromPath = input.params.deployment;
  if (fromPath !== undefined) return checkName(fromPath, "deployment");
  const model = body.model;
  if (model === undefined || model === null || model === "") throw missing("model");
  if (typeof model !== "string") throw invalidArgument("model", "Invalid 'model': expected a string.");
  return checkName(model, "model");
}

// Azure's classic routes take dated versions: GA "2024-10-21" or preview "2025-04-01-preview".
const API_VERSION = /^\d{4}-\d{2}-\d{2}(?:-preview)?$/;

/**
 * The client's api-version on an Azure classic route: required there, as Azure requires it (404
 * without), and of Azure's form (400 otherwise); other routes carry none.
 */
export function apiVersionOf(input: OperationInput): string | undefined {
  if (input.style !== "azure-classic") return undefined;
  const version = input.query.get("api-version");
  if (version === null || version === "") {
    throw new GatewayError("not_found", "Resource not found: Azure-style routes need the api-version query parameter.", {
      param: "api-version",
      reason: "404",
    });
  }
  if (!API_VERSION.test(version)) {
    throw invalidArgument("api-version", "Invalid 'api-version': Azure's versions look like 2024-10-21 or 2025-04-01-preview.");
  }
  return version;
}

/** `stream` and `stream_options` as OpenAI defines them: options only with a stream, include_usage a boolean. */
export function streamFields(body: JsonObject): { stream: boolean; includeUsage: boolean } {
  const stream = optionalBoolean(body, "stream") ?? false;
  const options = body.stream_options;
  if (options === undefined || options === null) return { stream, includeUsage: false };
  if (!isObject(options)) throw invalidArgument("stream_options", "Invalid 'stream_options': expected an object.");
  if (!stream) throw invalidArgument("stream_options", "'stream_options' is only allowed when 'stream' is true.");
  return { stream, includeUsage: optionalBoolean(options, "include_usage") ?? false };
}
