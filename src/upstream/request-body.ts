// The body Azure gets: the client's, with only the edits routing needs (the deployment as `model`, the usage event asked for).
import type { Deployment } from "../core/deployments.js";
import { isObject, type JsonObject } from "../core/json.js";
import type { UpstreamRequest } from "../core/operation.js";
import { supportsStreamOptions } from "./api-versions.js";

/**
 * v1 routes and resource-scoped routes (responses) pick the deployment by body `model`; classic
 * deployment routes by path (Azure ignores the body's there). Streams that report usage only on
 * request get `stream_options.include_usage`, where the deployment's api-version knows it, so
 * metering counts from Azure's own numbers.
 */
export function upstreamBody(d: Deployment, req: UpstreamRequest): JsonObject | undefined {
  const given = req.body;
  if (!given) return undefined;
  let body = given;
  if ((d.apiStyle === "v1" || req.scope === "resource") && body.model !== d.deployment) body = { ...body, model: d.deployment };
  if (req.askStreamUsage && supportsStreamOptions(d, req.apiVersion)) {
    const options = isObject(body.stream_options) ? body.stream_options : {};
    if (options.include_usage !== true) body = { ...body, stream_options: { ...options, include_usage: true } };
  }
  return body;
}
