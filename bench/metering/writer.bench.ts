// Sustained usage records per second the writer holds into the local Postgres, and the batch sizes it forms.
// Run: npx tsx bench/metering/writer.bench.ts [seconds=10] [offered records/s=20000]
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import type { UsageRecord } from "../../src/metering/record.js";
import { UsageWriter } from "../../src/metering/writer.js";
import { migrate } from "../../src/store/migrate.js";
import { migrations } from "../../src/store/migrations/index.js";

const ADMIN_URL = process.env["TEST_DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/postgres";
const seconds = Number(process.argv[2] ?? 10);
const offered = Number(process.argv[3] ?? 20_000);
const TICK_MS = 10;
if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 120 || !Number.isSafeInteger(offered) || offered <= 0) {
  throw new Error("usage: writer.bench.ts [seconds 1..120] [offered records per second]");
}

function record(i: number, now: Date): UsageRecord {
  return {
    requestId: `bench-${i}`,
    occurredAt: now,
    userId: `user-${i % 50}`,
    keyId: `key-${i % 200}`,
    model: i % 3 === 0 ? "gpt-4o-mini" : "gpt-4o",
    deploymentId: `dep-${i % 4}`,
    region: "swedencentral",
    protocol: i % 2 === 0 ? "http" : "grpc",
    streamed: i % 2 === 0,
    outcome: "ok",
    promptTokens: 500 + (i % 100),
    cachedTokens: i % 4 === 0 ? 128 : 0,
    completionTokens: 200 + (i % 50),
    reasoningTokens: 0,
    costMicroUsd: 3_000 + (i % 1000),
    latencyMs: 400,
    ttftMs: 80,
    estimated: false,
    teamId: null,
  };
}

async function main(): Promise<void> {
  const name = `aik_bench_${randomBytes(4).toString("hex")}`;
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin`create database ${admin(name)}`;
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const sql = postgres(url.toString(), { max: 10, onnotice: () => {} });
  const spoolDir = await mkdtemp(join(tmpdir(), "aik-bench-spool-"));
  try {
    await migrate(sql, migrations);
    const writer = new UsageWriter(sql, { spoolDir });
    await writer.start();
    // Offer `offered` records/s for `seconds`, in slices about 10 ms apart as a request path
    // would; each slice catches up to the schedule, so timer drift does not lower the rate.
    let n = 0;
    const began = performance.now();
    while (performance.now() - began < seconds * 1000) {
      const now = new Date();
      const due = Math.floor((offered * (performance.now() - began)) / 1000);
      while (n < due) writer.record(record(n++, now));
      await new Promise((r) => setTimeout(r, TICK_MS));
    }
    const offeredFor = (performance.now() - began) / 1000;
    await writer.flush();
    const drained = (performance.now() - began) / 1000;
    const s = writer.stats();
    await writer.close();
    const [row] = await sql`select count(*)::int as rows, count(distinct xmin::text)::int as txs from usage_records`;
    const stored = Number(row?.["rows"]);
    console.log(`offered ${n} records in ${offeredFor.toFixed(1)} s (${Math.round(n / offeredFor)}/s)`);
    console.log(`stored ${stored} in ${drained.toFixed(1)} s: ${Math.round(stored / drained)} records/s sustained`);
    console.log(`batches ${s.batches} (transactions seen in the table: ${row?.["txs"]}), mean ${(s.inserted / Math.max(1, s.batches)).toFixed(0)} rows, smallest ${s.smallestBatch}, largest ${s.largestBatch}`);
    console.log(`spooled ${s.spooled}, replayed ${s.replayed}, lost ${s.lost}, duplicates ${s.duplicates}`);
    if (stored !== n) throw new Error(`stored ${stored} of ${n} records`);
  } finally {
    await sql.end({ timeout: 1 });
    await admin`drop database if exists ${admin(name)} with (force)`;
    await admin.end({ timeout: 1 });
    await rm(spoolDir, { recursive: true, force: true });
  }
}

await main();
