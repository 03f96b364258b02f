// The limiter contract against the in-process, Redis, leased and resilient limiters (test/redis-modes runs it on a Redis Cluster).
import { afterAll, beforeAll } from "vitest";
import type { Limiter } from "../../src/limits/limiter.js";
import { MemoryLimiter } from "../../src/limits/memory-limiter.js";
import { RedisLimiter } from "../../src/limits/redis-limiter.js";
import { LeasedLimiter } from "../../src/limits/leased-limiter.js";
import { ResilientLimiter } from "../../src/limits/resilient-limiter.js";
import { testRedis, type TestRedis } from "../support/redis.js";
import { limiterContract } from "./limiter-contract.js";

let r: TestRedis;
beforeAll(async () => {
  r = await testRedis();
});
const leased: LeasedLimiter[] = [];
afterAll(async () => {
  await Promise.all(leased.map((l) => l.close()));
  await r.close();
});

let n = 0;
const limiters: Array<[string, () => Limiter]> = [
  ["memory", () => new MemoryLimiter()],
  ["redis", () => new RedisLimiter(r.redis, `${r.prefix}${++n}:`)],
  [
    "leased",
    () => {
      const l = new LeasedLimiter(r.redis, { keyPrefix: `${r.prefix}${++n}:` });
      leased.push(l);
      return l;
    },
  ],
  // The wrapper production uses, with Redis up: every call reaches the Redis limiter.
  ["resilient", () => new ResilientLimiter(new RedisLimiter(r.redis, `${r.prefix}${++n}:`), new MemoryLimiter(), { failOpen: false, onFallback: () => undefined, onRecover: () => undefined })],
];

limiterContract(limiters);
