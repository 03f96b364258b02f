// AuthService semantics: log in (lockout-guarded), log out, and say who is calling.
import type { AuthServiceServer } from "../../gen/aik/v1/auth.js";
import type { AdminCallers } from "../auth/admin-caller.js";
import type { LoginService } from "../auth/login.js";
import type { SessionService } from "../auth/sessions.js";
import { userMessage } from "./identity-mapping.js";
import type { UnaryApi } from "./unary-api.js";

export type AuthApi = UnaryApi<Pick<AuthServiceServer, "login" | "logout" | "whoAmI">>;

export function authApi(login: LoginService, callers: AdminCallers, sessions: SessionService): AuthApi {
  return {
    async login(req, ctx) {
      const { token, session, user } = await login.login(req.email, req.password, ctx.peer);
      return { sessionToken: token, expiresAt: session.expiresAt, user: userMessage(user) };
    },

    async logout(_req, ctx) {
      const caller = await callers.resolve(ctx.credential);
      if (caller.kind === "user") await sessions.revoke(caller.sessionId);
      return {};
    },

    async whoAmI(_req, ctx) {
      const caller = await callers.resolve(ctx.credential);
      if (caller.kind === "operator") return { principal: "operator", user: undefined, sessionExpiresAt: undefined };
      return { principal: "user", user: userMessage(caller.user), sessionExpiresAt: caller.expiresAt };
    },
  };
}
