// The headers of DESIGN.md promise 3, set first on every response (errors and 404s included).
import type { ServerResponse } from "node:http";

const ALWAYS: ReadonlyArray<readonly [string, string]> = [
  ["x-content-type-options", "nosniff"],
  ["x-frame-options", "DENY"],
  // "0" disables the legacy XSS auditor, which itself enabled attacks; the header stays present.
  ["x-xss-protection", "0"],
  ["referrer-policy", "no-referrer"],
  ["cache-control", "no-store"],
  ["content-security-policy", "default-src 'none'; frame-ancestors 'none'"],
];

const HSTS = "max-age=63072000; includeSubDomains";

// Both lists built once: no array per response.
const STRICT: ReadonlyArray<readonly [string, string]> = [...ALWAYS, ["strict-transport-security", HSTS]];

export function securityHeaders(strictTransport: boolean): ReadonlyArray<readonly [string, string]> {
  return strictTransport ? STRICT : ALWAYS;
}

export function setSecurityHeaders(res: ServerResponse, strictTransport: boolean): void {
  for (const [name, value] of securityHeaders(strictTransport)) res.setHeader(name, value);
}

/** The console's pages load only their own scripts, styles and data: no inline script, no eval, no framing. */
export const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** Over the headers every response has: the console's CSP, and no other origin may open or embed what it serves. */
export function setConsoleHeaders(res: ServerResponse): void {
  res.setHeader("content-security-policy", CONSOLE_CSP);
  res.setHeader("cross-origin-opener-policy", "same-origin");
  res.setHeader("cross-origin-resource-policy", "same-origin");
}
