// The real Redis for tests: a connection and a key prefix of this run's own; unreachable Redis fails loudly.
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";

export const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

export interface TestRedis {
  readonly redis: Redis;
  readonly url: string;
  /** Unique per call: tests running in parallel never see each other's keys. */
  readonly prefix: string;
  close(): Promise<void>;
}

export async function testRedis(): Promise<TestRedis> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, connectTimeout: 2000, retryStrategy: () => null });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    redis.disconnect();
    throw new Error(`Redis is required at ${REDIS_URL} for this suite and is not reachable (start it; see README).`, { cause: err });
  }
  const prefix = `aik-test-${randomBytes(6).toString("hex")}:`;
  return {
    redis,
    url: REDIS_URL,
    prefix,
    close: async () => {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    },
  };
}
