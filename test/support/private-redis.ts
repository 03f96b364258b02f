// A redis-server (or redis-sentinel) child of this test alone, on its own port: outage and cluster tests stop it, never the shared one.
import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { freePort } from "./ports.js";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

/** A test that needs these binaries fails here, saying what to install; it never skips. */
export function requireBinaries(names: readonly string[]): void {
  const dirs = (process.env.PATH ?? "").split(delimiter).filter((d) => d !== "");
  const found = (name: string): boolean =>
    dirs.some((d) => {
      try {
        accessSync(join(d, name), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  const missing = names.filter((n) => !found(n));
  if (missing.length > 0) {
    throw new Error(`${missing.join(", ")} not found on PATH: install Debian's redis-server, redis-tools and redis-sentinel packages (scripts/system-packages.sh, run by npm test, does).`);
  }
}

export interface PrivateRedisOptions {
  /** Default redis-server. */
  readonly binary?: "redis-server" | "redis-sentinel";
  /** Written once to a file in the server's directory and passed first: a sentinel needs a config file it can rewrite. */
  readonly config?: string;
  /** The log line that means it serves; default "Ready to accept connections". */
  readonly readyText?: string;
}

export class PrivateRedis {
  private child: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), "aik-redis-"));

  private readonly configFile: string | undefined;

  private constructor(
    readonly port: number,
    private readonly extraArgs: readonly string[],
    private readonly options: PrivateRedisOptions,
  ) {
    if (options.config !== undefined) {
      this.configFile = join(this.dir, "redis.conf");
      writeFileSync(this.configFile, options.config);
    }
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(extraArgs: readonly string[] = [], options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort(), extraArgs, options);
    await redis.restart();
    return redis;
  }

  /** Starts the server (again) on the same port, with no data. */
  async restart(): Promise<void> {
    if (this.child) throw new Error("private redis is already running");
    const args = [...(this.configFile ? [this.configFile] : []), "--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", this.dir, ...this.extraArgs];
    const binary = this.options.binary ?? "redis-server";
    const readyText = this.options.readyText ?? "Ready to accept connections";
    const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    // A worker that dies mid-test must not leave a server behind.
    const reap = (): void => void child.kill("SIGKILL");
    process.once("exit", reap);
    child.once("exit", () => process.off("exit", reap));
    let output = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${binary} did not start:\n${output}`)), 5000);
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        if (output.includes(readyText)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on("data", onData);
      child.stderr?.on("data", onData);
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`${binary} exited with ${String(code)}:\n${output}`));
      });
      // Not installed: say which package is missing instead of crashing the worker on an unheard error.
      child.once("error", (err) => {
        clearTimeout(timer);
        reject(new Error(`${binary} could not be started (install Debian's ${binary} package; scripts/system-packages.sh does): ${err.message}`));
      });
    });
  }

  /** Kills the server the hard way (a crash, not a shutdown) and waits until it is gone. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  }

  /** The process stays and its sockets stay open, but it answers nothing: a hung Redis. */
  freeze(): void {
    this.child?.kill("SIGSTOP");
  }

  thaw(): void {
    this.child?.kill("SIGCONT");
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
