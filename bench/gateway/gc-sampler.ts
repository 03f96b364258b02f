// Loaded into the gateway with --import in every bench run: notes each garbage collection's end (wall-clock ms) and pause,
// and how late its loop ran a 10 ms timer, and writes them to BENCH_GC_FILE at exit, so the runner can say how long the
// gateway stood still in each measured window, and whether its own loop (rather than the machine) holds a first token back.
// What it costs: one PerformanceObserver callback per collection (a few per second under load) and one timer callback
// every 10 ms (about a microsecond each); nothing per request.
import { writeFileSync } from "node:fs";
import { constants, PerformanceObserver } from "node:perf_hooks";
import type { GcPause, LoopDelays, Stalls } from "./gc-pauses.js";

const file = process.env["BENCH_GC_FILE"];
if (!file) throw new Error("gc-sampler: BENCH_GC_FILE is not set");

const KINDS: Record<number, GcPause["kind"]> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: "minor",
  [constants.NODE_PERFORMANCE_GC_MAJOR]: "major",
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: "incremental",
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: "weak callbacks",
};

const pauses: GcPause[] = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    // Node sets a gc entry's detail ({ kind, flags }); the types do not declare it.
    const detail: unknown = "detail" in e ? e.detail : undefined;
    const kind = typeof detail === "object" && detail !== null && "kind" in detail && typeof detail.kind === "number" ? KINDS[detail.kind] : undefined;
    pauses.push({ endMs: performance.timeOrigin + e.startTime + e.duration, ms: e.duration, kind: kind ?? "other" });
  }
}).observe({ entryTypes: ["gc"] });

// Each tick of a 10 ms timer: when it ran (wall-clock ms) and how much later than 10 ms after the one before.
const TICK_MS = 10;
const delays: LoopDelays = { atMs: [], lateMs: [] };
let last = performance.now();
setInterval(() => {
  const now = performance.now();
  delays.atMs.push(performance.timeOrigin + now);
  delays.lateMs.push(Math.max(0, now - last - TICK_MS));
  last = now;
}, TICK_MS).unref();

process.once("exit", () => {
  const stalls: Stalls = { pauses, delays };
  writeFileSync(file, JSON.stringify(stalls));
});
