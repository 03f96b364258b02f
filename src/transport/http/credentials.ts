// The credential an HTTP client presents (`Authorization: Bearer <key>` or Azure's `api-key: <key>`; on the control plane the console's cookie), and never one in the URL.
import type { IncomingMessage } from "node:http";
import { GatewayError } from "../../core/errors.js";
import { sessionCookieOf } from "./session-cookie.js";

export function credentialOf(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (auth !== undefined) {
    const m = /^Bearer[ ]+(\S+)\s*$/i.exec(auth);
    return m?.[1] ?? "";
  }
  const key = req.headers["api-key"];
  return typeof key === "string" ? key.trim() : undefined;
}

/**
 * The console's session cookie when it is a control-plane call's credential: only when no
 * Authorization or api-key header is sent (a header always wins). The server asks this for
 * control-plane routes alone: the data plane and gRPC never read a cookie.
 */
export function cookieCredentialOf(req: IncomingMessage): string | undefined {
  return credentialOf(req) === undefined ? sessionCookieOf(req) : undefined;
}

// A key in a URL ends up in proxy logs and browser history: refused however it is spelled
// (api-key, API_KEY, apiKey, subscription-key, Ocp-Apim-Subscription-Key, access_token, ...).
const KEY_PARAMS = new Set(["apikey", "key", "accesstoken", "token", "sessiontoken", "subscriptionkey", "ocpapimsubscriptionkey", "xapikey", "authorization", "auth", "bearer", "secret"]);

export function refuseKeyInQuery(query: URLSearchParams): void {
  for (const name of query.keys()) {
    if (KEY_PARAMS.has(name.toLowerCase().replace(/[-_]/g, ""))) {
      throw new GatewayError("unauthenticated", "Credentials in the URL are refused: send 'Authorization: Bearer <key>' instead.", {
        reason: "invalid_api_key",
      });
    }
  }
}
