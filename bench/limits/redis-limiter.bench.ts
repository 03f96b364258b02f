// Admit+settle throughput and latency of RedisLimiter against a real Redis, beside a bare PING as the round-trip floor.
// Run: npx tsx bench/limits/redis-limiter.bench.ts   (BENCH_REDIS_URL overrides redis://127.0.0.1:6379)
import { randomBytes } from "node:crypto";
import type { Limits, Subject } from "../../src/limits/limiter.js";
import { RedisLimiter } from "../../src/limits/redis-limiter.js";
import { connectRedis, redisReady, type RedisClient } from "../../src/redis/connection.js";

const URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
const CONCURRENCY = [1, 16, 64];
const SECONDS = 4;
const USERS = 1000;

// Generous limits: every request is admitted, so each call runs the full script (all four dimensions, two subjects).
const LIMITS: Limits = { requestsPerMinute: 1_000_000, tokensPerMinute: 1_000_000_000, maxConcurrent: 10_000, monthlyBudgetMicroUsd: 1e15 };

interface Run {
  readonly ops: number;
  readonly seconds: number;
  readonly admit: number[];
  readonly settle: number[];
  readonly pair: number[];
  readonly refused: number;
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

async function runLimiter(limiter: RedisLimiter, concurrency: number, seconds: number): Promise<Run> {
  const admit: number[] = [];
  const settle: number[] = [];
  const pair: number[] = [];
  let refused = 0;
  let seq = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      const n = seq++;
      const user = `bench-user-${n % USERS}`;
      const subjects: Subject[] = [
        { kind: "user", id: user, limits: LIMITS },
        { kind: "key", id: `bench-key-${n % USERS}`, limits: LIMITS },
      ];
      const t0 = performance.now();
      const a = await limiter.admit({ requestId: `r${n}`, partition: user, subjects, tokens: 500, costMicroUsd: 1000 });
      const t1 = performance.now();
      if (!a.ok) {
        refused++;
        continue;
      }
      await limiter.settle(a.ticket, { tokens: 300, costMicroUsd: 600 });
      const t2 = performance.now();
      admit.push(t1 - t0);
      settle.push(t2 - t1);
      pair.push(t2 - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const sort = (xs: number[]): number[] => xs.sort((x, y) => x - y);
  return { ops: pair.length, seconds: (performance.now() - start) / 1000, admit: sort(admit), settle: sort(settle), pair: sort(pair), refused };
}

async function runPing(redis: RedisClient, concurrency: number, seconds: number): Promise<{ rate: number; p50: number; p99: number }> {
  const lat: number[] = [];
  const start = performance.now();
  const end = start + seconds * 1000;
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      const t0 = performance.now();
      await redis.ping();
      lat.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  lat.sort((x, y) => x - y);
  return { rate: lat.length / ((performance.now() - start) / 1000), p50: quantile(lat, 0.5), p99: quantile(lat, 0.99) };
}

const ms = (x: number): string => x.toFixed(3).padStart(8);
const num = (x: number): string => Math.round(x).toString().padStart(9);

async function main(): Promise<void> {
  const redis = connectRedis({ servers: { mode: "standalone", url: URL }, commandTimeoutMs: 2000 });
  redis.on("error", () => undefined);
  await redisReady(redis, 3000);
  const prefix = `aik-bench-${randomBytes(4).toString("hex")}:`;
  const limiter = new RedisLimiter(redis, prefix);
  const info = await redis.info("server");
  console.log(`RedisLimiter bench: ${URL} (redis ${/redis_version:(\S+)/.exec(info)?.[1] ?? "?"}), node ${process.version}, ${SECONDS} s per row, ${USERS} users x 1 key, all four limits set`);
  await runLimiter(limiter, 16, 1); // warm-up: scripts loaded, JIT warm
  console.log("");
  console.log("conc | admit+settle/s |  pair p50 |  pair p99 | admit p50 | admit p99 | settle p50 | settle p99 |   PING/s |  PING p50 |  PING p99");
  console.log("-----|----------------|-----------|-----------|-----------|-----------|------------|------------|----------|-----------|----------");
  for (const c of CONCURRENCY) {
    const r = await runLimiter(limiter, c, SECONDS);
    const p = await runPing(redis, c, SECONDS / 2);
    if (r.refused > 0) console.log(`  (${r.refused} refused: limits too low for the bench)`);
    console.log(
      `${String(c).padStart(4)} |      ${num(r.ops / r.seconds)} |  ${ms(quantile(r.pair, 0.5))} |  ${ms(quantile(r.pair, 0.99))} |  ${ms(quantile(r.admit, 0.5))} |  ${ms(quantile(r.admit, 0.99))} |   ${ms(quantile(r.settle, 0.5))} |   ${ms(quantile(r.settle, 0.99))} | ${num(p.rate)} |  ${ms(p.p50)} |  ${ms(p.p99)}`,
    );
  }
  console.log("\nlatencies in ms; one admit and one settle are one script call (one round trip) each");
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== "0");
  redis.disconnect();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
