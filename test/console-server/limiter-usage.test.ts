// Limiter.usage, what GetLimitStatus reads: the same answers from the in-process and the Redis limiter, and a leased replica's slices not counted as used.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LeasedLimiter } from "../../src/limits/leased-limiter.js";
import type { Admission, Limiter, Ticket } from "../../src/limits/limiter.js";
import { MemoryLimiter } from "../../src/limits/memory-limiter.js";
import { RedisLimiter } from "../../src/limits/redis-limiter.js";
import { testRedis, type TestRedis } from "../support/redis.js";
import { fixture, T0 } from "../limits/contract-setup.js";

let r: TestRedis;
beforeAll(async () => {
  r = await testRedis();
});
afterAll(() => r.close());

let n = 0;
const limiters: Array<[string, () => Limiter]> = [
  ["memory", () => new MemoryLimiter()],
  ["redis", () => new RedisLimiter(r.redis, `${r.prefix}${++n}:`)],
];

function ticket(a: Admission): Ticket {
  if (!a.ok) throw new Error(`refused on ${a.dimension}`);
  return a.ticket;
}

describe.each(limiters)("usage, %s limiter", (_name, make) => {
  const userLimits = { requestsPerMinute: 6, tokensPerMinute: 600, maxConcurrent: 5, monthlyBudgetMicroUsd: 1_000_000 };
  const keyLimits = { requestsPerMinute: 3 };

  it("reads nothing used before any admission, and has no bucket reading where no limit is set", async () => {
    const l = make();
    const f = fixture(userLimits, keyLimits);
    expect(await l.usage(f.user, userLimits, T0)).toEqual({ requests: 0, tokens: 0, concurrent: 0, spentMicroUsd: 0 });
    expect(await l.usage(f.key, keyLimits, T0)).toEqual({ requests: 0, tokens: undefined, concurrent: 0, spentMicroUsd: 0 });
    expect(await l.usage(f.key, {}, T0)).toEqual({ requests: undefined, tokens: undefined, concurrent: 0, spentMicroUsd: 0 });
  });

  it("counts admissions in the buckets, in flight and in the month's spend; settling reconciles tokens and spend and frees the slot", async () => {
    const l = make();
    const f = fixture(userLimits, keyLimits);
    const first = ticket(await l.admit(f.request({ tokens: 50, costMicroUsd: 100 })));
    ticket(await l.admit(f.request({ tokens: 50, costMicroUsd: 100 })));
    expect(await l.usage(f.user, userLimits, T0)).toEqual({ requests: 2, tokens: 100, concurrent: 2, spentMicroUsd: 200 });
    expect(await l.usage(f.key, keyLimits, T0)).toEqual({ requests: 2, tokens: undefined, concurrent: 2, spentMicroUsd: 200 });
    await l.settle(first, { tokens: 20, costMicroUsd: 40 });
    expect(await l.usage(f.user, userLimits, T0)).toEqual({ requests: 2, tokens: 70, concurrent: 1, spentMicroUsd: 140 });
  });

  it("the buckets drain at the limit's rate: 6 RPM frees one request every 10 s, 3 RPM every 20 s; what is used is rounded up", async () => {
    const l = make();
    const f = fixture(userLimits, keyLimits);
    ticket(await l.admit(f.request()));
    ticket(await l.admit(f.request()));
    expect((await l.usage(f.user, userLimits, T0 + 9_999)).requests).toBe(2);
    expect((await l.usage(f.user, userLimits, T0 + 10_000)).requests).toBe(1);
    expect((await l.usage(f.key, keyLimits, T0 + 10_000)).requests).toBe(2);
    expect((await l.usage(f.key, keyLimits, T0 + 20_000)).requests).toBe(1);
    expect((await l.usage(f.user, userLimits, T0 + 20_000)).requests).toBe(0);
    // Reading changes nothing: the same instant reads the same.
    expect((await l.usage(f.key, keyLimits, T0 + 20_000)).requests).toBe(1);
  });
});

describe("usage, leased limiter", () => {
  it("a slice this replica holds is not in use: Redis counts it, the reading subtracts it; leased requests count as in flight", async () => {
    const prefix = `${r.prefix}lease-${++n}:`;
    const leased = new LeasedLimiter(r.redis, { keyPrefix: prefix, leaseMs: 60_000 });
    const redisOnly = new RedisLimiter(r.redis, prefix);
    try {
      const budget = { monthlyBudgetMicroUsd: 1_000_000 };
      const f = fixture(budget, {});
      // Real clock (a pinned one is never leased). The budget does not drain, so every figure is exact.
      const request = () => f.request({ now: undefined, tokens: 0, costMicroUsd: 100 });
      const first = ticket(await leased.admit(request()));
      expect(first.backend).toBe("lease");
      // The admission (100) plus a slice of 64 more such requests (6,400) went out of Redis's budget.
      expect((await redisOnly.usage(f.user, budget)).spentMicroUsd).toBe(6_500);
      expect(await leased.usage(f.user, budget)).toEqual({ requests: undefined, tokens: undefined, concurrent: 1, spentMicroUsd: 100 });
      ticket(await leased.admit(request()));
      expect(await leased.usage(f.user, budget)).toEqual({ requests: undefined, tokens: undefined, concurrent: 2, spentMicroUsd: 200 });
      // The key has no budget: no slice was debited from its counter, so none is subtracted.
      expect(await leased.usage(f.key, {})).toEqual({ requests: undefined, tokens: undefined, concurrent: 2, spentMicroUsd: 0 });
      await leased.settle(first, { tokens: 0, costMicroUsd: 40 });
      expect(await leased.usage(f.user, budget)).toEqual({ requests: undefined, tokens: undefined, concurrent: 1, spentMicroUsd: 140 });
      // Giving the slice back (a shutdown) leaves the reading as it was, now from Redis alone.
      await leased.close();
      expect((await redisOnly.usage(f.user, budget)).spentMicroUsd).toBe(140);
    } finally {
      await leased.close();
    }
  });
});
