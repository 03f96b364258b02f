// The limiter contract, one suite for every implementation: in-process, Redis, Redis Cluster; each must answer alike.
import { describe, expect, it } from "vitest";
import { LimitInputError } from "../../src/limits/limit-checks.js";
import type { Admission, Limiter, Ticket } from "../../src/limits/limiter.js";
import { DECEMBER, fixture, T0, teamFixture } from "./contract-setup.js";

function ticketOf(a: Admission): Ticket {
  if (!a.ok) throw new Error(`expected admission, got refusal on ${a.dimension}`);
  return a.ticket;
}

function refusal(a: Admission): Extract<Admission, { ok: false }> {
  if (a.ok) throw new Error("expected a refusal, got an admission");
  return a;
}

/**
 * Registers the contract for each limiter; `make` is called per test, after the file's beforeAll.
 * `sharedTeamSlot`: team admissions are partitioned by the team (Redis Cluster, see limits-step).
 */
export function limiterContract(limiters: ReadonlyArray<readonly [string, () => Limiter]>, options: { sharedTeamSlot?: boolean } = {}): void {
  const shared = options.sharedTeamSlot === true;
  describe.each(limiters)("%s limiter", (_name, make) => {
    it("a team is one subject for all its members: two users' team keys draw on one team RPM and budget", async () => {
      const l = make();
      const t = teamFixture({ requestsPerMinute: 4, monthlyBudgetMicroUsd: 1000 }, shared);
      const a = t.member({ requestsPerMinute: 100 }, {});
      const b = t.member({ requestsPerMinute: 100 }, {});
      const tickets: Ticket[] = [];
      for (const m of [a, b, a, b]) tickets.push(ticketOf(await l.admit(m.request({ costMicroUsd: 100 }))));
      const fifth = refusal(await l.admit(b.request({ costMicroUsd: 100 })));
      expect(fifth).toMatchObject({ dimension: "requests", subject: { kind: "team", id: t.team.id }, tooLarge: false });
      // The team refused: nothing of the user or key was taken.
      expect(await l.spent(b.user, T0)).toBe(200);
      expect(await l.spent(b.key, T0)).toBe(200);
      // Costlier than estimated: the team's spend passes its cap.
      for (const ticket of tickets) await l.settle(ticket, { tokens: 0, costMicroUsd: 300 });
      // Each member's spend is its own; the team's is the sum of its keys'.
      expect(await l.spent(a.key, T0)).toBe(600);
      expect(await l.spent(b.key, T0)).toBe(600);
      expect(await l.spent(t.team, T0)).toBe(1200);
      // A minute later RPM has refilled, but the team budget is spent: every member is refused.
      for (const m of [a, b]) expect(refusal(await l.admit(m.request({ now: T0 + 60_000 })))).toMatchObject({ dimension: "budget", subject: { kind: "team" } });
    });

    it("the most restrictive of key, user and team wins, and the report shows the one with least left", async () => {
      const l = make();
      const t = teamFixture({ requestsPerMinute: 5, tokensPerMinute: 1000 }, shared);
      const k = t.member({ requestsPerMinute: 10 }, { requestsPerMinute: 2 });
      const first = await l.admit(k.request({ tokens: 100 }));
      expect(first.report).toEqual({ requests: { limit: 2, remaining: 1, resetMs: 30_000 }, tokens: { limit: 1000, remaining: 900, resetMs: 6000 } });
      ticketOf(await l.admit(k.request()));
      expect(refusal(await l.admit(k.request()))).toMatchObject({ dimension: "requests", subject: { kind: "key", id: k.key.id } });
      const u = t.member({ requestsPerMinute: 1 }, {});
      ticketOf(await l.admit(u.request()));
      expect(refusal(await l.admit(u.request()))).toMatchObject({ dimension: "requests", subject: { kind: "user", id: u.user.id } });
      const v = t.member({}, {});
      ticketOf(await l.admit(v.request()));
      ticketOf(await l.admit(v.request()));
      // Five team requests made: the team binds, whoever asks.
      expect(refusal(await l.admit(v.request()))).toMatchObject({ dimension: "requests", subject: { kind: "team", id: t.team.id } });
      expect(refusal(await l.admit(t.member({}, {}).request({ tokens: 1001 })))).toMatchObject({ dimension: "tokens", subject: { kind: "team" }, tooLarge: true });
    });

    it("200 concurrent requests from four members against a team's 50 RPM admit exactly 50 (real clock)", async () => {
      const l = make();
      const t = teamFixture({ requestsPerMinute: 50 }, shared);
      const members = [1, 2, 3, 4].map(() => t.member({}, {}));
      const all = await Promise.all(Array.from({ length: 200 }, (_, i) => l.admit(members[i % 4]!.request({ now: undefined }))));
      expect(all.filter((a) => a.ok)).toHaveLength(50);
      expect(all.filter((a) => !a.ok).every((a) => refusal(a).subject.kind === "team")).toBe(true);
    });

    it("a team's concurrency counts every member's open requests", async () => {
      const l = make();
      const t = teamFixture({ maxConcurrent: 2 }, shared);
      const a = t.member({}, {});
      const b = t.member({}, {});
      const open = ticketOf(await l.admit(a.request()));
      ticketOf(await l.admit(b.request()));
      expect(refusal(await l.admit(a.request()))).toMatchObject({ dimension: "concurrency", subject: { kind: "team" } });
      await l.settle(open, { tokens: 0, costMicroUsd: 0 });
      expect((await l.admit(b.request())).ok).toBe(true);
    });

    it("200 concurrent requests against 50 RPM admit exactly 50 (real clock)", async () => {
      const l = make();
      const f = fixture({ requestsPerMinute: 50 });
      const all = await Promise.all(Array.from({ length: 200 }, () => l.admit(f.request({ now: undefined }))));
      expect(all.filter((a) => a.ok)).toHaveLength(50);
      for (const a of all.filter((x) => !x.ok)) {
        const no = refusal(a);
        expect(no.dimension).toBe("requests");
        expect(no.tooLarge).toBe(false);
        // One request refills every 60000 / 50 = 1200 ms.
        expect(no.retryAfterMs).toBeGreaterThan(0);
        expect(no.retryAfterMs).toBeLessThanOrEqual(1200);
      }
    });

    it("refills continuously: 60 RPM gives one request back per second", async () => {
      const l = make();
      const f = fixture({ requestsPerMinute: 60 });
      for (let i = 0; i < 60; i++) expect((await l.admit(f.request())).ok).toBe(true);
      const full = refusal(await l.admit(f.request()));
      expect(full).toMatchObject({ dimension: "requests", retryAfterMs: 1000, tooLarge: false, report: { requests: { limit: 60, remaining: 0, resetMs: 60_000 } } });
      expect(refusal(await l.admit(f.request({ now: T0 + 999 }))).retryAfterMs).toBe(1);
      expect((await l.admit(f.request({ now: T0 + 1000 }))).ok).toBe(true);
      expect((await l.admit(f.request({ now: T0 + 1000 }))).ok).toBe(false);
      const later = await Promise.all(Array.from({ length: 40 }, () => l.admit(f.request({ now: T0 + 31_000 }))));
      expect(later.filter((a) => a.ok)).toHaveLength(30);
    });

    it("TPM: reserves the estimate, then refunds or charges the difference, into debt if need be", async () => {
      const l = make();
      const f = fixture({ tokensPerMinute: 1000 });
      const a = await l.admit(f.request({ tokens: 400 }));
      expect(a.report.tokens).toEqual({ limit: 1000, remaining: 600, resetMs: 24_000 });
      expect(await l.remainingTokens(f.user, 1000, T0)).toBe(600);
      await l.settle(ticketOf(a), { tokens: 100, costMicroUsd: 0 }); // refund 300
      expect(await l.remainingTokens(f.user, 1000, T0)).toBe(900);
      const b = ticketOf(await l.admit(f.request({ tokens: 500 })));
      const c = ticketOf(await l.admit(f.request({ tokens: 300 })));
      await l.settle(c, { tokens: 50, costMicroUsd: 0 });
      await l.settle(b, { tokens: 650, costMicroUsd: 0 }); // charge 150 more than reserved
      expect(await l.remainingTokens(f.user, 1000, T0)).toBe(1000 - (100 + 650 + 50));
      const d = ticketOf(await l.admit(f.request({ tokens: 200 })));
      await l.settle(d, { tokens: 600, costMicroUsd: 0 });
      expect(await l.remainingTokens(f.user, 1000, T0)).toBe(-400);
      // Debt blocks even a request for nothing until 401 tokens have refilled at 1000 per 60 s.
      expect(refusal(await l.admit(f.request({ tokens: 1 })))).toMatchObject({ dimension: "tokens", tooLarge: false, retryAfterMs: 24_060 });
      expect((await l.admit(f.request({ tokens: 1, now: T0 + 24_059 }))).ok).toBe(false);
      expect((await l.admit(f.request({ tokens: 1, now: T0 + 24_060 }))).ok).toBe(true);
    });

    it("a refund never fills a bucket past its capacity", async () => {
      const l = make();
      const f = fixture({ tokensPerMinute: 1000 });
      const t = ticketOf(await l.admit(f.request({ tokens: 1000 })));
      // Settled a minute later: the reservation has refilled already, so the refund has nothing to restore.
      await l.settle({ ...t, now: T0 + 60_000 }, { tokens: 100, costMicroUsd: 0 });
      expect(await l.remainingTokens(f.user, 1000, T0 + 60_000)).toBe(1000);
      expect((await l.admit(f.request({ tokens: 1000, now: T0 + 60_000 }))).ok).toBe(true);
      expect((await l.admit(f.request({ tokens: 1, now: T0 + 60_000 }))).ok).toBe(false);
    });

    it("a request larger than the TPM limit is refused at once as too large, and consumes nothing", async () => {
      const l = make();
      const f = fixture({ tokensPerMinute: 1000, requestsPerMinute: 10 });
      const no = refusal(await l.admit(f.request({ tokens: 1001 })));
      expect(no).toMatchObject({ dimension: "tokens", tooLarge: true, retryAfterMs: undefined, subject: { kind: "user", id: f.user.id } });
      expect(no.report).toEqual({ requests: { limit: 10, remaining: 10, resetMs: 0 }, tokens: { limit: 1000, remaining: 1000, resetMs: 0 } });
      expect(await l.remainingTokens(f.user, 1000, T0)).toBe(1000);
      expect((await l.admit(f.request({ tokens: 1000 }))).ok).toBe(true);
      const zero = refusal(await l.admit(fixture({ requestsPerMinute: 0 }).request()));
      expect(zero).toMatchObject({ dimension: "requests", tooLarge: true, retryAfterMs: undefined });
    });

    it("concurrency 3: the 4th waits while 3 are open and gets in once one settles", async () => {
      const l = make();
      const f = fixture({ maxConcurrent: 3 });
      const open = await Promise.all([1, 2, 3].map(() => l.admit(f.request())));
      expect(open.every((a) => a.ok)).toBe(true);
      expect(refusal(await l.admit(f.request()))).toMatchObject({ dimension: "concurrency", tooLarge: false, retryAfterMs: 1000 });
      const first = ticketOf(open[0]!);
      await l.settle(first, { tokens: 0, costMicroUsd: 0 });
      await l.settle(first, { tokens: 0, costMicroUsd: 0 }); // a second settle frees nothing more
      expect((await l.admit(f.request())).ok).toBe(true);
      expect((await l.admit(f.request())).ok).toBe(false);
    });

    it("an unsettled slot (crashed replica) frees itself after the 10-minute lease", async () => {
      const l = make();
      const f = fixture({ maxConcurrent: 1 });
      expect((await l.admit(f.request())).ok).toBe(true);
      expect((await l.admit(f.request({ now: T0 + 10 * 60_000 - 1 }))).ok).toBe(false);
      expect((await l.admit(f.request({ now: T0 + 10 * 60_000 }))).ok).toBe(true);
    });

    it("raiseSpend lifts the month's spend to what metering recorded, never lowers it, and admission sees it", async () => {
      const l = make();
      const f = fixture({ monthlyBudgetMicroUsd: 1000 });
      await l.raiseSpend(f.user, 900, T0);
      expect(await l.spent(f.user, T0)).toBe(900);
      await l.raiseSpend(f.user, 100, T0);
      expect(await l.spent(f.user, T0)).toBe(900);
      expect(refusal(await l.admit(f.request({ costMicroUsd: 200 })))).toMatchObject({ dimension: "budget" });
      expect((await l.admit(f.request({ costMicroUsd: 100 }))).ok).toBe(true);
    });

    it("budget: reservations are a hard cap, settlement swaps in the actual cost, a new month starts at zero", async () => {
      const l = make();
      const f = fixture({ monthlyBudgetMicroUsd: 1000 });
      const a = ticketOf(await l.admit(f.request({ costMicroUsd: 600 })));
      expect(await l.spent(f.user, T0)).toBe(600);
      const over = refusal(await l.admit(f.request({ costMicroUsd: 500 })));
      expect(over).toMatchObject({ dimension: "budget", tooLarge: false, retryAfterMs: DECEMBER - T0 });
      await l.settle(a, { tokens: 0, costMicroUsd: 300 });
      expect(await l.spent(f.user, T0)).toBe(300);
      const b = ticketOf(await l.admit(f.request({ costMicroUsd: 500 })));
      expect(await l.spent(f.user, T0)).toBe(800);
      expect(refusal(await l.admit(f.request({ costMicroUsd: 1001 })))).toMatchObject({ dimension: "budget", tooLarge: true, retryAfterMs: undefined });
      await l.settle(b, { tokens: 0, costMicroUsd: 900 }); // costlier than estimated: spend may pass the cap
      expect(await l.spent(f.user, T0)).toBe(1200);
      expect((await l.admit(f.request({ costMicroUsd: 0 }))).ok).toBe(false);
      expect((await l.admit(f.request({ costMicroUsd: 1000, now: DECEMBER }))).ok).toBe(true);
      expect(await l.spent(f.user, DECEMBER)).toBe(1000);
      expect(await l.spent(f.user, T0)).toBe(1200);
    });

    it("a late settlement lands in the month of its admission", async () => {
      const l = make();
      const f = fixture({ monthlyBudgetMicroUsd: 1000 });
      const t = ticketOf(await l.admit(f.request({ costMicroUsd: 400, now: DECEMBER - 1 })));
      await l.settle({ ...t, now: DECEMBER + 5000 }, { tokens: 0, costMicroUsd: 100 });
      expect(await l.spent(f.user, DECEMBER - 1)).toBe(100);
      expect(await l.spent(f.user, DECEMBER)).toBe(0);
    });

    it("user and key are both checked: the stricter refuses, and the report shows the one with least left", async () => {
      const l = make();
      const f = fixture({ requestsPerMinute: 10, tokensPerMinute: 100 }, { requestsPerMinute: 3, tokensPerMinute: 1000 });
      const a = await l.admit(f.request({ tokens: 10 }));
      expect(a.report).toEqual({ requests: { limit: 3, remaining: 2, resetMs: 20_000 }, tokens: { limit: 100, remaining: 90, resetMs: 6000 } });
      await l.admit(f.request());
      await l.admit(f.request());
      expect(refusal(await l.admit(f.request()))).toMatchObject({ dimension: "requests", subject: { kind: "key", id: f.key.id } });
      const g = fixture({ tokensPerMinute: 100 }, { tokensPerMinute: 1000 });
      expect(refusal(await l.admit(g.request({ tokens: 101 })))).toMatchObject({ dimension: "tokens", subject: { kind: "user", id: g.user.id }, tooLarge: true });
    });

    it("a refusal by one subject consumes nothing of either", async () => {
      const l = make();
      const f = fixture({ requestsPerMinute: 3, tokensPerMinute: 10_000, maxConcurrent: 2, monthlyBudgetMicroUsd: 10_000 }, { tokensPerMinute: 300 });
      ticketOf(await l.admit(f.request({ tokens: 200, costMicroUsd: 100 })));
      for (let i = 0; i < 5; i++) expect(refusal(await l.admit(f.request({ tokens: 200, costMicroUsd: 100 }))).subject.kind).toBe("key");
      expect(await l.remainingTokens(f.user, 10_000, T0)).toBe(9800);
      expect(await l.remainingTokens(f.key, 300, T0)).toBe(100);
      expect(await l.spent(f.user, T0)).toBe(100);
      expect(await l.spent(f.key, T0)).toBe(100);
      // One of 3 requests and one of 2 slots used: exactly one more request fits.
      expect((await l.admit(f.request({ tokens: 100 }))).ok).toBe(true);
      expect(refusal(await l.admit(f.request()))).toMatchObject({ dimension: "concurrency" });
    });

    it("settle is idempotent per ticket, copies included", async () => {
      const l = make();
      const f = fixture({ tokensPerMinute: 1000, monthlyBudgetMicroUsd: 5000 }, { tokensPerMinute: 2000 });
      const t = ticketOf(await l.admit(f.request({ tokens: 600, costMicroUsd: 600 })));
      await Promise.all([1, 2, 3].map(() => l.settle(t, { tokens: 800, costMicroUsd: 900 })));
      await l.settle({ ...t }, { tokens: 800, costMicroUsd: 900 });
      expect(await l.remainingTokens(f.user, 1000, T0)).toBe(200);
      expect(await l.remainingTokens(f.key, 2000, T0)).toBe(1200);
      expect(await l.spent(f.user, T0)).toBe(900);
      expect(await l.spent(f.key, T0)).toBe(900);
    });

    it("of several refusals the client hears the binding one: too large first, else the longest wait", async () => {
      const l = make();
      const f = fixture({ requestsPerMinute: 1, monthlyBudgetMicroUsd: 100 }, { tokensPerMinute: 50 });
      ticketOf(await l.admit(f.request({ costMicroUsd: 100 })));
      // requests (60 s) and budget (till December) both refuse: the budget wait binds.
      expect(refusal(await l.admit(f.request({ costMicroUsd: 1 })))).toMatchObject({ dimension: "budget", retryAfterMs: DECEMBER - T0, subject: { kind: "user" } });
      expect(refusal(await l.admit(f.request({ tokens: 51 })))).toMatchObject({ dimension: "tokens", tooLarge: true, subject: { kind: "key" } });
      const g = fixture({ requestsPerMinute: 1, maxConcurrent: 5 });
      ticketOf(await l.admit(g.request()));
      expect(refusal(await l.admit(g.request()))).toMatchObject({ dimension: "requests", retryAfterMs: 60_000 });
    });

    it("reports nothing for dimensions without limits, and the post-admission state otherwise", async () => {
      const l = make();
      expect((await l.admit(fixture({ maxConcurrent: 5, monthlyBudgetMicroUsd: 9 }).request())).report).toEqual({});
      const f = fixture({ requestsPerMinute: 60, tokensPerMinute: 6000 });
      expect((await l.admit(f.request({ tokens: 600 }))).report).toEqual({
        requests: { limit: 60, remaining: 59, resetMs: 1000 },
        tokens: { limit: 6000, remaining: 5400, resetMs: 6000 },
      });
      expect((await l.admit(f.request({ tokens: 0, now: T0 + 3000 }))).report).toEqual({
        requests: { limit: 60, remaining: 59, resetMs: 1000 },
        tokens: { limit: 6000, remaining: 5700, resetMs: 3000 },
      });
    });

    it("refuses malformed input with a LimitInputError naming the field", async () => {
      const l = make();
      const f = fixture({ requestsPerMinute: 5 });
      await expect(l.admit(f.request({ tokens: -1 }))).rejects.toThrow(LimitInputError);
      await expect(l.admit(f.request({ costMicroUsd: 1.5 }))).rejects.toThrow(/costMicroUsd/);
      await expect(l.admit(f.request({ partition: "a}b" }))).rejects.toThrow(/partition/);
      await expect(l.admit(f.request({ subjects: [] }))).rejects.toThrow(/subjects/);
      await expect(l.admit(fixture({ tokensPerMinute: -5 }).request())).rejects.toThrow(/tokensPerMinute/);
      const t = ticketOf(await l.admit(f.request()));
      await expect(l.settle(t, { tokens: Number.NaN, costMicroUsd: 0 })).rejects.toThrow(LimitInputError);
      await expect(l.settle({ ...t, backend: t.backend === "redis" ? "memory" : "redis" }, { tokens: 0, costMicroUsd: 0 })).rejects.toThrow(LimitInputError);
    });
  });
}
