// Checks of single request parameters: each failure names the parameter and never echoes its value.
import { invalidArgument } from "./errors.js";
import { isInteger, type JsonObject } from "./json.js";

// Above this an integer parameter is absurd for any model (largest outputs are ~100k tokens).
export const ABSURD_TOKENS = 1_000_000;

export function optionalInteger(body: JsonObject, key: string, min: number, max: number): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (!isInteger(v) || v < min || v > max) {
    throw invalidArgument(key, `Invalid '${key}': expected an integer from ${min} to ${max}.`);
  }
  return v;
}

export function optionalBoolean(body: JsonObject, key: string): boolean | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") throw invalidArgument(key, `Invalid '${key}': expected a boolean.`);
  return v;
}

/** Fields a client could use to redirect the upstream call: refused, the router alone decides. */
const ROUTING_OVERRIDES = [
  "api_base",
  "base_url",
  "azure_endpoint",
  "endpoint",
  "api_key",
  "api_version",
  "api_type",
  "azure_deployment",
  "deployment_id",
  "engine",
];

export function refuseRoutingOverrides(body: JsonObject): void {
  for (const key of ROUTING_OVERRIDES) {
    if (key in body) {
      throw invalidArgument(key, `'${key}' cannot be set by a client: the gateway chooses the upstream.`);
    }
  }
}
