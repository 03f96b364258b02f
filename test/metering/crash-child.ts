// Run by crash.test.ts as a child process: records usage while Postgres is unreachable, reports what it spooled, then waits to be killed.
import postgres from "postgres";
import { UsageWriter } from "../../src/metering/writer.js";
import { makeRecords } from "./fixtures.js";

const [spoolDir, port, countText] = process.argv.slice(2);
const count = Number(countText);
if (spoolDir === undefined || port === undefined || !Number.isSafeInteger(count)) throw new Error("usage: crash-child <spoolDir> <freePort> <count>");

const sql = postgres(`postgres://postgres@127.0.0.1:${port}/none`, { max: 1, connect_timeout: 1, onnotice: () => {} });
const writer = new UsageWriter(sql, { spoolDir, maxBatch: 50, maxBuffer: 100, probeIntervalMs: 60_000, writeTimeoutMs: 2_000 });
await writer.start();
for (const r of makeRecords(count, "crash")) writer.record(r);

// Settled: every record is either spooled (fsync'd) or still in memory, and nothing is moving.
let last = -1;
for (;;) {
  await new Promise((r) => setTimeout(r, 200));
  const s = writer.stats();
  if (s.spooled + s.buffered === count && s.spooled === last) break;
  last = s.spooled;
}
process.stdout.write(`${JSON.stringify({ spooled: writer.stats().spooled })}\n`);
setInterval(() => {}, 60_000); // alive until SIGKILL: no close(), no flush
