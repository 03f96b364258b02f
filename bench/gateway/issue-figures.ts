// Issue 11's figures and targets, worked out from one run's rows: one table, every target met or missed in plain sight.
import { RETURN_SLACK_KB, type IdleStreamsResult } from "./idle-streams.js";
import { totalExecuted, type CommandCounts } from "./redis-stats.js";
import { cpuPerCall, floorRow, type FloorRow } from "../floor/measure.js";
import type { Shape } from "../floor/transports.js";
import { fixed, middleCpuPerRequest, rate, type Door, type Row } from "./report.js";

/** The scenario names run.ts gives its rows, which the figures below look up. */
export const SCENARIO = {
  httpUnary: "HTTP unary",
  httpStream: "HTTP stream",
  grpcUnary: "gRPC unary",
  grpcStream: "gRPC stream",
  latency: "HTTP unary, c=1",
  ttft: "HTTP stream, paced (TTFT)",
} as const;

/** Every row of the table, in order: the smoke test checks that each is printed. */
export const FIGURES = [
  "HTTP unary req/s, gateway ÷ proxy",
  "HTTP stream req/s, gateway ÷ proxy",
  "gRPC unary req/s ÷ gateway HTTP unary req/s",
  "gRPC stream req/s ÷ gateway HTTP stream req/s",
  "gRPC unary ÷ HTTP unary at most, on grpc-js (transport floor)",
  "gRPC stream ÷ HTTP stream at most, on grpc-js (transport floor)",
  "added latency at c=1, p50, gateway ÷ proxy",
  "added TTFT p99, gateway",
  "added TTFT p99, bare proxy (the floor)",
  "added first-token transit p99, gateway",
  "added first-token transit p99, bare proxy (the floor)",
  "RSS per open idle stream",
  "RSS after every stream closed, per stream (back to baseline)",
  "Redis commands sent per request (HTTP unary, gateway: script calls)",
  "Redis commands executed per request (scripts' inner commands included)",
] as const;

export type FigureName = (typeof FIGURES)[number];

interface Figure {
  readonly measured: string;
  readonly target: string;
  /** Undefined: no target (a reference figure) or nothing to judge (not measured). */
  readonly met: boolean | undefined;
}

export interface IssueInputs {
  readonly rows: readonly Row[];
  readonly idle: IdleStreamsResult | undefined;
  /** How long the memory scenario waited for RSS to come back (BENCH_RSS_RETURN_SECONDS). */
  readonly rssReturnSeconds: number;
  /** False when the gateway ran its in-process limiter (BENCH_REDIS=off). */
  readonly redis: boolean;
  /** The transport floor's rows (bench/floor), when it ran. */
  readonly floor: readonly FloorRow[] | undefined;
}

const KIB = 1024;
const notMeasured = (why: string, target: string): Figure => ({ measured: `not measured (${why})`, target, met: undefined });

function row(rows: readonly Row[], scenario: string, door: Door): Row | undefined {
  return rows.find((r) => r.scenario === scenario && r.door === door);
}

function atLeast(ratio: number | undefined, target: number, detail: string): Figure {
  if (ratio === undefined || !Number.isFinite(ratio)) return notMeasured("a row is missing or empty", `>= ${target.toFixed(2)}`);
  return { measured: `${ratio.toFixed(2)} (${detail})`, target: `>= ${target.toFixed(2)}`, met: ratio >= target };
}

function rateRatio(a: Row | undefined, b: Row | undefined, target: number): Figure {
  const ra = a && rate(a.summary);
  const rb = b && rate(b.summary);
  return atLeast(ra !== undefined && rb ? ra / rb : undefined, target, `${fixed(ra, 0)} ÷ ${fixed(rb, 0)} req/s`);
}

/** p50(middle) − p50(direct): what the process in the middle adds to one request at a time. */
function addedP50(rows: readonly Row[], door: Door): number | undefined {
  const middle = row(rows, SCENARIO.latency, door)?.summary.latencyP50Ms;
  const direct = row(rows, SCENARIO.latency, "emulator direct")?.summary.latencyP50Ms;
  return middle === undefined || direct === undefined ? undefined : middle - direct;
}

function addedLatency(rows: readonly Row[]): Figure {
  const gw = addedP50(rows, "gateway");
  const proxy = addedP50(rows, "bare proxy");
  const target = "<= 1.50";
  if (gw === undefined || proxy === undefined) return notMeasured("a row is missing or empty", target);
  const detail = `${gw.toFixed(2)} ms ÷ ${proxy.toFixed(2)} ms`;
  // A proxy that adds nothing measurable (noise can even make it negative) leaves no ratio to judge.
  if (proxy <= 0) return { measured: `no ratio: the proxy added ${proxy.toFixed(3)} ms (${detail})`, target, met: undefined };
  const ratio = gw / proxy;
  return { measured: `${ratio.toFixed(2)} (${detail})`, target, met: ratio <= 1.5 };
}

/**
 * p99 time to first token through `door` minus the emulator's own (`pick`: ttft), or the same for the first chunk's
 * transit from the emulator's socket (`pick`: transit), which leaves out the emulator's timer jitter: two p99s of
 * TTFT differ by that jitter's own noise as much as by what the door adds.
 */
function addedTtft(rows: readonly Row[], door: Door, target: number | undefined, pick: "ttft" | "transit" = "ttft"): Figure {
  const p99 = (r: Row | undefined): number | undefined => (pick === "ttft" ? r?.summary.ttftP99Ms : r?.summary.transitP99Ms);
  const middle = p99(row(rows, SCENARIO.ttft, door));
  const direct = p99(row(rows, SCENARIO.ttft, "emulator direct"));
  const targetText = target === undefined ? "– (reference)" : `<= ${target} ms`;
  if (middle === undefined || direct === undefined) return notMeasured("a row is missing or empty", targetText);
  const added = middle - direct;
  return { measured: `${added.toFixed(2)} ms (${middle.toFixed(2)} − ${direct.toFixed(2)} ms)`, target: targetText, met: target === undefined ? undefined : added <= target };
}

/**
 * The most the gRPC front door could reach against the HTTP one were its own work free: a gRPC call costs the gateway
 * what an HTTP call does (H, its CPU per request in `scenario`) plus what grpc-js costs above node:http for the same
 * call in the transport floor (D), so at most H ÷ (H + D) of the HTTP rate when CPU is what runs out.
 */
function grpcCeiling(rows: readonly Row[], floor: readonly FloorRow[] | undefined, scenario: string, shape: Shape): Figure {
  const target = "– (reference)";
  const gw = row(rows, scenario, "gateway");
  const h = gw && middleCpuPerRequest(gw);
  const grpc = floor && cpuPerCall(floorRow(floor, shape, "grpc-js"));
  const http = floor && cpuPerCall(floorRow(floor, shape, "http"));
  if (h === undefined || grpc === undefined || http === undefined) return notMeasured(floor ? "a row is missing or empty" : "the transport floor did not run", target);
  const d = grpc - http;
  return { measured: `${(h / (h + d)).toFixed(2)} (${h.toFixed(0)} ÷ (${h.toFixed(0)} + ${d.toFixed(0)}) µs per call)`, target, met: undefined };
}

function rssPerStream(idle: IdleStreamsResult | undefined): Figure {
  const target = "<= 64 KB";
  if (!idle || idle.opened === 0) return notMeasured("no stream was held open", target);
  const perStream = ((idle.duringMiB - idle.baselineMiB) * KIB) / idle.opened;
  const detail = `(${idle.duringMiB.toFixed(1)} − ${idle.baselineMiB.toFixed(1)} MiB) ÷ ${idle.opened} streams`;
  return { measured: `${perStream.toFixed(1)} KB ${detail}`, target, met: perStream <= 64 };
}

/**
 * Back to baseline: what stays after every stream has closed, per stream, within an eighth of the
 * open-stream budget, once V8 has given back the pages it grew (waited for: see waitForReturn).
 */
function rssRetained(idle: IdleStreamsResult | undefined, waitS: number): Figure {
  const target = `<= ${RETURN_SLACK_KB} KB (back to baseline)`;
  if (!idle || idle.opened === 0) return notMeasured("no stream was held open", target);
  const perStream = (mib: number): string => `${(((mib - idle.baselineMiB) * KIB) / idle.opened).toFixed(1)} KB`;
  const early = `${perStream(idle.afterMiB)} 2 s after the close (${(idle.afterMiB - idle.baselineMiB).toFixed(1)} MiB)`;
  if (idle.returnedAfterS === undefined) {
    return { measured: `not back within ${waitS} s: ${perStream(idle.returnedMiB)} then; ${early}`, target, met: false };
  }
  return { measured: `${perStream(idle.returnedMiB)} ${idle.returnedAfterS.toFixed(0)} s after the close; ${early}`, target, met: true };
}

/** The gateway's HTTP unary windows: their Redis counts and the requests they served (failed ones included: each reached the gateway). */
function redisWindow(rows: readonly Row[]): { counts: CommandCounts; requests: number } | undefined {
  const gw = row(rows, SCENARIO.httpUnary, "gateway");
  const requests = gw ? gw.summary.requests + gw.summary.errors : 0;
  return gw?.redisCommands && requests > 0 ? { counts: gw.redisCommands, requests } : undefined;
}

/**
 * Commands the gateway sends per request: its request path talks to Redis only through the
 * limiter's scripts (admission, settlement, a lease's sync), so these are the EVALSHA and EVAL
 * calls (INFO commandstats), each one command however many keys it touches. Socket reads are
 * no count of them: Redis reads commands that arrive together in one read.
 */
function redisSent(rows: readonly Row[], redis: boolean): Figure {
  const target = "<= 0.10";
  const w = redisWindow(rows);
  if (!redis || !w) return notMeasured(redis ? "no counted window" : "BENCH_REDIS=off", target);
  const scripts = (w.counts.executed.evalsha ?? 0) + (w.counts.executed.eval ?? 0);
  const perRequest = scripts / w.requests;
  return { measured: `${perRequest.toFixed(3)} (${scripts} script calls ÷ ${w.requests}; ${w.counts.reads} socket reads)`, target, met: perRequest <= 0.1 };
}

/** A reference: what Redis executed (INFO commandstats, this bench's own INFO calls aside), every command inside a script included. */
function redisExecuted(rows: readonly Row[], redis: boolean): Figure {
  const target = "– (reference)";
  const w = redisWindow(rows);
  if (!redis || !w) return notMeasured(redis ? "no counted window" : "BENCH_REDIS=off", target);
  const total = totalExecuted(w.counts);
  const top = Object.entries(w.counts.executed)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([name, n]) => `${name} ${(n / w.requests).toFixed(2)}`)
    .join(", ");
  return { measured: `${(total / w.requests).toFixed(2)} (${total} ÷ ${w.requests}${top ? `; ${top}` : ""})`, target, met: undefined };
}

export function issueFigures(i: IssueInputs): ReadonlyMap<FigureName, Figure> {
  const { rows } = i;
  const figures: [FigureName, Figure][] = [
    [FIGURES[0], rateRatio(row(rows, SCENARIO.httpUnary, "gateway"), row(rows, SCENARIO.httpUnary, "bare proxy"), 0.6)],
    [FIGURES[1], rateRatio(row(rows, SCENARIO.httpStream, "gateway"), row(rows, SCENARIO.httpStream, "bare proxy"), 0.55)],
    [FIGURES[2], rateRatio(row(rows, SCENARIO.grpcUnary, "gateway"), row(rows, SCENARIO.httpUnary, "gateway"), 0.9)],
    [FIGURES[3], rateRatio(row(rows, SCENARIO.grpcStream, "gateway"), row(rows, SCENARIO.httpStream, "gateway"), 0.9)],
    [FIGURES[4], grpcCeiling(rows, i.floor, SCENARIO.httpUnary, "unary")],
    [FIGURES[5], grpcCeiling(rows, i.floor, SCENARIO.httpStream, "stream")],
    [FIGURES[6], addedLatency(rows)],
    [FIGURES[7], addedTtft(rows, "gateway", 2)],
    [FIGURES[8], addedTtft(rows, "bare proxy", undefined)],
    [FIGURES[9], addedTtft(rows, "gateway", 2, "transit")],
    [FIGURES[10], addedTtft(rows, "bare proxy", undefined, "transit")],
    [FIGURES[11], rssPerStream(i.idle)],
    [FIGURES[12], rssRetained(i.idle, i.rssReturnSeconds)],
    [FIGURES[13], redisSent(rows, i.redis)],
    [FIGURES[14], redisExecuted(rows, i.redis)],
  ];
  return new Map(figures);
}

export function issueTable(figures: ReadonlyMap<FigureName, Figure>): string {
  const lines = ["| figure | measured | target | met? |", "|---|---|---|---|"];
  for (const [name, f] of figures) lines.push(`| ${name} | ${f.measured} | ${f.target} | ${f.met === undefined ? "–" : f.met ? "met" : "missed"} |`);
  return lines.join("\n");
}
