// Builds Azure URLs for both styles from validated deployment config and an operation's OpenAI-relative path.
import type { Deployment } from "../core/deployments.js";
import type { UpstreamRequest } from "../core/operation.js";
import { apiVersionFor } from "./api-versions.js";

/** The endpoint split into the pool's origin and a path prefix (for APIM-style endpoints). */
export interface EndpointParts {
  readonly origin: string;
  readonly basePath: string;
}

export function endpointParts(endpoint: string): EndpointParts {
  const url = new URL(endpoint);
  return { origin: url.origin, basePath: url.pathname.replace(/\/+$/, "") };
}

/**
 * classic, deployment scope: {base}/openai/deployments/{deployment}/{path}?api-version=V
 * classic, resource scope:   {base}/openai/{path}?api-version=V          (the deployment travels as body `model`)
 * v1:                        {base}/openai/v1/{path}[?api-version=V]     (the deployment travels as body `model`)
 * The path's parts were checked by the operation; query values are encoded here.
 */
export function upstreamPath(basePath: string, d: Deployment, req: UpstreamRequest): string {
  const version = apiVersionFor(d, req.apiVersion);
  let search: string;
  if (req.query.length === 0) {
    // Most calls: no query of their own, so no URLSearchParams (the api-version was checked: YYYY-MM-DD[-preview], v1, preview).
    search = version === undefined ? "" : `?api-version=${encodeURIComponent(version)}`;
  } else {
    const query = new URLSearchParams();
    if (version !== undefined) query.append("api-version", version);
    for (const [name, value] of req.query) query.append(name, value);
    search = `?${query.toString()}`;
  }
  if (d.apiStyle === "v1") return `${basePath}/openai/v1/${req.path}${search}`;
  if (req.scope === "resource") return `${basePath}/openai/${req.path}${search}`;
  return `${basePath}/openai/deployments/${encodeURIComponent(d.deployment)}/${req.path}${search}`;
}
