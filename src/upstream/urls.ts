// Builds upstream paths for both Azure URL styles from validated deployment config only.
import type { Deployment } from "../core/deployments.js";
import type { UpstreamOperation } from "../core/ports.js";

const OPERATION_PATH: Record<UpstreamOperation, string> = {
  chat: "chat/completions",
  embeddings: "embeddings",
};

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
 * classic: {base}/openai/deployments/{deployment}/{op}?api-version=V
 * v1:      {base}/openai/v1/{op}[?api-version=V]  (the deployment travels as body `model`)
 */
export function upstreamPath(basePath: string, d: Deployment, op: UpstreamOperation): string {
  const version = d.apiVersion === undefined ? "" : `?api-version=${encodeURIComponent(d.apiVersion)}`;
  if (d.apiStyle === "v1") return `${basePath}/openai/v1/${OPERATION_PATH[op]}${version}`;
  return `${basePath}/openai/deployments/${encodeURIComponent(d.deployment)}/${OPERATION_PATH[op]}${version}`;
}
