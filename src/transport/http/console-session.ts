// The console's browser sessions: /console/api/login, session and logout, through AuthService's own functions, the token in a cookie.
import { fromBinary, toJson, type DescMessage, type JsonValue } from "@bufbuild/protobuf";
import type { IncomingMessage, ServerResponse } from "node:http";
import { User } from "../../../gen/aik/v1/admin.js";
import type { AuthApi } from "../../api/auth-api.js";
import type { CallContext } from "../../core/context.js";
import { GatewayError, invalidArgument } from "../../core/errors.js";
import { isObject } from "../../core/json.js";
import type { ApiSchema } from "../../schema/api-schema.js";
import { readJsonBody } from "./body.js";
import { csrfTokenFor, requireCsrf } from "./csrf.js";
import { clearedSessionCookie, sessionCookie } from "./session-cookie.js";

export interface ConsoleSessionOptions {
  readonly auth: AuthApi;
  readonly schema: ApiSchema;
  /** TLS here or production mode: the cookie gets `Secure`. */
  readonly secure: boolean;
  readonly maxBodyBytes: number;
}

/** What the console API is handed: the call's context carries the cookie's token as its credential. */
export interface ConsoleCall {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly ctx: CallContext;
  readonly deadline: number;
}

const ROUTES: ReadonlyMap<string, string> = new Map([
  ["login", "POST"],
  ["session", "GET"],
  ["logout", "POST"],
]);

export class ConsoleSessions {
  private readonly userType: DescMessage;

  constructor(private readonly o: ConsoleSessionOptions) {
    const type = o.schema.registry.getMessage("aik.v1.User");
    if (!type) throw new Error("aik.v1.User is missing from the descriptor set: run `npm run generate`.");
    this.userType = type;
  }

  /** `name` is the path after "/console/api/". */
  async serve(call: ConsoleCall, name: string): Promise<void> {
    const verb = ROUTES.get(name);
    if (verb === undefined) throw new GatewayError("not_found", "No such console API route.", { reason: "not_found" });
    if (call.req.method !== verb) {
      call.res.setHeader("allow", verb);
      throw new GatewayError("method_not_allowed", `Method ${call.req.method ?? ""} is not allowed here.`, { reason: "method_not_allowed" });
    }
    if (name === "login") return this.login(call);
    if (name === "session") return this.session(call);
    return this.logout(call);
  }

  /** AuthService's Login itself: the same lockout, the same answer for every refusal; the token goes only into the cookie. */
  private async login(call: ConsoleCall): Promise<void> {
    const body = await readJsonBody(call.req, this.o.maxBodyBytes, call.deadline);
    if (!isObject(body)) throw invalidArgument("body", "The request body must be a JSON object.");
    const out = await this.o.auth.login({ email: text(body.email, "email"), password: text(body.password, "password") }, call.ctx);
    if (!out.user || !out.expiresAt) throw new Error("Login answered without a user or an expiry");
    call.res.setHeader("set-cookie", sessionCookie(out.sessionToken, (out.expiresAt.getTime() - Date.now()) / 1000, this.o.secure));
    this.sendSession(call.res, out.sessionToken, out.user, out.expiresAt);
  }

  private async session(call: ConsoleCall): Promise<void> {
    const { token, who } = await this.live(call);
    this.sendSession(call.res, token, who.user, who.expiresAt);
  }

  /** Ends the session on the server (every replica then refuses the token), then clears the cookie. */
  private async logout(call: ConsoleCall): Promise<void> {
    const { token } = await this.live(call);
    requireCsrf(call.req, token);
    await this.o.auth.logout({}, call.ctx);
    call.res.writeHead(204, { "set-cookie": clearedSessionCookie(this.o.secure) });
    call.res.end();
  }

  /** The cookie's token and its user when it names a live session; otherwise 401 and the cookie cleared, so the page starts over. */
  private async live(call: ConsoleCall): Promise<{ token: string; who: { user: User; expiresAt: Date } }> {
    const token = call.ctx.credential;
    if (!token) throw this.refused(call.res);
    let who: Awaited<ReturnType<AuthApi["whoAmI"]>>;
    try {
      who = await this.o.auth.whoAmI({}, call.ctx);
    } catch (err) {
      if (err instanceof GatewayError && err.code === "unauthenticated") throw this.refused(call.res);
      throw err;
    }
    if (who.principal !== "user" || !who.user || !who.sessionExpiresAt) throw this.refused(call.res);
    return { token, who: { user: who.user, expiresAt: who.sessionExpiresAt } };
  }

  private refused(res: ServerResponse): GatewayError {
    res.setHeader("set-cookie", clearedSessionCookie(this.o.secure));
    return new GatewayError("unauthenticated", "Not logged in, or the session has ended: log in again.", { reason: "invalid_session" });
  }

  /** The user as WhoAmI's proto3 JSON has it, the page's CSRF token, and the expiry; never the session token. */
  private sendSession(res: ServerResponse, token: string, user: User, expiresAt: Date): void {
    const body = JSON.stringify({ user: this.userJson(user), csrf_token: csrfTokenFor(token), expires_at: expiresAt.toISOString() });
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  }

  private userJson(user: User): JsonValue {
    return toJson(this.userType, fromBinary(this.userType, User.encode(user).finish()), { alwaysEmitImplicit: true });
  }
}

/** Absent is "" as in proto3 JSON, so Login's own checks answer it; anything but a string is refused here. */
function text(v: JsonValue | undefined, name: string): string {
  if (v === undefined) return "";
  if (typeof v !== "string") throw invalidArgument(name, `Invalid '${name}': expected a string.`);
  return v;
}
