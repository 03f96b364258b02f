// The same metering on embedded PGlite (zero-config mode): migration, partitions, batched writes, replays, reports, retention.
import { afterAll, beforeAll, expect, it } from "vitest";
import { ensurePartitions } from "../../src/metering/partitions.js";
import { applyRetention, usageReport } from "../../src/metering/reports.js";
import { UsageWriter } from "../../src/metering/writer.js";
import { openDatabase, type Database } from "../../src/store/database.js";
import { migrate } from "../../src/store/migrate.js";
import { migrations } from "../../src/store/migrations/index.js";
import { makeRecord, makeRecords, rollupVersusRaw, spoolLines, storedIds, tempDir } from "./fixtures.js";

let root: { path: string; remove(): Promise<void> };
let db: Database;

beforeAll(async () => {
  root = await tempDir("embedded-metering");
  db = await openDatabase({ url: undefined, dataDir: `${root.path}/pgdata`, maxConnections: 4 });
  expect(db.embedded).toBe(true);
  await migrate(db.sql, migrations);
}, 60_000);

afterAll(async () => {
  await db?.close();
  await root?.remove();
});

it("writes, dedupes and rolls up on PGlite as on Postgres", async () => {
  expect(await ensurePartitions(db.sql, new Date("2026-11-29T00:00:00Z"))).toEqual(["usage_records_p202611", "usage_records_p202612"]);
  const spoolDir = `${root.path}/spool`;
  const writer = new UsageWriter(db.sql, { spoolDir });
  await writer.start();
  const records = makeRecords(3000, "lite");
  for (const r of records) writer.record(r);
  await writer.flush();
  for (const r of records.slice(0, 1000)) writer.record(r); // replayed: skipped
  writer.record(makeRecord(1, "lite-old", { occurredAt: new Date("2026-01-15T00:00:00Z") }));
  await writer.close();

  expect(await storedIds(db.sql)).toEqual({ rows: 3001, distinct: 3001 });
  expect(writer.stats()).toMatchObject({ inserted: 3001, duplicates: 1000, lost: 0 });
  expect(writer.stats().largestBatch).toBe(1000);
  const { rollup, raw } = await rollupVersusRaw(db.sql);
  expect(rollup).toEqual(raw);
  expect((await spoolLines(spoolDir)).files).toEqual([]);

  const byModel = await usageReport(db.sql, { groupBy: ["model"], start: new Date("2026-11-29T00:00:03Z") });
  expect(byModel.rows.map((r) => r.model)).toEqual(["gpt-4.1", "gpt-4o", "gpt-4o-mini", "o4-mini", "text-embedding-3-small"]);
  const expectedRequests = records.filter((r) => r.occurredAt >= new Date("2026-11-29T00:00:03Z")).length;
  expect(byModel.total.requests).toBe(expectedRequests);

  expect(await applyRetention(db.sql, 30, new Date("2026-11-29T00:00:00Z"))).toEqual({ dropped: ["usage_records_p202601"] });
  expect(await storedIds(db.sql)).toEqual({ rows: 3000, distinct: 3000 });
  expect((await usageReport(db.sql, { groupBy: [] })).total.requests).toBe(3001);
});
