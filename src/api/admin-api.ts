// AdminService semantics: who may do what (operator, admin, member), on both front doors alike; every change audited.
import type { AdminServiceServer, User } from "../../gen/aik/v1/admin.js";
import type { AdminCallers } from "../auth/admin-caller.js";
import { changedFields, secretChanged } from "../auth/audit.js";
import type { IdentityEvents } from "../auth/identity-events.js";
import { accountKey } from "../auth/login.js";
import type { LoginGuard } from "../auth/login-guard.js";
import { checkNewPassword, hashPassword } from "../auth/passwords.js";
import type { SessionService } from "../auth/sessions.js";
import { GatewayError, invalidArgument } from "../core/errors.js";
import type { UsageQuery, UsageReport } from "../metering/reports.js";
import type { ApiKeyStore } from "../store/api-keys.js";
import type { AuditStore } from "../store/audit-events.js";
import type { Transact } from "../store/identity-tx.js";
import type { TeamStore } from "../store/teams.js";
import { decodePageToken, pageSize } from "../store/page-token.js";
import type { UserRecord, UserStore } from "../store/users.js";
import { auditEntry, requireAdmin, requireSelfOrAdmin } from "./access.js";
import { apiKeyMethods, type ApiKeyMethods } from "./api-key-methods.js";
import { auditEventMessage, auditFilter } from "./audit-api.js";
import { userFields } from "./audit-fields.js";
import { checkEmail, checkId, checkModels } from "./identity-checks.js";
import { storeRole, storeStatus, userMessage } from "./identity-mapping.js";
import { limitsFromProto, NO_LIMITS } from "./limits-mapping.js";
import type { UnaryApi } from "./unary-api.js";
import { usageQuery, usageResponse } from "./usage-api.js";
import { requireTeamOwner } from "./team-access.js";

export interface IdentityParts {
  readonly callers: AdminCallers;
  /** Reads on the pool; changes go through `transaction` with their audit row. */
  readonly users: UserStore;
  readonly keys: ApiKeyStore;
  readonly teams: TeamStore;
  readonly audit: AuditStore;
  readonly transaction: Transact;
  readonly guard: LoginGuard;
  readonly sessions: SessionService;
  readonly events: IdentityEvents;
  readonly usage: (q: UsageQuery) => Promise<UsageReport>;
}

export type AdminApi = UnaryApi<
  Pick<AdminServiceServer, "createUser" | "getUser" | "listUsers" | "updateUser" | "unlockUser" | "getUsage" | "listAuditEvents">
> &
  ApiKeyMethods;

function userNotFound(): GatewayError {
  return new GatewayError("not_found", "No such user.", { param: "id", reason: "not_found" });
}

export function adminApi(p: IdentityParts): AdminApi {
  const withLock = async (u: UserRecord): Promise<User> => {
    // Lock state lives in Redis; without Redis the user is still shown, without it. A service account never logs in.
    if (u.kind === "service") return userMessage(u);
    const until = await p.guard.lockedUntil(accountKey(u.email)).catch(() => undefined);
    return userMessage(u, until);
  };
  const mustGetUser = async (id: string): Promise<UserRecord> => (await p.users.get(checkId(id))) ?? Promise.reject(userNotFound());

  return {
    async createUser(req, ctx) {
      const caller = await p.callers.of(ctx);
      requireAdmin(caller);
      const email = checkEmail(req.email);
      checkNewPassword(req.password);
      const role = storeRole(req.role) ?? "member";
      const limits = limitsFromProto(req.limits) ?? NO_LIMITS;
      const passwordHash = await hashPassword(req.password);
      const user = await p.transaction(async (tx) => {
        const created = await tx.users.create({ email, role, limits, passwordHash });
        const changes = [...changedFields(undefined, userFields(created)), secretChanged("password")];
        await tx.audit.append(auditEntry(caller, ctx, "user.created", created.id, changes));
        return created;
      });
      return { user: userMessage(user) };
    },

    async getUser(req, ctx) {
      const caller = await p.callers.of(ctx);
      requireSelfOrAdmin(caller, checkId(req.id));
      return { user: await withLock(await mustGetUser(req.id)) };
    },

    async listUsers(req, ctx) {
      requireAdmin(await p.callers.of(ctx));
      const page = await p.users.list(pageSize(req.pageSize), decodePageToken(req.pageToken));
      return { users: await Promise.all(page.users.map(withLock)), nextPageToken: page.next };
    },

    async updateUser(req, ctx) {
      const caller = await p.callers.of(ctx);
      requireAdmin(caller);
      const id = checkId(req.id);
      if (req.password !== undefined) checkNewPassword(req.password);
      const role = storeRole(req.role);
      const status = storeStatus(req.status);
      const limits = limitsFromProto(req.limits);
      const allowedModels = req.allowedModels === undefined ? undefined : checkModels(req.allowedModels.models);
      // Hashed before the transaction, so the row is never locked for the length of an argon2 run.
      const passwordHash = req.password === undefined ? undefined : await hashPassword(req.password);
      const { before, user } = await p.transaction(async (tx) => {
        const old = await tx.users.getForUpdate(id);
        if (old?.kind === "service" && passwordHash !== undefined) {
          throw invalidArgument("password", "A service account has no password: it calls with its issuer's tokens or with API keys.");
        }
        if (old?.kind === "person" && allowedModels !== undefined) {
          throw invalidArgument("allowed_models", "Only a service account has allowed models: a person's keys carry their own (UpdateApiKey, CreateApiKey).");
        }
        const updated = old && (await tx.users.update(id, { role, status, limits, passwordHash, allowedModels }));
        if (!old || !updated) throw userNotFound();
        const changes = changedFields(userFields(old), userFields(updated));
        if (passwordHash !== undefined) changes.push(secretChanged("password"));
        await tx.audit.append(auditEntry(caller, ctx, "user.updated", id, changes));
        return { before: old, user: updated };
      });
      if (passwordHash !== undefined) await p.sessions.revokeAllOf(user.id);
      // A status, role, limits or models change alters what the user's cached keys and tokens may do, on every replica.
      if (user.status !== before.status || user.role !== before.role || limits !== undefined || allowedModels !== undefined) await p.events.publish({ kind: "user", id: user.id });
      return { user: await withLock(user) };
    },

    async unlockUser(req, ctx) {
      const caller = await p.callers.of(ctx);
      requireAdmin(caller);
      const user = await mustGetUser(req.id);
      const account = accountKey(user.email);
      // The lock lives in Redis, outside any transaction: recorded once it is lifted, with the time it would have run to.
      const until = await p.guard.lockedUntil(account);
      await p.guard.unlock(account);
      const changes = until === undefined ? [] : [{ field: "locked_until", old: new Date(until).toISOString() }];
      await p.audit.append(auditEntry(caller, ctx, "user.unlocked", user.id, changes));
      return { user: userMessage(user) };
    },

    ...apiKeyMethods(p),

    async getUsage(req, ctx) {
      const caller = await p.callers.of(ctx);
      // A team's usage: its owners may read it (any of its members'), nobody else but admins.
      const team = req.teamId === "" ? undefined : checkId(req.teamId, "team_id");
      if (team !== undefined) await requireTeamOwner(p.teams, caller, team);
      const report = await p.usage(usageQuery(req, caller, team));
      return usageResponse(report.rows, report.total);
    },

    async listAuditEvents(req, ctx) {
      requireAdmin(await p.callers.of(ctx));
      const filter = auditFilter(req);
      const page = await p.audit.list(filter, pageSize(req.pageSize), decodePageToken(req.pageToken));
      return { events: page.events.map(auditEventMessage), nextPageToken: page.next };
    },
  };
}
