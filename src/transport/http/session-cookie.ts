// The console's session cookie: read from a request (one well-formed session token or nothing usable), and written with its flags.
import type { IncomingMessage } from "node:http";
import { isWellFormed, SESSION_PREFIX } from "../../auth/tokens.js";

export const SESSION_COOKIE = "aik_session";

/**
 * The session token the browser sent: undefined when there is no such cookie; "" (a credential
 * that authenticates no one) when it is not exactly one well-formed session token. Two cookies of
 * the name (one planted by a sibling host) are ambiguous, and a cookie holding anything else, the
 * operator token included, must never pass for a session.
 */
export function sessionCookieOf(req: IncomingMessage): string | undefined {
  const header = req.headers.cookie;
  if (header === undefined) return undefined;
  let found: string | undefined;
  let count = 0;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    count += 1;
    found = part.slice(eq + 1).trim();
  }
  if (found === undefined) return undefined;
  return count === 1 && isWellFormed(SESSION_PREFIX, found) ? found : "";
}

/** HttpOnly: no script reads it; SameSite=Strict: no other site's page sends it; Secure over TLS or in production mode. */
export function sessionCookie(token: string, maxAgeSeconds: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}${secure ? "; Secure" : ""}`;
}

export function clearedSessionCookie(secure: boolean): string {
  return sessionCookie("", 0, secure);
}
