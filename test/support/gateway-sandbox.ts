// A gateway in its own process whose every output is kept: stdout and stderr whole, OTLP exports, and fresh data, spool and temp directories.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startOtlpReceiver, type OtlpReceiver } from "./otlp-receiver.js";

export interface SandboxOptions {
  /** The YAML config file's text (deployments, limits, ...). */
  readonly config: string;
  /** Unset: embedded PGlite in the data directory. */
  readonly databaseUrl?: string;
  /** Unset: the in-process limiter. */
  readonly redisUrl?: string;
  readonly redisPrefix?: string;
  readonly adminToken?: string;
  /** More variables (upstream keys named by the config, ...). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface SandboxDirs {
  /** Holds only what the gateway writes: data/, data.lock beside it (embedded mode), spool/ and tmp/. */
  readonly root: string;
  readonly data: string;
  readonly spool: string;
  readonly tmp: string;
}

export interface SandboxGateway {
  readonly httpUrl: string;
  readonly grpcAddress: string;
  readonly child: ChildProcess;
  readonly dirs: SandboxDirs;
  readonly otlp: OtlpReceiver;
  /** Every byte written to stdout so far. */
  stdout(): Buffer;
  stderr(): Buffer;
  /** Sends the signal (SIGTERM by default) and resolves with the exit code once the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Stops the process if it still runs, closes the OTLP receiver and removes the directories. */
  close(): Promise<void>;
}

/** The parent's own AI-K, OpenTelemetry, store and Azure settings never reach the sandbox. */
function inheritedEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || /^(AIK_|OTEL_|AZURE_)/.test(name) || name === "DATABASE_URL" || name === "REDIS_URL" || name === "TMPDIR") continue;
    env[name] = value;
  }
  return env;
}

export async function startSandboxGateway(opts: SandboxOptions): Promise<SandboxGateway> {
  const root = mkdtempSync(join(tmpdir(), "aik-sandbox-"));
  const dirs: SandboxDirs = { root, data: join(root, "data"), spool: join(root, "spool"), tmp: join(root, "tmp") };
  // The data and spool directories are left for the gateway to create; the temp directory must exist to be used.
  mkdirSync(dirs.tmp);
  const configDir = mkdtempSync(join(tmpdir(), "aik-sandbox-config-"));
  const configFile = join(configDir, "aik.yaml");
  writeFileSync(configFile, opts.config);
  const otlp = await startOtlpReceiver();
  const child = spawn(process.execPath, ["--import", "tsx", resolve("src/main.ts")], {
    env: {
      ...inheritedEnv(),
      AIK_CONFIG: configFile,
      AIK_HTTP_PORT: "0",
      AIK_GRPC_PORT: "0",
      AIK_LOG_LEVEL: "debug",
      AIK_DATA_DIR: dirs.data,
      AIK_SPOOL_DIR: dirs.spool,
      TMPDIR: dirs.tmp,
      AIK_TELEMETRY: "otlp",
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint,
      // Short intervals so spans and metrics arrive while the test runs, not only at shutdown.
      OTEL_BSP_SCHEDULE_DELAY: "100",
      OTEL_METRIC_EXPORT_INTERVAL: "500",
      OTEL_METRIC_EXPORT_TIMEOUT: "400",
      DATABASE_URL: opts.databaseUrl ?? "",
      REDIS_URL: opts.redisUrl ?? "",
      AIK_REDIS_PREFIX: opts.redisPrefix ?? "",
      AIK_ADMIN_TOKEN: opts.adminToken ?? "",
      ...opts.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on("data", (d: Buffer) => out.push(d));
  child.stderr?.on("data", (d: Buffer) => err.push(d));
  const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
  const stdout = (): Buffer => Buffer.concat(out);
  const stderr = (): Buffer => Buffer.concat(err);
  let started: { http: string; grpc: string };
  try {
    started = await new Promise((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`the sandbox gateway did not start in 60 s:\n${stderr().toString()}`)), 60_000);
      const check = (): void => {
        const line = stdout()
          .toString()
          .split("\n")
          .find((l) => l.includes('"gateway.started"'));
        if (!line) return;
        clearTimeout(timer);
        const parsed: unknown = JSON.parse(line);
        if (typeof parsed === "object" && parsed !== null && "http" in parsed && "grpc" in parsed) done({ http: String(parsed.http), grpc: String(parsed.grpc) });
        else fail(new Error(`unexpected start line: ${line}`));
      };
      child.stdout?.on("data", check);
      void exited.then((code) => fail(new Error(`the sandbox gateway exited with ${code}:\n${stderr().toString()}`)));
    });
  } catch (e) {
    child.kill("SIGKILL");
    await otlp.close();
    rmSync(configDir, { recursive: true, force: true });
    throw e;
  }
  const stop = (signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  return {
    httpUrl: started.http,
    grpcAddress: started.grpc,
    child,
    dirs,
    otlp,
    stdout,
    stderr,
    stop,
    close: async () => {
      await stop("SIGKILL");
      await otlp.close();
      rmSync(root, { recursive: true, force: true });
      rmSync(configDir, { recursive: true, force: true });
    },
  };
}
