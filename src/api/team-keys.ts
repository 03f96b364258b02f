// A team key's owner must belong to the team: checked inside the transaction that creates the key.
import type { AdminCaller } from "../auth/admin-caller.js";
import { invalidArgument } from "../core/errors.js";
import type { TeamStore } from "../store/teams.js";
import { isAdmin } from "./access.js";
import { requireTeamOwner, teamNotFound } from "./team-access.js";

/**
 * The caller is already allowed to make keys for `userId` (themselves, or as admin or the team's
 * owner). A member naming a team they are not in is refused as acting on another team; an admin
 * or owner naming a non-member is told to add them first.
 */
export async function checkTeamKeyOwner(teams: TeamStore, caller: AdminCaller, teamId: string, userId: string): Promise<void> {
  if (await teams.membership(teamId, userId, true)) return;
  if (!isAdmin(caller)) await requireTeamOwner(teams, caller, teamId);
  else if (!(await teams.get(teamId))) throw teamNotFound("team_id");
  throw invalidArgument("user_id", "Invalid 'user_id': a team key's owner must be a member of the team; add them with AddTeamMember first.");
}
