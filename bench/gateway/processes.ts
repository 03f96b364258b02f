// Spawns each part of the bench as its own Node process and makes sure none outlives the run.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";

const TAIL_CHARS = 4_000;

export interface NodeChild {
  readonly name: string;
  readonly pid: number;
  readonly proc: ChildProcess;
  /** The last few thousand characters it wrote, for error messages. */
  tail(): string;
  /** SIGTERM, then SIGKILL to its whole process group after `graceMs`. Resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

export interface SpawnOptions {
  readonly name: string;
  /** A .ts file relative to the repository root; its compiled twin in dist/ is what runs (see compileForBench). */
  readonly script: string;
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** Extra node flags, such as --cpu-prof. */
  readonly nodeFlags?: readonly string[];
  /** The child is ready when one stdout line satisfies this; that line is returned. Absent: ready at once. */
  readonly ready?: (line: string) => boolean;
  readonly readyTimeoutMs?: number;
  /** Also writes everything it prints (stdout and stderr) to this file. */
  readonly outFile?: string;
}

const children = new Set<NodeChild>();

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

/** Where tsc writes a source file's JavaScript: dist/ mirrors the repository (rootDir "."), as `npm run build` does. */
export function compiled(script: string): string {
  if (!script.endsWith(".ts")) throw new Error(`${script}: the bench's children are .ts files compiled into dist/`);
  return join(repoRoot, "dist", script.replace(/\.ts$/, ".js"));
}

/**
 * Compiles src/, gen/ and the bench with tsc into dist/ (bench/tsconfig.json, incremental), so that every child runs
 * as the Dockerfile runs the gateway: plain node on tsc's output. Under tsx the gateway spent about 40% more CPU per
 * request (esbuild's __name wrappers, source-mapped stacks), which is not what production pays.
 */
export async function compileForBench(): Promise<void> {
  const tsc = join(repoRoot, "node_modules", "typescript", "bin", "tsc");
  await promisify(execFile)(process.execPath, [tsc, "-p", join(repoRoot, "bench", "tsconfig.json")], { cwd: repoRoot }).catch((err: unknown) => {
    const out = typeof err === "object" && err !== null && "stdout" in err ? String(err.stdout) : "";
    throw new Error(`tsc could not compile the bench into dist/:\n${out || String(err)}`, { cause: err });
  });
}

/** Starts `node --import orphan-guard dist/<script>.js` in its own process group and waits for its ready line. */
export async function spawnNode(o: SpawnOptions): Promise<{ child: NodeChild; line: string }> {
  const guard = pathToFileURL(compiled("bench/gateway/orphan-guard.ts")).href;
  const proc = spawn(process.execPath, [...(o.nodeFlags ?? []), "--import", guard, compiled(o.script), ...(o.args ?? [])], {
    cwd: repoRoot,
    env: { ...process.env, ...o.env },
    // Own process group: a terminal's Ctrl-C reaches only the runner, which stops the children in order.
    detached: true,
    stdio: ["ignore", "pipe", "pipe", "ipc"],
    // Structured clone over IPC: the load process sends its timings as Float64Arrays.
    serialization: "advanced",
  });
  const pid = proc.pid;
  if (pid === undefined) throw new Error(`${o.name}: could not be spawned`);
  let tail = "";
  const keep = (d: Buffer): void => {
    tail = (tail + d.toString()).slice(-TAIL_CHARS);
  };
  proc.stdout?.on("data", keep);
  proc.stderr?.on("data", keep);
  if (o.outFile !== undefined) {
    const file = createWriteStream(o.outFile);
    proc.stdout?.pipe(file, { end: false });
    proc.stderr?.pipe(file, { end: false });
    proc.once("exit", () => file.end());
  }
  // BENCH_DEBUG=1 shows what the children write to stderr as they write it.
  if (process.env.BENCH_DEBUG === "1") proc.stderr?.on("data", (d: Buffer) => process.stderr.write(d));
  const exited = new Promise<void>((done) => proc.once("exit", () => done()));
  const child: NodeChild = {
    name: o.name,
    pid,
    proc,
    tail: () => tail,
    stop: async (graceMs = 10_000) => {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill("SIGTERM");
        const timer = setTimeout(() => killGroup(pid), graceMs);
        await exited;
        clearTimeout(timer);
      }
      killGroup(pid); // anything it started itself
      children.delete(child);
    },
  };
  children.add(child);
  const ready = o.ready;
  if (ready === undefined) return { child, line: "" };

  const line = await new Promise<string>((resolve, reject) => {
    let pending = "";
    const timer = setTimeout(() => fail(new Error(`${o.name} did not start in ${o.readyTimeoutMs ?? 60_000} ms:\n${tail}`)), o.readyTimeoutMs ?? 60_000);
    const onData = (d: Buffer): void => {
      pending += d.toString();
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      const found = lines.find(ready);
      if (found === undefined) return;
      cleanup();
      resolve(found);
    };
    const onExit = (code: number | null): void => fail(new Error(`${o.name} exited with ${code} while starting:\n${tail}`));
    const cleanup = (): void => {
      clearTimeout(timer);
      proc.stdout?.off("data", onData);
      proc.off("exit", onExit);
    };
    const fail = (err: Error): void => {
      cleanup();
      reject(err);
    };
    proc.stdout?.on("data", onData);
    proc.once("exit", onExit);
  });
  return { child, line };
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/** Stops every child still running, the most recently started first (the load before what it loads). */
export async function stopAll(graceMs?: number): Promise<void> {
  for (const c of [...children].reverse()) await c.stop(graceMs);
}

/** Last resort from a synchronous 'exit' handler: no waiting is possible there. */
export function killAllNow(): void {
  for (const c of children) killGroup(c.pid);
  children.clear();
}
