// CSRF defence for cookie sessions: a per-session token derived from the session secret, required on every state change.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { GatewayError } from "../../core/errors.js";

export const CSRF_HEADER = "x-csrf-token";

const LABEL = "aik-console-csrf-v1";
const SAFE_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD"]);

/**
 * HMAC-SHA256 keyed by the session token: every replica computes it without storing anything, it
 * differs per session, and it reveals nothing of the token (which only the HttpOnly cookie holds).
 */
export function csrfTokenFor(sessionToken: string): string {
  return createHmac("sha256", sessionToken).update(LABEL).digest("base64url");
}

/** A cookie-authenticated request that may change state must carry the session's token in the header a page sets. */
export function requireCsrf(req: IncomingMessage, sessionToken: string): void {
  if (SAFE_METHODS.has(req.method ?? "GET")) return;
  const given = req.headers[CSRF_HEADER];
  if (typeof given !== "string" || !sameSecret(given, csrfTokenFor(sessionToken))) {
    throw new GatewayError("permission_denied", "Missing or invalid CSRF token.", { reason: "csrf_token_invalid" });
  }
}

/** Digests of both sides have equal lengths, so the comparison leaks neither length nor prefix. */
function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

function sha256(s: string): Buffer {
  return createHash("sha256").update(s, "utf8").digest();
}
