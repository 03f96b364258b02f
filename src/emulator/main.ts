// Runs the emulator as its own process, configured from EMULATOR_* environment variables.
import type { EmulatorDeployment } from "./api.js";
import { startEmulator } from "./server.js";

const DEFAULT_DEPLOYMENTS = "gpt-4o=gpt-4o,gpt-4o-mini=gpt-4o-mini,text-embedding-3-small=text-embedding-3-small";

function parseDeployments(spec: string): EmulatorDeployment[] {
  return spec
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "")
    .map((entry) => {
      const [name, model, extra] = entry.split("=").map((part) => part.trim());
      if (!name || !model || extra !== undefined) {
        throw new Error(`EMULATOR_DEPLOYMENTS: '${entry}' is not 'name=model' (example: ${DEFAULT_DEPLOYMENTS})`);
      }
      return { name, model };
    });
}

function parseMs(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === "") return undefined;
  const ms = Number(value);
  if (!Number.isFinite(ms) || ms < 0) throw new Error(`${name} must be a number of milliseconds >= 0, got '${value}'`);
  return ms;
}

async function main(): Promise<void> {
  const env = process.env;
  const port = Number(env.EMULATOR_PORT ?? "8090");
  if (!Number.isInteger(port)) throw new Error(`EMULATOR_PORT must be an integer, got '${env.EMULATOR_PORT}'`);
  const emulator = await startEmulator({
    host: env.EMULATOR_HOST ?? "127.0.0.1",
    port,
    apiKey: env.EMULATOR_API_KEY ?? "emulator-key",
    entraKey: env.EMULATOR_ENTRA_KEY || undefined,
    deployments: parseDeployments(env.EMULATOR_DEPLOYMENTS ?? DEFAULT_DEPLOYMENTS),
    timeToFirstTokenMs: parseMs("EMULATOR_TTFT_MS", env.EMULATOR_TTFT_MS),
    chunkDelayMs: parseMs("EMULATOR_CHUNK_DELAY_MS", env.EMULATOR_CHUNK_DELAY_MS),
  });
  console.log(`Azure OpenAI emulator listening on ${emulator.url}`);
  const stop = (): void => {
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
