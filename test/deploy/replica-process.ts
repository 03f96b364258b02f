// One gateway replica as its own process on fixed ports, which a test can stop with a signal and start again on the same ports.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { Agent, request, type Dispatcher } from "undici";

export interface ReplicaSpec {
  /** A name for messages ("replica-1"). */
  readonly name: string;
  readonly httpPort: number;
  readonly grpcPort: number;
  /** Everything else the process reads (AIK_CONFIG, stores, keys...). */
  readonly env: Readonly<Record<string, string>>;
  /** Set when the config serves TLS on both ports: the certificate to trust when probing it. */
  readonly tlsCert?: string;
}

export interface Replica {
  readonly spec: ReplicaSpec;
  readonly httpUrl: string;
  /** Whether a process is running now. */
  running(): boolean;
  /** Starts the process and resolves once it logged `gateway.started` and `/readyz` answers 200. */
  start(): Promise<void>;
  /** Sends the signal; resolves when it was sent. */
  signal(signal: NodeJS.Signals): void;
  /** Resolves with the exit code (null: killed by a signal) once the current process is gone. */
  exited(): Promise<number | null>;
  /** Everything the processes wrote to stderr and stdout so far, for a failure message. */
  output(): string;
  /** Kills what still runs (SIGKILL) and waits for it. */
  kill(): Promise<void>;
}

/** The parent's own AI-K, OpenTelemetry, store and Azure settings never reach a replica: it gets only `spec.env`. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined || /^(AIK_|OTEL_|AZURE_)/.test(name) || name === "DATABASE_URL" || name === "DATABASE_LISTEN_URL" || name === "REDIS_URL") continue;
    env[name] = value;
  }
  return env;
}

export function replica(spec: ReplicaSpec): Replica {
  const httpUrl = `${spec.tlsCert === undefined ? "http" : "https"}://127.0.0.1:${spec.httpPort}`;
  const dispatcher = spec.tlsCert === undefined ? undefined : new Agent({ connect: { ca: readFileSync(spec.tlsCert) } });
  let child: ChildProcess | undefined;
  let exit: Promise<number | null> = Promise.resolve(null);
  let log = "";
  const running = (): boolean => child !== undefined && child.exitCode === null && child.signalCode === null;

  const start = async (): Promise<void> => {
    if (running()) throw new Error(`${spec.name} is already running`);
    const proc = spawn(process.execPath, ["--import", "tsx", resolve("src/main.ts")], {
      env: { ...baseEnv(), ...spec.env, AIK_HTTP_PORT: String(spec.httpPort), AIK_GRPC_PORT: String(spec.grpcPort) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = proc;
    exit = new Promise((done) => proc.once("exit", (code) => done(code)));
    let out = "";
    proc.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      log += d.toString();
    });
    proc.stderr?.on("data", (d: Buffer) => (log += d.toString()));
    await new Promise<void>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`${spec.name} did not start in 90 s:\n${log.slice(-4000)}`)), 90_000);
      const check = (): void => {
        if (!out.includes('"gateway.started"')) return;
        clearTimeout(timer);
        proc.stdout?.off("data", check);
        done();
      };
      proc.stdout?.on("data", check);
      void exit.then((code) => {
        clearTimeout(timer);
        fail(new Error(`${spec.name} exited with ${code} while starting:\n${log.slice(-4000)}`));
      });
    });
    await readyz(httpUrl, spec.name, dispatcher);
  };

  return {
    spec,
    httpUrl,
    running,
    start,
    signal: (signal) => {
      if (!running()) throw new Error(`${spec.name} is not running`);
      child?.kill(signal);
    },
    exited: () => exit,
    output: () => log,
    kill: async () => {
      if (running()) child?.kill("SIGKILL");
      await exit;
    },
  };
}

/** Polls GET /readyz until it answers 200, each probe on a connection of its own (none left idle in the replica). */
async function readyz(httpUrl: string, name: string, dispatcher: Dispatcher | undefined): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const status = await request(`${httpUrl}/readyz`, { dispatcher, reset: true })
      .then(async (res) => {
        await res.body.text();
        return res.statusCode;
      })
      .catch(() => 0);
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`${name}: /readyz answered ${status}, not 200, for 30 s`);
    await new Promise((done) => setTimeout(done, 50));
  }
}
