// Three gateway processes sharing one Redis: a key limited to N requests per window gets N (± 1) across all three.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { request } from "undici";
import { startReplica, type GatewayProcess } from "../support/gateway-process.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { provisionUser } from "../support/identity.js";
import { REDIS_URL } from "../support/redis.js";

let t: TestGateway;
let replicas: GatewayProcess[] = [];
beforeAll(async () => {
  t = await startTestGateway();
  replicas = await Promise.all([startReplica(t), startReplica(t), startReplica(t)]);
});
afterAll(async () => {
  await Promise.all(replicas.map((r) => r.stop()));
  await t.close();
});

async function chat(replica: GatewayProcess, apiKey: string): Promise<number> {
  const res = await request(`${replica.httpUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "gpt-4o-mini", max_tokens: 2, messages: [{ role: "user", content: "hi" }] }),
  });
  await res.body.text();
  return res.statusCode;
}

describe("limits across replicas", () => {
  it("30 RPM for one key, 90 concurrent requests spread over three processes: 30 served", async () => {
    const N = 30;
    const u = await provisionUser(t.httpUrl, t.adminToken, "member", { limits: { requests_per_minute: N } });
    const statuses = await Promise.all(
      Array.from({ length: 3 * N }, async (_, i) => {
        const replica = replicas[i % replicas.length];
        if (!replica) throw new Error("no replica");
        const res = await request(`${replica.httpUrl}/v1/chat/completions`, {
          method: "POST",
          headers: { authorization: `Bearer ${u.apiKey}`, "content-type": "application/json" },
          body: JSON.stringify({ model: "gpt-4o-mini", max_tokens: 2, messages: [{ role: "user", content: "hi" }] }),
        });
        await res.body.text();
        return res.statusCode;
      }),
    );
    const served = statuses.filter((s) => s === 200).length;
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    expect(served).toBeGreaterThanOrEqual(N - 1);
    expect(served).toBeLessThanOrEqual(N + 1);
  });

  it("a replica killed with SIGKILL while it holds a lease: the others never admit more than the limit (a lost lease is lost capacity)", async () => {
    const N = 300;
    const u = await provisionUser(t.httpUrl, t.adminToken, "member", { limits: { requests_per_minute: N } });
    // Fail closed, with time to spare: a Redis slowed by a loaded machine must not turn into in-process limits (fail-open) here.
    const strict = "redis: { command_timeout_ms: 5000 }\nlimits: { fail_open: false }\n";
    const [doomed, ...others] = await Promise.all([startReplica(t, {}, strict), startReplica(t, {}, strict), startReplica(t, {}, strict)]);
    const redis = new Redis(REDIS_URL);
    try {
      expect(await chat(doomed, u.apiKey)).toBe(200);
      // Far from its limit the replica took a slice beyond its one request: Redis counts it as used.
      const bucket = `${t.redisPrefix}{${u.userId}}:rpm:key:${u.keyId}`;
      const held = Number(await redis.hget(bucket, "l")) / 60_000;
      expect(held).toBeGreaterThan(2);
      await doomed.stop("SIGKILL");
      const started = performance.now();
      const statuses = await Promise.all(Array.from({ length: 2 * N }, (_, i) => chat(others[i % others.length]!, u.apiKey)));
      // A 300 RPM bucket refills 5 requests a second while these run.
      const refilled = Math.ceil(((performance.now() - started + 1000) * N) / 60_000);
      expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
      const served = statuses.filter((s) => s === 200).length + 1;
      // The slice died with the replica: never more than the limit, and the slice is missing from what was served.
      expect(served).toBeLessThanOrEqual(N - Math.floor(held) + 1 + refilled);
      expect(served).toBeGreaterThanOrEqual(N - Math.ceil(held));
    } finally {
      redis.disconnect();
      await Promise.all([doomed.stop("SIGKILL"), ...others.map((r) => r.stop())]);
    }
  });
});
