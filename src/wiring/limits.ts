// Builds the limits step: Redis when configured (falling back or failing closed per config), else in process.
import { metrics } from "@opentelemetry/api";
import type { Config } from "../config/config.js";
import type { Step } from "../core/pipeline.js";
import type { Pricing } from "../core/ports.js";
import type { TokenCounter } from "../core/usage-estimate.js";
import type { Limiter } from "../limits/limiter.js";
import type { RedisClient } from "../redis/connection.js";
import { limitsStep } from "../limits/limits-step.js";
import { MemoryLimiter } from "../limits/memory-limiter.js";
import { LeasedLimiter } from "../limits/leased-limiter.js";
import { ResilientLimiter } from "../limits/resilient-limiter.js";
import { errorFields, type Logger } from "../telemetry/logger.js";

export interface Limits {
  readonly limiter: Limiter;
  /** Gives back what leases still hold, so a clean shutdown loses no capacity. */
  close(): Promise<void>;
}

export function buildLimiter(config: Config, redis: RedisClient | undefined, logger: Logger): Limits {
  if (!redis) return { limiter: new MemoryLimiter(), close: () => Promise.resolve() };
  const fallbacks = metrics.getMeter("ai-k").createCounter("aik.limits.fallback", {
    description: "Limit checks that could not reach Redis (served in process when fail_open, refused otherwise)",
  });
  const leased = new LeasedLimiter(redis, {
    keyPrefix: config.redis.keyPrefix,
    onBackgroundError: (err) => logger.debug("limits.lease_sync_failed", errorFields(err)),
  });
  const limiter = new ResilientLimiter(leased, new MemoryLimiter(), {
    failOpen: config.limits.failOpen,
    onFallback: (err) => {
      fallbacks.add(1, { fail_open: config.limits.failOpen });
      logger.warn(config.limits.failOpen ? "limits.redis_down_serving_in_process" : "limits.redis_down_refusing", errorFields(err));
    },
    onRecover: () => logger.info("limits.redis_back"),
  });
  return { limiter, close: () => leased.close() };
}

export function buildLimitsStep(config: Config, limiter: Limiter, pricing: Pricing, counter: TokenCounter, logger: Logger): Step {
  return limitsStep({
    limiter,
    pricing,
    counter,
    defaultMaxOutputTokens: config.limits.defaultMaxOutputTokens,
    softBudgetPercent: config.limits.softBudgetPercent,
    logger,
    sharedTeamSlot: config.redis.servers?.mode === "cluster",
  });
}
