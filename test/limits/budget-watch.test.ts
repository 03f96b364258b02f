// The soft budget threshold: one warning per subject and month once spend passes it, and spend read at most every few seconds.
import { describe, expect, it } from "vitest";
import type { Caller } from "../../src/core/context.js";
import { BudgetWatch } from "../../src/limits/budget-watch.js";
import { MemoryLimiter } from "../../src/limits/memory-limiter.js";
import { createLogger } from "../../src/telemetry/logger.js";

describe("BudgetWatch", () => {
  it("warns once at 80% of a budget, and reads spend at most once per subject every few seconds", async () => {
    const limiter = new MemoryLimiter();
    let reads = 0;
    const spent = limiter.spent.bind(limiter);
    limiter.spent = (subject, now) => {
      reads += 1;
      return spent(subject, now);
    };
    const lines: string[] = [];
    const watch = new BudgetWatch(limiter, 80, createLogger("info", (l) => lines.push(l)));
    const caller: Caller = { userId: "u-1", keyId: "k-1", admin: false, allowedModels: [], limits: { user: { monthlyBudgetMicroUsd: 1000 }, key: {} } };
    const partition = { kind: "user" as const, id: "u-1", partition: "u-1" };

    await limiter.raiseSpend(partition, 500);
    await watch.check(caller, 10);
    expect(lines).toEqual([]);
    await limiter.raiseSpend(partition, 900);
    // Within the same few seconds the spend is not read again: no warning yet, no second read.
    await watch.check(caller, 10);
    expect(reads).toBe(1);
    expect(lines).toEqual([]);
    const later = Date.now() + 6_000;
    const realNow = Date.now;
    Date.now = () => later;
    try {
      await watch.check(caller, 10);
      await watch.check(caller, 10);
    } finally {
      Date.now = realNow;
    }
    expect(reads).toBe(2);
    expect(lines.filter((l) => l.includes("limits.budget_soft_threshold"))).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ subject: "user", id: "u-1", spent_micro_usd: 900, budget_micro_usd: 1000 });
  });
});
