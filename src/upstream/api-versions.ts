// Azure api-versions: which one a request uses on a deployment, and which request fields it knows.
import type { Deployment } from "../core/deployments.js";

// stream_options (and max_completion_tokens) exist on GA 2024-10-21+ and previews 2024-08-01+.
const GA_WITH_STREAM_OPTIONS = "2024-10-21";
const PREVIEW_WITH_STREAM_OPTIONS = "2024-08-01";

/** A classic deployment forwards the client's version unless it pins its own; v1 deployments use their own (or none). */
export function apiVersionFor(d: Deployment, clientVersion: string | undefined): string | undefined {
  if (d.apiStyle === "classic" && d.apiVersionPolicy === "client" && clientVersion !== undefined) return clientVersion;
  return d.apiVersion;
}

/** Whether Azure accepts `stream_options` for this deployment at this api-version. */
export function supportsStreamOptions(d: Deployment, clientVersion: string | undefined): boolean {
  if (d.apiStyle === "v1") return true;
  const v = apiVersionFor(d, clientVersion) ?? "";
  const date = v.slice(0, 10);
  if (v.endsWith("-preview")) return date >= PREVIEW_WITH_STREAM_OPTIONS;
  return date >= GA_WITH_STREAM_OPTIONS;
}
