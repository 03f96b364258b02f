// Redis stopped mid-load and started again: no crash, no hung request, behaviour as configured, recovery without restart.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request } from "undici";
import { PrivateRedis } from "../support/private-redis.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { provisionUser, type Provisioned } from "../support/identity.js";

let redis: PrivateRedis;
beforeAll(async () => {
  redis = await PrivateRedis.start();
});
afterAll(() => redis.dispose());

async function chat(t: TestGateway, key: string): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  const res = await request(`${t.httpUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "gpt-4o", max_tokens: 2, messages: [{ role: "user", content: "hi" }] }),
  });
  await res.body.text();
  return { status: res.statusCode, ms: performance.now() - started };
}

/** Keeps `workers` requests going until `stop` resolves; returns every answer. */
async function load(t: TestGateway, key: string, workers: number, stop: Promise<void>): Promise<Array<{ status: number; ms: number }>> {
  let done = false;
  void stop.then(() => (done = true));
  const out: Array<{ status: number; ms: number }> = [];
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (!done) out.push(await chat(t, key));
    }),
  );
  return out;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function outage(failOpen: boolean): Promise<{ t: TestGateway; u: Provisioned; during: Array<{ status: number; ms: number }> }> {
  const t = await startTestGateway({}, (c) => ({
    ...c,
    redis: { ...c.redis, servers: { mode: "standalone", url: redis.url }, commandTimeoutMs: 200 },
    limits: { ...c.limits, failOpen },
  }));
  const u = await provisionUser(t.httpUrl, t.adminToken, "member", { limits: { requests_per_minute: 100_000 } });
  expect((await chat(t, u.apiKey)).status).toBe(200);
  const stopLoad = (async () => {
    await sleep(300);
    await redis.stop();
    await sleep(1500);
  })();
  const during = await load(t, u.apiKey, 8, stopLoad);
  await redis.restart();
  return { t, u, during };
}

describe("Redis outage", () => {
  it("fail_open: keeps serving from in-process limits, never hangs, and goes back to Redis by itself", async () => {
    const { t, during } = await outage(true);
    try {
      expect(during.length).toBeGreaterThan(20);
      expect(during.filter((x) => x.status !== 200)).toEqual([]);
      expect(Math.max(...during.map((x) => x.ms))).toBeLessThan(2000);
      expect(t.logs.some((l) => l.includes("limits.redis_down_serving_in_process"))).toBe(true);
      // Back on Redis: a fresh limit is enforced through it again (keys appear on the restarted server).
      await sleep(1200);
      const v = await provisionUser(t.httpUrl, t.adminToken, "member", { limits: { requests_per_minute: 2 } });
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await chat(t, v.apiKey)).status);
      expect(statuses).toEqual([200, 200, 429, 429]);
      const { Redis } = await import("ioredis");
      const probe = new Redis(redis.url);
      expect((await probe.keys("*")).some((k) => k.includes(v.userId))).toBe(true);
      probe.disconnect();
      expect(t.logs.some((l) => l.includes("limits.redis_back"))).toBe(true);
    } finally {
      await t.close();
    }
  });

  it("fail_open false: answers 503 during the outage, never hangs, and recovers without a restart", async () => {
    const { t, u, during } = await outage(false);
    try {
      expect(during.some((x) => x.status === 503)).toBe(true);
      expect(during.filter((x) => x.status !== 200 && x.status !== 503)).toEqual([]);
      expect(Math.max(...during.map((x) => x.ms))).toBeLessThan(2000);
      await sleep(1200);
      expect((await chat(t, u.apiKey)).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});
