// Markdown tables of one bench run: each front door's figures, then the gateway's ratios to the emulator and the bare proxy.
import type { CommandCounts } from "./redis-stats.js";
import type { Summary } from "./summary.js";

/** A measured window, wall-clock ms (performance.timeOrigin + performance.now()), as the runner saw it open and close. */
export interface Window {
  readonly fromMs: number;
  readonly toMs: number;
}

export type Door = "emulator direct" | "bare proxy" | "gateway";

export interface Row {
  readonly scenario: string;
  readonly door: Door;
  /** gRPC rows have no direct or proxied twin: they are compared with this HTTP scenario's. */
  readonly comparedWith?: string;
  readonly summary: Summary;
  /** CPU seconds each process used in the measured window. */
  readonly cpu: { readonly emulator: number; readonly proxy: number; readonly gateway: number; readonly load: number };
  /** The Redis commands served during this row's windows, when the row counted them. */
  readonly redisCommands?: CommandCounts | undefined;
  /** The measured windows, wall-clock ms as the runner saw them open and close (for the gateway's GC pauses). */
  readonly windows: readonly Window[];
}

export const fixed = (x: number | undefined, digits: number): string => (x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(digits));
export const rate = (r: Summary): number => r.requests / r.seconds;
/** Percent of one core over the window. */
const core = (cpuSeconds: number, r: Summary): string => `${Math.round((100 * cpuSeconds) / r.seconds)}%`;

/** The CPU of the process in the middle (none for the emulator called directly), in microseconds per request. */
export function middleCpuPerRequest(row: Row): number | undefined {
  const cpu = row.door === "gateway" ? row.cpu.gateway : row.door === "bare proxy" ? row.cpu.proxy : undefined;
  return cpu === undefined || row.summary.requests === 0 ? undefined : (1e6 * cpu) / row.summary.requests;
}

export function figuresTable(rows: readonly Row[]): string {
  const lines = [
    "| scenario | front door | req/s | p50 ms | p99 ms | TTFB p50 ms | TTFB p99 ms | errors | middle CPU | middle CPU µs/req | emulator CPU | load CPU |",
    "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
  ];
  for (const row of rows) {
    const r = row.summary;
    const middle = row.door === "gateway" ? core(row.cpu.gateway, r) : row.door === "bare proxy" ? core(row.cpu.proxy, r) : "–";
    lines.push(
      `| ${row.scenario} | ${row.door} | ${Math.round(rate(r))} | ${fixed(r.latencyP50Ms, 2)} | ${fixed(r.latencyP99Ms, 2)} | ${fixed(r.ttfbP50Ms, 2)} | ${fixed(r.ttfbP99Ms, 2)} | ${r.errors} | ${middle} | ${fixed(middleCpuPerRequest(row), 0)} | ${core(row.cpu.emulator, r)} | ${core(row.cpu.load, r)} |`,
    );
  }
  return lines.join("\n");
}

/** Per scenario: gateway over direct and over the bare proxy, for throughput, median latency and CPU per request. */
export function ratiosTable(rows: readonly Row[]): string {
  const lines = [
    "| scenario | req/s gateway/direct | req/s gateway/proxy | p50 gateway/direct | p50 gateway/proxy | CPU per req gateway/proxy |",
    "|---|--:|--:|--:|--:|--:|",
  ];
  const scenarios = [...new Set(rows.map((r) => r.scenario))];
  for (const s of scenarios) {
    const gw = rows.find((r) => r.scenario === s && r.door === "gateway");
    const base = gw?.comparedWith ?? s;
    const direct = rows.find((r) => r.scenario === base && r.door === "emulator direct");
    const proxy = rows.find((r) => r.scenario === base && r.door === "bare proxy");
    if (!gw || (!direct && !proxy)) continue;
    const ratio = (a: number | undefined, b: number | undefined): string => (a === undefined || b === undefined || b === 0 ? "–" : (a / b).toFixed(2));
    lines.push(
      `| ${s}${base === s ? "" : ` (vs ${base})`} | ${ratio(rate(gw.summary), direct && rate(direct.summary))} | ${ratio(rate(gw.summary), proxy && rate(proxy.summary))} | ${ratio(gw.summary.latencyP50Ms, direct?.summary.latencyP50Ms)} | ${ratio(gw.summary.latencyP50Ms, proxy?.summary.latencyP50Ms)} | ${ratio(middleCpuPerRequest(gw), proxy && middleCpuPerRequest(proxy))} |`,
    );
  }
  return lines.join("\n");
}

/**
 * One scenario's doors beside the emulator's own figures: what the middle adds, p50 and p99 of `pick`.
 * Used for the latency at one request at a time (whole answers) and for the time to first token.
 */
export function addedTable(rows: readonly Row[], scenario: string, what: string, pick: (s: Summary) => readonly [number | undefined, number | undefined]): string {
  const lines = [`| front door | ${what} p50 ms | ${what} p99 ms | added p50 ms | added p99 ms | requests | errors |`, "|---|--:|--:|--:|--:|--:|--:|"];
  const direct = rows.find((r) => r.scenario === scenario && r.door === "emulator direct");
  const [d50, d99] = direct ? pick(direct.summary) : [undefined, undefined];
  const minus = (a: number | undefined, b: number | undefined): string => (a === undefined || b === undefined ? "–" : (a - b).toFixed(2));
  for (const row of rows.filter((r) => r.scenario === scenario)) {
    const [p50, p99] = pick(row.summary);
    const self = row.door === "emulator direct";
    lines.push(`| ${row.door} | ${fixed(p50, 2)} | ${fixed(p99, 2)} | ${self ? "–" : minus(p50, d50)} | ${self ? "–" : minus(p99, d99)} | ${row.summary.requests} | ${row.summary.errors} |`);
  }
  return lines.join("\n");
}
