// A closed loop of N workers against one requester: each sends its next request as soon as its last one ends, until the deadline.
import { setTimeout as sleep } from "node:timers/promises";
import type { Requester } from "./requesters.js";

export interface LoopWindow {
  readonly latencies: number[];
  readonly ttfbs: number[];
  readonly ttfts: number[];
  readonly transits: number[];
  errors: number;
  firstError: string | undefined;
  readonly seconds: number;
}

export async function closedLoop(r: Requester, concurrency: number, seconds: number): Promise<LoopWindow> {
  const w: LoopWindow = { latencies: [], ttfbs: [], ttfts: [], transits: [], errors: 0, firstError: undefined, seconds: 0 };
  const start = performance.now();
  const end = start + seconds * 1000;
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      const s = await r.one();
      if (!s.ok) {
        w.errors++;
        w.firstError ??= s.error;
        await sleep(5); // a dead target must not turn this into a busy loop
        continue;
      }
      w.latencies.push(s.latencyMs);
      if (s.ttfbMs !== undefined) w.ttfbs.push(s.ttfbMs);
      if (s.ttftMs !== undefined) w.ttfts.push(s.ttftMs);
      if (s.transitMs !== undefined) w.transits.push(s.transitMs);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { ...w, seconds: (performance.now() - start) / 1000 };
}
