// Teams as the Admin API shows them (a team, its members and roles), and the team page's calls: teams, members, team keys, the team's usage this month.
import { callJson } from "../api";
import { listAt, objectAt, objectOf, optionalTextAt, textAt, type JsonObject } from "../json";
import { decodeKey, listKeys, type ApiKey } from "./keys";
import { decodeLimits, limitsJson, type Limits } from "./limits";
import { usageSums, type UsageSums } from "./usage";

export type TeamRole = "owner" | "member";

export interface Team {
  readonly id: string;
  readonly name: string;
  readonly limits: Limits;
  readonly createdAt: string | undefined;
}

export interface TeamMember {
  readonly userId: string;
  readonly role: TeamRole;
  readonly addedAt: string | undefined;
}

function decodeTeam(v: unknown): Team {
  const o = objectOf(v, "team");
  return { id: textAt(o, "id"), name: textAt(o, "name"), limits: decodeLimits(o["limits"]), createdAt: optionalTextAt(o, "created_at") };
}

function decodeMember(v: unknown): TeamMember {
  const o = objectOf(v, "team member");
  // Anything but an explicit owner is a member: the page never offers more than the API allows.
  return { userId: textAt(o, "user_id"), role: textAt(o, "role") === "TEAM_ROLE_OWNER" ? "owner" : "member", addedAt: optionalTextAt(o, "added_at") };
}

function roleJson(role: TeamRole): string {
  return role === "owner" ? "TEAM_ROLE_OWNER" : "TEAM_ROLE_MEMBER";
}

function teamPath(id: string): string {
  return `/v1/admin/teams/${encodeURIComponent(id)}`;
}

/** Every team for admins; the caller's own teams for members. */
export async function listTeams(): Promise<Team[]> {
  const teams: Team[] = [];
  let token = "";
  // A thousand teams a page; ten pages is more than a console list should show.
  for (let page = 0; page < 10; page++) {
    const o = objectOf(await callJson("/v1/admin/teams", { query: { page_size: "1000", page_token: token } }), "teams");
    teams.push(...listAt(o, "teams").map(decodeTeam));
    token = textAt(o, "next_page_token");
    if (token === "") break;
  }
  return teams;
}

export async function getTeam(id: string): Promise<{ team: Team; members: TeamMember[] }> {
  const o = objectOf(await callJson(teamPath(id)), "team");
  return { team: decodeTeam(objectAt(o, "team")), members: listAt(o, "members").map(decodeMember) };
}

export async function createTeam(name: string, limits: Limits): Promise<Team> {
  const o = objectOf(await callJson("/v1/admin/teams", { method: "POST", body: { name, limits: limitsJson(limits) } }), "created team");
  return decodeTeam(objectAt(o, "team"));
}

/** Renames the team and replaces all its limits (UpdateTeam's limits replace, never merge). */
export async function updateTeam(id: string, name: string, limits: Limits): Promise<Team> {
  const o = objectOf(await callJson(teamPath(id), { method: "PATCH", body: { name, limits: limitsJson(limits) } }), "team");
  return decodeTeam(objectAt(o, "team"));
}

/** Adds a user, or changes the role of one who is already in the team. */
export async function addTeamMember(teamId: string, userId: string, role: TeamRole): Promise<TeamMember> {
  const o = objectOf(await callJson(`${teamPath(teamId)}/members`, { method: "POST", body: { user_id: userId, role: roleJson(role) } }), "team member");
  return decodeMember(objectAt(o, "member"));
}

/** The API revokes the removed user's team keys with the membership. */
export async function removeTeamMember(teamId: string, userId: string): Promise<void> {
  await callJson(`${teamPath(teamId)}/members:remove`, { method: "POST", body: { user_id: userId } });
}

/** Every key of the team, revoked ones included (admins and the team's owners). */
export async function listTeamKeys(teamId: string): Promise<ApiKey[]> {
  const keys: ApiKey[] = [];
  let token = "";
  for (let page = 0; page < 10; page++) {
    const query = { team_id: teamId, include_revoked: "true", page_size: "1000", page_token: token };
    const o = objectOf(await callJson("/v1/admin/api-keys", { query }), "api keys");
    keys.push(...listAt(o, "api_keys").map(decodeKey));
    token = textAt(o, "next_page_token");
    if (token === "") break;
  }
  return keys;
}

/** A plain member's view: their own keys of this team, from their own key list (listing a whole team is for owners). */
export async function listMyTeamKeys(teamId: string, selfId: string): Promise<ApiKey[]> {
  return (await listKeys(selfId)).filter((k) => k.teamId === teamId);
}

export interface NewTeamKey {
  readonly teamId: string;
  /** Who holds the key; the caller when undefined. */
  readonly userId: string | undefined;
  readonly name: string;
  readonly allowedModels: readonly string[];
  readonly limits: Limits;
}

/** The created key and its secret; the caller shows the secret once and lets go of it. */
export async function createTeamKey(k: NewTeamKey): Promise<{ key: ApiKey; secret: string }> {
  const body: JsonObject = { team_id: k.teamId, name: k.name, allowed_models: [...k.allowedModels], limits: limitsJson(k.limits) };
  if (k.userId !== undefined) body["user_id"] = k.userId;
  const o = objectOf(await callJson("/v1/admin/api-keys", { method: "POST", body }), "created key");
  return { key: decodeKey(objectAt(o, "api_key")), secret: textAt(o, "secret") };
}

export interface TeamKeyUsage extends UsageSums {
  readonly keyId: string;
}

export interface TeamMonthUsage {
  /** "2026-11" (UTC). */
  readonly month: string;
  readonly byKey: readonly TeamKeyUsage[];
  readonly total: UsageSums;
}

/** The team's usage since the first of this UTC month, by key: what its monthly budget is spent on. */
export async function getTeamMonthUsage(teamId: string, now = new Date()): Promise<TeamMonthUsage> {
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const query = { team_id: teamId, start_time: start.toISOString(), group_by: "key" };
  const o = objectOf(await callJson("/v1/admin/usage", { query }), "usage");
  return {
    month: start.toISOString().slice(0, 7),
    byKey: listAt(o, "rows").map((v) => {
      const r = objectOf(v, "usage row");
      return { keyId: textAt(r, "key_id"), ...usageSums(r) };
    }),
    total: usageSums(objectAt(o, "total")),
  };
}
