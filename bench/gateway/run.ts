// Entry: the gateway against the emulator called directly and a bare undici proxy, each in its own process, as ratios in
// one run, then issue 11's figures against their targets. Exits 1 on errors (a failed request included), never on a missed target.
// Run: npm run bench, or npx tsx bench/gateway/run.ts [seconds=10] [concurrency=32]   (options: bench/README.md)
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { cpus, loadavg } from "node:os";
import postgres from "postgres";
import { floorErrors, floorTable, measureFloor, type FloorRow } from "../floor/measure.js";
import { createDatabase, type BenchDatabase } from "./database.js";
import { gcTable, readStalls } from "./gc-pauses.js";
import { idleStreamsTable } from "./idle-report.js";
import type { IdleStreamsResult } from "./idle-streams.js";
import { issueFigures, issueTable, SCENARIO } from "./issue-figures.js";
import { startLoadGenerator } from "./measure.js";
import { allocProfileFile, readOptions, wanted } from "./options.js";
import { memory, type Memory } from "./proc-stats.js";
import { compileForBench, killAllNow, stopAll } from "./processes.js";
import { CommandCounter, startPrivateRedis } from "./redis-stats.js";
import { addedTable, figuresTable, ratiosTable, type Row } from "./report.js";
import { idleStreams, latencyOneAtATime, throughput, timeToFirstToken, type Stack } from "./scenario-runs.js";
import { gcFile, startEmulator, startGateway, startProxy, upstreamConnections, workDir } from "./stack.js";
import { wrkLatency } from "./wrk.js";

const opts = readOptions(process.argv.slice(2), process.env);

// Everything the run must undo, whichever way it ends.
const dir = workDir();
// The Redis is the gateway's own and thrown away at the end, but a prefix keeps its keys recognisable while it runs.
const redisPrefix = `aik-bench-${Date.now().toString(36)}-`;
let database: BenchDatabase | undefined;
let redisCounter: CommandCounter | undefined;
let cleaning: Promise<void> | undefined;
let interrupted = false;

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    redisCounter?.close();
    await stopAll();
    await database?.drop().catch((err: unknown) => console.error(`could not drop the bench database: ${String(err)}`));
    if (!opts.cpuProfile && !opts.allocProfile && opts.gatewayNodeFlags.length === 0) await rm(dir, { recursive: true, force: true });
    console.error(`stopped every bench process${database ? `, dropped database ${database.name}` : ""}`);
  })();
  return cleaning;
}

for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]] as const) {
  process.once(signal, () => {
    interrupted = true;
    console.error(`\n${signal}: stopping the bench's processes and dropping its database...`);
    void cleanup().finally(() => process.exit(code));
  });
}
// An error thrown in an event handler skips main's finally: the database must still be dropped.
process.once("uncaughtException", (err) => {
  console.error(err);
  void cleanup().finally(() => process.exit(1));
});
process.once("exit", killAllNow);

async function usageRows(url: string): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql`select count(*)::int as n from usage_records`;
    return Number(row?.["n"]);
  } finally {
    await sql.end({ timeout: 1 });
  }
}

async function startStack(): Promise<Stack> {
  console.error("compiling src/ and the bench with tsc into dist/ (every process runs compiled, as deployed)...");
  await compileForBench();
  database = await createDatabase();
  const redis = opts.redis ? await startPrivateRedis() : undefined;
  const connections = upstreamConnections(opts.openStreams);
  const emulator = await startEmulator();
  const proxy = await startProxy(emulator.url, connections, opts.cpuProfile ? join(dir, "proxy") : undefined);
  const gateway = await startGateway({
    emulatorUrl: emulator.url,
    databaseUrl: database.url,
    redisUrl: redis?.url,
    redisPrefix,
    upstreamConnections: connections,
    workDir: dir,
    cpuProfile: opts.cpuProfile,
    nodeFlags: opts.gatewayNodeFlags,
    allocProfile: opts.allocProfile,
  });
  const load = await startLoadGenerator();
  redisCounter = redis ? new CommandCounter(redis.url) : undefined;
  console.error(
    `emulator ${emulator.url} (pid ${emulator.child.pid}), proxy ${proxy.url} (pid ${proxy.child.pid}), gateway ${gateway.url} + grpc ${gateway.grpcAddress} (pid ${gateway.child.pid})` +
      (redis ? `, its redis ${redis.url}` : ", in-process limits"),
  );
  const processes = { emulator: emulator.child, proxy: proxy.child, gateway: gateway.child, load };
  return { opts, emulator, proxy, gateway, processes, redis: redisCounter, workDir: dir };
}

function errorsIn(rows: readonly Row[], idle: IdleStreamsResult | undefined, floor: readonly FloorRow[] | undefined): number {
  return rows.reduce((n, r) => n + r.summary.errors, 0) + (idle ? idle.failed + idle.endedEarly : 0) + (floor ? floorErrors(floor).count : 0);
}

/** The transport floor (bench/floor), after the gateway has stopped: node:http, node:http2 and grpc-js, for the gRPC ceilings. */
async function transportFloor(): Promise<FloorRow[] | undefined> {
  if (!wanted(opts, "transport floor")) return undefined;
  const { seconds, warmupSeconds, concurrency, rounds } = opts;
  // As every other row: the row's seconds split over its rounds.
  const rows = await measureFloor({ seconds: seconds / rounds, warmupSeconds, concurrency, rounds }, (what) => console.error(what));
  for (const e of floorErrors(rows).first) console.error(`first error: ${e}`);
  return rows;
}

async function main(): Promise<void> {
  const started = new Date();
  const load0 = loadavg()[0] ?? 0;
  const stack = await startStack();
  const { gateway } = stack;

  // Memory first: the gateway has served only its warm-up streams, so the growth measured is the streams' own and not
  // absorbed by heap the throughput scenarios would have grown and left free.
  const idle = await idleStreams(stack);
  const rows = [...(await throughput(stack)), ...(await latencyOneAtATime(stack)), ...(await timeToFirstToken(stack))];
  const wrk = opts.wrk ? await wrkLatency(stack) : undefined;

  const gatewayMemory: Memory = memory(gateway.child.pid);
  const metrics = await fetch(`${gateway.url}/metrics`, { headers: { authorization: `Bearer ${gateway.adminToken}` } }).then((r) => r.text());
  let counted = 0;
  for (const m of metrics.matchAll(/^aik_requests_total\{[^}]*\} (\d+)/gm)) counted += Number(m[1]);
  // Stopping the gateway flushes its metering batches; then the rows can be counted.
  await gateway.child.stop();
  const rowsWritten = database ? await usageRows(database.url) : 0;
  // Written by the gateway as it exited.
  const stalls = readStalls(gcFile(dir));
  const floor = await transportFloor();

  const cpu = cpus();
  const { seconds, rounds, warmupSeconds, concurrency } = opts;
  const out = (...lines: string[]): void => console.log([...lines, ""].join("\n"));
  out(
    `## Gateway bench, ${started.toISOString()}`,
    "",
    `${cpu.length} × ${cpu[0]?.model.trim() ?? "?"}, load average ${load0.toFixed(2)} at start, node ${process.version}; ` +
      `${seconds} s measured per row in ${rounds} alternating round(s) (each after a ${warmupSeconds} s warm-up), ${concurrency} concurrent requests ` +
      `(1 in the latency scenario), closed loop; emulator with no delays except in the TTFT and memory scenarios` +
      (opts.redis ? "; the gateway's limits in its own redis-server." : "; gateway limits IN PROCESS (BENCH_REDIS=off), not Redis."),
  );
  out("### Throughput, latency and TTFT scenarios", "", figuresTable(rows), "", ratiosTable(rows));
  out(`### Latency, one request at a time (HTTP unary, c=1)`, "", addedTable(rows, SCENARIO.latency, "latency", (s) => [s.latencyP50Ms, s.latencyP99Ms]));
  if (wrk) out("The same, measured by wrk (one thread, one connection):", "", wrk);
  out(
    `### Time to first token (stream of 20 chunks 10 ms apart, first after 10 ms; c=${concurrency})`,
    "",
    addedTable(rows, SCENARIO.ttft, "TTFT", (s) => [s.ttftP50Ms, s.ttftP99Ms]),
    "",
    "The same first chunks' transit: from the emulator handing each to its socket (the send time it writes into the chunk) to the load process reading it; the emulator's own timer jitter, which TTFT carries, is not in it.",
    "",
    addedTable(rows, SCENARIO.ttft, "transit", (s) => [s.transitP50Ms, s.transitP99Ms]),
  );
  out(
    "### The gateway's garbage-collection pauses and event-loop delay in the measured windows",
    "",
    stalls ? gcTable(rows, stalls) : "Not recorded: the gateway did not exit cleanly, so its GC sampler wrote nothing.",
    "",
    "From a PerformanceObserver in the gateway (bench/gateway/gc-sampler.ts): each collection's main-thread pause, counted in the window where it ended. Every request or chunk that arrives during a pause waits for it. " +
      "Loop delay: how late the gateway ran a 10 ms timer; a first token's added transit well above it waited for the machine's CPUs, not for the gateway's loop.",
  );
  if (idle) out(`### Idle streams held open through the gateway`, "", idleStreamsTable(idle));
  if (floor) {
    out(
      "### Transport floor (bench/floor: a fixed answer, no gateway)",
      "",
      floorTable(floor),
      "",
      "What a Node server pays per call on each transport before it does any work of its own; the gRPC ceilings below add grpc-js's excess to the gateway's HTTP cost.",
    );
  }
  out(
    `Gateway at the end: RSS ${gatewayMemory.rssMiB.toFixed(0)} MiB (peak ${gatewayMemory.peakRssMiB.toFixed(0)} MiB); ` +
      `/metrics counted ${counted} requests; usage_records holds ${rowsWritten} rows (warm-ups and idle streams included).`,
    "CPU columns are percent of one core over the measured window; 'middle' is the bare proxy or the gateway process. " +
      "Redis and Postgres CPU are not included. TTFT = time to the first chunk with content; TTFB = to the first body chunk.",
  );
  out(`### Issue 11: figures and targets (c=${concurrency} unless said)`, "", issueTable(issueFigures({ rows, idle, rssReturnSeconds: opts.rssReturnSeconds, redis: opts.redis, floor })));
  const errors = errorsIn(rows, idle, floor);
  out(`errors: ${errors}`);
  if (opts.cpuProfile) {
    out(`CPU profiles: the gateway's ${dir}/*.cpuprofile, the bare proxy's ${dir}/proxy/*.cpuprofile (read one with: npx tsx bench/gateway/profile-top.ts <file>)`);
  }
  if (opts.allocProfile) out(`Allocation profile: ${dir}/${allocProfileFile(opts.allocProfile)} (read it with: npx tsx bench/gateway/profile-top.ts <file>)`);
  if (opts.gatewayNodeFlags.length > 0) out(`The gateway ran with ${opts.gatewayNodeFlags.join(" ")}; what it printed: ${dir}/gateway.out`);
  if (errors > 0) {
    console.error(`${errors} requests or streams failed: the figures above are not to be trusted (their first errors are above).`);
    process.exitCode = 1;
  }
}

try {
  await main();
} catch (err) {
  // After a signal, the load processes' ends are expected, not errors.
  if (!interrupted) console.error(err);
  process.exitCode = 1;
} finally {
  await cleanup();
}
