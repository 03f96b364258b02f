// Pools the raw timings of several rounds against one front door into the figures the tables show.
import type { LoadSamples } from "./load-spec.js";

export interface Summary {
  readonly requests: number;
  readonly errors: number;
  readonly seconds: number;
  readonly latencyP50Ms: number | undefined;
  readonly latencyP99Ms: number | undefined;
  readonly ttfbP50Ms: number | undefined;
  readonly ttfbP99Ms: number | undefined;
  /** Time to the first content token, for scenarios that look for it. */
  readonly ttftP50Ms: number | undefined;
  readonly ttftP99Ms: number | undefined;
  /** The first content chunk's transit, from the emulator's send (Sample.transitMs). */
  readonly transitP50Ms: number | undefined;
  readonly transitP99Ms: number | undefined;
}

/** The q-quantile of sorted values (nearest rank below). */
export function quantile(sorted: ArrayLike<number>, q: number): number | undefined {
  return sorted.length === 0 ? undefined : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function pooled(arrays: readonly Float64Array[]): Float64Array {
  const out = new Float64Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out.sort();
}

export function summarize(rounds: readonly LoadSamples[]): Summary {
  const lat = pooled(rounds.map((r) => r.latencies));
  const ttfb = pooled(rounds.map((r) => r.ttfbs));
  const ttft = pooled(rounds.map((r) => r.ttfts));
  const transit = pooled(rounds.map((r) => r.transits));
  return {
    requests: lat.length,
    errors: rounds.reduce((n, r) => n + r.errors, 0),
    seconds: rounds.reduce((n, r) => n + r.seconds, 0),
    latencyP50Ms: quantile(lat, 0.5),
    latencyP99Ms: quantile(lat, 0.99),
    ttfbP50Ms: quantile(ttfb, 0.5),
    ttfbP99Ms: quantile(ttfb, 0.99),
    ttftP50Ms: quantile(ttft, 0.5),
    ttftP99Ms: quantile(ttft, 0.99),
    transitP50Ms: quantile(transit, 0.5),
    transitP99Ms: quantile(transit, 0.99),
  };
}
