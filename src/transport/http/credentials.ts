// The credential an HTTP client presents (`Authorization: Bearer <key>` or Azure's `api-key: <key>`), and never one in the URL.
import type { IncomingMessage } from "node:http";
import { GatewayError } from "../../core/errors.js";

export function credentialOf(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (auth !== undefined) {
    const m = /^Bearer[ ]+(\S+)\s*$/i.exec(auth);
    return m?.[1] ?? "";
  }
  const key = req.headers["api-key"];
  return typeof key === "string" ? key.trim() : undefined;
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
