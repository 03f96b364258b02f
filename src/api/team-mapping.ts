// Team store records -> the proto's Team and TeamMember messages, and TeamRole -> the store's role.
import { TeamRole, type Team, type TeamMember } from "../../gen/aik/v1/admin.js";
import { invalidArgument } from "../core/errors.js";
import type { TeamMemberRecord, TeamRecord, TeamRole as StoreTeamRole } from "../store/teams.js";
import { limitsToProto } from "./limits-mapping.js";

export function teamMessage(t: TeamRecord): Team {
  return { id: t.id, name: t.name, limits: limitsToProto(t.limits), createdAt: t.createdAt, updatedAt: t.updatedAt };
}

export function teamMemberMessage(m: TeamMemberRecord): TeamMember {
  return { userId: m.userId, role: m.role === "owner" ? TeamRole.TEAM_ROLE_OWNER : TeamRole.TEAM_ROLE_MEMBER, addedAt: m.addedAt };
}

/** TEAM_ROLE_UNSPECIFIED means member; a number outside the enum is refused. */
export function storeTeamRole(r: TeamRole): StoreTeamRole {
  if (r === TeamRole.TEAM_ROLE_OWNER) return "owner";
  if (r === TeamRole.TEAM_ROLE_MEMBER || r === TeamRole.TEAM_ROLE_UNSPECIFIED) return "member";
  throw invalidArgument("role", "Invalid 'role': expected TEAM_ROLE_OWNER or TEAM_ROLE_MEMBER.");
}
