// Teams made the way operators and owners make them, through the AdminService's HTTP routes.
import { randomBytes } from "node:crypto";
import { adminCall, type Provisioned } from "../support/identity.js";

export interface TeamKey {
  readonly id: string;
  readonly secret: string;
}

function must<T>(what: string, res: { status: number; json: any }, pick: (json: any) => T): T {
  if (res.status !== 200) throw new Error(`${what} failed: ${res.status} ${JSON.stringify(res.json)}`);
  return pick(res.json);
}

/** A new team with these limits (proto JSON names), made by `token` (the operator's or an admin's). */
export async function createTeam(baseUrl: string, token: string, limits: Record<string, unknown> = {}): Promise<string> {
  const name = `team-${randomBytes(4).toString("hex")}`;
  return must("CreateTeam", await adminCall(baseUrl, token, "POST", "/v1/admin/teams", { name, limits }), (j) => j.team.id as string);
}

export async function addMember(baseUrl: string, token: string, teamId: string, userId: string, role: "TEAM_ROLE_OWNER" | "TEAM_ROLE_MEMBER" = "TEAM_ROLE_MEMBER"): Promise<void> {
  must("AddTeamMember", await adminCall(baseUrl, token, "POST", `/v1/admin/teams/${teamId}/members`, { user_id: userId, role }), () => undefined);
}

export async function teamKey(baseUrl: string, token: string, userId: string, teamId: string, fields: Record<string, unknown> = {}): Promise<TeamKey> {
  const res = await adminCall(baseUrl, token, "POST", "/v1/admin/api-keys", { user_id: userId, name: "team key", team_id: teamId, ...fields });
  return must("CreateApiKey", res, (j) => ({ id: j.api_key.id as string, secret: j.secret as string }));
}

export async function loginAs(baseUrl: string, u: Provisioned): Promise<string> {
  return must("Login", await adminCall(baseUrl, undefined, "POST", "/v1/auth/login", { email: u.email, password: u.password }), (j) => j.session_token as string);
}
