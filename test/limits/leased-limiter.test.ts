// Leased admission: few round trips far from the limits, never more than the limit across replicas, what is not used goes back.
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LeasedLimiter } from "../../src/limits/leased-limiter.js";
import type { Admission, Limits, Ticket } from "../../src/limits/limiter.js";
import { PrivateRedis } from "../support/private-redis.js";
import { fixture } from "./contract-setup.js";

// A Redis of this file alone: its command counter counts only what these limiters send.
let server: PrivateRedis;
const connections: Redis[] = [];
beforeAll(async () => {
  server = await PrivateRedis.start();
});
afterAll(async () => {
  for (const c of connections) c.disconnect();
  await server.stop();
});

// Commands the limiters send (a script is one, whatever it runs inside Redis).
let sent = 0;

function connect(): Redis {
  const c = new Redis(server.url, { maxRetriesPerRequest: 0 });
  const send = c.sendCommand.bind(c);
  c.sendCommand = (...args: Parameters<Redis["sendCommand"]>) => {
    sent += 1;
    return send(...args);
  };
  connections.push(c);
  return c;
}

function replicas(n: number, prefix: string, leaseMs = 2000): LeasedLimiter[] {
  return Array.from({ length: n }, () => new LeasedLimiter(connect(), { keyPrefix: prefix, leaseMs }));
}

const ticket = (a: Admission): Ticket => {
  if (!a.ok) throw new Error(`refused on ${a.dimension}`);
  return a.ticket;
};

let run = 0;
const prefix = (): string => `leases-${++run}:`;

describe("LeasedLimiter", () => {
  it("far from every limit, 2,000 admissions and settlements take fewer than 0.1 Redis commands each", async () => {
    const [l] = replicas(1, prefix());
    const f = fixture({ requestsPerMinute: 1_000_000, tokensPerMinute: 1_000_000_000, monthlyBudgetMicroUsd: 1_000_000_000 }, { requestsPerMinute: 1_000_000 });
    const before = sent;
    for (let wave = 0; wave < 63; wave++) {
      const admitted = await Promise.all(Array.from({ length: 32 }, () => l!.admit(f.request({ now: undefined, tokens: 50, costMicroUsd: 20 }))));
      await Promise.all(admitted.map((a) => l!.settle(ticket(a), { tokens: 30, costMicroUsd: 10 })));
    }
    const used = sent - before;
    expect(used / (63 * 32)).toBeLessThan(0.1);
    await l!.close();
  });

  const exact: Array<[string, Limits, number, { tokens?: number; costMicroUsd?: number }, number]> = [
    ["requests", { requestsPerMinute: 100 }, 300, { tokens: 1 }, 100],
    ["requests (1,000 RPM, slices of many)", { requestsPerMinute: 1000 }, 1500, { tokens: 1 }, 1000],
    ["tokens", { tokensPerMinute: 100_000 }, 400, { tokens: 1000 }, 100],
    ["budget", { monthlyBudgetMicroUsd: 100_000 }, 300, { costMicroUsd: 1000 }, 100],
  ];
  it.each(exact)("%s: concurrent admissions over three replicas admit exactly the limit", async (_dim, limits, attempts, usage, admitted) => {
    const ls = replicas(3, prefix());
    const f = fixture(limits, { requestsPerMinute: 1_000_000 });
    const started = performance.now();
    const all = await Promise.all(Array.from({ length: attempts }, (_, i) => ls[i % 3]!.admit(f.request({ now: undefined, ...usage }))));
    // A per-minute bucket refills while the test runs (1,000 RPM: one request every 60 ms): that much more may be admitted.
    const refilled = limits.requestsPerMinute ? Math.ceil(((performance.now() - started) * limits.requestsPerMinute) / 60_000) : 0;
    const served = all.filter((a) => a.ok).length;
    expect(served).toBeGreaterThanOrEqual(admitted);
    expect(served).toBeLessThanOrEqual(admitted + refilled);
    await Promise.all(ls.map((l) => l.close()));
  });

  it("in waves with settlements between them, never more than the limit; unused slices go back when they lapse", async () => {
    const ls = replicas(3, prefix(), 300);
    const f = fixture({ requestsPerMinute: 600 });
    let admitted = 0;
    for (let wave = 0; wave < 12; wave++) {
      const all = await Promise.all(
        Array.from({ length: 60 }, async (_, i) => {
          const l = ls[(i + wave) % 3]!;
          const a = await l.admit(f.request({ now: undefined, tokens: 2 }));
          // Each settles where it was admitted, having used less than it reserved.
          if (a.ok) await l.settle(a.ticket, { tokens: 1, costMicroUsd: 0 });
          return a.ok;
        }),
      );
      admitted += all.filter(Boolean).length;
    }
    // 720 asked within a few seconds: at most 600 plus what refilled meanwhile (10 a second).
    const seconds = 5;
    expect(admitted).toBeLessThanOrEqual(600 + 10 * seconds);
    // Once every lease has lapsed and been swept, Redis counts exactly the requests admitted.
    await new Promise((r) => setTimeout(r, 700));
    const level = await connections.at(-1)!.hget(`leases-${run}:{${f.user.partition}}:rpm:user:${f.user.id}`, "l");
    expect(Number(level) / 60_000).toBeLessThanOrEqual(admitted);
    await Promise.all(ls.map((l) => l.close()));
  });

  it("a settlement's refund reaches Redis once the lease lapses, and close() gives back what is held", async () => {
    const p = prefix();
    const [l] = replicas(1, p, 200);
    const f = fixture({ tokensPerMinute: 1_000_000 });
    const tickets = await Promise.all(Array.from({ length: 10 }, () => l!.admit(f.request({ now: undefined, tokens: 1000 }))).map(async (a) => ticket(await a)));
    const remaining = (): Promise<number> => l!.remainingTokens(f.user, 1_000_000);
    // A slice is held: Redis shows more than the 10,000 reserved as used.
    expect(1_000_000 - (await remaining())).toBeGreaterThan(10_000);
    for (const t of tickets) await l!.settle(t, { tokens: 100, costMicroUsd: 0 });
    await l!.settle(tickets[0]!, { tokens: 100, costMicroUsd: 0 });
    await new Promise((r) => setTimeout(r, 600));
    // Only the 1,000 tokens used stay charged (the bucket refills meanwhile, so at most that).
    expect(1_000_000 - (await remaining())).toBeLessThanOrEqual(1000);
    await l!.close();
  });

  it("a replica that stops without giving back loses its slice: the others never admit more than the limit", async () => {
    const p = prefix();
    const [dying, a, b] = replicas(3, p);
    const f = fixture({ requestsPerMinute: 300 });
    ticket(await dying!.admit(f.request({ now: undefined, tokens: 1 })));
    // It took a slice beyond its one request, then its connection dies with it.
    const level = Number(await connections.at(-3)!.hget(`${p}{${f.user.partition}}:rpm:user:${f.user.id}`, "l")) / 60_000;
    expect(level).toBeGreaterThan(1);
    connections.at(-3)!.disconnect();
    const rest = await Promise.all(Array.from({ length: 600 }, (_, i) => (i % 2 ? a! : b!).admit(f.request({ now: undefined, tokens: 1 }))));
    const served = rest.filter((r) => r.ok).length + 1;
    expect(served).toBeLessThanOrEqual(300);
    expect(served).toBeGreaterThanOrEqual(300 - Math.ceil(level));
    await Promise.all([a!.close(), b!.close(), dying!.close()]);
  });

  it("subjects with no limit cost no round trip; a concurrency limit is admitted per request, exactly", async () => {
    const [l] = replicas(1, prefix());
    const free = fixture({});
    const before = sent;
    for (let i = 0; i < 50; i++) await l!.settle(ticket(await l!.admit(free.request({ now: undefined, tokens: 10 }))), { tokens: 10, costMicroUsd: 0 });
    expect(sent - before).toBe(0);
    const f = fixture({ maxConcurrent: 5 });
    const all = await Promise.all(Array.from({ length: 30 }, () => l!.admit(f.request({ now: undefined }))));
    expect(all.filter((a) => a.ok)).toHaveLength(5);
    await l!.close();
  });
});
