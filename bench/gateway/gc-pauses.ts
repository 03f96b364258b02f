// The gateway's garbage-collection pauses (written by gc-sampler.ts), summed over the measured windows of each row.
import { existsSync, readFileSync } from "node:fs";
import { fixed, type Row, type Window } from "./report.js";

export interface GcPause {
  /** When the collection ended, wall-clock ms (performance.timeOrigin + performance.now()). */
  readonly endMs: number;
  /** How long the main thread stood still for it. */
  readonly ms: number;
  readonly kind: "minor" | "major" | "incremental" | "weak callbacks" | "other";
}

interface RowPauses {
  readonly seconds: number;
  readonly count: number;
  readonly totalMs: number;
  readonly longestMs: number;
  readonly minor: number;
}

function isPause(v: unknown): v is GcPause {
  return typeof v === "object" && v !== null && "endMs" in v && typeof v.endMs === "number" && "ms" in v && typeof v.ms === "number" && "kind" in v && typeof v.kind === "string";
}

/** Undefined when the gateway left no file (it did not exit cleanly). */
export function readGcPauses(file: string): GcPause[] | undefined {
  if (!existsSync(file)) return undefined;
  const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
  if (!Array.isArray(parsed) || !parsed.every(isPause)) throw new Error(`${file}: not a list of GC pauses`);
  return parsed;
}

/** The pauses that ended inside the windows (a pause is counted in the window where it ends). */
function pausesIn(pauses: readonly GcPause[], windows: readonly Window[]): RowPauses {
  const inside = pauses.filter((p) => windows.some((w) => p.endMs >= w.fromMs && p.endMs < w.toMs));
  return {
    seconds: windows.reduce((s, w) => s + (w.toMs - w.fromMs) / 1000, 0),
    count: inside.length,
    totalMs: inside.reduce((s, p) => s + p.ms, 0),
    longestMs: inside.reduce((m, p) => Math.max(m, p.ms), 0),
    minor: inside.filter((p) => p.kind === "minor").length,
  };
}

/** One line per gateway row: how often and how long the gateway's main thread stood still for its GC. */
export function gcTable(rows: readonly Row[], pauses: readonly GcPause[]): string {
  const lines = [
    "| scenario | collections per s | of them young-generation | pause ms per s | share of the window | longest pause ms | pause per request µs |",
    "|---|--:|--:|--:|--:|--:|--:|",
  ];
  for (const row of rows) {
    if (row.door !== "gateway" || row.windows.length === 0) continue;
    const p = pausesIn(pauses, row.windows);
    const perS = (x: number): string => fixed(p.seconds > 0 ? x / p.seconds : undefined, 1);
    const requests = row.summary.requests;
    lines.push(
      `| ${row.scenario} | ${perS(p.count)} | ${p.minor} of ${p.count} | ${perS(p.totalMs)} | ${fixed(p.seconds > 0 ? p.totalMs / (10 * p.seconds) : undefined, 2)}% | ${fixed(p.longestMs, 2)} | ${fixed(requests > 0 ? (1000 * p.totalMs) / requests : undefined, 1)} |`,
    );
  }
  return lines.join("\n");
}
