// Two gateways on a real Sentinel group (master, replica, three sentinels, quorum 2): a failover under load is served as configured and limits are exact again on the new master, with no restart.
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { startReplica, type GatewayProcess } from "../support/gateway-process.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { provisionUser } from "../support/identity.js";
import { PrivateSentinelGroup } from "../support/redis-sentinel.js";
import { until } from "../support/usage-db.js";
import { burst, steadyLoad } from "./redis-modes-load.js";

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Setup {
  readonly group: PrivateSentinelGroup;
  readonly t: TestGateway;
  readonly replica: GatewayProcess;
}

let running: { -readonly [K in keyof Setup]?: Setup[K] } = {};
afterEach(async () => {
  await running.replica?.stop();
  await running.t?.close();
  await running.group?.dispose();
  running = {};
});

async function start(failOpen: boolean): Promise<Setup> {
  const group = await PrivateSentinelGroup.start();
  running.group = group;
  const t = await startTestGateway({}, (c) => ({
    ...c,
    redis: { ...c.redis, servers: group.config, commandTimeoutMs: 200 },
    limits: { ...c.limits, failOpen },
  }));
  running.t = t;
  // The replica reads the mode from its environment, as an operator would set it.
  const replica = await startReplica(
    t,
    { REDIS_MODE: "sentinel", REDIS_URL: "", REDIS_SENTINELS: group.sentinelList, REDIS_SENTINEL_NAME: group.name },
    `redis: { command_timeout_ms: 200 }\nlimits: { fail_open: ${failOpen} }\n`,
  );
  running.replica = replica;
  return { group, t, replica };
}

/** The gateway's limiter is on Redis: it never left it, or its last word on it was that Redis is back. */
function onRedis(logs: string): boolean {
  const said = logs.split("\n").filter((l) => /limits\.redis_(down_serving_in_process|down_refusing|back)/.test(l));
  return said.length === 0 || (said.at(-1) ?? "").includes("limits.redis_back");
}

function lastSaid(logs: string): string {
  return logs.split("\n").filter((l) => /redis|limits/.test(l)).slice(-8).join("\n");
}

/**
 * Steady load on both gateways; after a moment `switchMaster` runs; the load goes on until both
 * gateways are back on Redis. Returns every answer and the new master's port.
 */
async function failoverUnderLoad(s: Setup, switchMaster: () => Promise<number>): Promise<{ answers: Array<{ status: number }>; master: number }> {
  const u = await provisionUser(s.t.httpUrl, s.t.adminToken, "member", { limits: { requests_per_minute: 1_000_000 } });
  let master = 0;
  const switched = (async () => {
    await sleep(1000);
    master = await switchMaster();
    await until("both gateways are back on Redis", async () => onRedis(s.t.logs.join("\n")) && onRedis(s.replica.stdout()), 30_000).catch((err: unknown) => {
      throw new Error(`${String(err)}\nin process:\n${lastSaid(s.t.logs.join("\n"))}\nreplica:\n${lastSaid(s.replica.stdout())}`);
    });
    // A little more load on the new master before the load stops.
    await sleep(500);
  })();
  const answers = await steadyLoad([s.t.httpUrl, s.replica.httpUrl], u.apiKey, 4, switched);
  await switched;
  return { answers, master };
}

/** A fresh key allowed N a minute gets exactly N of 3N requests over both gateways, counted on the new master. */
async function exactOnNewMaster(s: Setup, master: number): Promise<void> {
  const N = 20;
  const v = await provisionUser(s.t.httpUrl, s.t.adminToken, "member", { limits: { requests_per_minute: N } });
  const { statuses, served, refill } = await burst([s.t.httpUrl, s.replica.httpUrl], v.apiKey, N);
  expect(statuses.filter((x) => x !== 200 && x !== 429)).toEqual([]);
  expect(served).toBeGreaterThanOrEqual(N);
  // Either gateway on its in-process limiter would let up to N more through.
  expect(served).toBeLessThanOrEqual(N + refill);
  const probe = new Redis(s.group.server(master).url, { maxRetriesPerRequest: 0 });
  try {
    expect((await probe.keys(`${s.t.redisPrefix}{${v.userId}}:rpm:*`)).length).toBeGreaterThan(0);
  } finally {
    probe.disconnect();
  }
}

describe("Redis Sentinel failover under load", () => {
  it("fail_open: SENTINEL FAILOVER mid-load, every request is served, and limits are exact on the new master without a restart", { timeout: 180_000 }, async () => {
    const s = await start(true);
    const before = await s.group.masterPort();
    const { answers, master } = await failoverUnderLoad(s, () => s.group.failover());
    expect(master).not.toBe(before);
    expect(answers.length).toBeGreaterThan(50);
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    await exactOnNewMaster(s, master);
  });

  it("fail_open false: the master killed with SIGKILL mid-load, requests get 503 while Redis switches, then limits are exact on the new master without a restart", { timeout: 180_000 }, async () => {
    const s = await start(false);
    const before = await s.group.masterPort();
    const { answers, master } = await failoverUnderLoad(s, () => s.group.killMaster());
    expect(master).not.toBe(before);
    expect(answers.filter((a) => a.status !== 200 && a.status !== 503)).toEqual([]);
    // The sentinels take seconds to agree the master is gone: requests meanwhile are refused, not let through unlimited.
    expect(answers.some((a) => a.status === 503)).toBe(true);
    expect(answers.filter((a) => a.status === 200).length).toBeGreaterThan(20);
    await exactOnNewMaster(s, master);
  });
});
