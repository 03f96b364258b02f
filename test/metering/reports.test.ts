// usageReport against sums computed here from the records themselves, for every grouping, filter and kind of range; retention; partitions.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensurePartitions } from "../../src/metering/partitions.js";
import type { UsageRecord } from "../../src/metering/record.js";
import { applyRetention, usageReport, type ReportDimension, type UsageQuery, type UsageReportRow } from "../../src/metering/reports.js";
import { UsageWriter } from "../../src/metering/writer.js";
import { makeRecord, tempDir, usageDatabase, type UsageDatabase } from "./fixtures.js";

let db: UsageDatabase;
let spool: { path: string; remove(): Promise<void> };

// 600 records every 17 minutes from 2026-10-30 20:00 UTC: they cross a month boundary and several whole days.
const START = Date.UTC(2026, 9, 30, 20, 0, 0);
const RECORDS: UsageRecord[] = Array.from({ length: 600 }, (_, i) =>
  makeRecord(i, "rep", {
    occurredAt: new Date(START + i * 17 * 60_000 + (i % 1000)),
    userId: `u${i % 3}`,
    keyId: `k${i % 4}`,
    model: i % 5 < 3 ? "gpt-4o" : "gpt-4o-mini",
    deploymentId: i % 7 === 0 ? null : `d${i % 2}`,
    // A key determines its team: k0 and k1 are team t0's, k2 is t1's, k3 is of no team.
    teamId: i % 4 < 2 ? "t0" : i % 4 === 2 ? "t1" : null,
  }),
);

beforeAll(async () => {
  db = await usageDatabase();
  spool = await tempDir("reports");
  const writer = new UsageWriter(db.sql, { spoolDir: spool.path });
  await writer.start();
  for (const r of RECORDS) writer.record(r);
  await writer.close();
});

afterAll(async () => {
  await db.close();
  await spool.remove();
});

const FIELD: Record<ReportDimension, (r: UsageRecord) => string> = {
  day: (r) => r.occurredAt.toISOString().slice(0, 10),
  model: (r) => r.model,
  key: (r) => r.keyId,
  user: (r) => r.userId,
  deployment: (r) => r.deploymentId ?? "",
  team: (r) => r.teamId ?? "",
};
const LABEL: Record<ReportDimension, keyof UsageReportRow> = { day: "day", model: "model", key: "keyId", user: "userId", deployment: "deploymentId", team: "teamId" };

/** The report computed directly from the records: the oracle. */
function expected(q: UsageQuery, records: readonly UsageRecord[] = RECORDS): string[] {
  const groups = new Map<string, Record<string, string | number>>();
  for (const r of records) {
    const t = r.occurredAt.getTime();
    if (q.start !== undefined && t < q.start.getTime()) continue;
    if (q.end !== undefined && t >= q.end.getTime()) continue;
    if (q.userId !== undefined && r.userId !== q.userId) continue;
    if (q.keyId !== undefined && r.keyId !== q.keyId) continue;
    if (q.model !== undefined && r.model !== q.model) continue;
    if (q.deploymentId !== undefined && (r.deploymentId ?? "") !== q.deploymentId) continue;
    if (q.teamId !== undefined && r.teamId !== q.teamId) continue;
    const labels = Object.fromEntries(q.groupBy.map((d) => [LABEL[d], FIELD[d](r)]));
    const key = JSON.stringify(labels);
    const g = groups.get(key) ?? { ...labels, requests: 0, promptTokens: 0, cachedTokens: 0, completionTokens: 0, reasoningTokens: 0, costMicroUsd: 0 };
    const add = (k: string, n: number) => (g[k] = Number(g[k]) + n);
    add("requests", 1);
    add("promptTokens", r.promptTokens);
    add("cachedTokens", r.cachedTokens);
    add("completionTokens", r.completionTokens);
    add("reasoningTokens", r.reasoningTokens);
    add("costMicroUsd", r.costMicroUsd);
    groups.set(key, g);
  }
  if (q.groupBy.length === 0 && groups.size === 0) return [JSON.stringify(sorted({ requests: 0, promptTokens: 0, cachedTokens: 0, completionTokens: 0, reasoningTokens: 0, costMicroUsd: 0 }))];
  return [...groups.values()].map((g) => JSON.stringify(sorted(g))).sort();
}

function sorted(o: object): object {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

async function actual(q: UsageQuery): Promise<string[]> {
  const report = await usageReport(db.sql, q);
  const rows = report.rows.map((r) => JSON.stringify(sorted(r))).sort();
  // The total is the sum of the rows.
  const sum = (k: "requests" | "costMicroUsd") => report.rows.reduce((n, r) => n + r[k], 0);
  expect([report.total.requests, report.total.costMicroUsd]).toEqual([sum("requests"), sum("costMicroUsd")]);
  return rows;
}

const at = (iso: string) => new Date(iso);
const RANGES: Record<string, Pick<UsageQuery, "start" | "end">> = {
  "all time": {},
  "whole days": { start: at("2026-10-31T00:00:00Z"), end: at("2026-11-03T00:00:00Z") },
  "mid-day to mid-day": { start: at("2026-10-31T13:07:00.250Z"), end: at("2026-11-03T05:41:10Z") },
  "within one day": { start: at("2026-11-01T03:00:00Z"), end: at("2026-11-01T19:30:00Z") },
  "across midnight, no whole day": { start: at("2026-11-01T22:00:00Z"), end: at("2026-11-02T02:00:00Z") },
  "mid-day start only": { start: at("2026-11-02T11:11:11Z") },
  "mid-day end only": { end: at("2026-10-31T06:06:06Z") },
  "an empty stretch": { start: at("2030-01-01T00:00:00Z"), end: at("2030-01-02T12:00:00Z") },
};
const GROUPINGS: ReportDimension[][] = [[], ["day"], ["model"], ["key"], ["user"], ["deployment"], ["day", "model"], ["user", "key", "deployment"], ["team"], ["team", "key"]];
const FILTERS: Omit<UsageQuery, "groupBy" | "start" | "end">[] = [{}, { userId: "u1" }, { keyId: "k2" }, { model: "gpt-4o" }, { deploymentId: "d1" }, { deploymentId: "" }, { userId: "u2", model: "gpt-4o-mini" }, { teamId: "t0" }, { teamId: "t1", userId: "u1" }];

describe("usageReport", () => {
  for (const [name, range] of Object.entries(RANGES)) {
    it(`matches the records over ${name}, for every grouping and filter`, async () => {
      for (const groupBy of GROUPINGS) {
        for (const filter of FILTERS) {
          const q: UsageQuery = { ...filter, ...range, groupBy };
          expect(await actual(q), JSON.stringify(q)).toEqual(expected(q));
        }
      }
    });
  }

  it("reads whole days from the rollup and partial days from raw rows", async () => {
    const tx = await db.sql.reserve();
    try {
      await tx`begin`;
      // Raw rows of 2026-11-01 gone (as after retention): whole-day reads still see that day, partial-day reads do not.
      await tx`delete from usage_records where occurred_at >= '2026-11-01T00:00:00Z' and occurred_at < '2026-11-02T00:00:00Z'`;
      // Run on the reserved connection, which sees its own uncommitted delete.
      const scoped = (q: UsageQuery) => usageReport(tx, q);
      const day = { start: at("2026-11-01T00:00:00Z"), end: at("2026-11-02T00:00:00Z") };
      const onThatDay = RECORDS.filter((r) => r.occurredAt >= day.start && r.occurredAt < day.end).length;
      expect(onThatDay).toBeGreaterThan(80);
      expect((await scoped({ ...day, groupBy: [] })).total.requests).toBe(onThatDay);
      const partial = await scoped({ start: at("2026-11-01T06:00:00Z"), end: at("2026-11-02T00:00:00Z"), groupBy: [] });
      expect(partial.total.requests).toBe(0);
    } finally {
      await tx`rollback`;
      tx.release();
    }
  });

  it("groups in the order asked, and de-duplicates dimensions", async () => {
    const report = await usageReport(db.sql, { groupBy: ["model", "day", "model"] });
    expect(Object.keys(report.rows[0] ?? {}).slice(0, 2)).toEqual(["model", "day"]);
  });

  it("refuses a range that ends before it starts and an unknown grouping", async () => {
    await expect(usageReport(db.sql, { start: at("2026-11-02T00:00:00Z"), end: at("2026-11-01T00:00:00Z"), groupBy: [] })).rejects.toThrow(RangeError);
    await expect(usageReport(db.sql, { groupBy: ["hour" as ReportDimension] })).rejects.toThrow(/cannot group usage by 'hour'/);
  });
});

describe("partitions and retention", () => {
  it("creates this month's and next month's partitions, across a year end, once", async () => {
    expect(await ensurePartitions(db.sql, at("2027-12-15T12:00:00Z"))).toEqual(["usage_records_p202712", "usage_records_p202801"]);
    expect(await ensurePartitions(db.sql, at("2027-12-31T23:59:59Z"))).toEqual([]);
    const [bound] = await db.sql`select pg_get_expr(c.relpartbound, c.oid) as b from pg_class c where relname = 'usage_records_p202801'`;
    expect(String(bound?.["b"])).toMatch(/FROM \('2028-01-01 00:00:00\+00'\) TO \('2028-02-01 00:00:00\+00'\)/);
  });

  it("drops only raw partitions wholly older than the retention; rollups stay", async () => {
    const writer = new UsageWriter(db.sql, { spoolDir: spool.path });
    await writer.start();
    const old = [makeRecord(1, "aug", { occurredAt: at("2026-08-31T23:59:59.999Z") }), makeRecord(2, "sep", { occurredAt: at("2026-09-01T00:00:00Z") })];
    for (const r of old) writer.record(r);
    await writer.close();
    await db.sql.unsafe("create table usage_records_manual partition of usage_records for values from ('2000-01-01Z') to ('2000-02-01Z')");
    const before = await usageReport(db.sql, { groupBy: [] });

    await expect(applyRetention(db.sql, 0, at("2026-11-29T00:00:00Z"))).rejects.toThrow(RangeError);
    // Cutoff 2026-09-30: August ended before it, September did not.
    expect(await applyRetention(db.sql, 60, at("2026-11-29T00:00:00Z"))).toEqual({ dropped: ["usage_records_p202608"] });
    const parts = (await db.sql`select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'usage_records'::regclass order by 1`).map((r) => r["relname"]);
    expect(parts).toContain("usage_records_p202609");
    expect(parts).toContain("usage_records_p202610");
    expect(parts).toContain("usage_records_manual");
    expect(parts).not.toContain("usage_records_p202608");
    const [gone] = await db.sql`select count(*)::int as n from usage_records where request_id = 'aug-1'`;
    expect(Number(gone?.["n"])).toBe(0);
    // The rollup still has August, so all-time totals do not change.
    expect(await usageReport(db.sql, { groupBy: [] })).toEqual(before);
    expect(await applyRetention(db.sql, 60, at("2026-11-29T00:00:00Z"))).toEqual({ dropped: [] });
  });
});
