// Redis outages against a private redis-server: answers keep coming within the command timeout, and Redis takes over again unaided.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LimitInputError } from "../../src/limits/limit-checks.js";
import { MemoryLimiter } from "../../src/limits/memory-limiter.js";
import type { Admission, Limiter } from "../../src/limits/limiter.js";
import { RedisLimiter } from "../../src/limits/redis-limiter.js";
import { LimiterUnavailableError, ResilientLimiter } from "../../src/limits/resilient-limiter.js";
import { connectRedis, redisReady, type RedisClient } from "../../src/redis/connection.js";
import { fixture, type Fixture } from "./contract-setup.js";
import { PrivateRedis } from "../support/private-redis.js";

const COMMAND_TIMEOUT_MS = 200;
/** A call may take the command timeout plus scheduling slack; a hang would take seconds. */
const PROMPT_MS = COMMAND_TIMEOUT_MS + 250;

let node: PrivateRedis;
let redis: RedisClient;
const unhandled: unknown[] = [];
const onUnhandled = (err: unknown): void => {
  unhandled.push(err);
};

beforeEach(async () => {
  node = await PrivateRedis.start();
  // Configured as the app configures it: no offline queue, no retries, a command timeout.
  redis = connectRedis({ servers: { mode: "standalone", url: node.url }, commandTimeoutMs: COMMAND_TIMEOUT_MS });
  // The app listens too: an unheard "error" event would crash the process.
  redis.on("error", () => undefined);
  await redisReady(redis, 2000);
  process.on("unhandledRejection", onUnhandled);
});

afterEach(async () => {
  process.off("unhandledRejection", onUnhandled);
  redis.disconnect();
  await node.dispose();
  expect(unhandled).toEqual([]);
});

interface Events {
  fallbacks: unknown[];
  recoveries: number;
}

function resilient(failOpen: boolean): { limiter: ResilientLimiter; events: Events } {
  const events: Events = { fallbacks: [], recoveries: 0 };
  const limiter = new ResilientLimiter(new RedisLimiter(redis, "aik:"), new MemoryLimiter(), {
    failOpen,
    onFallback: (err) => events.fallbacks.push(err),
    onRecover: () => events.recoveries++,
    retryAfterFailureMs: 200,
  });
  return { limiter, events };
}

async function timed<T>(call: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await call();
  return { value, ms: performance.now() - start };
}

/** Calls admit until a Redis ticket comes back: recovery needs nothing but time. */
async function untilRedisAdmits(limiter: Limiter, f: Fixture, withinMs: number): Promise<Admission> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const { value, ms } = await timed(() => limiter.admit(f.request({ now: undefined })));
    expect(ms).toBeLessThan(PROMPT_MS);
    if (value.ok && value.ticket.backend === "redis") return value;
    if (Date.now() > deadline) throw new Error("the limiter never went back to Redis");
    await new Promise((res) => setTimeout(res, 50));
  }
}

const limits = { requestsPerMinute: 1000, maxConcurrent: 2 };

describe("ResilientLimiter, failing open", () => {
  it("serves from memory while Redis is down, promptly, and returns to Redis after it restarts", async () => {
    const { limiter, events } = resilient(true);
    const f = fixture(limits);
    const before = await limiter.admit(f.request({ now: undefined }));
    if (!before.ok) throw new Error("refused");
    expect(before.ticket.backend).toBe("redis");

    await node.stop();
    for (let i = 0; i < 10; i++) {
      const { value, ms } = await timed(() => limiter.admit(f.request({ now: undefined })));
      expect(ms).toBeLessThan(PROMPT_MS);
      expect(value.ok && value.ticket.backend).toBe("memory");
      if (value.ok) await limiter.settle(value.ticket, { tokens: 0, costMicroUsd: 0 });
    }
    expect(events.fallbacks.length).toBeGreaterThanOrEqual(1);
    // A Redis ticket settled during the outage waits, and the caller is not kept waiting.
    const settling = await timed(() => limiter.settle(before.ticket, { tokens: 0, costMicroUsd: 0 }));
    expect(settling.ms).toBeLessThan(PROMPT_MS);
    expect(limiter.pendingSettlements).toBe(1);
    expect(events.recoveries).toBe(0);

    await node.restart();
    await untilRedisAdmits(limiter, f, 5000);
    expect(events.recoveries).toBe(1);
    await new Promise((res) => setTimeout(res, 50));
    expect(limiter.pendingSettlements).toBe(0);
  });

  it("replays a settlement that never reached Redis, so the concurrency slot does not wait out its lease", async () => {
    const { limiter } = resilient(true);
    const f = fixture({ maxConcurrent: 1 });
    const first = await limiter.admit(f.request({ now: undefined }));
    if (!first.ok) throw new Error("refused");
    redis.disconnect(true); // the connection drops and comes back by itself
    await limiter.settle(first.ticket, { tokens: 0, costMicroUsd: 0 });
    expect(limiter.pendingSettlements).toBe(1);
    await redisReady(redis, 3000);
    await untilRedisAdmits(limiter, f, 3000);
    expect(limiter.pendingSettlements).toBe(0);
  });

  it("a settlement that timed out yet ran is not applied twice when replayed", async () => {
    const { limiter } = resilient(true);
    const f = fixture({ monthlyBudgetMicroUsd: 10_000 });
    const first = await limiter.admit(f.request({ now: undefined, costMicroUsd: 500 }));
    if (!first.ok) throw new Error("refused");
    node.freeze();
    await limiter.settle(first.ticket, { tokens: 0, costMicroUsd: 100 }); // times out; Redis runs it once thawed
    expect(limiter.pendingSettlements).toBe(1);
    node.thaw();
    await new Promise((res) => setTimeout(res, 250));
    const deadline = Date.now() + 3000;
    while (limiter.pendingSettlements > 0 && Date.now() < deadline) {
      await limiter.spent(f.user);
      await new Promise((res) => setTimeout(res, 50));
    }
    expect(limiter.pendingSettlements).toBe(0);
    expect(await limiter.spent(f.user)).toBe(100);
  });

  it("a hung Redis (process stopped, sockets open) costs each call at most the command timeout", async () => {
    const { limiter, events } = resilient(true);
    const f = fixture(limits);
    node.freeze();
    try {
      for (let i = 0; i < 5; i++) {
        const { value, ms } = await timed(() => limiter.admit(f.request({ now: undefined })));
        expect(ms).toBeLessThan(PROMPT_MS);
        expect(value.ok && value.ticket.backend).toBe("memory");
        if (value.ok) await limiter.settle(value.ticket, { tokens: 0, costMicroUsd: 0 });
      }
      expect(events.fallbacks.length).toBeGreaterThanOrEqual(1);
    } finally {
      node.thaw();
    }
    await untilRedisAdmits(limiter, f, 3000);
    expect(events.recoveries).toBe(1);
  });

  it("while Redis hangs, one call per retry window probes it; the others are answered at once", async () => {
    const { limiter, events } = resilient(true);
    const f = fixture({ requestsPerMinute: 1000 });
    node.freeze();
    try {
      await limiter.admit(f.request({ now: undefined })); // finds out, paying one timeout
      await new Promise((res) => setTimeout(res, 250)); // the retry window passes
      const calls = await Promise.all(Array.from({ length: 20 }, () => timed(() => limiter.admit(f.request({ now: undefined })))));
      const slow = calls.filter((c) => c.ms >= COMMAND_TIMEOUT_MS - 20);
      expect(slow).toHaveLength(1);
      expect(calls.every((c) => c.value.ok)).toBe(true);
      expect(events.fallbacks).toHaveLength(2);
    } finally {
      node.thaw();
    }
  });
});

describe("ResilientLimiter, caller mistakes", () => {
  it("passes a LimitInputError through without counting it as an outage", async () => {
    const { limiter, events } = resilient(false);
    const f = fixture(limits);
    await expect(limiter.admit(f.request({ tokens: -1 }))).rejects.toThrow(LimitInputError);
    expect(events.fallbacks).toEqual([]);
    expect((await limiter.admit(f.request({ now: undefined }))).ok).toBe(true);
  });
});

describe("ResilientLimiter, failing closed", () => {
  it("throws LimiterUnavailableError while Redis is down, promptly, and admits again after it restarts", async () => {
    const { limiter } = resilient(false);
    const f = fixture(limits);
    expect((await limiter.admit(f.request({ now: undefined }))).ok).toBe(true);
    await node.stop();
    for (let i = 0; i < 5; i++) {
      const start = performance.now();
      await expect(limiter.admit(f.request({ now: undefined }))).rejects.toThrow(LimiterUnavailableError);
      expect(performance.now() - start).toBeLessThan(PROMPT_MS);
    }
    await expect(limiter.spent(f.user)).rejects.toThrow(LimiterUnavailableError);
    await node.restart();
    const deadline = Date.now() + 5000;
    let admitted: Admission | undefined;
    while (admitted === undefined) {
      admitted = await limiter.admit(f.request({ now: undefined })).catch((err: unknown) => {
        expect(err).toBeInstanceOf(LimiterUnavailableError);
        if (Date.now() > deadline) throw new Error("never recovered");
        return new Promise<undefined>((res) => setTimeout(() => res(undefined), 50));
      });
    }
    expect(admitted.ok && admitted.ticket.backend).toBe("redis");
  });
});
