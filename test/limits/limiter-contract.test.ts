// The limiter contract against the in-process and the Redis limiter (test/redis-modes runs it on a Redis Cluster).
import { afterAll, beforeAll } from "vitest";
import type { Limiter } from "../../src/limits/limiter.js";
import { MemoryLimiter } from "../../src/limits/memory-limiter.js";
import { RedisLimiter } from "../../src/limits/redis-limiter.js";
import { testRedis, type TestRedis } from "../support/redis.js";
import { limiterContract } from "./limiter-contract.js";

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

limiterContract(limiters);
