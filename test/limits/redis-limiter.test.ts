// The Redis limiter as N replicas see it: one limit across connections, one Cluster slot per admission, one clock.
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { Limits } from "../../src/limits/limiter.js";
import { RedisLimiter } from "../../src/limits/redis-limiter.js";
import { testRedis, type TestRedis } from "../support/redis.js";
import { fixture, T0 } from "./contract-setup.js";
import { PrivateRedis } from "../support/private-redis.js";

/** Redis Cluster's slot function (CRC16/XMODEM of the hash tag, mod 16384). */
function keySlot(key: string): number {
  const open = key.indexOf("{");
  const close = open < 0 ? -1 : key.indexOf("}", open + 1);
  const tagged = close > open + 1 ? key.slice(open + 1, close) : key;
  let crc = 0;
  for (const byte of Buffer.from(tagged)) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}

const replicas: TestRedis[] = [];
beforeAll(async () => {
  for (let i = 0; i < 3; i++) replicas.push(await testRedis());
});
afterAll(async () => {
  for (const r of replicas) await r.close();
});

describe("RedisLimiter across replicas", () => {
  const cases: Array<[string, Limits, number, { tokens?: number; costMicroUsd?: number }, number]> = [
    ["requests", { requestsPerMinute: 100 }, 300, {}, 100],
    ["tokens", { tokensPerMinute: 10_000 }, 40, { tokens: 1000 }, 10],
    ["concurrency", { maxConcurrent: 5 }, 30, {}, 5],
    ["budget", { monthlyBudgetMicroUsd: 1000 }, 30, { costMicroUsd: 100 }, 10],
  ];
  it.each(cases)("%s: concurrent admissions spread over three connections admit exactly the limit", async (_dim, limits, attempts, usage, admitted) => {
    const prefix = `${replicas[0]!.prefix}replicas:`;
    const limiters = replicas.map((r) => new RedisLimiter(r.redis, prefix));
    const f = fixture(limits, { requestsPerMinute: 1_000_000 });
    const all = await Promise.all(Array.from({ length: attempts }, (_, i) => limiters[i % 3]!.admit(f.request({ now: undefined, ...usage }))));
    expect(all.filter((a) => a.ok)).toHaveLength(admitted);
  });
});

describe("RedisLimiter keys", () => {
  const r = (): TestRedis => replicas[0]!;
  afterEach(() => {
    vi.useRealTimers();
  });

  it("every key of one admission carries the {partition} hash tag: one Cluster slot, and each key expires", async () => {
    const prefix = `${r().prefix}layout:`;
    const l = new RedisLimiter(r().redis, prefix);
    const all: Limits = { requestsPerMinute: 10, tokensPerMinute: 1000, maxConcurrent: 3, monthlyBudgetMicroUsd: 1000 };
    const f = fixture(all, all);
    const a = await l.admit(f.request({ now: undefined, tokens: 100, costMicroUsd: 10 }));
    if (!a.ok) throw new Error("refused");
    const month = new Date().toISOString().slice(0, 7);
    const keys = await r().redis.keys(`${prefix}*`);
    expect(keys.map((k) => k.slice(prefix.length).replaceAll(f.user.id, "U").replaceAll(f.key.id, "K")).sort()).toEqual([
      "{U}:inflight:key:K",
      "{U}:inflight:user:U",
      "{U}:rpm:key:K",
      "{U}:rpm:user:U",
      `{U}:spend:${month}:key:K`,
      `{U}:spend:${month}:user:U`,
      "{U}:tpm:key:K",
      "{U}:tpm:user:U",
    ]);
    expect(new Set(keys.map(keySlot))).toEqual(new Set([keySlot(`{${f.user.id}}`)]));
    for (const k of keys) expect(await r().redis.pttl(k)).toBeGreaterThan(0);
    // Settling empties the in-flight sets (Redis drops empty sets); what stays still expires.
    await l.settle(a.ticket, { tokens: 150, costMicroUsd: 20 });
    const after = await r().redis.keys(`${prefix}*`);
    expect(after).toHaveLength(6);
    for (const k of after) expect(await r().redis.pttl(k)).toBeGreaterThan(0);
  });

  it("the slot function is Redis Cluster's", () => {
    expect(keySlot("foo")).toBe(12182);
    expect(keySlot("123456789")).toBe(0x31c3 % 16384);
    expect(keySlot("{user1000}.following")).toBe(keySlot("{user1000}.followers"));
  });

  it("refills from the Redis clock: a replica whose clock runs an hour ahead gets nothing extra", async () => {
    const l = new RedisLimiter(r().redis, `${r().prefix}clock:`);
    const f = fixture({ requestsPerMinute: 2 });
    expect((await l.admit(f.request({ now: undefined }))).ok).toBe(true);
    expect((await l.admit(f.request({ now: undefined }))).ok).toBe(true);
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 3600_000);
    expect((await l.admit(f.request({ now: undefined }))).ok).toBe(false);
  });

  it("works unchanged on a Redis Cluster node, which rejects any script whose keys span slots", async () => {
    const node = await PrivateRedis.start(["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"]);
    const redis = new Redis(node.url, { maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true });
    redis.on("error", () => undefined);
    try {
      await redis.connect();
      await redis.call("CLUSTER", "ADDSLOTSRANGE", "0", "16383");
      for (let i = 0; i < 50 && !String(await redis.call("CLUSTER", "INFO")).includes("cluster_state:ok"); i++) await new Promise((res) => setTimeout(res, 100));
      // The guard is real: a script declaring keys of two slots is refused.
      await expect(redis.eval("return 1", 2, "{a}x", "{b}x")).rejects.toThrow(/CROSSSLOT/);
      const l = new RedisLimiter(redis, "aik:");
      const all: Limits = { requestsPerMinute: 10, tokensPerMinute: 1000, maxConcurrent: 3, monthlyBudgetMicroUsd: 1000 };
      const f = fixture(all, all);
      const a = await l.admit(f.request({ now: undefined, tokens: 100, costMicroUsd: 10 }));
      if (!a.ok) throw new Error("refused");
      await l.settle(a.ticket, { tokens: 50, costMicroUsd: 5 });
      expect(await l.remainingTokens(f.key, 1000)).toBeGreaterThanOrEqual(950);
      expect(await l.spent(f.user)).toBe(5);
    } finally {
      redis.disconnect();
      await node.dispose();
    }
  });

  it("keeps the pinned clock of a test apart from the server's", async () => {
    const l = new RedisLimiter(r().redis, `${r().prefix}pinned:`);
    const f = fixture({ tokensPerMinute: 600 });
    const a = await l.admit(f.request({ tokens: 600 }));
    expect(a.ok).toBe(true);
    expect(await l.remainingTokens(f.user, 600, T0)).toBe(0);
    expect(await l.remainingTokens(f.user, 600, T0 + 30_000)).toBe(300);
  });
});
