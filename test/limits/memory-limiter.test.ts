// The in-process limiter's memory: idle subjects expire as Redis keys would, and a hard cap holds under a flood.
import { describe, expect, it } from "vitest";
import { MemoryLimiter } from "../../src/limits/memory-limiter.js";
import { fixture, T0 } from "./contract-setup.js";

describe("MemoryLimiter memory", () => {
  it("forgets idle subjects: buckets once refilled, in-flight sets after the lease, spend after its month", async () => {
    let clock = T0;
    const l = new MemoryLimiter({ clock: () => clock });
    const limits = { requestsPerMinute: 60, tokensPerMinute: 6000, maxConcurrent: 5, monthlyBudgetMicroUsd: 10_000 };
    for (let i = 0; i < 500; i++) {
      const f = fixture(limits);
      const a = await l.admit(f.request({ now: undefined, tokens: 600, costMicroUsd: 10 }));
      if (!a.ok) throw new Error("refused");
      if (i % 2 === 0) await l.settle(a.ticket, { tokens: 60, costMicroUsd: 5 });
    }
    // Per subject: two buckets, one spend counter, and an in-flight set while unsettled.
    expect(l.size).toBe(1000 + 500 + 250);
    clock += 2 * 60_000; // every bucket has refilled
    await l.admit(fixture({}).request({ now: undefined }));
    expect(l.size).toBe(500 + 250 + 2);
    clock += 10 * 60_000; // leases lapsed: even unsettled in-flight sets go
    await l.admit(fixture({}).request({ now: undefined }));
    expect(l.size).toBe(500 + 2 + 2);
    clock = Date.UTC(2026, 11, 9); // past November and its grace week
    await l.admit(fixture({}).request({ now: undefined }));
    expect(l.size).toBe(2);
  });

  it("holds at its cap under a flood of distinct subjects, evicting the least recently written", async () => {
    const l = new MemoryLimiter({ maxEntries: 100 });
    const keep = fixture({ requestsPerMinute: 1000 });
    for (let i = 0; i < 5000; i++) {
      await l.admit(fixture({ requestsPerMinute: 10 }).request());
      if (i % 10 === 0) await l.admit(keep.request());
      expect(l.size).toBeLessThanOrEqual(300);
    }
    // The steadily active subject is still tracked: 500 of its 1000 requests are used.
    const a = await l.admit(keep.request());
    expect(a.report.requests?.remaining).toBe(1000 - 501);
  });
});
