// AuthService semantics: log in (lockout-guarded, unless password login is off), log out, say who is calling and how one may sign in.
import type { AuthServiceServer } from "../../gen/aik/v1/auth.js";
import type { AdminCallers } from "../auth/admin-caller.js";
import type { AuditSink } from "../auth/audit.js";
import type { LoginService } from "../auth/login.js";
import type { SessionService } from "../auth/sessions.js";
import { GatewayError } from "../core/errors.js";
import { OIDC_START_PATH } from "../config/oidc.js";
import { auditEntry } from "./access.js";
import { userMessage } from "./identity-mapping.js";
import type { UnaryApi } from "./unary-api.js";

export type AuthApi = UnaryApi<Pick<AuthServiceServer, "login" | "logout" | "whoAmI" | "getLoginOptions">>;

/** Login carries its credential in the request, and the login page asks how to sign in before anyone has; the transports authenticate the others before reading them. */
export const AUTH_OPEN_METHODS: readonly string[] = ["login", "getLoginOptions"];

/** How people sign in here: auth.password_login, and single sign-on's button name when it is configured. */
export interface LoginOptions {
  readonly passwordLogin: boolean;
  readonly singleSignOnName: string | undefined;
}

export function authApi(login: LoginService, callers: AdminCallers, sessions: SessionService, audit: AuditSink, options: LoginOptions): AuthApi {
  return {
    async login(req, ctx) {
      // Refused before any lookup or counting: with password login off, no password is ever checked.
      if (!options.passwordLogin) {
        throw new GatewayError("permission_denied", "Password login is turned off here: sign in with single sign-on.", { reason: "password_login_disabled" });
      }
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

    async getLoginOptions() {
      const sso = options.singleSignOnName;
      return { passwordLogin: options.passwordLogin, singleSignOn: sso !== undefined, singleSignOnName: sso ?? "", singleSignOnUrl: sso === undefined ? "" : OIDC_START_PATH };
    },
  };
}
