// Teams on the AdminService over HTTP, gRPC and buf curl: who may do what, team keys, member removal, and the audit trail.
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TeamRole, type AdminServiceClient } from "../../gen/aik/v1/admin.js";
import { bufCurl } from "../support/buf-curl.js";
import { adminClient, bearer, call, isServiceError } from "../support/grpc-client.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { adminCall, provisionUser, type Provisioned } from "../support/identity.js";
import { gatewaySdk } from "../support/sdk.js";
import { addMember, createTeam, loginAs, teamKey } from "./team-setup.js";

let t: TestGateway;
let client: AdminServiceClient;
/** Owner of team red; member of team red; owner of team blue; someone in no team. */
let owner: Provisioned;
let member: Provisioned;
let blueOwner: Provisioned;
let outsider: Provisioned;
let red: string;
let blue: string;
const session = { owner: "", member: "", blueOwner: "", outsider: "" };

beforeAll(async () => {
  t = await startTestGateway();
  client = adminClient(t.grpcAddress);
  const made = await Promise.all([1, 2, 3, 4].map(() => provisionUser(t.httpUrl, t.adminToken, "member")));
  [owner, member, blueOwner, outsider] = made as [Provisioned, Provisioned, Provisioned, Provisioned];
  red = await createTeam(t.httpUrl, t.adminToken, { requests_per_minute: 100 });
  blue = await createTeam(t.httpUrl, t.adminToken);
  await addMember(t.httpUrl, t.adminToken, red, owner.userId, "TEAM_ROLE_OWNER");
  await addMember(t.httpUrl, t.adminToken, red, member.userId);
  await addMember(t.httpUrl, t.adminToken, blue, blueOwner.userId, "TEAM_ROLE_OWNER");
  session.owner = await loginAs(t.httpUrl, owner);
  session.member = await loginAs(t.httpUrl, member);
  session.blueOwner = await loginAs(t.httpUrl, blueOwner);
  session.outsider = await loginAs(t.httpUrl, outsider);
});
afterAll(async () => {
  client.close();
  await t.close();
});

describe("teams by example", () => {
  it("buf curl: CreateTeam answers the team; GetTeam lists its members, owners first", async () => {
    const made = JSON.parse(
      await bufCurl("-H", `Authorization: Bearer ${t.adminToken}`, "-d", JSON.stringify({ name: "platform", limits: { monthly_budget_usd: "500.00", requests_per_minute: 600 } }), `http://${t.grpcAddress}/aik.v1.AdminService/CreateTeam`),
    );
    expect(made.team).toMatchObject({ name: "platform", limits: { monthly_budget_usd: "500.00", requests_per_minute: 600 } });
    expect(made.team.id).toMatch(/^[0-9a-f-]{36}$/);
    const got = await adminCall(t.httpUrl, t.adminToken, "GET", `/v1/admin/teams/${red}`);
    expect(got.status).toBe(200);
    expect(got.json.members.map((m: { user_id: string; role: string }) => [m.user_id, m.role])).toEqual([
      [owner.userId, "TEAM_ROLE_OWNER"],
      [member.userId, "TEAM_ROLE_MEMBER"],
    ]);
  });

  it("names are unique (any case) and checked; an unknown team is 404 for an admin", async () => {
    const name = `Dup-${Math.random()}`;
    expect((await adminCall(t.httpUrl, t.adminToken, "POST", "/v1/admin/teams", { name })).status).toBe(200);
    expect((await adminCall(t.httpUrl, t.adminToken, "POST", "/v1/admin/teams", { name: name.toLowerCase() })).status).toBe(409);
    const empty = await adminCall(t.httpUrl, t.adminToken, "POST", "/v1/admin/teams", { name: " " });
    expect([empty.status, empty.json.error.param]).toEqual([400, "name"]);
    const badLimit = await adminCall(t.httpUrl, t.adminToken, "POST", "/v1/admin/teams", { name: "x", limits: { requests_per_minute: 0 } });
    expect([badLimit.status, badLimit.json.error.param]).toEqual([400, "limits.requests_per_minute"]);
    expect((await adminCall(t.httpUrl, t.adminToken, "GET", "/v1/admin/teams/00000000-0000-4000-8000-000000000000")).status).toBe(404);
  });

  it("UpdateTeam renames and replaces limits; ListTeams shows every team to admins and a member's own teams to a member", async () => {
    const id = await createTeam(t.httpUrl, t.adminToken, { tokens_per_minute: 1000 });
    const updated = await call(client, client.updateTeam, { id, name: `renamed-${id.slice(0, 8)}`, limits: { requestsPerMinute: 7 } }, bearer(t.adminToken));
    expect(updated.team).toMatchObject({ name: `renamed-${id.slice(0, 8)}`, limits: { requestsPerMinute: 7 } });
    expect(updated.team?.limits?.tokensPerMinute).toBeUndefined();
    const all = await call(client, client.listTeams, { pageSize: 0, pageToken: "" }, bearer(t.adminToken));
    expect(all.teams.map((x) => x.id)).toEqual(expect.arrayContaining([red, blue, id]));
    const mine = await adminCall(t.httpUrl, session.member, "GET", "/v1/admin/teams");
    expect(mine.json.teams.map((x: { id: string }) => x.id)).toEqual([red]);
    expect((await adminCall(t.httpUrl, session.outsider, "GET", "/v1/admin/teams")).json.teams).toEqual([]);
  });
});

describe("who may do what", () => {
  it("a member reads their team but may not add members, update it, or make keys for others", async () => {
    expect((await adminCall(t.httpUrl, session.member, "GET", `/v1/admin/teams/${red}`)).status).toBe(200);
    const add = await adminCall(t.httpUrl, session.member, "POST", `/v1/admin/teams/${red}/members`, { user_id: outsider.userId });
    expect(add.status).toBe(403);
    expect((await adminCall(t.httpUrl, session.member, "PATCH", `/v1/admin/teams/${red}`, { name: "mine now" })).status).toBe(403);
    expect((await adminCall(t.httpUrl, session.member, "POST", "/v1/admin/api-keys", { user_id: owner.userId, name: "x", team_id: red })).status).toBe(403);
    expect((await adminCall(t.httpUrl, session.member, "GET", `/v1/admin/api-keys?team_id=${red}`)).status).toBe(403);
    // Their own team key, though, is theirs to make.
    const own = await adminCall(t.httpUrl, session.member, "POST", "/v1/admin/api-keys", { name: "mine", team_id: red });
    expect([own.status, own.json.api_key.team_id, own.json.api_key.user_id]).toEqual([200, red, member.userId]);
  });

  it("an owner manages their team's members and keys", async () => {
    const joined = await adminCall(t.httpUrl, session.owner, "POST", `/v1/admin/teams/${red}/members`, { user_id: outsider.userId });
    expect(joined.json.member).toMatchObject({ user_id: outsider.userId, role: "TEAM_ROLE_MEMBER" });
    const key = await teamKey(t.httpUrl, session.owner, outsider.userId, red);
    const listed = await adminCall(t.httpUrl, session.owner, "GET", `/v1/admin/api-keys?team_id=${red}`);
    expect(listed.json.api_keys.map((k: { id: string }) => k.id)).toContain(key.id);
    expect(listed.json.api_keys.every((k: { team_id: string }) => k.team_id === red)).toBe(true);
    const limited = await adminCall(t.httpUrl, session.owner, "PATCH", `/v1/admin/api-keys/${key.id}`, { limits: { requests_per_minute: 10 } });
    expect([limited.status, limited.json.api_key.limits]).toEqual([200, { requests_per_minute: 10 }]);
    const rotated = await adminCall(t.httpUrl, session.owner, "POST", `/v1/admin/api-keys/${key.id}:rotate`, { grace_seconds: 0 });
    expect(rotated.status).toBe(200);
    expect((await adminCall(t.httpUrl, session.owner, "POST", `/v1/admin/api-keys/${key.id}:revoke`)).status).toBe(200);
    // A team key's owner must belong to the team.
    const stranger = await adminCall(t.httpUrl, session.owner, "POST", "/v1/admin/api-keys", { user_id: blueOwner.userId, name: "x", team_id: red });
    expect([stranger.status, stranger.json.error.param]).toEqual([400, "user_id"]);
  });

  it("an owner gains nothing outside their team: another team, its keys, its usage, a member's key of no team", async () => {
    const md = bearer(session.owner);
    const denied = async (p: Promise<unknown>): Promise<number> => {
      const err = await p.catch((e: unknown) => e);
      return isServiceError(err) ? err.code : -1;
    };
    expect(await denied(call(client, client.getTeam, { id: blue }, md))).toBe(status.PERMISSION_DENIED);
    expect(await denied(call(client, client.addTeamMember, { teamId: blue, userId: owner.userId, role: TeamRole.TEAM_ROLE_OWNER }, md))).toBe(status.PERMISSION_DENIED);
    expect(await denied(call(client, client.removeTeamMember, { teamId: blue, userId: blueOwner.userId }, md))).toBe(status.PERMISSION_DENIED);
    expect(await denied(call(client, client.updateTeam, { id: red, name: "self-promoted", limits: undefined }, md))).toBe(status.PERMISSION_DENIED);
    expect(
      await denied(call(client, client.createApiKey, { userId: blueOwner.userId, name: "x", expiresAt: undefined, allowedModels: [], limits: undefined, teamId: blue }, md)),
    ).toBe(status.PERMISSION_DENIED);
    expect(await denied(call(client, client.listApiKeys, { userId: "", includeRevoked: false, pageSize: 0, pageToken: "", teamId: blue }, md))).toBe(status.PERMISSION_DENIED);
    const usage = { userId: "", keyId: "", model: "", deploymentId: "", startTime: undefined, endTime: undefined, groupBy: "" };
    expect(await denied(call(client, client.getUsage, { ...usage, teamId: blue }, md))).toBe(status.PERMISSION_DENIED);
    // A member's own usage outside the team, and their keys of no team, stay theirs.
    expect(await denied(call(client, client.getUsage, { ...usage, userId: member.userId, teamId: "" }, md))).toBe(status.INVALID_ARGUMENT);
    expect(await denied(call(client, client.revokeApiKey, { id: member.keyId }, md))).toBe(status.NOT_FOUND);
    expect(await denied(call(client, client.updateApiKey, { id: member.keyId, limits: { requestsPerMinute: 1 } }, md))).toBe(status.PERMISSION_DENIED);
    const blueKey = await teamKey(t.httpUrl, t.adminToken, blueOwner.userId, blue);
    expect(await denied(call(client, client.revokeApiKey, { id: blueKey.id }, md))).toBe(status.NOT_FOUND);
    // Nothing changed: the blue key still works.
    await expect(gatewaySdk(t, blueKey.secret).chat.completions.create({ model: "gpt-4o", max_tokens: 2, messages: [{ role: "user", content: "hi" }] })).resolves.toBeDefined();
  });
});

describe("removing a member", () => {
  it("revokes their keys of that team at once, and only those; both are audited", async () => {
    const u = await provisionUser(t.httpUrl, t.adminToken, "member");
    await addMember(t.httpUrl, session.owner, red, u.userId);
    await addMember(t.httpUrl, t.adminToken, blue, u.userId);
    const redKey = await teamKey(t.httpUrl, session.owner, u.userId, red);
    const blueKey = await teamKey(t.httpUrl, t.adminToken, u.userId, blue);
    const sdk = (key: string) => gatewaySdk(t, key).chat.completions.create({ model: "gpt-4o", max_tokens: 2, messages: [{ role: "user", content: "hi" }] });
    await sdk(redKey.secret);
    const removed = await adminCall(t.httpUrl, session.owner, "POST", `/v1/admin/teams/${red}/members:remove`, { user_id: u.userId });
    expect(removed.status).toBe(200);
    await expect(sdk(redKey.secret)).rejects.toMatchObject({ status: 401 });
    await expect(sdk(blueKey.secret)).resolves.toBeDefined();
    await expect(sdk(u.apiKey)).resolves.toBeDefined();
    const keys = await adminCall(t.httpUrl, t.adminToken, "GET", `/v1/admin/api-keys?user_id=${u.userId}&include_revoked=true`);
    const revoked = keys.json.api_keys.filter((k: { revoked_at?: string }) => k.revoked_at).map((k: { id: string }) => k.id);
    expect(revoked).toEqual([redKey.id]);
    // Removed once; a second time there is nothing to remove.
    expect((await adminCall(t.httpUrl, session.owner, "POST", `/v1/admin/teams/${red}/members:remove`, { user_id: u.userId })).status).toBe(404);
    const audit = await adminCall(t.httpUrl, t.adminToken, "GET", `/v1/admin/audit-events?target_id=${red}`);
    type Change = { field: string; old_value?: string; new_value?: string };
    const actions = audit.json.events.map((e: { action: string; actor: string; changes: Change[] }) => [
      e.action,
      e.actor,
      e.changes.map((c) => ({ field: c.field, ...(c.old_value ? { old_value: c.old_value } : {}), ...(c.new_value ? { new_value: c.new_value } : {}) })),
    ]);
    expect(actions).toContainEqual(["team.member_removed", owner.userId, [{ field: "user_id", old_value: u.userId }, { field: "role", old_value: "member" }]]);
    expect(actions).toContainEqual(["team.member_added", owner.userId, [{ field: "user_id", new_value: u.userId }, { field: "role", new_value: "member" }]]);
    const keyAudit = await adminCall(t.httpUrl, t.adminToken, "GET", `/v1/admin/audit-events?target_id=${redKey.id}&action=api_key.revoked`);
    expect(keyAudit.json.events).toHaveLength(1);
    expect(keyAudit.json.events[0].actor).toBe(owner.userId);
  });

  it("changing a member's role is one upsert, audited old and new; the same role again writes nothing", async () => {
    const u = await provisionUser(t.httpUrl, t.adminToken, "member");
    const id = await createTeam(t.httpUrl, t.adminToken);
    await addMember(t.httpUrl, t.adminToken, id, u.userId);
    const promoted = await call(client, client.addTeamMember, { teamId: id, userId: u.userId, role: TeamRole.TEAM_ROLE_OWNER }, bearer(t.adminToken));
    expect(promoted.member?.role).toBe(TeamRole.TEAM_ROLE_OWNER);
    await addMember(t.httpUrl, t.adminToken, id, u.userId, "TEAM_ROLE_OWNER");
    const audit = await adminCall(t.httpUrl, t.adminToken, "GET", `/v1/admin/audit-events?target_id=${id}`);
    expect(audit.json.events.map((e: { action: string }) => e.action).sort()).toEqual(["team.created", "team.member_added", "team.member_added"]);
    const team = await adminCall(t.httpUrl, t.adminToken, "GET", `/v1/admin/teams/${id}`);
    expect(team.json.members).toEqual([expect.objectContaining({ user_id: u.userId, role: "TEAM_ROLE_OWNER" })]);
    const bad = await adminCall(t.httpUrl, t.adminToken, "POST", `/v1/admin/teams/${id}/members`, { user_id: "00000000-0000-4000-8000-000000000000" });
    expect([bad.status, bad.json.error.param]).toEqual([404, "user_id"]);
  });
});
