// The gateway's garbage-collection pauses and event-loop delay (written by gc-sampler.ts), over the measured windows of each row.
import { existsSync, readFileSync } from "node:fs";
import { fixed, type Row, type Window } from "./report.js";
import { quantile } from "./summary.js";

export interface GcPause {
  /** When the collection ended, wall-clock ms (performance.timeOrigin + performance.now()). */
  readonly endMs: number;
  /** How long the main thread stood still for it. */
  readonly ms: number;
  readonly kind: "minor" | "major" | "incremental" | "weak callbacks" | "other";
}

/** The ticks of the gateway's 10 ms timer: when each ran (wall-clock ms) and how late. */
export interface LoopDelays {
  readonly atMs: number[];
  readonly lateMs: number[];
}

/** What the sampler writes. */
export interface Stalls {
  readonly pauses: readonly GcPause[];
  readonly delays: LoopDelays;
}

interface RowStalls {
  readonly seconds: number;
  readonly count: number;
  readonly totalMs: number;
  readonly longestMs: number;
  readonly minor: number;
  /** How late the timer ran in the windows: p99 and longest. */
  readonly loopP99Ms: number | undefined;
  readonly loopMaxMs: number | undefined;
}

function isPause(v: unknown): v is GcPause {
  return typeof v === "object" && v !== null && "endMs" in v && typeof v.endMs === "number" && "ms" in v && typeof v.ms === "number" && "kind" in v && typeof v.kind === "string";
}

const numbers = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => typeof x === "number");

function isDelays(v: unknown): v is LoopDelays {
  return typeof v === "object" && v !== null && "atMs" in v && numbers(v.atMs) && "lateMs" in v && numbers(v.lateMs) && v.atMs.length === v.lateMs.length;
}

/** Undefined when the gateway left no file (it did not exit cleanly). */
export function readStalls(file: string): Stalls | undefined {
  if (!existsSync(file)) return undefined;
  const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
  if (
    typeof parsed !== "object" ||
    parsed === null ||
    !("pauses" in parsed && Array.isArray(parsed.pauses) && parsed.pauses.every(isPause)) ||
    !("delays" in parsed && isDelays(parsed.delays))
  ) {
    throw new Error(`${file}: not the GC sampler's pauses and loop delays`);
  }
  return { pauses: parsed.pauses, delays: parsed.delays };
}

/** What ended inside the windows (a pause, or a timer's tick, is counted in the window where it ends). */
function stallsIn({ pauses, delays }: Stalls, windows: readonly Window[]): RowStalls {
  const within = (endMs: number): boolean => windows.some((w) => endMs >= w.fromMs && endMs < w.toMs);
  const inside = pauses.filter((p) => within(p.endMs));
  const late = Float64Array.from(delays.lateMs.filter((_, i) => within(delays.atMs[i] ?? -1))).sort();
  return {
    seconds: windows.reduce((s, w) => s + (w.toMs - w.fromMs) / 1000, 0),
    count: inside.length,
    totalMs: inside.reduce((s, p) => s + p.ms, 0),
    longestMs: inside.reduce((m, p) => Math.max(m, p.ms), 0),
    minor: inside.filter((p) => p.kind === "minor").length,
    loopP99Ms: quantile(late, 0.99),
    loopMaxMs: quantile(late, 1),
  };
}

/** One line per gateway row: how often and how long the gateway's main thread stood still for its GC, and how late its loop ran. */
export function gcTable(rows: readonly Row[], stalls: Stalls): string {
  const lines = [
    "| scenario | collections per s | of them young-generation | pause ms per s | share of the window | longest pause ms | pause per request µs | loop delay p99 ms | longest loop delay ms |",
    "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
  ];
  for (const row of rows) {
    if (row.door !== "gateway" || row.windows.length === 0) continue;
    const p = stallsIn(stalls, row.windows);
    const perS = (x: number): string => fixed(p.seconds > 0 ? x / p.seconds : undefined, 1);
    const requests = row.summary.requests;
    lines.push(
      `| ${row.scenario} | ${perS(p.count)} | ${p.minor} of ${p.count} | ${perS(p.totalMs)} | ${fixed(p.seconds > 0 ? p.totalMs / (10 * p.seconds) : undefined, 2)}% | ${fixed(p.longestMs, 2)} | ${fixed(requests > 0 ? (1000 * p.totalMs) / requests : undefined, 1)} | ${fixed(p.loopP99Ms, 2)} | ${fixed(p.loopMaxMs, 2)} |`,
    );
  }
  return lines.join("\n");
}
