// A writer killed with SIGKILL during an outage: what it had spooled is replayed by the next start, once, torn lines skipped.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { appendFile, readdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, expect, it } from "vitest";
import { UsageWriter } from "../../src/metering/writer.js";
import { freePort, rollupVersusRaw, storedIds, tempDir, usageDatabase, type UsageDatabase } from "./fixtures.js";

const CHILD = fileURLToPath(new URL("./crash-child.ts", import.meta.url));
let db: UsageDatabase;
let spool: { path: string; remove(): Promise<void> };

beforeEach(async () => {
  db = await usageDatabase();
  spool = await tempDir("crash");
});

afterEach(async () => {
  await db.close();
  await spool.remove();
});


it("replays at start what a crashed writer had spooled, exactly once", async () => {
  const count = 1000;
  const child = spawn(process.execPath, ["--import", "tsx", CHILD, spool.path, String(await freePort()), String(count)], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const deadline = Date.now() + 20_000;
  while (!out.includes("\n")) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`crash child failed: ${err}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  child.kill("SIGKILL");
  await once(child, "exit");

  const report: unknown = JSON.parse(out.trim());
  const spooled = typeof report === "object" && report !== null ? Reflect.get(report, "spooled") : undefined;
  if (typeof spooled !== "number") throw new Error(`unexpected child report: ${out}`);
  // Past the 100-record buffer bound everything went to disk; what was still in memory died with the process.
  expect(spooled).toBeGreaterThanOrEqual(count - 100);
  expect(spooled).toBeLessThan(count);

  // A crash in the middle of a write leaves a torn last line.
  const files = (await readdir(spool.path)).filter((f) => f.startsWith("usage-")).sort();
  expect(files.length).toBeGreaterThan(0);
  await appendFile(`${spool.path}/${files[files.length - 1] ?? ""}`, '{"requestId":"torn","occurredAt":"2026-11-');

  const events: { event: string; fields: Record<string, unknown> | undefined }[] = [];
  const writer = new UsageWriter(db.sql, { spoolDir: spool.path, logger: { warn: (event, fields) => void events.push({ event, fields }) } });
  await writer.start();
  try {
    expect(await storedIds(db.sql)).toEqual({ rows: spooled, distinct: spooled });
    // The oldest records spilled first: exactly crash-0 .. crash-(spooled-1) are in.
    const [range] = await db.sql`select min(split_part(request_id, '-', 2)::int) as lo, max(split_part(request_id, '-', 2)::int) as hi from usage_records`;
    expect([Number(range?.["lo"]), Number(range?.["hi"])]).toEqual([0, spooled - 1]);
    expect(events.filter((e) => e.event === "metering.spool_replayed").reduce((n, e) => n + Number(e.fields?.["invalid"] ?? 0), 0)).toBe(1);
    expect((await readdir(spool.path)).filter((f) => f.startsWith("usage-"))).toEqual([]);
    const { rollup, raw } = await rollupVersusRaw(db.sql);
    expect(rollup).toEqual(raw);
  } finally {
    await writer.close();
  }
});
