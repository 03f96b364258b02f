// Browser redirects for single sign-on: GET /v1/auth/oidc/start (to the provider) and /v1/auth/oidc/callback (back, to a console session); not in the proto, as no API client calls them.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { OidcSignIn } from "../../api/oidc-sign-in.js";
import { OIDC_CALLBACK_PATH, OIDC_START_PATH } from "../../config/oidc.js";
import { GatewayError } from "../../core/errors.js";
import { errorFields, type Logger } from "../../telemetry/logger.js";
import { sessionCookie } from "./session-cookie.js";

const FLOW_COOKIE = "aik_oidc";
const FLOW_COOKIE_PATH = "/v1/auth/oidc";
/** Long enough to type a password and answer an MFA prompt at the provider; the secret is useless after it. */
const FLOW_SECONDS = 600;
const SECRET = /^[A-Za-z0-9_-]{43}$/;
const HOST = /^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;
/** Where a sign-in ends: the console's own pages. */
const SIGNED_IN = "/console/";
const LOGIN_PAGE = "/console/login";

/** The reasons the console's login page explains; any other failure is reported as sign_in_failed. */
export const SIGN_IN_REASONS: ReadonlySet<string> = new Set([
  "sign_in_expired",
  "state_mismatch",
  "provider_refused",
  "provider_unavailable",
  "code_rejected",
  "nonce_mismatch",
  "id_token_invalid",
  "tenant_not_allowed",
  "email_missing",
  "email_in_use",
  "user_disabled",
]);

export interface OidcCall {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** The client's address, for the audit trail. */
  readonly peer: string | undefined;
}

export interface OidcDoorOptions {
  readonly signIn: OidcSignIn;
  /** TLS here or production mode: cookies get `Secure`, and a derived redirect URI is https. */
  readonly secure: boolean;
  readonly logger: Logger;
}

export class OidcDoor {
  constructor(private readonly o: OidcDoorOptions) {}

  owns(path: string): boolean {
    return path === OIDC_START_PATH || path === OIDC_CALLBACK_PATH;
  }

  async serve(call: OidcCall, path: string, query: URLSearchParams): Promise<void> {
    if (call.req.method !== "GET") {
      call.res.setHeader("allow", "GET");
      throw new GatewayError("method_not_allowed", `Method ${call.req.method ?? ""} is not allowed here.`, { reason: "method_not_allowed" });
    }
    if (path === OIDC_START_PATH) return this.start(call);
    return this.callback(call, query);
  }

  /** Failures here (the provider unreachable, a bad Host) answer in the gateway's error envelope, before the browser leaves. */
  private async start(call: OidcCall): Promise<void> {
    const { url, secret } = await this.o.signIn.begin(this.redirectUri(call.req));
    call.res.writeHead(303, { location: url.href, "set-cookie": this.flowCookie(secret, FLOW_SECONDS) });
    call.res.end();
  }

  /** Every outcome clears the flow cookie and ends on a console page: the keys page with a session, or the login page with a reason code. */
  private async callback(call: OidcCall, query: URLSearchParams): Promise<void> {
    const cleared = this.flowCookie("", 0);
    try {
      const secret = flowCookieOf(call.req);
      if (secret === undefined) throw new GatewayError("unauthenticated", "No sign-in is under way in this browser.", { reason: "sign_in_expired" });
      const out = await this.o.signIn.finish(this.redirectUri(call.req), query, secret, call.peer);
      const session = sessionCookie(out.token, (out.session.expiresAt.getTime() - Date.now()) / 1000, this.o.secure);
      call.res.writeHead(303, { location: SIGNED_IN, "set-cookie": [cleared, session] });
      call.res.end();
    } catch (err) {
      const reason = err instanceof GatewayError && err.reason !== undefined && SIGN_IN_REASONS.has(err.reason) ? err.reason : "sign_in_failed";
      // The reason and the library's error code only: causes may quote a provider's response, which may hold a token.
      if (err instanceof GatewayError) this.o.logger.info("auth.oidc_refused", { reason, code: codeOf(err) });
      else this.o.logger.error("auth.oidc_failed", { reason, ...errorFields(err) });
      call.res.writeHead(303, { location: `${LOGIN_PAGE}?sso_error=${reason}`, "set-cookie": cleared });
      call.res.end();
    }
  }

  /** The configured one, or this gateway's own callback as the browser reached it (it must be registered at the provider either way). */
  private redirectUri(req: IncomingMessage): string {
    const configured = this.o.signIn.configuredRedirectUri;
    if (configured !== undefined) return configured;
    const host = req.headers.host;
    if (host === undefined || !HOST.test(host)) {
      throw new GatewayError("invalid_argument", "Single sign-on needs a valid Host header (or auth.oidc.redirect_uri in the config).", { reason: "malformed_request" });
    }
    return `${this.o.secure ? "https" : "http"}://${host}${OIDC_CALLBACK_PATH}`;
  }

  /** HttpOnly; SameSite=Lax, because the provider's redirect back is a cross-site navigation; only the sign-in paths see it. */
  private flowCookie(secret: string, maxAgeSeconds: number): string {
    return `${FLOW_COOKIE}=${secret}; HttpOnly; SameSite=Lax; Path=${FLOW_COOKIE_PATH}; Max-Age=${maxAgeSeconds}${this.o.secure ? "; Secure" : ""}`;
  }
}

/** Exactly one well-formed flow cookie, or nothing: two (one planted by a sibling host) are ambiguous. */
function flowCookieOf(req: IncomingMessage): string | undefined {
  const found: string[] = [];
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq >= 0 && part.slice(0, eq).trim() === FLOW_COOKIE) found.push(part.slice(eq + 1).trim());
  }
  const [only] = found;
  return found.length === 1 && only !== undefined && SECRET.test(only) ? only : undefined;
}

/** openid-client's error code (OAUTH_…) of the cause, safe to log: an identifier, never a value. */
function codeOf(err: unknown): string | undefined {
  const cause: unknown = err instanceof Error ? err.cause : undefined;
  if (typeof cause !== "object" || cause === null || !("code" in cause)) return undefined;
  return typeof cause.code === "string" && /^[A-Z_]{1,64}$/.test(cause.code) ? cause.code : undefined;
}
