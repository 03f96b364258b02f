// AdminService's team methods: create, read, list, re-limit, and manage members; each change commits with its audit row.
import type { AdminServiceServer } from "../../gen/aik/v1/admin.js";
import type { AdminCallers } from "../auth/admin-caller.js";
import { changedFields } from "../auth/audit.js";
import type { IdentityEvents } from "../auth/identity-events.js";
import { GatewayError } from "../core/errors.js";
import type { Transact } from "../store/identity-tx.js";
import { decodePageToken, pageSize } from "../store/page-token.js";
import type { TeamRecord, TeamStore } from "../store/teams.js";
import { auditEntry, isAdmin, requireAdmin } from "./access.js";
import { keyFields, teamFields } from "./audit-fields.js";
import { checkId, checkKeyName } from "./identity-checks.js";
import { limitsFromProto, NO_LIMITS } from "./limits-mapping.js";
import { requireTeamMember, requireTeamOwner, teamNotFound } from "./team-access.js";
import { storeTeamRole, teamMemberMessage, teamMessage } from "./team-mapping.js";
import type { UnaryApi } from "./unary-api.js";

export type TeamsApi = UnaryApi<Pick<AdminServiceServer, "createTeam" | "getTeam" | "listTeams" | "updateTeam" | "addTeamMember" | "removeTeamMember">>;

export interface TeamsParts {
  readonly callers: AdminCallers;
  /** Reads on the pool; changes go through `transaction` with their audit row. */
  readonly teams: TeamStore;
  readonly transaction: Transact;
  readonly events: IdentityEvents;
}

function sameLimits(a: TeamRecord, b: TeamRecord): boolean {
  const x = a.limits;
  const y = b.limits;
  return x.requestsPerMinute === y.requestsPerMinute && x.tokensPerMinute === y.tokensPerMinute && x.maxConcurrent === y.maxConcurrent && x.monthlyBudgetMicroUsd === y.monthlyBudgetMicroUsd;
}

export function teamsApi(p: TeamsParts): TeamsApi {
  return {
    async createTeam(req, ctx) {
      const caller = await p.callers.of(ctx);
      requireAdmin(caller);
      const name = checkKeyName(req.name);
      const limits = limitsFromProto(req.limits) ?? NO_LIMITS;
      const team = await p.transaction(async (tx) => {
        const created = await tx.teams.create({ name, limits });
        await tx.audit.append(auditEntry(caller, ctx, "team.created", created.id, changedFields(undefined, teamFields(created))));
        return created;
      });
      return { team: teamMessage(team) };
    },

    async getTeam(req, ctx) {
      const caller = await p.callers.of(ctx);
      const id = checkId(req.id);
      await requireTeamMember(p.teams, caller, id);
      const team = await p.teams.get(id);
      if (!team) throw teamNotFound();
      const members = await p.teams.members(id);
      return { team: teamMessage(team), members: members.map(teamMemberMessage) };
    },

    async listTeams(req, ctx) {
      const caller = await p.callers.of(ctx);
      const memberId = isAdmin(caller) || caller.kind !== "user" ? undefined : caller.user.id;
      const page = await p.teams.list(memberId, pageSize(req.pageSize), decodePageToken(req.pageToken));
      return { teams: page.teams.map(teamMessage), nextPageToken: page.next };
    },

    async updateTeam(req, ctx) {
      const caller = await p.callers.of(ctx);
      requireAdmin(caller);
      const id = checkId(req.id);
      const name = req.name === undefined ? undefined : checkKeyName(req.name);
      const limits = limitsFromProto(req.limits);
      const { before, team } = await p.transaction(async (tx) => {
        const old = await tx.teams.getForUpdate(id);
        const updated = old && (await tx.teams.update(id, { name, limits }));
        if (!old || !updated) throw teamNotFound();
        await tx.audit.append(auditEntry(caller, ctx, "team.updated", id, changedFields(teamFields(old), teamFields(updated))));
        return { before: old, team: updated };
      });
      // The team's keys are cached with the team's limits on every replica: all of them look it up afresh.
      if (!sameLimits(before, team)) await p.events.publish({ kind: "team", id });
      return { team: teamMessage(team) };
    },

    async addTeamMember(req, ctx) {
      const caller = await p.callers.of(ctx);
      const teamId = checkId(req.teamId, "team_id");
      const userId = checkId(req.userId, "user_id");
      const role = storeTeamRole(req.role);
      await requireTeamOwner(p.teams, caller, teamId);
      const member = await p.transaction(async (tx) => {
        if (!(await tx.teams.getForUpdate(teamId))) throw teamNotFound("team_id");
        if (!(await tx.users.get(userId))) throw new GatewayError("not_found", "No such user.", { param: "user_id", reason: "not_found" });
        const old = await tx.teams.membership(teamId, userId);
        const now = await tx.teams.upsertMember(teamId, userId, role);
        // Re-adding with the same role changes nothing and writes nothing; a new role is recorded old and new.
        if (old?.role !== now.role) {
          const changes = [{ field: "user_id", new: userId }, ...changedFields(old && { role: old.role }, { role: now.role })];
          await tx.audit.append(auditEntry(caller, ctx, "team.member_added", teamId, changes));
        }
        return now;
      });
      return { member: teamMemberMessage(member) };
    },

    async removeTeamMember(req, ctx) {
      const caller = await p.callers.of(ctx);
      const teamId = checkId(req.teamId, "team_id");
      const userId = checkId(req.userId, "user_id");
      await requireTeamOwner(p.teams, caller, teamId);
      const revoked = await p.transaction(async (tx) => {
        if (!(await tx.teams.getForUpdate(teamId))) throw teamNotFound("team_id");
        const gone = await tx.teams.removeMember(teamId, userId);
        if (!gone) throw new GatewayError("not_found", "This user is not a member of the team.", { param: "user_id", reason: "not_found" });
        // A team key is the team's to spend with: it goes with the membership it was made under.
        const keys = await tx.keys.revokeTeamKeys(teamId, userId);
        await tx.audit.append(auditEntry(caller, ctx, "team.member_removed", teamId, changedFields({ user_id: userId, role: gone.role }, {})));
        for (const k of keys) {
          await tx.audit.append(auditEntry(caller, ctx, "api_key.revoked", k.id, changedFields({ ...keyFields(k), revoked_at: undefined }, keyFields(k))));
        }
        return keys;
      });
      // Every replica drops the revoked keys at once (as RevokeApiKey does).
      for (const k of revoked) await p.events.publish({ kind: "key", id: k.id });
      return {};
    },
  };
}
