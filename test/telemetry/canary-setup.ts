// Starts what the canary suites run against: the emulator as Azure, a sandboxed gateway process, and its three callers.
import { randomBytes } from "node:crypto";
import { startEmulator, type Emulator } from "../../src/emulator/index.js";
import { EMULATOR_KEY } from "../support/gateway.js";
import { startSandboxGateway, type SandboxGateway } from "../support/gateway-sandbox.js";
import { provisionUser } from "../support/identity.js";
import type { CanaryRun } from "./canary-run.js";

export interface CanarySetup {
  readonly emulator: Emulator;
  readonly gw: SandboxGateway;
  readonly run: CanaryRun;
  close(): Promise<void>;
}

/** Unset: embedded PGlite in the data directory and the in-process limiter. */
export interface CanaryStores {
  readonly databaseUrl?: string;
  readonly redis?: { readonly url: string; readonly prefix: string };
}

function config(emulatorUrl: string): string {
  const deployment = (id: string, name: string, style: "classic" | "v1"): string =>
    `  - { id: ${id}, endpoint: "${emulatorUrl}", deployment: ${name}, model: ${name}, api_key_env: AIK_TEST_EMULATOR_KEY, ` +
    (style === "classic" ? `api_style: classic, api_version: "2024-10-21" }` : "api_style: v1 }");
  return [
    "deployments:",
    deployment("gpt-4o", "gpt-4o", "classic"),
    deployment("gpt-4o-mini", "gpt-4o-mini", "v1"),
    deployment("embed", "text-embedding-3-small", "classic"),
    deployment("instruct", "gpt-35-turbo-instruct", "classic"),
    // Background responses are read soon after they finish, so their usage is settled while the test runs.
    "metering: { background_poll_ms: 200 }",
    "",
  ].join("\n");
}

export async function startCanary(stores: CanaryStores): Promise<CanarySetup> {
  const emulator = await startEmulator({
    apiKey: EMULATOR_KEY,
    deployments: ["gpt-4o", "gpt-4o-mini", "text-embedding-3-small", "gpt-35-turbo-instruct"].map((name) => ({ name, model: name })),
  });
  emulator.setTiming({ timeToFirstTokenMs: 0, chunkDelayMs: 0 });
  const adminToken = randomBytes(32).toString("base64url");
  let gw: SandboxGateway;
  try {
    gw = await startSandboxGateway({
      config: config(emulator.url),
      databaseUrl: stores.databaseUrl,
      redisUrl: stores.redis?.url,
      redisPrefix: stores.redis?.prefix,
      adminToken,
      env: { AIK_TEST_EMULATOR_KEY: EMULATOR_KEY },
    });
  } catch (e) {
    await emulator.close();
    throw e;
  }
  let run: CanaryRun;
  try {
    run = {
      httpUrl: gw.httpUrl,
      grpcAddress: gw.grpcAddress,
      emulator,
      adminToken,
      member: await provisionUser(gw.httpUrl, adminToken, "member", {
        limits: { requests_per_minute: 10_000, tokens_per_minute: 10_000_000, max_concurrent_requests: 50, monthly_budget_usd: "1000" },
      }),
      limited: await provisionUser(gw.httpUrl, adminToken, "member", { limits: { requests_per_minute: 1 } }),
      scoped: await provisionUser(gw.httpUrl, adminToken, "member", { allowed_models: ["gpt-4o"] }),
      requestIds: [],
      controlUsers: [],
      paths: [],
    };
  } catch (e) {
    await gw.close();
    await emulator.close();
    throw e;
  }
  return {
    emulator,
    gw,
    run,
    close: async () => {
      await gw.close();
      await emulator.close();
    },
  };
}
