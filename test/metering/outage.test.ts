// Postgres outages, on a private Postgres this suite stops and starts: records spool to disk and come back, none lost, none twice.
import postgres from "postgres";
import { afterAll, beforeAll, expect, it } from "vitest";
import { UsageWriter } from "../../src/metering/writer.js";
import { migrate } from "../../src/store/migrate.js";
import { migrations } from "../../src/store/migrations/index.js";
import { makeRecords, rollupVersusRaw, spoolLines, storedIds, tempDir, waitFor } from "./fixtures.js";
import { startPrivatePostgres, type PrivatePostgres } from "../support/private-postgres.js";

let pg: PrivatePostgres;
let sql: postgres.Sql;
let check: postgres.Sql;
let spool: { path: string; remove(): Promise<void> };
const events: string[] = [];
const options = () => ({
  spoolDir: spool.path,
  maxBatch: 100,
  maxBuffer: 500,
  flushIntervalMs: 20,
  probeIntervalMs: 100,
  writeTimeoutMs: 3_000,
  logger: { warn: (event: string, fields?: object) => { events.push(event); if (process.env["DEBUG_METERING"]) console.log(event, fields); } },
});

beforeAll(async () => {
  pg = await startPrivatePostgres();
  sql = postgres(pg.url, { max: 4, connect_timeout: 2, onnotice: () => {} });
  check = postgres(pg.url, { max: 1, connect_timeout: 2, onnotice: () => {} });
  await migrate(sql, migrations);
  spool = await tempDir("outage");
}, 120_000);

afterAll(async () => {
  await Promise.all([sql?.end({ timeout: 1 }), check?.end({ timeout: 1 })]);
  await pg?.destroy();
  await spool?.remove();
});

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

it("spools what arrives while Postgres is down and replays it when Postgres returns", async () => {
  const writer = new UsageWriter(sql, options());
  await writer.start();
  try {
    const before = makeRecords(1000, "before");
    for (const r of before) writer.record(r);
    await writer.flush();
    expect(await storedIds(check)).toEqual({ rows: 1000, distinct: 1000 });

    const spooledBefore = writer.stats().spooled;
    await pg.stop();
    const during = makeRecords(3000, "during");
    for (let i = 0; i < during.length; i += 100) {
      for (const r of during.slice(i, i + 100)) writer.record(r);
      await pause(5);
    }
    await waitFor("the writer to notice", () => writer.stats().down);
    // Past the 500-record buffer bound, records went to disk.
    const spilled = () => writer.stats().spooled - spooledBefore;
    await waitFor("the spill", async () => spilled() >= 2500 && (await spoolLines(spool.path)).lines.length === spilled());
    expect(writer.stats().buffered).toBeLessThanOrEqual(500);
    expect(events).toContain("metering.db_unavailable");

    await pg.start();
    await waitFor("recovery and replay", async () => {
      const s = writer.stats();
      return !s.down && !s.spoolPending && s.buffered === 0 && (await spoolLines(spool.path)).files.length === 0;
    }, 30_000);
    await writer.flush();

    expect(await storedIds(check)).toEqual({ rows: 4000, distinct: 4000 });
    const ids = new Set((await check`select request_id from usage_records`).map((r) => r["request_id"]));
    for (const r of [...before, ...during]) expect(ids.has(r.requestId)).toBe(true);
    const { rollup, raw } = await rollupVersusRaw(check);
    expect(rollup).toEqual(raw);
    const [sum] = await check`select sum(requests)::int as n from usage_daily`;
    expect(Number(sum?.["n"])).toBe(4000);
    expect(events).toContain("metering.db_recovered");
    expect(events).toContain("metering.spool_replayed");
  } finally {
    await writer.close();
  }
});

it("close() during an outage spools everything, and the next start replays it", async () => {
  const writer = new UsageWriter(sql, options());
  await writer.start();
  await pg.stop();
  const late = makeRecords(450, "shutdown");
  for (const r of late) writer.record(r); // below the buffer bound: all of it still in memory
  await writer.close();
  expect(writer.stats()).toMatchObject({ spooled: 450, lost: 0, buffered: 0, down: true });
  expect((await spoolLines(spool.path)).lines).toHaveLength(450);

  await pg.start();
  const next = new UsageWriter(sql, options());
  await next.start();
  try {
    expect(await storedIds(check)).toEqual({ rows: 4450, distinct: 4450 });
    expect((await spoolLines(spool.path)).files).toEqual([]);
    const { rollup, raw } = await rollupVersusRaw(check);
    expect(rollup).toEqual(raw);
  } finally {
    await next.close();
  }
});
