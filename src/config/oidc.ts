// Reads sign-in settings: auth.password_login and auth.oidc (issuer, client, admin claim, allowed tenants), the client secret from the env var it names.
import { ConfigError, type Reader } from "./reader.js";

export interface OidcSettings {
  /** The issuer identifier; its /.well-known/openid-configuration is discovered on first sign-in. */
  readonly issuer: string;
  readonly clientId: string;
  /** From the environment variable `client_secret_env` names; undefined: a public client (PKCE only). */
  readonly clientSecret: string | undefined;
  /** The claim whose values decide admin or member (Entra: `roles` or `groups`); undefined: roles are left to the AdminService. */
  readonly adminClaim: string | undefined;
  readonly adminValues: readonly string[];
  /** Entra `tid` values accepted; empty: any (the issuer alone decides). */
  readonly allowedTenants: readonly string[];
  /** The callback URL registered at the provider; undefined: built from the request's Host. */
  readonly redirectUri: string | undefined;
  /** What the console's button names ("Sign in with <name>"). */
  readonly providerName: string;
}

export interface SignInSettings {
  /** false: AuthService.Login (email and password) refuses every call. */
  readonly passwordLogin: boolean;
  /** undefined: single sign-on is off and /v1/auth/oidc/* answers 404. */
  readonly oidc: OidcSettings | undefined;
}

/** The browser redirects single sign-on adds to the HTTP port (outside the proto: no API client calls them). */
export const OIDC_START_PATH = "/v1/auth/oidc/start";
export const OIDC_CALLBACK_PATH = "/v1/auth/oidc/callback";

export function readSignIn(auth: Reader, env: NodeJS.ProcessEnv): SignInSettings {
  const passwordLogin = auth.boolean("password_login") ?? true;
  const oidc = readOidc(auth.child("oidc"), env);
  if (!passwordLogin && !oidc) {
    throw new ConfigError("auth.password_login is false and auth.oidc is not set: nobody could sign in. Configure auth.oidc or leave password login on.");
  }
  return { passwordLogin, oidc };
}

function readOidc(r: Reader, env: NodeJS.ProcessEnv): OidcSettings | undefined {
  const issuer = r.string("issuer");
  const clientId = r.string("client_id");
  const secretEnv = r.string("client_secret_env");
  const adminClaim = r.string("admin_claim");
  const adminValues = r.strings("admin_values");
  const allowedTenants = r.strings("allowed_tenants");
  const redirectUri = r.string("redirect_uri");
  const providerName = r.string("provider_name");
  r.done();
  if (issuer === undefined && clientId === undefined && secretEnv === undefined && adminClaim === undefined && adminValues.length === 0 && allowedTenants.length === 0 && redirectUri === undefined && providerName === undefined) {
    return undefined;
  }
  if (issuer === undefined) throw new ConfigError(`${r.at("issuer")} is required for single sign-on: the provider's issuer URL, e.g. https://login.microsoftonline.com/<tenant>/v2.0.`);
  if (clientId === undefined) throw new ConfigError(`${r.at("client_id")} is required for single sign-on: the application (client) id registered at the provider.`);
  checkHttpUrl(issuer, r.at("issuer"));
  if (redirectUri !== undefined) checkHttpUrl(redirectUri, r.at("redirect_uri"));
  if ((adminClaim === undefined) !== (adminValues.length === 0)) {
    throw new ConfigError(`${r.at("admin_claim")} and ${r.at("admin_values")} go together: the claim to read and the values that mean admin.`);
  }
  return { issuer, clientId, clientSecret: readSecret(env, secretEnv, r.at("client_secret_env")), adminClaim, adminValues, allowedTenants, redirectUri, providerName: providerName ?? "single sign-on" };
}

/** The secret never sits in the config file: the file names the variable, and the variable must hold something. */
function readSecret(env: NodeJS.ProcessEnv, name: string | undefined, at: string): string | undefined {
  if (name === undefined) return undefined;
  const value = env[name];
  if (value === undefined || value === "") throw new ConfigError(`${at} names ${name}, which is unset or empty: put the client secret in it.`);
  return value;
}

/** https anywhere; plain http only for a loopback host (a local test provider). */
function checkHttpUrl(text: string, at: string): void {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`${at} must be an absolute URL such as https://login.microsoftonline.com/<tenant>/v2.0.`);
  }
  const loopback = url.hostname === "localhost" || url.hostname === "127.0.0.1" || url.hostname === "[::1]";
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    throw new ConfigError(`${at} must use https (plain http is accepted only for localhost).`);
  }
  if (url.search !== "" || url.hash !== "") throw new ConfigError(`${at} must not carry a query or a fragment.`);
}
