// The gateway bench's settings, read once from its arguments and BENCH_* environment variables, with messages that say what to fix.

export interface BenchOptions {
  /** Measured seconds per row, split over the rounds. */
  readonly seconds: number;
  /** Closed-loop workers in the throughput and TTFT scenarios (the latency scenario always runs one). */
  readonly concurrency: number;
  readonly rounds: number;
  /** Warm-up before each window, not counted. */
  readonly warmupSeconds: number;
  /** Idle streams held open through the gateway at once in the memory scenario. */
  readonly openStreams: number;
  /** How long the memory scenario waits, after every stream closed, for the gateway's RSS to come back to its baseline. */
  readonly rssReturnSeconds: number;
  /** Runs the gateway with --cpu-prof and keeps the profile. */
  readonly cpuProfile: boolean;
  /**
   * BENCH_ALLOC_PROF=1: samples where the gateway allocates (collected objects included) and keeps the profile;
   * BENCH_ALLOC_PROF=survivors: only objects that outlived a young-generation collection (what the GC copies).
   */
  readonly allocProfile: AllocProfile | undefined;
  /** False (BENCH_REDIS=off, a diagnostic): the gateway's in-process limiter instead of its private Redis. */
  readonly redis: boolean;
  /** Also measures the c=1 latency scenario with wrk, beside the bench's own generator (BENCH_WRK=1). */
  readonly wrk: boolean;
  /**
   * BENCH_GATEWAY_NODE_FLAGS: node flags for the gateway process alone (space-separated), e.g. a V8 heap
   * setting to try or --trace-gc; its output is then kept in the work directory's gateway.out.
   */
  readonly gatewayNodeFlags: readonly string[];
  /** BENCH_ONLY: runs only the scenarios whose name holds this text (case ignored), for quick A/B runs; "" runs all. */
  readonly only: string;
}

export const USAGE = "usage: npx tsx bench/gateway/run.ts [seconds 0.2..600, default 10] [concurrency 1..4096, default 32]";
/** The upstream pool must hold a connection per open stream, and the gateway's config allows 4096 at most. */
export const MAX_OPEN_STREAMS = 4000;

function envNumber(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number, integer: boolean): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new Error(`${name} must be ${integer ? "an integer" : "a number"} from ${min} to ${max}, got '${raw}'`);
  }
  return n;
}

/** What an allocation profile samples: every allocation, or only what survived a young-generation collection. */
export type AllocProfile = "all" | "survivors";

/** Where the gateway's allocation profile is written, in the work directory; profile-top reads the kind from the name. */
export function allocProfileFile(kind: AllocProfile): string {
  return kind === "survivors" ? "gateway-survivors.heapprofile" : "gateway.heapprofile";
}

/** BENCH_ALLOC_PROF: unset, "1" (every allocation) or "survivors"; anything else is refused. */
export function allocProfileOf(env: NodeJS.ProcessEnv): AllocProfile | undefined {
  const raw = env["BENCH_ALLOC_PROF"];
  if (raw === undefined || raw === "") return undefined;
  if (raw === "1") return "all";
  if (raw === "survivors") return "survivors";
  throw new Error(`BENCH_ALLOC_PROF must be '1', 'survivors' or unset, got '${raw}'`);
}

function envFlag(env: NodeJS.ProcessEnv, name: string, on: string): boolean {
  const raw = env[name];
  if (raw === undefined || raw === "") return false;
  if (raw !== on) throw new Error(`${name} must be '${on}' or unset, got '${raw}'`);
  return true;
}

/** Space-separated node flags; anything that is not a flag (a script, an argument) is refused. */
function nodeFlags(env: NodeJS.ProcessEnv, name: string): readonly string[] {
  const flags = (env[name] ?? "").split(/\s+/).filter((f) => f !== "");
  const bad = flags.find((f) => !/^--[a-z][a-z0-9-]*(=\S+)?$/.test(f));
  if (bad !== undefined) throw new Error(`${name} takes node flags such as --max-semi-space-size=32 or --trace-gc, got '${bad}'`);
  return flags;
}

export function readOptions(argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions {
  const seconds = Number(argv[0] ?? 10);
  const concurrency = Number(argv[1] ?? 32);
  if (!Number.isFinite(seconds) || seconds < 0.2 || seconds > 600 || !Number.isInteger(concurrency) || concurrency < 1 || concurrency > 4096) {
    throw new Error(USAGE);
  }
  return Object.freeze({
    seconds,
    concurrency,
    rounds: envNumber(env, "BENCH_ROUNDS", 2, 1, 20, true),
    // Each window warms its own connections and the load process's JIT; the servers stay warm from the rows before.
    warmupSeconds: envNumber(env, "BENCH_WARMUP_SECONDS", Math.min(2, Math.max(1, seconds / 5)), 0, 60, false),
    openStreams: envNumber(env, "BENCH_OPEN_STREAMS", 2000, 1, MAX_OPEN_STREAMS, true),
    rssReturnSeconds: envNumber(env, "BENCH_RSS_RETURN_SECONDS", 60, 2, 600, false),
    cpuProfile: envFlag(env, "BENCH_CPU_PROF", "1"),
    allocProfile: allocProfileOf(env),
    redis: !envFlag(env, "BENCH_REDIS", "off"),
    wrk: envFlag(env, "BENCH_WRK", "1"),
    only: (env["BENCH_ONLY"] ?? "").toLowerCase(),
    gatewayNodeFlags: nodeFlags(env, "BENCH_GATEWAY_NODE_FLAGS"),
  });
}

/** Whether BENCH_ONLY lets this scenario run; the idle-streams scenario is named "idle streams". */
export function wanted(opts: BenchOptions, scenario: string): boolean {
  return scenario.toLowerCase().includes(opts.only);
}
