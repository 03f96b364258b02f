// The bench's scenarios, each against the running stack: throughput at N concurrent requests, latency one request at a
// time, time to first token on a paced stream, and the gateway's memory with many idle streams open.
import { SCENARIO } from "./issue-figures.js";
import { measureIdleStreams, type IdleStreamsResult } from "./idle-streams.js";
import type { LoadSpec } from "./load-spec.js";
import { measureScenario, type Contender, type Processes } from "./measure.js";
import { wanted, type BenchOptions } from "./options.js";
import type { CommandCounter } from "./redis-stats.js";
import type { Row } from "./report.js";
import { AZURE_PATH, COMPLETE, FIRST_TOKEN, httpBody, IDLE_TIMING, NO_DELAYS, PACED, pacedBody, RESPONSES_PATH, responsesBody } from "./scenarios.js";
import { EMULATOR_KEY, setEmulatorTiming, type Front, type Gateway } from "./stack.js";

export interface Stack {
  readonly opts: BenchOptions;
  readonly emulator: Front;
  readonly proxy: Front;
  readonly gateway: Gateway;
  readonly processes: Processes;
  /** Counts the gateway's Redis commands; absent with BENCH_REDIS=off. */
  readonly redis: CommandCounter | undefined;
  /** The run's scratch directory (configs, scripts), removed at the end. */
  readonly workDir: string;
}

type Api = "chat" | "responses";

interface HttpShape {
  readonly stream: boolean;
  readonly path: string;
  readonly body: string;
  readonly complete: string;
  readonly firstToken: string;
  readonly concurrency: number;
}

function shape(stream: boolean, api: Api, concurrency: number): HttpShape {
  const [path, body] = api === "chat" ? [AZURE_PATH, httpBody(stream)] : [RESPONSES_PATH, responsesBody(stream)];
  return { stream, path, body, complete: COMPLETE[api][stream ? "stream" : "unary"], firstToken: "", concurrency };
}

/** The same bytes to the emulator, the bare proxy and the gateway; only the key differs. */
function threeDoors(s: Stack, h: HttpShape, countRedis = false): Contender[] {
  const spec = (front: Front, key: string): LoadSpec => ({
    protocol: "http",
    target: front.url,
    headers: { "api-key": key },
    warmupSeconds: s.opts.warmupSeconds,
    seconds: s.opts.seconds / s.opts.rounds,
    ...h,
  });
  return [
    { door: "emulator direct", spec: spec(s.emulator, EMULATOR_KEY) },
    { door: "bare proxy", spec: spec(s.proxy, EMULATOR_KEY) },
    { door: "gateway", spec: spec(s.gateway, s.gateway.apiKey), redis: countRedis ? s.redis : undefined },
  ];
}

function grpcSpec(s: Stack, stream: boolean): LoadSpec {
  const headers = { authorization: `Bearer ${s.gateway.apiKey}` };
  const { concurrency, warmupSeconds } = s.opts;
  return { protocol: "grpc", stream, target: s.gateway.grpcAddress, path: "", headers, body: "", complete: "", firstToken: "", concurrency, warmupSeconds, seconds: s.opts.seconds / s.opts.rounds };
}

/** The throughput scenarios at the configured concurrency; the gateway's HTTP unary windows also count its Redis commands. */
export async function throughput(s: Stack): Promise<Row[]> {
  const { processes: p, opts } = s;
  const rows: Row[] = [];
  // The Responses stream row sits beside the chat stream row: the same answer as more, named events.
  const http = [[SCENARIO.httpUnary, false, "chat"], [SCENARIO.httpStream, true, "chat"], ["HTTP Responses stream", true, "responses"]] as const;
  for (const [scenario, stream, api] of http) {
    if (!wanted(opts, scenario)) continue;
    rows.push(...(await measureScenario(p, scenario, threeDoors(s, shape(stream, api, opts.concurrency), scenario === SCENARIO.httpUnary), opts.rounds)));
  }
  // gRPC has no direct or proxied twin here: its rows are set beside the HTTP scenario's.
  for (const [scenario, stream, base] of [[SCENARIO.grpcUnary, false, SCENARIO.httpUnary], [SCENARIO.grpcStream, true, SCENARIO.httpStream]] as const) {
    if (!wanted(opts, scenario)) continue;
    rows.push(...(await measureScenario(p, scenario, [{ door: "gateway", spec: grpcSpec(s, stream) }], opts.rounds, base)));
  }
  return rows;
}

/** HTTP unary, one request at a time: what each door adds to a single call when nothing queues. */
export async function latencyOneAtATime(s: Stack): Promise<Row[]> {
  if (!wanted(s.opts, SCENARIO.latency)) return [];
  return measureScenario(s.processes, SCENARIO.latency, threeDoors(s, shape(false, "chat", 1)), s.opts.rounds);
}

/** Streams of 20 chunks 10 ms apart at the configured concurrency, timed to their first content token. */
export async function timeToFirstToken(s: Stack): Promise<Row[]> {
  if (!wanted(s.opts, SCENARIO.ttft)) return [];
  await setEmulatorTiming(s.emulator.url, PACED.timing);
  try {
    const h: HttpShape = { ...shape(true, "chat", s.opts.concurrency), body: pacedBody(), firstToken: FIRST_TOKEN };
    return await measureScenario(s.processes, SCENARIO.ttft, threeDoors(s, h), s.opts.rounds);
  } finally {
    await setEmulatorTiming(s.emulator.url, NO_DELAYS);
  }
}

/** N chat streams held open through the gateway at once, idle: the emulator waits minutes before their first token. */
export async function idleStreams(s: Stack): Promise<IdleStreamsResult | undefined> {
  if (!wanted(s.opts, "idle streams")) return undefined;
  await setEmulatorTiming(s.emulator.url, IDLE_TIMING);
  try {
    const count = s.opts.openStreams;
    const spec = { target: s.gateway.url, path: AZURE_PATH, headers: { "api-key": s.gateway.apiKey }, body: httpBody(true), count, warmup: Math.min(100, count) };
    console.error(`idle streams: ${spec.warmup} to warm up, then ${count} held open at once through the gateway...`);
    return await measureIdleStreams(s.processes.gateway.pid, spec, s.opts.rssReturnSeconds);
  } finally {
    await setEmulatorTiming(s.emulator.url, NO_DELAYS);
  }
}
