// AdminService semantics: who may do what (operator, admin, member), on both front doors alike.
import type { AdminServiceServer, ApiKey, User } from "../../gen/aik/v1/admin.js";
import type { AdminCaller, AdminCallers } from "../auth/admin-caller.js";
import type { IdentityEvents } from "../auth/identity-events.js";
import { accountKey } from "../auth/login.js";
import type { LoginGuard } from "../auth/login-guard.js";
import { checkNewPassword, hashPassword } from "../auth/passwords.js";
import type { SessionService } from "../auth/sessions.js";
import { API_KEY_PREFIX, newSecret } from "../auth/tokens.js";
import { GatewayError } from "../core/errors.js";
import type { ApiKeyRecord, ApiKeyStore } from "../store/api-keys.js";
import { decodePageToken, pageSize } from "../store/page-token.js";
import type { UserRecord, UserStore } from "../store/users.js";
import { checkEmail, checkFuture, checkId, checkKeyName, checkModels } from "./identity-checks.js";
import { apiKeyMessage, storeRole, storeStatus, userMessage } from "./identity-mapping.js";
import { limitsFromProto, NO_LIMITS } from "./limits-mapping.js";
import type { UnaryApi } from "./unary-api.js";
import type { UsageQuery, UsageReport } from "../metering/reports.js";
import { usageQuery, usageResponse } from "./usage-api.js";

export interface IdentityParts {
  readonly callers: AdminCallers;
  readonly users: UserStore;
  readonly keys: ApiKeyStore;
  readonly guard: LoginGuard;
  readonly sessions: SessionService;
  readonly events: IdentityEvents;
  readonly usage: (q: UsageQuery) => Promise<UsageReport>;
}

export type AdminApi = UnaryApi<
  Pick<
    AdminServiceServer,
    | "createUser"
    | "getUser"
    | "listUsers"
    | "updateUser"
    | "unlockUser"
    | "createApiKey"
    | "listApiKeys"
    | "revokeApiKey"
    | "updateApiKey"
    | "getUsage"
  >
>;

function denied(): GatewayError {
  return new GatewayError("permission_denied", "This action needs an admin session or the operator token.", { reason: "permission_denied" });
}

function isAdmin(c: AdminCaller): boolean {
  return c.kind === "operator" || c.user.role === "admin";
}

function requireAdmin(c: AdminCaller): void {
  if (!isAdmin(c)) throw denied();
}

/** A member acts only on themselves: another user's id is refused before any lookup. */
function requireSelfOrAdmin(c: AdminCaller, userId: string): void {
  if (!isAdmin(c) && (c.kind !== "user" || c.user.id !== userId)) throw denied();
}

function userNotFound(): GatewayError {
  return new GatewayError("not_found", "No such user.", { param: "id", reason: "not_found" });
}

function keyNotFound(): GatewayError {
  return new GatewayError("not_found", "No such API key.", { param: "id", reason: "not_found" });
}

export function adminApi(p: IdentityParts): AdminApi {
  const withLock = async (u: UserRecord): Promise<User> => {
    // Lock state lives in Redis; without Redis the user is still shown, without it.
    const until = await p.guard.lockedUntil(accountKey(u.email)).catch(() => undefined);
    return userMessage(u, until);
  };
  const mustGetUser = async (id: string): Promise<UserRecord> => (await p.users.get(checkId(id))) ?? Promise.reject(userNotFound());
  /** Another member's key answers exactly as a key that does not exist. */
  const visibleKey = async (c: AdminCaller, id: string): Promise<ApiKeyRecord> => {
    const key = await p.keys.get(checkId(id));
    if (!key || (!isAdmin(c) && (c.kind !== "user" || key.userId !== c.user.id))) throw keyNotFound();
    return key;
  };

  return {
    async createUser(req, ctx) {
      requireAdmin(await p.callers.resolve(ctx.credential));
      const email = checkEmail(req.email);
      checkNewPassword(req.password);
      const role = storeRole(req.role) ?? "member";
      const limits = limitsFromProto(req.limits) ?? NO_LIMITS;
      const user = await p.users.create({ email, role, limits, passwordHash: await hashPassword(req.password) });
      return { user: userMessage(user) };
    },

    async getUser(req, ctx) {
      const caller = await p.callers.resolve(ctx.credential);
      requireSelfOrAdmin(caller, checkId(req.id));
      return { user: await withLock(await mustGetUser(req.id)) };
    },

    async listUsers(req, ctx) {
      requireAdmin(await p.callers.resolve(ctx.credential));
      const page = await p.users.list(pageSize(req.pageSize), decodePageToken(req.pageToken));
      return { users: await Promise.all(page.users.map(withLock)), nextPageToken: page.next };
    },

    async updateUser(req, ctx) {
      requireAdmin(await p.callers.resolve(ctx.credential));
      if (req.password !== undefined) checkNewPassword(req.password);
      const role = storeRole(req.role);
      const status = storeStatus(req.status);
      const limits = limitsFromProto(req.limits);
      const before = await mustGetUser(req.id);
      const user = await p.users.update(before.id, {
        role,
        status,
        limits,
        passwordHash: req.password === undefined ? undefined : await hashPassword(req.password),
      });
      if (!user) throw userNotFound();
      if (req.password !== undefined) await p.sessions.revokeAllOf(user.id);
      // A status, role or limits change alters what the user's cached keys may do, on every replica.
      if (user.status !== before.status || user.role !== before.role || limits !== undefined) await p.events.publish({ kind: "user", id: user.id });
      return { user: await withLock(user) };
    },

    async unlockUser(req, ctx) {
      requireAdmin(await p.callers.resolve(ctx.credential));
      const user = await mustGetUser(req.id);
      await p.guard.unlock(accountKey(user.email));
      return { user: userMessage(user) };
    },

    async createApiKey(req, ctx) {
      const caller = await p.callers.resolve(ctx.credential);
      const userId = req.userId === "" && caller.kind === "user" ? caller.user.id : checkId(req.userId, "user_id");
      requireSelfOrAdmin(caller, userId);
      const name = checkKeyName(req.name);
      const allowedModels = checkModels(req.allowedModels);
      const expiresAt = checkFuture(req.expiresAt, "expires_at");
      const limits = limitsFromProto(req.limits) ?? NO_LIMITS;
      const owner = await p.users.get(userId);
      if (!owner) throw new GatewayError("not_found", "No such user.", { param: "user_id", reason: "not_found" });
      const { secret, hash, display } = newSecret(API_KEY_PREFIX);
      const key = await p.keys.create({ userId, name, prefix: display, hash, allowedModels, expiresAt, limits });
      return { apiKey: apiKeyMessage(key), secret };
    },

    async listApiKeys(req, ctx) {
      const caller = await p.callers.resolve(ctx.credential);
      let userId = req.userId === "" ? undefined : checkId(req.userId, "user_id");
      if (!isAdmin(caller)) {
        if (userId !== undefined) requireSelfOrAdmin(caller, userId);
        userId = caller.kind === "user" ? caller.user.id : undefined;
      }
      const page = await p.keys.list({ userId, includeRevoked: req.includeRevoked }, pageSize(req.pageSize), decodePageToken(req.pageToken));
      return { apiKeys: page.keys.map(apiKeyMessage), nextPageToken: page.next };
    },

    async revokeApiKey(req, ctx) {
      const caller = await p.callers.resolve(ctx.credential);
      const key = await visibleKey(caller, req.id);
      const revoked = (await p.keys.revoke(key.id)) ?? key;
      await p.events.publish({ kind: "key", id: key.id });
      return { apiKey: apiKeyMessage(revoked) satisfies ApiKey };
    },

    async updateApiKey(req, ctx) {
      // Limits are an operator's or admin's decision, not the key owner's.
      const caller = await p.callers.resolve(ctx.credential);
      requireAdmin(caller);
      const limits = limitsFromProto(req.limits) ?? NO_LIMITS;
      const key = await visibleKey(caller, req.id);
      const updated = (await p.keys.setLimits(key.id, limits)) ?? key;
      await p.events.publish({ kind: "key", id: key.id });
      return { apiKey: apiKeyMessage(updated) };
    },

    async getUsage(req, ctx) {
      const caller = await p.callers.resolve(ctx.credential);
      const report = await p.usage(usageQuery(req, caller));
      return usageResponse(report.rows, report.total);
    },
  };
}
