// The limiter contract on a real three-master Redis Cluster, through the client REDIS_MODE=cluster builds: a script whose keys spanned slots would fail with CROSSSLOT.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LeasedLimiter } from "../../src/limits/leased-limiter.js";
import { RedisLimiter } from "../../src/limits/redis-limiter.js";
import { connectRedis, redisReady, type RedisClient } from "../../src/redis/connection.js";
import { fixture, T0, type Fixture } from "../limits/contract-setup.js";
import { limiterContract } from "../limits/limiter-contract.js";
import { PrivateRedisCluster } from "../support/redis-cluster.js";

let cluster: PrivateRedisCluster;
let client: RedisClient;
const leased: LeasedLimiter[] = [];
beforeAll(async () => {
  cluster = await PrivateRedisCluster.start();
  client = connectRedis({ servers: cluster.servers, commandTimeoutMs: 2000 });
  client.on("error", () => undefined);
  await redisReady(client, 10_000);
});
afterAll(async () => {
  await Promise.all(leased.map((l) => l.close()));
  client.disconnect();
  await cluster.dispose();
});

let n = 0;
limiterContract([
  ["redis cluster", () => new RedisLimiter(client, `aik-c${++n}:`)],
  [
    "leased on redis cluster",
    () => {
      const l = new LeasedLimiter(client, { keyPrefix: `aik-l${++n}:` });
      leased.push(l);
      return l;
    },
  ],
  // A script's keys must share a slot: a team key's whole admission lives under the team's tag.
], { sharedTeamSlot: true });

/** Users until every master serves at least `each` of them (their hash tag decides). */
async function usersOnEveryNode(each: number, make: () => Fixture): Promise<Array<{ f: Fixture; node: number }>> {
  const out: Array<{ f: Fixture; node: number }> = [];
  for (let i = 0; i < 500 && [0, 1, 2].some((node) => out.filter((u) => u.node === node).length < each); i++) {
    const f = make();
    out.push({ f, node: await cluster.nodeOf(`{${f.user.partition}}`) });
  }
  return out;
}

describe("RedisLimiter on a Cluster", () => {
  it("each user's keys live on the master serving its hash tag, and users spread over all three masters", async () => {
    const prefix = "aik-layout:";
    const l = new RedisLimiter(client, prefix);
    const all = { requestsPerMinute: 10, tokensPerMinute: 1000, maxConcurrent: 3, monthlyBudgetMicroUsd: 1000 };
    const users = await usersOnEveryNode(2, () => fixture(all, all));
    const admitted = await Promise.all(users.map(({ f }) => l.admit(f.request({ now: undefined, tokens: 10, costMicroUsd: 1 }))));
    expect(admitted.every((a) => a.ok)).toBe(true);
    const perNode = await cluster.keysPerNode(`${prefix}*`);
    for (const { f, node } of users) {
      perNode.forEach((keys, i) => {
        const mine = keys.filter((k) => k.includes(`{${f.user.partition}}`));
        // rpm, tpm, in-flight and spend, for the user and for the key: 8 keys, all on one master.
        expect(mine).toHaveLength(i === node ? 8 : 0);
      });
    }
    expect(perNode.every((keys) => keys.length > 0)).toBe(true);
  });

  it("settlements of users on every master, gathered into one batch, all land (one pipeline per slot)", async () => {
    const l = new RedisLimiter(client, "aik-settle:");
    const users = await usersOnEveryNode(4, () => fixture({ tokensPerMinute: 10_000, monthlyBudgetMicroUsd: 100_000 }));
    const tickets = await Promise.all(
      users.map(async ({ f }) => {
        const a = await l.admit(f.request({ tokens: 500, costMicroUsd: 400 }));
        if (!a.ok) throw new Error("refused");
        return { f, ticket: a.ticket };
      }),
    );
    await Promise.all(tickets.map(({ ticket }) => l.settle(ticket, { tokens: 100, costMicroUsd: 250 })));
    for (const { f } of tickets) {
      expect(await l.spent(f.user, T0)).toBe(250);
      expect(await l.remainingTokens(f.user, 10_000, T0)).toBe(9900);
    }
  });
});
