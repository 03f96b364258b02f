// One ioredis connection per process, built so a Redis outage never hangs a request or queues without bound.
import { Redis } from "ioredis";

export interface RedisOptions {
  readonly url: string;
  /** A command that takes longer fails instead of waiting. */
  readonly commandTimeoutMs: number;
}

export function connectRedis(options: RedisOptions): Redis {
  return new Redis(options.url, {
    // Commands sent while disconnected fail at once instead of piling up in memory.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs,
    connectTimeout: 2000,
    // Keep trying to reconnect forever, backing off to 1 s: recovery needs no restart.
    retryStrategy: (times) => Math.min(50 * times, 1000),
    lazyConnect: false,
  });
}

/** Resolves once the connection is ready, or rejects after `timeoutMs`. */
export function redisReady(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === "ready") return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off("ready", onReady);
      reject(new Error("Redis did not become ready in time"));
    }, timeoutMs);
    const onReady = (): void => {
      clearTimeout(timer);
      resolve();
    };
    redis.once("ready", onReady);
  });
}
