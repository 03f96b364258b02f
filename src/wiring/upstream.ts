// Where requests go: configured deployments, env-only Azure, or the in-process emulator.
import { randomBytes } from "node:crypto";
import type { Config } from "../config/config.js";
import type { Deployment } from "../core/deployments.js";
import { Router, type PoolSettings } from "../core/router.js";
import { startEmulator, type Emulator } from "../emulator/index.js";

export interface Routing {
  readonly router: Router;
  /** The in-process emulator, in zero-config mode. */
  readonly emulator: Emulator | undefined;
  /** The emulator's deployments in zero-config mode (no file names them, so a reload keeps them). */
  readonly emulatorDeployments: readonly Deployment[];
}

/** The pools a config describes: its deployments (the emulator's in zero-config mode, none in env-only mode), routing and aliases. */
export function poolSettings(config: Config, emulatorDeployments: readonly Deployment[]): PoolSettings {
  const deployments = config.mode.kind === "deployments" ? config.mode.deployments : config.mode.kind === "emulator" ? emulatorDeployments : [];
  return { deployments, routing: config.routing, aliases: config.aliases };
}

export async function startRouting(config: Config): Promise<Routing> {
  if (config.mode.kind === "env") return { router: new Router(poolSettings(config, []), config.mode.wildcard), emulator: undefined, emulatorDeployments: [] };
  if (config.mode.kind === "deployments") return { router: new Router(poolSettings(config, [])), emulator: undefined, emulatorDeployments: [] };
  const apiKey = randomBytes(24).toString("base64url");
  const emulator = await startEmulator({
    apiKey,
    deployments: [
      { name: "gpt-4o", model: "gpt-4o" },
      { name: "gpt-4o-mini", model: "gpt-4o-mini" },
      { name: "text-embedding-3-small", model: "text-embedding-3-small" },
      { name: "gpt-35-turbo-instruct", model: "gpt-35-turbo-instruct" },
    ],
  });
  const base = {
    endpoint: emulator.url,
    auth: { kind: "api_key", apiKey },
    kind: "standard",
    priority: 0,
    weight: 1,
    region: "Emulator",
    price: undefined,
    apiVersionPolicy: "client",
    responsesStore: "client",
  } as const;
  // One deployment of each URL style, plus embeddings and a legacy completions model. The classic
  // one runs a preview api-version, the first kind that serves the Responses API.
  const deployments: Deployment[] = [
    { ...base, id: "gpt-4o", deployment: "gpt-4o", model: "gpt-4o", apiStyle: "classic", apiVersion: "2025-04-01-preview" },
    { ...base, id: "gpt-4o-mini", deployment: "gpt-4o-mini", model: "gpt-4o-mini", apiStyle: "v1", apiVersion: undefined },
    {
      ...base,
      id: "text-embedding-3-small",
      deployment: "text-embedding-3-small",
      model: "text-embedding-3-small",
      apiStyle: "classic",
      apiVersion: "2024-10-21",
    },
    { ...base, id: "gpt-35-turbo-instruct", deployment: "gpt-35-turbo-instruct", model: "gpt-35-turbo-instruct", apiStyle: "classic", apiVersion: "2024-10-21" },
  ];
  return { router: new Router(poolSettings(config, deployments)), emulator, emulatorDeployments: deployments };
}
