// Starts the three front doors, each in its own process: the emulator, the bare undici proxy, and the gateway with its stores.
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Timing } from "../../src/emulator/api.js";
import { provisionUser } from "../../test/support/identity.js";
import type { AllocProfile } from "./options.js";
import { compiled, spawnNode, type NodeChild } from "./processes.js";
import { DEPLOYMENT } from "./scenarios.js";

export const EMULATOR_KEY = "bench-emulator-key";

/**
 * The gateway's upstream pool and the bare proxy's hold the same number of connections to the emulator: 128, or one per
 * stream the memory scenario holds open when that is more (an HTTP/1.1 connection carries one answer at a time, and a
 * stream waiting in undici's queue is not open). Pools open connections only as they are needed, so at 32 concurrent
 * requests the larger limit changes nothing.
 */
export function upstreamConnections(openStreams: number): number {
  return Math.max(128, openStreams + 64);
}

export interface Front {
  readonly child: NodeChild;
  readonly url: string;
}

export interface Gateway extends Front {
  readonly grpcAddress: string;
  readonly apiKey: string;
  /** The operator token, which /metrics also asks for. */
  readonly adminToken: string;
}

/** The emulator starts answering at once (no time to first token, no chunk delay); the TTFT and memory scenarios pace it for their own windows. */
export async function startEmulator(): Promise<Front> {
  const { child, line } = await spawnNode({
    name: "emulator",
    script: "src/emulator/main.ts",
    env: { EMULATOR_PORT: "0", EMULATOR_API_KEY: EMULATOR_KEY, EMULATOR_DEPLOYMENTS: `${DEPLOYMENT}=${DEPLOYMENT}`, EMULATOR_TTFT_MS: "0", EMULATOR_CHUNK_DELAY_MS: "0" },
    ready: (l) => l.includes("emulator listening on"),
  });
  return { child, url: urlIn(line) };
}

/** Sets the emulator's pacing through its control route (no api-key); it applies to requests that start afterwards. */
export async function setEmulatorTiming(emulatorUrl: string, timing: Timing): Promise<void> {
  const res = await fetch(`${emulatorUrl}/_emulator/timing`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(timing) });
  if (res.status !== 204) throw new Error(`the emulator refused timing ${JSON.stringify(timing)}: ${res.status} ${await res.text()}`);
}

/** `profileDir`: adds --cpu-prof, the proxy's profile going there when it exits (the floor to read the gateway's against). */
export async function startProxy(upstream: string, connections: number, profileDir?: string): Promise<Front> {
  const { child, line } = await spawnNode({
    name: "proxy",
    script: "bench/gateway/proxy.ts",
    nodeFlags: profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [],
    args: [upstream, String(connections)],
    ready: (l) => l.includes("proxy listening on"),
  });
  return { child, url: urlIn(line) };
}

export interface GatewayOptions {
  readonly emulatorUrl: string;
  readonly databaseUrl: string;
  /** Undefined runs the gateway's in-process limiter instead: a diagnostic, to see what Redis costs. */
  readonly redisUrl: string | undefined;
  readonly redisPrefix: string;
  readonly upstreamConnections: number;
  /** Where the config, the spool and any CPU profile go. */
  readonly workDir: string;
  /** Adds --cpu-prof, writing the profile into workDir when the gateway exits. */
  readonly cpuProfile: boolean;
  /** More node flags; given any, what the gateway prints is kept in workDir/gateway.out. */
  readonly nodeFlags: readonly string[];
  /** Samples the gateway's allocations (bench/gateway/alloc-sampler.ts) into workDir (allocProfileFile). */
  readonly allocProfile: AllocProfile | undefined;
}

/** The gateway as deployed: Postgres store and metering, Redis limits, /metrics; a member's key with generous limits. */
export async function startGateway(o: GatewayOptions): Promise<Gateway> {
  const config = join(o.workDir, "aik.yaml");
  writeFileSync(
    config,
    `deployments:
  - { id: ${DEPLOYMENT}, endpoint: "${o.emulatorUrl}", deployment: ${DEPLOYMENT}, model: ${DEPLOYMENT}, api_key_env: AIK_BENCH_EMULATOR_KEY, api_style: classic, api_version: "2024-10-21" }
upstream:
  connections: ${o.upstreamConnections}
server:
  shutdown_grace_ms: 3000
`,
  );
  const adminToken = randomBytes(24).toString("base64url");
  const { child, line } = await spawnNode({
    name: "gateway",
    script: "src/main.ts",
    nodeFlags: [
      ...(o.cpuProfile ? ["--cpu-prof", `--cpu-prof-dir=${o.workDir}`] : []),
      ...(o.allocProfile ? ["--import", pathToFileURL(compiled("bench/gateway/alloc-sampler.ts")).href] : []),
      "--import",
      pathToFileURL(compiled("bench/gateway/gc-sampler.ts")).href,
      ...o.nodeFlags,
    ],
    ...(o.nodeFlags.length > 0 ? { outFile: join(o.workDir, "gateway.out") } : {}),
    env: {
      AIK_CONFIG: config,
      AIK_BENCH_EMULATOR_KEY: EMULATOR_KEY,
      AIK_HTTP_PORT: "0",
      AIK_GRPC_PORT: "0",
      AIK_DATA_DIR: join(o.workDir, "data"),
      DATABASE_URL: o.databaseUrl,
      REDIS_URL: o.redisUrl ?? "",
      AIK_REDIS_PREFIX: o.redisPrefix,
      AIK_ADMIN_TOKEN: adminToken,
      AIK_TELEMETRY: "off",
      AIK_LOG_LEVEL: "info",
      AZURE_OPENAI_ENDPOINT: "",
      BENCH_GC_FILE: gcFile(o.workDir),
      // The sampler reads BENCH_ALLOC_PROF as the runner does: "1" or "survivors".
      ...(o.allocProfile ? { BENCH_ALLOC_PROF_DIR: o.workDir, BENCH_ALLOC_PROF: o.allocProfile === "all" ? "1" : "survivors" } : {}),
    },
    ready: (l) => l.includes('"gateway.started"'),
  });
  const started: unknown = JSON.parse(line);
  if (typeof started !== "object" || started === null || !("http" in started) || !("grpc" in started)) {
    throw new Error(`gateway.started line without addresses: ${line}`);
  }
  const url = String(started.http);
  // Limits are set so that every request runs the limiter's script but none is refused.
  const member = await provisionUser(url, adminToken, "member", { limits: { requests_per_minute: 1_000_000, tokens_per_minute: 1_000_000_000 } });
  return { child, url, grpcAddress: String(started.grpc), apiKey: member.apiKey, adminToken };
}

/** Where the gateway's GC sampler writes its pauses when the gateway exits (bench/gateway/gc-sampler.ts). */
export function gcFile(dir: string): string {
  return join(dir, "gateway-gc.json");
}

export function workDir(): string {
  return mkdtempSync(join(tmpdir(), "aik-bench-"));
}

function urlIn(line: string): string {
  const url = /https?:\/\/\S+/.exec(line)?.[0];
  if (!url) throw new Error(`no URL in '${line}'`);
  return url;
}
