// CORS for browser clients: off unless origins are configured; exact origins only, never credentials.
import type { IncomingMessage, ServerResponse } from "node:http";

const ALLOW_HEADERS = "authorization, api-key, content-type, x-request-id, openai-organization, openai-project, x-stainless-arch, x-stainless-lang, x-stainless-os, x-stainless-package-version, x-stainless-retry-count, x-stainless-runtime, x-stainless-runtime-version, x-stainless-timeout";
const EXPOSE_HEADERS = "x-request-id, retry-after, retry-after-ms, x-ratelimit-limit-requests, x-ratelimit-remaining-requests, x-ratelimit-reset-requests, x-ratelimit-limit-tokens, x-ratelimit-remaining-tokens, x-ratelimit-reset-tokens";
const MAX_AGE_SECONDS = "600";

export class Cors {
  private readonly origins: ReadonlySet<string>;

  constructor(origins: readonly string[]) {
    this.origins = new Set(origins);
  }

  /**
   * Sets the CORS headers an allowed origin gets; answers a preflight whole (true). An origin not
   * on the list gets no CORS header, so the browser keeps the answer from the page.
   */
  handle(req: IncomingMessage, res: ServerResponse, allowedVerbs: () => string[]): boolean {
    if (this.origins.size === 0) return false;
    const origin = req.headers.origin;
    res.setHeader("vary", "Origin");
    const allowed = typeof origin === "string" && this.origins.has(origin);
    const preflight = req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined;
    if (allowed) {
      res.setHeader("access-control-allow-origin", origin);
      res.setHeader("access-control-expose-headers", EXPOSE_HEADERS);
    }
    if (!preflight) return false;
    if (allowed) {
      res.setHeader("access-control-allow-methods", allowedVerbs().join(", ") || "GET, POST");
      res.setHeader("access-control-allow-headers", ALLOW_HEADERS);
      res.setHeader("access-control-max-age", MAX_AGE_SECONDS);
    }
    res.writeHead(204, { "content-length": 0 });
    res.end();
    return true;
  }
}
