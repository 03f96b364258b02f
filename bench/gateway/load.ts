// The load generator's process: for each window the runner asks for, a closed loop of N workers against one front door,
// warm-up first, raw timings back over IPC. One process serves every window of a run, one window at a time: starting a
// fresh tsx process per window cost 1-3 s each on a busy 2-core machine, which made a short smoke run impossible.
// Started by run.ts as: node --import tsx bench/gateway/load.ts; prints "load generator ready".
import { closedLoop } from "./closed-loop.js";
import { parseRunRequest, type LoadMessage, type LoadSpec } from "./load-spec.js";
import { requester } from "./requesters.js";

function send(message: LoadMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) return reject(new Error("load.ts must be started by run.ts (it reports over IPC)"));
    process.send(message, undefined, {}, (err) => (err ? reject(err) : resolve()));
  });
}

async function measure(spec: LoadSpec): Promise<void> {
  // A requester per window: its connections belong to this front door and are closed with the window.
  const r = requester(spec);
  try {
    if (spec.warmupSeconds > 0) await closedLoop(r, spec.concurrency, spec.warmupSeconds);
    await send({ kind: "measuring" });
    const m = await closedLoop(r, spec.concurrency, spec.seconds);
    const samples = { latencies: Float64Array.from(m.latencies), ttfbs: Float64Array.from(m.ttfbs), ttfts: Float64Array.from(m.ttfts), transits: Float64Array.from(m.transits), errors: m.errors, firstError: m.firstError, seconds: m.seconds };
    await send({ kind: "result", samples });
  } finally {
    await r.close();
  }
}

let queue = Promise.resolve();
process.on("message", (m: unknown) => {
  const run = parseRunRequest(m);
  if (!run) return;
  // The runner waits for each result before asking again; chaining only guards against a second request arriving early.
  queue = queue.then(() => measure(run.spec)).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
});
// Kept alive by the IPC channel's listener; the runner stops it with SIGTERM (or it stops when the channel closes).
process.channel?.ref();
console.log("load generator ready");
