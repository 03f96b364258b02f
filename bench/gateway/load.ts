// The load generator's process: a closed loop of N workers against one front door, warm-up first, raw timings back over IPC.
// Started by run.ts as: node --import tsx bench/gateway/load.ts '<LoadSpec JSON>'
import { setTimeout as sleep } from "node:timers/promises";
import { parseSpec, type LoadMessage } from "./load-spec.js";
import { requester, type Requester } from "./requesters.js";

interface Window {
  readonly latencies: number[];
  readonly ttfbs: number[];
  errors: number;
  firstError: string | undefined;
  readonly seconds: number;
}

/** Every worker sends its next request as soon as its last one ends, until the deadline. */
async function closedLoop(r: Requester, concurrency: number, seconds: number): Promise<Window> {
  const latencies: number[] = [];
  const ttfbs: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const start = performance.now();
  const end = start + seconds * 1000;
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      const s = await r.one();
      if (!s.ok) {
        errors++;
        firstError ??= s.error;
        await sleep(5); // a dead target must not turn this into a busy loop
        continue;
      }
      latencies.push(s.latencyMs);
      if (s.ttfbMs !== undefined) ttfbs.push(s.ttfbMs);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { latencies, ttfbs, errors, firstError, seconds: (performance.now() - start) / 1000 };
}

function send(message: LoadMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) return reject(new Error("load.ts must be started by run.ts (it reports over IPC)"));
    process.send(message, undefined, {}, (err) => (err ? reject(err) : resolve()));
  });
}

const spec = parseSpec(process.argv[2] ?? "");
const r = requester(spec);
if (spec.warmupSeconds > 0) await closedLoop(r, spec.concurrency, spec.warmupSeconds);
await send({ kind: "measuring" });
const measured = await closedLoop(r, spec.concurrency, spec.seconds);
await send({
  kind: "result",
  samples: { latencies: Float64Array.from(measured.latencies), ttfbs: Float64Array.from(measured.ttfbs), errors: measured.errors, firstError: measured.firstError, seconds: measured.seconds },
});
await r.close();
process.exit(0);
