// One contract for both login guards: the Redis one (shared by replicas) and the in-process one.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryLoginGuard, type LockoutPolicy, type LoginGuard } from "../../src/auth/login-guard.js";
import { RedisLoginGuard } from "../../src/auth/redis-login-guard.js";
import { testRedis, type TestRedis } from "../support/redis.js";

const policy: LockoutPolicy = { maxFailures: 5, windowMs: 60_000, lockMs: 400, maxLockMs: 1000, levelMemoryMs: 60_000, maxSourceFailures: 1000 };

let r: TestRedis;
beforeAll(async () => {
  r = await testRedis();
});
afterAll(() => r.close());

let n = 0;
const fresh = (): { account: string; source: string } => ({ account: `acct-${++n}-${Math.random()}`, source: `src-${n}` });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const guards: Array<[string, (p?: LockoutPolicy) => LoginGuard]> = [
  ["memory", (p = policy) => new MemoryLoginGuard(p)],
  ["redis", (p = policy) => new RedisLoginGuard(r.redis, r.prefix, p)],
];

describe.each(guards)("%s login guard", (_name, make) => {
  it("locks after 5 failures and refuses without a password check", async () => {
    const g = make();
    const { account, source } = fresh();
    for (let i = 0; i < 5; i++) {
      expect((await g.begin(account, source)).allowed).toBe(true);
      await g.failed(account);
    }
    expect(await g.lockedUntil(account)).toBeGreaterThan(Date.now());
    expect((await g.begin(account, source)).allowed).toBe(false);
  });

  it("a success clears earlier failures (4 wrong then right: no lock)", async () => {
    const g = make();
    const { account, source } = fresh();
    for (let i = 0; i < 4; i++) {
      await g.begin(account, source);
      await g.failed(account);
    }
    expect((await g.begin(account, source)).allowed).toBe(true);
    await g.succeeded(account, source);
    expect(await g.lockedUntil(account)).toBeUndefined();
    expect(await g.attempts(account)).toBe(0);
  });

  it("100 concurrent attempts: every one counted, at most 5 reach the password check, the lock holds", async () => {
    const g = make();
    const { account, source } = fresh();
    const admissions = await Promise.all(Array.from({ length: 100 }, () => g.begin(account, source)));
    await Promise.all(admissions.filter((a) => a.allowed).map(() => g.failed(account)));
    expect(admissions.filter((a) => a.allowed)).toHaveLength(5);
    expect(admissions.map((a) => a.attempts).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(await g.attempts(account)).toBe(100);
    expect((await g.begin(account, source)).allowed).toBe(false);
  });

  it("a lock ends after its time, and the account starts afresh", async () => {
    const g = make();
    const { account, source } = fresh();
    for (let i = 0; i < 5; i++) {
      await g.begin(account, source);
      await g.failed(account);
    }
    expect((await g.begin(account, source)).allowed).toBe(false);
    await sleep(450);
    expect(await g.lockedUntil(account)).toBeUndefined();
    expect((await g.begin(account, source)).allowed).toBe(true);
  });

  it("a repeat lock lasts longer", async () => {
    const g = make();
    const { account, source } = fresh();
    const lockOnce = async (): Promise<number> => {
      for (let i = 0; i < 5; i++) {
        await g.begin(account, source);
        await g.failed(account);
      }
      return ((await g.lockedUntil(account)) ?? 0) - Date.now();
    };
    const first = await lockOnce();
    await sleep(first + 50);
    const second = await lockOnce();
    expect(first).toBeLessThanOrEqual(400);
    expect(second).toBeGreaterThan(500);
  });

  it("unlock lifts the lock at once", async () => {
    const g = make();
    const { account, source } = fresh();
    for (let i = 0; i < 6; i++) await g.begin(account, source);
    expect((await g.begin(account, source)).allowed).toBe(false);
    await g.unlock(account);
    expect((await g.begin(account, source)).allowed).toBe(true);
  });

  it("throttles a source address that fails across many accounts", async () => {
    const tight = make({ ...policy, maxSourceFailures: 3 });
    const source = `spray-${Math.random()}`;
    const results = [];
    for (let i = 0; i < 5; i++) results.push((await tight.begin(`victim-${i}-${Math.random()}`, source)).allowed);
    expect(results).toEqual([true, true, true, false, false]);
  });

  // The audit trail records the attempt that locks an account or throttles a source, once.
  it("failed() says true exactly once: on the failure that locks the account", async () => {
    const g = make();
    const { account, source } = fresh();
    const locked: boolean[] = [];
    for (let i = 0; i < 7; i++) {
      if ((await g.begin(account, source)).allowed) locked.push(await g.failed(account));
    }
    expect(locked).toEqual([false, false, false, false, true]);
  });

  it("begin() names what it set off: the account lock past the limit, the source throttle once", async () => {
    const g = make({ ...policy, maxSourceFailures: 3 });
    const { account, source } = fresh();
    const admissions = await Promise.all(Array.from({ length: 7 }, () => g.begin(account, `other-${Math.random()}`)));
    expect(admissions.filter((a) => a.engaged === "account_lock")).toHaveLength(1);
    expect(admissions.filter((a) => a.engaged === "source_throttle")).toHaveLength(0);
    const spray = [];
    for (let i = 0; i < 6; i++) spray.push((await g.begin(`spray-${i}-${Math.random()}`, source)).engaged);
    expect(spray).toEqual([undefined, undefined, undefined, "source_throttle", undefined, undefined]);
  });
});

describe("Redis unreachable", () => {
  it("fails closed with 503 (unavailable), never open", async () => {
    const { Redis } = await import("ioredis");
    const dead = new Redis("redis://127.0.0.1:1", { enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: true, retryStrategy: () => null });
    const g = new RedisLoginGuard(dead, "x:", policy);
    await expect(g.begin("a", "b")).rejects.toMatchObject({ code: "unavailable" });
    dead.disconnect();
  });
});
