// A deployment's `auth`: a static API key (api_key_env) or Entra ID (a service principal, or the managed identity when no secret is named).
import type { AzureAuth } from "../core/deployments.js";
import { ConfigError, type Reader } from "./reader.js";

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// A tenant is named by its id or one of its verified domains (contoso.onmicrosoft.com).
const TENANT = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+)$/i;
const ENTRA_ONLY = ["tenant_id", "client_id", "client_secret_env", "authority_host"] as const;

export function readAuth(r: Reader, env: NodeJS.ProcessEnv): AzureAuth {
  const kind = r.oneOf<"api_key" | "entra">("auth", ["api_key", "entra"], "api_key");
  if (kind === "api_key") {
    for (const key of ENTRA_ONLY) {
      if (r.raw(key) !== undefined) throw new ConfigError(`${r.at(key)} applies only with auth: entra.`);
    }
    const keyEnv = envName(r, r.requiredString("api_key_env", "the name of the environment variable holding this deployment's key (or auth: entra)"), "api_key_env");
    const apiKey = env[keyEnv];
    if (!apiKey) throw new ConfigError(`${r.at("api_key_env")} names ${keyEnv}, which is not set: export it with the Azure key.`);
    return { kind, apiKey };
  }
  if (r.raw("api_key_env") !== undefined) {
    throw new ConfigError(`${r.at("api_key_env")} is not used with auth: entra: the gateway authenticates with an Entra token instead of a key.`);
  }
  const clientId = r.string("client_id");
  if (clientId !== undefined && !GUID.test(clientId)) throw new ConfigError(`${r.at("client_id")} must be an application (client) id, a GUID.`);
  const secretEnv = r.string("client_secret_env");
  const tenantId = r.string("tenant_id");
  const authorityHost = readAuthorityHost(r);
  if (secretEnv === undefined) {
    // A managed identity belongs to the machine: its tenant and authority are the platform's own.
    if (tenantId !== undefined) throw new ConfigError(`${r.at("tenant_id")} is for a service principal: add client_secret_env, or leave it out to use the managed identity.`);
    if (authorityHost !== undefined) throw new ConfigError(`${r.at("authority_host")} is for a service principal: a managed identity takes its authority from the platform.`);
    return { kind, tenantId: undefined, clientId, clientSecret: undefined, authorityHost: undefined };
  }
  if (tenantId === undefined) throw new ConfigError(`${r.at("tenant_id")} is required with client_secret_env: the service principal's directory (tenant) id.`);
  if (!TENANT.test(tenantId)) throw new ConfigError(`${r.at("tenant_id")} must be a tenant id (a GUID) or a domain such as contoso.onmicrosoft.com.`);
  if (clientId === undefined) throw new ConfigError(`${r.at("client_id")} is required with client_secret_env: the service principal's application (client) id.`);
  const name = envName(r, secretEnv, "client_secret_env");
  const clientSecret = env[name];
  if (!clientSecret) throw new ConfigError(`${r.at("client_secret_env")} names ${name}, which is not set: export it with the service principal's client secret.`);
  return { kind, tenantId, clientId, clientSecret, authorityHost };
}

function envName(r: Reader, value: string, key: string): string {
  if (!ENV_NAME.test(value)) throw new ConfigError(`${r.at(key)} must be an environment variable name.`);
  return value;
}

/** Sovereign clouds sign in elsewhere: https://login.microsoftonline.us (Azure Government), https://login.chinacloudapi.cn (China). */
function readAuthorityHost(r: Reader): string | undefined {
  const v = r.string("authority_host");
  if (v === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw new ConfigError(`${r.at("authority_host")} must be a URL such as https://login.microsoftonline.us.`);
  }
  // Entra's libraries refuse an authority over plain http: a client secret never travels unencrypted.
  if (url.protocol !== "https:") throw new ConfigError(`${r.at("authority_host")} must use https://.`);
  if (url.username || url.password || url.search || url.hash || url.pathname !== "/") {
    throw new ConfigError(`${r.at("authority_host")} must be an origin only, such as https://login.microsoftonline.us.`);
  }
  return url.origin;
}
