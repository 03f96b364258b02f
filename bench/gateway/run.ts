// Entry: the gateway against the emulator called directly and a bare undici proxy, each in its own process, as ratios in one run.
// Run: npx tsx bench/gateway/run.ts [seconds=10] [concurrency=32]   (BENCH_ROUNDS=2 windows per row; BENCH_CPU_PROF=1 writes the gateway's .cpuprofile)
import { rm } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { Redis } from "ioredis";
import postgres from "postgres";
import { createDatabase, type BenchDatabase } from "./database.js";
import { parseMessage, type LoadSamples, type LoadSpec } from "./load-spec.js";
import { cpuSeconds, memory, type Memory } from "./proc-stats.js";
import { killAllNow, spawnNode, stopAll, type NodeChild } from "./processes.js";
import { figuresTable, ratiosTable, type Door, type Row } from "./report.js";
import { startEmulator, startGateway, startProxy, workDir, EMULATOR_KEY, type Front, type Gateway } from "./stack.js";
import { AZURE_PATH, COMPLETE, httpBody, RESPONSES_PATH, responsesBody } from "./scenarios.js";
import { summarize } from "./summary.js";

const seconds = Number(process.argv[2] ?? 10);
const concurrency = Number(process.argv[3] ?? 32);
if (!Number.isFinite(seconds) || seconds < 1 || seconds > 600 || !Number.isInteger(concurrency) || concurrency < 1 || concurrency > 4096) {
  throw new Error("usage: npx tsx bench/gateway/run.ts [seconds 1..600] [concurrency 1..4096]");
}
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20) throw new Error("BENCH_ROUNDS must be an integer from 1 to 20");
// Each load process warms its own JIT and connections; the servers stay warm from the rows before.
const warmupSeconds = Math.min(2, Math.max(1, seconds / 5));
const REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
const cpuProfile = process.env.BENCH_CPU_PROF === "1";
// Diagnostic only: BENCH_REDIS=off gives the gateway its in-process limiter, to show what the Redis round trips cost.
const gatewayRedis = process.env.BENCH_REDIS === "off" ? undefined : REDIS_URL;

// Everything the run must undo, whichever way it ends.
const dir = workDir();
const redisPrefix = `aik-bench-${Date.now().toString(36)}-`;
let database: BenchDatabase | undefined;
let cleaning: Promise<void> | undefined;
let interrupted = false;

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await stopAll();
    await database?.drop().catch((err: unknown) => console.error(`could not drop the bench database: ${String(err)}`));
    await deleteRedisKeys().catch((err: unknown) => console.error(`could not delete the bench's Redis keys: ${String(err)}`));
    if (!cpuProfile) await rm(dir, { recursive: true, force: true });
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
process.once("exit", killAllNow);

async function deleteRedisKeys(): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${redisPrefix}*`, "COUNT", 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

interface Processes {
  readonly emulator: NodeChild;
  readonly proxy: NodeChild;
  readonly gateway: NodeChild;
}

interface Measured {
  readonly samples: LoadSamples;
  /** CPU seconds used in the measured window by the emulator, proxy, gateway and load processes. */
  readonly cpu: readonly [number, number, number, number];
}

/** One load process against one front door; the CPU of every process is read as the measured window opens and closes. */
async function measureOnce(p: Processes, spec: LoadSpec, label: string): Promise<Measured> {
  const { child: load } = await spawnNode({ name: `load (${label})`, script: "bench/gateway/load.ts", args: [JSON.stringify(spec)] });
  const pids = [p.emulator.pid, p.proxy.pid, p.gateway.pid, load.pid];
  let before: number[] = [];
  let measured: Measured | undefined;
  load.proc.on("message", (m: unknown) => {
    const msg = parseMessage(m);
    if (msg?.kind === "measuring") before = pids.map(cpuSeconds);
    if (msg?.kind === "result") {
      const used = pids.map((pid, i) => cpuSeconds(pid) - (before[i] ?? 0));
      measured = { samples: msg.samples, cpu: [used[0] ?? 0, used[1] ?? 0, used[2] ?? 0, used[3] ?? 0] };
    }
  });
  await new Promise<void>((resolve) => load.proc.once("exit", () => resolve()));
  await load.stop();
  if (!measured) throw new Error(`the load process for ${label} ended without a result:\n${load.tail()}`);
  if (measured.samples.errors > 0) console.error(`${label}: ${measured.samples.errors} errors, first: ${measured.samples.firstError ?? "?"}`);
  return measured;
}

interface Contender {
  readonly door: Door;
  readonly spec: LoadSpec;
}

/**
 * Each front door is measured in `rounds` windows of seconds/rounds, the order reversed every
 * other round (direct, proxy, gateway, gateway, proxy, direct...): on a shared machine a burst
 * of someone else's work then falls on every door alike instead of on one row.
 */
async function measureScenario(p: Processes, scenario: string, contenders: readonly Contender[], comparedWith?: string): Promise<Row[]> {
  const got = new Map<Door, Measured[]>();
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? contenders : [...contenders].reverse();
    for (const c of order) {
      const label = `${scenario} / ${c.door} (round ${round + 1} of ${rounds})`;
      console.error(`${label}: ${c.spec.warmupSeconds} s warm-up, ${c.spec.seconds} s measured...`);
      got.set(c.door, [...(got.get(c.door) ?? []), await measureOnce(p, c.spec, label)]);
    }
  }
  return contenders.map(({ door }) => {
    const ms = got.get(door) ?? [];
    const cpu = (i: 0 | 1 | 2 | 3): number => ms.reduce((sum, m) => sum + m.cpu[i], 0);
    return { scenario, door, comparedWith, summary: summarize(ms.map((m) => m.samples)), cpu: { emulator: cpu(0), proxy: cpu(1), gateway: cpu(2), load: cpu(3) } };
  });
}

type Api = "chat" | "responses";

function httpSpec(front: Front, key: Record<string, string>, stream: boolean, api: Api = "chat"): LoadSpec {
  const [path, body] = api === "chat" ? [AZURE_PATH, httpBody(stream)] : [RESPONSES_PATH, responsesBody(stream)];
  const complete = COMPLETE[api][stream ? "stream" : "unary"];
  return { protocol: "http", stream, target: front.url, path, headers: key, body, complete, concurrency, warmupSeconds, seconds: seconds / rounds };
}

function grpcSpec(gw: Gateway, stream: boolean): LoadSpec {
  const headers = { authorization: `Bearer ${gw.apiKey}` };
  return { protocol: "grpc", stream, target: gw.grpcAddress, path: "", headers, body: "", complete: "", concurrency, warmupSeconds, seconds: seconds / rounds };
}

async function usageRows(url: string): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql`select count(*)::int as n from usage_records`;
    return Number(row?.["n"]);
  } finally {
    await sql.end({ timeout: 1 });
  }
}

async function main(): Promise<void> {
  const started = new Date();
  const load0 = loadavg()[0] ?? 0;
  database = await createDatabase();
  const emulator = await startEmulator();
  const proxy = await startProxy(emulator.url);
  const gateway = await startGateway({ emulatorUrl: emulator.url, databaseUrl: database.url, redisUrl: gatewayRedis, redisPrefix, workDir: dir, cpuProfile });
  const p: Processes = { emulator: emulator.child, proxy: proxy.child, gateway: gateway.child };
  console.error(`emulator ${emulator.url} (pid ${emulator.child.pid}), proxy ${proxy.url} (pid ${proxy.child.pid}), gateway ${gateway.url} + grpc ${gateway.grpcAddress} (pid ${gateway.child.pid})`);

  const emulatorKey = { "api-key": EMULATOR_KEY };
  const gatewayKey = { "api-key": gateway.apiKey };
  const rows: Row[] = [];
  // The Responses stream row sits beside the chat stream row: the same answer as more, named events.
  const httpScenarios = [["HTTP unary", false, "chat"], ["HTTP stream", true, "chat"], ["HTTP Responses stream", true, "responses"]] as const;
  for (const [scenario, stream, api] of httpScenarios) {
    const contenders: Contender[] = [
      { door: "emulator direct", spec: httpSpec(emulator, emulatorKey, stream, api) },
      { door: "bare proxy", spec: httpSpec(proxy, emulatorKey, stream, api) },
      { door: "gateway", spec: httpSpec(gateway, gatewayKey, stream, api) },
    ];
    rows.push(...(await measureScenario(p, scenario, contenders)));
  }
  // gRPC has no direct or proxied twin here: its rows are set beside the HTTP scenario's.
  for (const [scenario, stream, base] of [["gRPC unary", false, "HTTP unary"], ["gRPC stream", true, "HTTP stream"]] as const) {
    rows.push(...(await measureScenario(p, scenario, [{ door: "gateway", spec: grpcSpec(gateway, stream) }], base)));
  }

  const gatewayMemory: Memory = memory(gateway.child.pid);
  const metrics = await fetch(`${gateway.url}/metrics`, { headers: { authorization: `Bearer ${gateway.adminToken}` } }).then((r) => r.text());
  let counted = 0;
  for (const m of metrics.matchAll(/^aik_requests_total\{[^}]*\} (\d+)/gm)) counted += Number(m[1]);
  // Stopping the gateway flushes its metering batches; then the rows can be counted.
  await gateway.child.stop();
  const rowsWritten = await usageRows(database.url);

  const cpu = cpus();
  console.log(`## Gateway bench, ${started.toISOString()}`);
  console.log("");
  console.log(
    `${cpu.length} × ${cpu[0]?.model.trim() ?? "?"}, load average ${load0.toFixed(2)} at start, node ${process.version}; ` +
      `${seconds} s measured per row in ${rounds} alternating rounds (each after a ${warmupSeconds} s warm-up), ${concurrency} concurrent requests, closed loop; emulator with no delays` +
      (gatewayRedis ? "." : "; gateway limits IN PROCESS (BENCH_REDIS=off), not Redis."),
  );
  console.log("");
  console.log(figuresTable(rows));
  console.log("");
  console.log(ratiosTable(rows));
  console.log("");
  console.log(
    `Gateway at the end: RSS ${gatewayMemory.rssMiB.toFixed(0)} MiB (peak ${gatewayMemory.peakRssMiB.toFixed(0)} MiB); ` +
      `/metrics counted ${counted} requests; usage_records holds ${rowsWritten} rows (warm-ups included).`,
  );
  console.log(
    "CPU columns are percent of one core over the measured window; 'middle' is the bare proxy or the gateway process. " +
      "Redis and Postgres CPU are not included.",
  );
  if (cpuProfile) console.log(`\nCPU profile of the gateway: ${dir}/*.cpuprofile (read it with: npx tsx bench/gateway/profile-top.ts <file>)`);
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
