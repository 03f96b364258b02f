// Measured windows: the load process runs one spec at a time while the runner reads every process's CPU (and, for the
// row that asks, Redis's command count) as the window opens and closes; rounds of one scenario are pooled into rows.
import { parseMessage, type LoadSamples, type LoadSpec } from "./load-spec.js";
import { cpuSeconds } from "./proc-stats.js";
import { spawnNode, type NodeChild } from "./processes.js";
import { addCounts, countsBetween, type CommandCounter, type CommandCounts, type Reading } from "./redis-stats.js";
import type { Door, Row, Window } from "./report.js";
import { summarize } from "./summary.js";

export interface Processes {
  readonly emulator: NodeChild;
  readonly proxy: NodeChild;
  readonly gateway: NodeChild;
  /** The load generator (load.ts), which serves every window of the run. */
  readonly load: NodeChild;
}

export function startLoadGenerator(): Promise<NodeChild> {
  return spawnNode({ name: "load generator", script: "bench/gateway/load.ts", ready: (l) => l.includes("load generator ready") }).then((s) => s.child);
}

interface Measured {
  readonly samples: LoadSamples;
  /** CPU seconds used in the measured window by the emulator, proxy, gateway and load processes. */
  readonly cpu: readonly [number, number, number, number];
  readonly redisCommands: CommandCounts | undefined;
  readonly window: Window;
}

/** Wall-clock ms, on the clock the gateway's GC sampler uses. */
const wallMs = (): number => performance.timeOrigin + performance.now();

/** CPU seconds of each child so far; a child that has died is named with what it last wrote, not left as a missing /proc file. */
function cpuOf(children: readonly NodeChild[]): number[] {
  return children.map((c) => {
    if (c.proc.exitCode !== null || c.proc.signalCode !== null) throw new Error(`the ${c.name} (pid ${c.pid}) has died:\n${c.tail()}`);
    return cpuSeconds(c.pid);
  });
}

/** One window against one front door; CPU is read synchronously as it opens and closes, Redis's counters right after. */
async function measureOnce(p: Processes, spec: LoadSpec, label: string, counter: CommandCounter | undefined): Promise<Measured> {
  const children = [p.emulator, p.proxy, p.gateway, p.load];
  const proc = p.load.proc;
  return new Promise<Measured>((resolve, reject) => {
    let before: number[] = [];
    let fromMs = 0;
    let redisBefore: Promise<Reading> | undefined;
    const stop = (err: unknown): void => {
      proc.off("message", onMessage);
      proc.off("exit", onExit);
      reject(err instanceof Error ? new Error(`${label}: ${err.message}`, { cause: err }) : err);
    };
    const onExit = (code: number | null): void => stop(new Error(`the load generator exited (${code}):\n${p.load.tail()}`));
    const onMessage = (m: unknown): void => {
      try {
        const msg = parseMessage(m);
        if (msg?.kind === "measuring") {
          before = cpuOf(children);
          fromMs = wallMs();
          redisBefore = counter?.read();
        }
        if (msg?.kind !== "result") return;
        const used = cpuOf(children).map((x, i) => x - (before[i] ?? 0));
        const window = { fromMs, toMs: wallMs() };
        proc.off("message", onMessage);
        proc.off("exit", onExit);
        const cpu = [used[0] ?? 0, used[1] ?? 0, used[2] ?? 0, used[3] ?? 0] as const;
        const redisAfter = counter?.read();
        void Promise.all([redisBefore, redisAfter]).then(([b, a]) => {
          if (msg.samples.errors > 0) console.error(`${label}: ${msg.samples.errors} errors, first: ${msg.samples.firstError ?? "?"}`);
          resolve({ samples: msg.samples, cpu, redisCommands: b && a ? countsBetween(b, a) : undefined, window });
        }, reject);
      } catch (err) {
        stop(err);
      }
    };
    proc.on("message", onMessage);
    proc.once("exit", onExit);
    proc.send({ kind: "run", spec });
  });
}

export interface Contender {
  readonly door: Door;
  readonly spec: LoadSpec;
  /** Counts the Redis commands served during this door's windows. */
  readonly redis?: CommandCounter;
}

/**
 * Each front door is measured in `rounds` windows of spec.seconds, the order reversed every other round
 * (direct, proxy, gateway, gateway, proxy, direct...): on a shared machine a burst of someone else's work
 * then falls on every door alike instead of on one row.
 */
export async function measureScenario(p: Processes, scenario: string, contenders: readonly Contender[], rounds: number, comparedWith?: string): Promise<Row[]> {
  const got = new Map<Door, Measured[]>();
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? contenders : [...contenders].reverse();
    for (const c of order) {
      const label = `${scenario} / ${c.door} (round ${round + 1} of ${rounds})`;
      console.error(`${label}: ${c.spec.warmupSeconds} s warm-up, ${c.spec.seconds} s measured...`);
      got.set(c.door, [...(got.get(c.door) ?? []), await measureOnce(p, c.spec, label, c.redis)]);
    }
  }
  return contenders.map(({ door }) => {
    const ms = got.get(door) ?? [];
    const cpu = (i: 0 | 1 | 2 | 3): number => ms.reduce((sum, m) => sum + m.cpu[i], 0);
    const counted = ms.map((m) => m.redisCommands).filter((c) => c !== undefined);
    return {
      scenario,
      door,
      comparedWith,
      summary: summarize(ms.map((m) => m.samples)),
      cpu: { emulator: cpu(0), proxy: cpu(1), gateway: cpu(2), load: cpu(3) },
      redisCommands: counted.length === 0 ? undefined : counted.reduce(addCounts, { executed: {}, reads: 0 }),
      windows: ms.map((m) => m.window),
    };
  });
}
