// Two gateways (one in-process, one a process configured by REDIS_MODE=cluster) on a real three-master Redis Cluster: limits, lockout and revocation hold across them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accountKey } from "../../src/auth/login.js";
import { startReplica, type GatewayProcess } from "../support/gateway-process.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { adminCall, provisionUser, type Provisioned } from "../support/identity.js";
import { PrivateRedisCluster } from "../support/redis-cluster.js";
import { until } from "../support/usage-db.js";
import { burst, chat } from "./redis-modes-load.js";

let cluster: PrivateRedisCluster;
let t: TestGateway;
let replica: GatewayProcess;
beforeAll(async () => {
  cluster = await PrivateRedisCluster.start();
  t = await startTestGateway({}, (c) => ({ ...c, redis: { ...c.redis, servers: cluster.servers } }));
  // The replica reads the mode from its environment, as an operator would set it.
  replica = await startReplica(t, { REDIS_MODE: "cluster", REDIS_URL: cluster.url });
});
afterAll(async () => {
  await replica?.stop();
  await t?.close();
  await cluster?.dispose();
});

const gateways = (): string[] => [t.httpUrl, replica.httpUrl];

describe("gateways on a Redis Cluster", () => {
  it("a key allowed N requests a minute gets exactly N of 3N concurrent requests spread over both gateways", async () => {
    const N = 20;
    const u = await provisionUser(t.httpUrl, t.adminToken, "member", { limits: { requests_per_minute: N } });
    const { statuses, served, refill } = await burst(gateways(), u.apiKey, N);
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    expect(served).toBeGreaterThanOrEqual(N);
    expect(served).toBeLessThanOrEqual(N + refill);
    // Exact because both counted in the Cluster: neither fell back to its own in-process limits.
    expect([...t.logs, replica.stdout()].join("\n")).not.toContain("limits.redis_down");
  });

  it("each user's limiter keys live on the master serving its hash tag, and users spread over all three masters", async () => {
    const users: Array<{ u: Provisioned; node: number }> = [];
    while ([0, 1, 2].some((node) => !users.some((x) => x.node === node))) {
      if (users.length >= 60) throw new Error("60 users and still a master with none: the slots are not spread");
      const u = await provisionUser(t.httpUrl, t.adminToken, "member", { limits: { requests_per_minute: 1000 } });
      users.push({ u, node: await cluster.nodeOf(`{${u.userId}}`) });
    }
    for (const [i, { u }] of users.entries()) expect(await chat(gateways()[i % 2] ?? "", u.apiKey)).toBe(200);
    const perNode = await cluster.keysPerNode(`${t.redisPrefix}*`);
    for (const { u, node } of users) {
      perNode.forEach((keys, i) => {
        const mine = keys.filter((k) => k.includes(`{${u.userId}}`));
        if (i === node) expect(mine.length).toBeGreaterThan(0);
        else expect(mine).toEqual([]);
      });
    }
    expect((await cluster.dbsizes()).every((size) => size > 0)).toBe(true);
  });

  it("a team's RPM holds across both gateways and two members: each team key's admission is one script on the team's slot", async () => {
    const N = 6;
    const team = (await adminCall(t.httpUrl, t.adminToken, "POST", "/v1/admin/teams", { name: "cluster-team", limits: { requests_per_minute: N } })).json.team.id;
    const keys: string[] = [];
    for (let i = 0; i < 2; i++) {
      const u = await provisionUser(t.httpUrl, t.adminToken, "member");
      await adminCall(t.httpUrl, t.adminToken, "POST", `/v1/admin/teams/${team}/members`, { user_id: u.userId });
      keys.push((await adminCall(t.httpUrl, t.adminToken, "POST", "/v1/admin/api-keys", { user_id: u.userId, name: "team", team_id: team })).json.secret);
    }
    const statuses: number[] = [];
    for (let i = 0; i < 2 * N; i++) statuses.push(await chat(gateways()[i % 2] ?? "", keys[Math.floor(i / 2) % 2] ?? ""));
    // One more may have refilled meanwhile (one every 10 s at 6 RPM).
    const served = statuses.filter((s) => s === 200).length;
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    expect(served).toBeGreaterThanOrEqual(N);
    expect(served).toBeLessThanOrEqual(N + 1);
    expect([...t.logs, replica.stdout()].join("\n")).not.toContain("limits.redis_down");
    const perNode = await cluster.keysPerNode(`${t.redisPrefix}*`);
    const node = await cluster.nodeOf(`{team:${team}}`);
    perNode.forEach((keys, i) => expect(keys.some((k) => k.includes(`{team:${team}}`))).toBe(i === node));
  });

  it("wrong passwords sent to either gateway count toward one lockout, kept on the master serving {login}", async () => {
    const u = await provisionUser(t.httpUrl, t.adminToken, "member");
    const failure = { status: 401, json: { error: { code: "invalid_credentials" } } };
    for (let i = 0; i < 5; i++) expect(await adminCall(gateways()[i % 2] ?? "", undefined, "POST", "/v1/auth/login", { email: u.email, password: "not the password" })).toMatchObject(failure);
    for (const url of gateways()) expect(await adminCall(url, undefined, "POST", "/v1/auth/login", { email: u.email, password: u.password })).toMatchObject(failure);
    const lock = `${t.redisPrefix}{login}:lock:${accountKey(u.email)}`;
    const owner = await cluster.nodeOf(lock);
    // SCAN on one node lists that node's keys alone (EXISTS would be redirected).
    const holders = (await cluster.keysPerNode(lock)).map((keys) => keys.length);
    expect(holders).toEqual(holders.map((_, i) => (i === owner ? 1 : 0)));
    const user = await adminCall(t.httpUrl, t.adminToken, "GET", `/v1/admin/users/${u.userId}`);
    expect(new Date(user.json.user.locked_until).getTime()).toBeGreaterThan(Date.now());
  });

  it("a key revoked through one gateway is refused by the other", async () => {
    const u = await provisionUser(t.httpUrl, t.adminToken, "member");
    // The replica caches the key (60 s): only the revocation notice makes it forget in time.
    expect(await chat(replica.httpUrl, u.apiKey)).toBe(200);
    expect((await adminCall(t.httpUrl, t.adminToken, "POST", `/v1/admin/api-keys/${u.keyId}:revoke`)).status).toBe(200);
    await until("the replica refuses the revoked key", async () => (await chat(replica.httpUrl, u.apiKey)) === 401, 5000);
    expect(await chat(t.httpUrl, u.apiKey)).toBe(401);
  });
});
