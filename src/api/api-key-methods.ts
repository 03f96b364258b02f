// AdminService's API key methods: create, list, revoke, rotate, re-limit; each change commits with its audit row.
import type { AdminServiceServer } from "../../gen/aik/v1/admin.js";
import type { AdminCaller } from "../auth/admin-caller.js";
import { changedFields, secretChanged, type FieldChange } from "../auth/audit.js";
import { API_KEY_PREFIX, newSecret } from "../auth/tokens.js";
import { GatewayError, invalidArgument } from "../core/errors.js";
import type { ApiKeyRecord } from "../store/api-keys.js";
import type { IdentityTx } from "../store/identity-tx.js";
import { decodePageToken, pageSize } from "../store/page-token.js";
import { auditEntry, isAdmin, requireAdmin, requireSelfOrAdmin } from "./access.js";
import { ownsTeam, requireTeamOwner } from "./team-access.js";
import { checkTeamKeyOwner } from "./team-keys.js";
import type { IdentityParts } from "./admin-api.js";
import { keyFields } from "./audit-fields.js";
import { checkFuture, checkGraceSeconds, checkId, checkKeyName, checkModels } from "./identity-checks.js";
import { apiKeyMessage } from "./identity-mapping.js";
import { limitsFromProto, NO_LIMITS } from "./limits-mapping.js";
import type { UnaryApi } from "./unary-api.js";

export type ApiKeyMethods = UnaryApi<Pick<AdminServiceServer, "createApiKey" | "listApiKeys" | "revokeApiKey" | "rotateApiKey" | "updateApiKey">>;

function keyNotFound(): GatewayError {
  return new GatewayError("not_found", "No such API key.", { param: "id", reason: "not_found" });
}

/**
 * Another member's key answers exactly as a key that does not exist, unless it is a key of a team
 * the caller owns; locked until the transaction ends.
 */
async function visibleKey(tx: IdentityTx, c: AdminCaller, id: string): Promise<ApiKeyRecord> {
  const key = await tx.keys.getForUpdate(checkId(id));
  if (!key) throw keyNotFound();
  if (isAdmin(c) || (c.kind === "user" && key.userId === c.user.id)) return key;
  if (key.teamId !== undefined && (await ownsTeam(tx.teams, c, key.teamId))) return key;
  throw keyNotFound();
}

export function apiKeyMethods(p: IdentityParts): ApiKeyMethods {
  return {
    async createApiKey(req, ctx) {
      const caller = await p.callers.of(ctx);
      const userId = req.userId === "" && caller.kind === "user" ? caller.user.id : checkId(req.userId, "user_id");
      const teamId = req.teamId === "" ? undefined : checkId(req.teamId, "team_id");
      // A team's owner may make its keys for any of its members; otherwise a member only for themselves.
      const teamOwner = teamId !== undefined && !isAdmin(caller) && (await ownsTeam(p.teams, caller, teamId));
      if (!teamOwner) requireSelfOrAdmin(caller, userId);
      const name = checkKeyName(req.name);
      const allowedModels = checkModels(req.allowedModels);
      const expiresAt = checkFuture(req.expiresAt, "expires_at");
      const limits = limitsFromProto(req.limits) ?? NO_LIMITS;
      const { secret, hash, display } = newSecret(API_KEY_PREFIX);
      const key = await p.transaction(async (tx) => {
        const owner = await tx.users.get(userId);
        if (!owner) throw new GatewayError("not_found", "No such user.", { param: "user_id", reason: "not_found" });
        if (teamId !== undefined) await checkTeamKeyOwner(tx.teams, caller, teamId, userId);
        const created = await tx.keys.create({ userId, name, prefix: display, hash, allowedModels, expiresAt, limits, teamId });
        await tx.audit.append(auditEntry(caller, ctx, "api_key.created", created.id, changedFields(undefined, keyFields(created))));
        return created;
      });
      return { apiKey: apiKeyMessage(key), secret };
    },

    async listApiKeys(req, ctx) {
      const caller = await p.callers.of(ctx);
      let userId = req.userId === "" ? undefined : checkId(req.userId, "user_id");
      const teamId = req.teamId === "" ? undefined : checkId(req.teamId, "team_id");
      if (teamId !== undefined) {
        // A team's keys, all its members' (or one member's): its owners may list them.
        await requireTeamOwner(p.teams, caller, teamId);
      } else if (!isAdmin(caller)) {
        if (userId !== undefined) requireSelfOrAdmin(caller, userId);
        userId = caller.kind === "user" ? caller.user.id : undefined;
      }
      const page = await p.keys.list({ userId, teamId, includeRevoked: req.includeRevoked }, pageSize(req.pageSize), decodePageToken(req.pageToken));
      return { apiKeys: page.keys.map(apiKeyMessage), nextPageToken: page.next };
    },

    async revokeApiKey(req, ctx) {
      const caller = await p.callers.of(ctx);
      const revoked = await p.transaction(async (tx) => {
        const key = await visibleKey(tx, caller, req.id);
        const after = (await tx.keys.revoke(key.id)) ?? key;
        await tx.audit.append(auditEntry(caller, ctx, "api_key.revoked", key.id, changedFields(keyFields(key), keyFields(after))));
        return after;
      });
      await p.events.publish({ kind: "key", id: revoked.id });
      return { apiKey: apiKeyMessage(revoked) };
    },

    async rotateApiKey(req, ctx) {
      const caller = await p.callers.of(ctx);
      const graceSeconds = checkGraceSeconds(req.graceSeconds);
      const { secret, hash, display } = newSecret(API_KEY_PREFIX);
      const rotated = await p.transaction(async (tx) => {
        const key = await visibleKey(tx, caller, req.id);
        // Its new secret would be refused as the old one is: say so instead of handing out a dead secret.
        if (key.revokedAt !== undefined) throw invalidArgument("id", "This API key is revoked; create a new key instead.");
        if (key.expiresAt !== undefined && key.expiresAt.getTime() <= Date.now()) throw invalidArgument("id", "This API key has expired; create a new key instead.");
        // The row is locked since visibleKey: it cannot have gone.
        const after = await tx.keys.rotate(key.id, { hash, prefix: display }, graceSeconds);
        if (!after) throw keyNotFound();
        await tx.audit.append(auditEntry(caller, ctx, "api_key.rotated", key.id, rotationChanges(graceSeconds, after)));
        return after;
      });
      // Every replica drops what it cached of the key: the old secret is looked up afresh, with its expiry.
      await p.events.publish({ kind: "key", id: rotated.id });
      return { apiKey: apiKeyMessage(rotated), secret };
    },

    async updateApiKey(req, ctx) {
      // Limits are an operator's or admin's decision, or a team owner's for the team's keys; not the key owner's.
      const caller = await p.callers.of(ctx);
      const updated = await p.transaction(async (tx) => {
        const key = await tx.keys.getForUpdate(checkId(req.id));
        // Refused before saying whether the key exists, or what was wrong with the limits, unless it is a key of a team the caller owns.
        if (!isAdmin(caller) && !(key?.teamId !== undefined && (await ownsTeam(tx.teams, caller, key.teamId)))) requireAdmin(caller);
        if (!key) throw keyNotFound();
        const limits = limitsFromProto(req.limits) ?? NO_LIMITS;
        const after = (await tx.keys.setLimits(key.id, limits)) ?? key;
        await tx.audit.append(auditEntry(caller, ctx, "api_key.updated", key.id, changedFields(keyFields(key), keyFields(after))));
        return after;
      });
      await p.events.publish({ kind: "key", id: updated.id });
      return { apiKey: apiKeyMessage(updated) };
    },
  };
}

/** The secret only as "changed"; the grace asked for and when the old secret ends (absent with no grace). */
function rotationChanges(graceSeconds: number, after: ApiKeyRecord): FieldChange[] {
  return [
    secretChanged("secret"),
    { field: "grace_seconds", new: String(graceSeconds) },
    ...(after.previousExpiresAt ? [{ field: "previous_secret_expires_at", new: after.previousExpiresAt.toISOString() }] : []),
  ];
}
