// AuthService semantics: log in (lockout-guarded), log out, and say who is calling.
import type { AuthServiceServer } from "../../gen/aik/v1/auth.js";
import type { AdminCallers } from "../auth/admin-caller.js";
import type { AuditSink } from "../auth/audit.js";
import type { LoginService } from "../auth/login.js";
import type { SessionService } from "../auth/sessions.js";
import { auditEntry } from "./access.js";
import { userMessage } from "./identity-mapping.js";
import type { UnaryApi } from "./unary-api.js";

export type AuthApi = UnaryApi<Pick<AuthServiceServer, "login" | "logout" | "whoAmI">>;

/** Login carries its credential in the request; the transports authenticate the others before reading it. */
export const AUTH_OPEN_METHODS: readonly string[] = ["login"];

export function authApi(login: LoginService, callers: AdminCallers, sessions: SessionService, audit: AuditSink): AuthApi {
  return {
    async login(req, ctx) {
      const { token, session, user } = await login.login(req.email, req.password, ctx.peer);
      return { sessionToken: token, expiresAt: session.expiresAt, user: userMessage(user) };
    },

    async logout(_req, ctx) {
      const caller = await callers.of(ctx);
      // The operator token is not a session: there is nothing to end, and nothing to record.
      if (caller.kind === "user") {
        await sessions.revoke(caller.sessionId);
        await audit.append(auditEntry(caller, ctx, "logout", caller.user.id, []));
      }
      return {};
    },

    async whoAmI(_req, ctx) {
      const caller = await callers.of(ctx);
      if (caller.kind === "operator") return { principal: "operator", user: undefined, sessionExpiresAt: undefined };
      return { principal: "user", user: userMessage(caller.user), sessionExpiresAt: caller.expiresAt };
    },
  };
}
