// A deployment as configured: the router, limits and metering read its names and price; only src/upstream interprets its Azure fields.

export type ApiStyle = "classic" | "v1";

/** client: a classic route's api-version is forwarded; pin: the deployment's own is always used. */
export type ApiVersionPolicy = "client" | "pin";

/** provisioned: reserved capacity (PTU), paid for whether used or not, so used first; standard: pay per token. */
export type DeploymentKind = "provisioned" | "standard";

/** client: Azure stores responses as the client asks (OpenAI's default: yes); never: AI-K sends store: false. */
export type ResponsesStorePolicy = "client" | "never";

/** Price per 1M tokens in micro-USD (integers: cost arithmetic never uses floating point). */
export interface Price {
  readonly inputMicroUsdPer1M: number;
  readonly cachedInputMicroUsdPer1M: number;
  readonly outputMicroUsdPer1M: number;
}

/**
 * How AI-K proves itself to Azure. api_key: a static key sent as `api-key`. entra: an Entra ID
 * token (`Authorization: Bearer`), from a service principal when a client secret is given,
 * otherwise from the managed identity of the machine (user-assigned when `clientId` is set).
 */
export type AzureAuth = { readonly kind: "api_key"; readonly apiKey: string } | EntraAuth;

export interface EntraAuth {
  readonly kind: "entra";
  /** Service principal only: the directory (tenant) id or domain. */
  readonly tenantId: string | undefined;
  /** Service principal: its application (client) id; managed identity: a user-assigned identity's client id. */
  readonly clientId: string | undefined;
  /** Service principal only; its presence is what makes this a service principal. */
  readonly clientSecret: string | undefined;
  /** Service principal only: the Entra authority for sovereign clouds, e.g. https://login.microsoftonline.us; undefined: the public cloud. */
  readonly authorityHost: string | undefined;
}

export interface Deployment {
  /** The gateway's own id for this deployment (also routable by name). */
  readonly id: string;
  /** Origin of the Azure resource, e.g. "https://my-resource.openai.azure.com": objects created through it live there. */
  readonly endpoint: string;
  /** The Azure deployment name. */
  readonly deployment: string;
  /** The model name clients ask for. */
  readonly model: string;
  readonly auth: AzureAuth;
  readonly apiStyle: ApiStyle;
  /** Required for classic style; optional ("v1" | "preview") for v1 style. */
  readonly apiVersion: string | undefined;
  readonly apiVersionPolicy: ApiVersionPolicy;
  readonly responsesStore: ResponsesStorePolicy;
  readonly kind: DeploymentKind;
  /** Lower is tried first when several deployments serve one model (provisioned ones default lower). */
  readonly priority: number;
  /** Share of the requests among members of one priority level (weighted strategy). */
  readonly weight: number;
  readonly region: string | undefined;
  /** A per-deployment price that overrides the built-in table (e.g. provisioned). */
  readonly price: Price | undefined;
}
