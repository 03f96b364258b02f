// The body Azure gets: the client's, with only the edits routing needs (the deployment as `model`, the usage event asked for); unedited, the client's own bytes.
import type { Deployment } from "../core/deployments.js";
import { isObject, jsonText, type JsonObject } from "../core/json.js";
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

/**
 * The request payload: the client's own bytes when the body goes up unedited and they say what its
 * parse says (see RawBody), else the body written out (once per body object: a failover sends the
 * same text again).
 */
export function upstreamPayload(d: Deployment, req: UpstreamRequest): Buffer | string | null {
  const body = upstreamBody(d, req);
  if (!body) return null;
  return req.raw?.bytesFor(body) ?? jsonText(body, "body", "The request body is nested too deeply to forward.");
}
