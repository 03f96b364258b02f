// The `deployments` list of the config file (each one's `auth` in deployment-auth.ts), and env-only mode (AZURE_OPENAI_ENDPOINT + key).
import type { ApiStyle, ApiVersionPolicy, Deployment, DeploymentKind, Price, ResponsesStorePolicy } from "../core/deployments.js";
import { isValidName } from "../core/names.js";
import { parseMicroUsd } from "../core/money.js";
import type { WildcardTemplate } from "../core/router.js";
import { readAuth } from "./deployment-auth.js";
import { ConfigError, envOneOf, type Reader } from "./reader.js";

const CLASSIC_VERSION = /^\d{4}-\d{2}-\d{2}(-preview)?$/;
const API_STYLES: readonly ApiStyle[] = ["classic", "v1"];

export function readDeployments(list: Reader[], env: NodeJS.ProcessEnv, warnings: string[]): Deployment[] {
  const seen = new Set<string>();
  return list.map((r) => {
    const id = name(r, "id", "a unique name for this deployment, e.g. gpt4o-eastus");
    if (seen.has(id)) throw new ConfigError(`${r.at("id")} '${id}' is used twice: deployment ids must be unique.`);
    seen.add(id);
    const endpoint = readEndpoint(r.requiredString("endpoint", "the Azure resource URL, e.g. https://my-resource.openai.azure.com"), r.at("endpoint"), warnings);
    const deployment = name(r, "deployment", "the Azure deployment name");
    const model = name(r, "model", "the model name clients ask for, e.g. gpt-4o");
    const auth = readAuth(r, env);
    const apiStyle = r.oneOf<ApiStyle>("api_style", API_STYLES, "classic");
    const apiVersion = readVersion(r, apiStyle);
    const apiVersionPolicy = r.oneOf<ApiVersionPolicy>("api_version_policy", ["client", "pin"], "client");
    const responsesStore = r.oneOf<ResponsesStorePolicy>("responses_store", ["client", "never"], "client");
    const kind = r.oneOf<DeploymentKind>("kind", ["provisioned", "standard"], "standard");
    // Provisioned capacity is paid for whether used or not: by default it is tried first, standard spills over.
    const priority = r.integer("priority", 0, 1000) ?? (kind === "provisioned" ? 0 : 1);
    const weight = r.integer("weight", 1, 1000) ?? 1;
    const region = r.string("region");
    const price = readPrice(r);
    r.done();
    return { id, endpoint, deployment, model, auth, apiStyle, apiVersion, apiVersionPolicy, responsesStore, kind, priority, weight, region, price };
  });
}

/** Env-only mode: every model name is used as the deployment name at one endpoint. */
export function readWildcard(env: NodeJS.ProcessEnv, warnings: string[]): WildcardTemplate | undefined {
  const endpoint = env.AZURE_OPENAI_ENDPOINT;
  if (!endpoint) return undefined;
  const apiKey = env.AZURE_OPENAI_API_KEY;
  if (!apiKey) throw new ConfigError("AZURE_OPENAI_ENDPOINT is set but AZURE_OPENAI_API_KEY is not: export the Azure key too.");
  const style = envOneOf<ApiStyle>(env, "AZURE_OPENAI_API_STYLE", API_STYLES, "v1");
  const version = env.AZURE_OPENAI_API_VERSION || (style === "classic" ? "2024-10-21" : undefined);
  checkVersion(style, version, "AZURE_OPENAI_API_VERSION");
  return {
    endpoint: readEndpoint(endpoint, "AZURE_OPENAI_ENDPOINT", warnings),
    auth: { kind: "api_key", apiKey },
    apiStyle: style,
    apiVersion: version,
    apiVersionPolicy: envOneOf<ApiVersionPolicy>(env, "AZURE_OPENAI_API_VERSION_POLICY", ["client", "pin"], "client"),
    responsesStore: envOneOf<ResponsesStorePolicy>(env, "AZURE_OPENAI_RESPONSES_STORE", ["client", "never"], "client"),
    kind: "standard",
    priority: 0,
    weight: 1,
    region: undefined,
    price: undefined,
  };
}

function name(r: Reader, key: string, hint: string): string {
  const v = r.requiredString(key, hint);
  if (!isValidName(v)) {
    throw new ConfigError(`${r.at(key)} may hold only letters, digits, '.', '_', '-' and ':' (1-128 characters).`);
  }
  return v;
}

function readEndpoint(value: string, at: string, warnings: string[]): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${at} must be a URL such as https://my-resource.openai.azure.com.`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw new ConfigError(`${at} must use https://.`);
  if (url.username || url.password || url.search || url.hash) {
    throw new ConfigError(`${at} must not carry credentials, a query or a fragment: keys go in api_key_env.`);
  }
  if (url.protocol === "http:") warnings.push(`${at} uses plain http:// (fine for a local emulator, never for Azure).`);
  return url.toString().replace(/\/+$/, "");
}

function readVersion(r: Reader, style: ApiStyle): string | undefined {
  const v = r.string("api_version");
  checkVersion(style, v, r.at("api_version"));
  return v;
}

function checkVersion(style: ApiStyle, v: string | undefined, at: string): void {
  if (style === "classic" && (v === undefined || !CLASSIC_VERSION.test(v))) {
    throw new ConfigError(`${at} is required for classic deployments: a date such as 2024-10-21 or 2025-04-01-preview.`);
  }
  if (style === "v1" && v !== undefined && v !== "v1" && v !== "preview") {
    throw new ConfigError(`${at} must be "v1", "preview" or left out for v1 deployments.`);
  }
}

function readPrice(r: Reader): Price | undefined {
  if (r.raw("price") === undefined) return undefined;
  const p = r.child("price");
  const usd = (key: string): number => {
    const v = p.raw(key);
    const micros = typeof v === "string" || typeof v === "number" ? parseMicroUsd(String(v)) : undefined;
    if (micros === undefined) throw new ConfigError(`${p.at(key)} must be USD per 1M tokens as a decimal, e.g. "2.50".`);
    return micros;
  };
  const price = {
    inputMicroUsdPer1M: usd("input_per_1m"),
    cachedInputMicroUsdPer1M: p.raw("cached_input_per_1m") === undefined ? usd("input_per_1m") : usd("cached_input_per_1m"),
    outputMicroUsdPer1M: p.raw("output_per_1m") === undefined ? 0 : usd("output_per_1m"),
  };
  p.done();
  return price;
}
