// A gateway in its own process (`node --import tsx src/main.ts`), configured like a replica of a test gateway.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { EMULATOR_KEY, type TestGateway } from "./gateway.js";

export interface GatewayProcess {
  readonly httpUrl: string;
  readonly grpcAddress: string;
  readonly child: ChildProcess;
  /** The config file it reads (AIK_CONFIG), for a test that changes it and sends SIGHUP; empty when AIK_CONFIG was overridden. */
  readonly configFile: string;
  /** Everything it wrote to stdout (JSON log lines). */
  readonly stdout: () => string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** A config file whose deployments point at the test gateway's emulator, plus `extra` YAML. */
export function replicaConfigText(t: TestGateway, extra = ""): string {
  return `deployments:
  - { id: gpt-4o, endpoint: "${t.emulator.url}", deployment: gpt-4o, model: gpt-4o, api_key_env: AIK_TEST_EMULATOR_KEY, api_style: classic, api_version: "2024-10-21" }
  - { id: gpt-4o-mini, endpoint: "${t.emulator.url}", deployment: gpt-4o-mini, model: gpt-4o-mini, api_key_env: AIK_TEST_EMULATOR_KEY, api_style: v1 }
${extra}`;
}

function replicaConfig(t: TestGateway, extra: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "aik-replica-")), "aik.yaml");
  writeFileSync(file, replicaConfigText(t, extra));
  return file;
}

export async function startReplica(t: TestGateway, env: Record<string, string> = {}, extraConfig = ""): Promise<GatewayProcess> {
  const configFile = replicaConfig(t, extraConfig);
  const child = spawn(process.execPath, ["--import", "tsx", resolve("src/main.ts")], {
    env: {
      ...process.env,
      AIK_CONFIG: configFile,
      AIK_TEST_EMULATOR_KEY: EMULATOR_KEY,
      AIK_HTTP_PORT: "0",
      AIK_GRPC_PORT: "0",
      DATABASE_URL: t.databaseUrl,
      REDIS_URL: "redis://127.0.0.1:6379",
      AIK_REDIS_PREFIX: t.redisPrefix,
      AIK_ADMIN_TOKEN: t.adminToken,
      AZURE_OPENAI_ENDPOINT: "",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  const started = await new Promise<{ http: string; grpc: string }>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`replica did not start in 60 s:\n${err}`)), 60_000);
    const check = (): void => {
      const line = out.split("\n").find((l) => l.includes('"gateway.started"'));
      if (!line) return;
      clearTimeout(timer);
      const parsed: unknown = JSON.parse(line);
      if (typeof parsed === "object" && parsed !== null && "http" in parsed && "grpc" in parsed) done({ http: String(parsed.http), grpc: String(parsed.grpc) });
    };
    child.stdout?.on("data", check);
    child.on("exit", (code) => fail(new Error(`replica exited with ${code}:\n${err}`)));
  });
  return {
    httpUrl: started.http,
    grpcAddress: started.grpc,
    child,
    configFile: env.AIK_CONFIG === undefined ? configFile : env.AIK_CONFIG,
    stdout: () => out,
    stop: (signal = "SIGTERM") =>
      new Promise((done) => {
        // Killed by a signal: exitCode stays null, signalCode says it is gone.
        if (child.exitCode !== null || child.signalCode !== null) return done(child.exitCode);
        child.once("exit", (code) => done(code));
        child.kill(signal);
      }),
  };
}
