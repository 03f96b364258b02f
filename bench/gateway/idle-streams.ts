// The memory scenario: the gateway's RSS with N idle streams open through it at once, against its baseline before and
// after. The emulator is told to wait minutes before each stream's first token, so the streams stay open and silent.
import { setTimeout as sleep } from "node:timers/promises";
import { parseOpenStreamsMessage, type OpenStreamsMessage, type OpenStreamsSpec } from "./open-streams-spec.js";
import { memory } from "./proc-stats.js";
import { spawnNode, type NodeChild } from "./processes.js";

export interface IdleStreamsResult {
  readonly requested: number;
  readonly opened: number;
  readonly failed: number;
  readonly firstError: string | undefined;
  /** Streams that ended on their own while they should have been held open. */
  readonly endedEarly: number;
  readonly openSeconds: number;
  readonly baselineMiB: number;
  readonly duringMiB: number;
  /** Read SETTLE_MS.after after every stream closed. */
  readonly afterMiB: number;
  /**
   * Seconds after every stream closed until RSS was back within RETURN_SLACK_KB per stream of the
   * baseline, polled once a second up to the wait allowed; undefined if it was not back by then.
   */
  readonly returnedAfterS: number | undefined;
  /** RSS at that moment, or at the end of the wait if it never came back. */
  readonly returnedMiB: number;
}

/** "Back to baseline": within this much per stream of the baseline (an eighth of the 64 KB per-stream budget). */
export const RETURN_SLACK_KB = 8;

/** How long to let the gateway settle (timers, GC, sockets closing) before reading its RSS. */
const SETTLE_MS = { baseline: 1_000, during: 1_000, after: 2_000 } as const;

/**
 * The baseline is read once the gateway has stopped growing: the warm-up's cancelled streams make
 * it load the o200k tokenizer (about 70 MB, loaded once, on the first stream that ends without
 * Azure's usage), which a baseline read too early would count against the streams.
 */
async function steadyRssMiB(pid: number, maxMs = 15_000): Promise<number> {
  const until = performance.now() + maxMs;
  let last = await rssMiB(pid);
  for (;;) {
    await sleep(1_000);
    const now = await rssMiB(pid);
    if (Math.abs(now - last) < 2 || performance.now() > until) return now;
    last = now;
  }
}

/** The median of a few readings 100 ms apart: one reading can fall just before or after a GC. */
async function rssMiB(pid: number): Promise<number> {
  const readings: number[] = [];
  for (let i = 0; i < 5; i++) {
    if (i > 0) await sleep(100);
    readings.push(memory(pid).rssMiB);
  }
  return readings.sort((a, b) => a - b)[2] ?? Number.NaN;
}

function next(child: NodeChild, kind: OpenStreamsMessage["kind"], timeoutMs: number): Promise<OpenStreamsMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`open-streams sent no '${kind}' in ${timeoutMs} ms:\n${child.tail()}`)), timeoutMs);
    const onMessage = (m: unknown): void => {
      const msg = parseOpenStreamsMessage(m);
      if (msg?.kind === kind) done(undefined, msg);
    };
    const onExit = (code: number | null): void => done(new Error(`open-streams exited (${code}) before '${kind}':\n${child.tail()}`));
    const done = (err: Error | undefined, m?: OpenStreamsMessage): void => {
      clearTimeout(timer);
      child.proc.off("message", onMessage);
      child.proc.off("exit", onExit);
      if (err || !m) reject(err ?? new Error("no message"));
      else resolve(m);
    };
    child.proc.on("message", onMessage);
    child.proc.once("exit", onExit);
  });
}

/**
 * Polls RSS once a second after the close until it is back near the baseline. V8 keeps the pages
 * of a heap that grew and gives them back only when its memory reducer runs, once allocation has
 * been quiet for a while (25-50 s after the close here), so a single reading 2 s after the close says only
 * that the memory is not yet returned, not whether it ever is.
 */
async function waitForReturn(pid: number, limitMiB: number, waitS: number, closedAt: number): Promise<{ afterS: number | undefined; rssMiB: number }> {
  for (;;) {
    const now = await rssMiB(pid);
    const afterS = (performance.now() - closedAt) / 1000;
    if (now <= limitMiB) return { afterS, rssMiB: now };
    if (afterS >= waitS) return { afterS: undefined, rssMiB: now };
    await sleep(1_000);
  }
}

/** Opens `spec.count` idle streams through the front door whose process is `middlePid`, and reads that process's RSS around them. */
export async function measureIdleStreams(middlePid: number, spec: OpenStreamsSpec, returnWaitS: number): Promise<IdleStreamsResult> {
  const { child } = await spawnNode({ name: "open-streams", script: "bench/gateway/open-streams.ts", args: [JSON.stringify(spec)] });
  // Generous: on a busy 2-core machine 2,000 connections through the gateway take a while to open.
  const timeoutMs = 60_000 + spec.count * 30;
  try {
    await next(child, "warmed", timeoutMs);
    await sleep(SETTLE_MS.baseline);
    const baselineMiB = await steadyRssMiB(middlePid);
    child.proc.send({ kind: "open" });
    const opened = await next(child, "opened", timeoutMs);
    if (opened.kind !== "opened") throw new Error("open-streams: out of order");
    await sleep(SETTLE_MS.during);
    const duringMiB = await rssMiB(middlePid);
    child.proc.send({ kind: "close" });
    const closed = await next(child, "closed", timeoutMs);
    if (closed.kind !== "closed") throw new Error("open-streams: out of order");
    const closedAt = performance.now();
    await sleep(SETTLE_MS.after);
    const afterMiB = await rssMiB(middlePid);
    const { opened: n, failed, firstError, seconds: openSeconds } = opened;
    if (failed > 0) console.error(`idle streams: ${failed} of ${spec.count} failed to open, first: ${firstError ?? "?"}`);
    console.error(`idle streams: closed; waiting up to ${returnWaitS} s for the gateway's RSS to come back to its baseline...`);
    const back = await waitForReturn(middlePid, baselineMiB + (RETURN_SLACK_KB * n) / 1024, returnWaitS, closedAt);
    return {
      requested: spec.count,
      opened: n,
      failed,
      firstError,
      endedEarly: closed.endedEarly,
      openSeconds,
      baselineMiB,
      duringMiB,
      afterMiB,
      returnedAfterS: back.afterS,
      returnedMiB: back.rssMiB,
    };
  } finally {
    await child.stop();
  }
}
