// Who may act on a team: the operator and admins on any team, a team's owners on their own team, its members only to read it.
import type { AdminCaller } from "../auth/admin-caller.js";
import { GatewayError } from "../core/errors.js";
import type { TeamRole, TeamStore } from "../store/teams.js";
import { isAdmin } from "./access.js";

function denied(need: string): GatewayError {
  return new GatewayError("permission_denied", `This action needs an admin session, the operator token, or ${need}.`, { reason: "permission_denied" });
}

export function teamNotFound(param = "id"): GatewayError {
  return new GatewayError("not_found", "No such team.", { param, reason: "not_found" });
}

/**
 * A non-admin caller's role in the team, or PERMISSION_DENIED: a team they are not in, whether it
 * exists or not, answers alike, so a member cannot probe for other teams' ids.
 */
async function roleIn(teams: TeamStore, c: AdminCaller, teamId: string, need: string): Promise<TeamRole> {
  if (c.kind !== "user") throw denied(need);
  const m = await teams.membership(teamId, c.user.id);
  if (!m) throw denied(need);
  return m.role;
}

/** Admins and the operator, or an owner of this team. */
export async function requireTeamOwner(teams: TeamStore, c: AdminCaller, teamId: string): Promise<void> {
  if (isAdmin(c)) return;
  const need = "ownership of this team";
  if ((await roleIn(teams, c, teamId, need)) !== "owner") throw denied(need);
}

/** Admins and the operator, or any member of this team. */
export async function requireTeamMember(teams: TeamStore, c: AdminCaller, teamId: string): Promise<void> {
  if (isAdmin(c)) return;
  await roleIn(teams, c, teamId, "membership of this team");
}

/** Whether a (non-admin) caller owns the team; no error. */
export async function ownsTeam(teams: TeamStore, c: AdminCaller, teamId: string): Promise<boolean> {
  if (c.kind !== "user") return false;
  return (await teams.membership(teamId, c.user.id))?.role === "owner";
}
