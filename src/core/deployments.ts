// What the router knows of an Azure deployment; config produces these, upstream consumes them.

export type ApiStyle = "classic" | "v1";

/** Price per 1M tokens in micro-USD (integers: cost arithmetic never uses floating point). */
export interface Price {
  readonly inputMicroUsdPer1M: number;
  readonly cachedInputMicroUsdPer1M: number;
  readonly outputMicroUsdPer1M: number;
}

export interface Deployment {
  /** The gateway's own id for this deployment (also routable by name). */
  readonly id: string;
  /** Origin of the Azure resource, e.g. "https://my-resource.openai.azure.com". */
  readonly endpoint: string;
  /** The Azure deployment name. */
  readonly deployment: string;
  /** The model name clients ask for. */
  readonly model: string;
  readonly apiKey: string;
  readonly apiStyle: ApiStyle;
  /** Required for classic style; optional ("v1" | "preview") for v1 style. */
  readonly apiVersion: string | undefined;
  /** Lower is tried first when several deployments serve one model. */
  readonly priority: number;
  readonly region: string | undefined;
  /** A per-deployment price that overrides the built-in table (e.g. provisioned). */
  readonly price: Price | undefined;
}

// stream_options (and max_completion_tokens) exist on GA 2024-10-21+ and previews 2024-08-01+.
const GA_WITH_STREAM_OPTIONS = "2024-10-21";
const PREVIEW_WITH_STREAM_OPTIONS = "2024-08-01";

/** Whether Azure accepts `stream_options` on this deployment's api-version. */
export function supportsStreamOptions(d: Deployment): boolean {
  if (d.apiStyle === "v1") return true;
  const v = d.apiVersion ?? "";
  const date = v.slice(0, 10);
  if (v.endsWith("-preview")) return date >= PREVIEW_WITH_STREAM_OPTIONS;
  return date >= GA_WITH_STREAM_OPTIONS;
}
