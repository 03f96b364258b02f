// Wiring only: read config, start the gateway, print how to reach it, drain on SIGTERM.
import { startGateway } from "./app.js";
import type { Config } from "./config/config.js";
import { loadConfig } from "./config/load.js";
import { ConfigError } from "./config/reader.js";
import { createLogger, errorFields } from "./telemetry/logger.js";

const logger = createLogger(process.env.AIK_LOG_LEVEL === "debug" ? "debug" : "info");

let config: Config;
try {
  config = loadConfig(process.env);
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`aik: invalid configuration: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
for (const warning of config.warnings) logger.warn("config.warning", { message: warning });

const running = await startGateway(config, logger).catch((err: unknown) => {
  const detail = err instanceof Error && "code" in err ? ` (${String(err.code)})` : "";
  process.stderr.write(`aik: could not start${detail}: check that ports ${config.httpPort} and ${config.grpcPort} are free.\n`);
  logger.error("startup.failed", errorFields(err));
  process.exit(1);
});

if (running.emulator) {
  const curl = `curl ${running.httpUrl}/v1/chat/completions -H 'content-type: application/json' -d '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello"}]}'`;
  process.stderr.write(
    [
      "",
      "=".repeat(78),
      "  AI-K is answering from its BUILT-IN AZURE OPENAI EMULATOR: nothing goes to Azure,",
      "  answers are synthetic. Set AIK_CONFIG (deployments) or AZURE_OPENAI_ENDPOINT and",
      "  AZURE_OPENAI_API_KEY to serve real Azure OpenAI.",
      "=".repeat(78),
      `  HTTP  ${running.httpUrl}        gRPC  ${running.grpcAddress}`,
      `  Try:  ${curl}`,
      "",
      "",
    ].join("\n"),
  );
}
logger.info("gateway.started", { http: running.httpUrl, grpc: running.grpcAddress, mode: config.mode.kind });

let stopping = false;
const stop = (signal: string): void => {
  if (stopping) process.exit(1);
  stopping = true;
  logger.info("gateway.draining", { signal });
  running.close().then(
    () => {
      logger.info("gateway.stopped");
      process.exit(0);
    },
    (err: unknown) => {
      logger.error("gateway.stop_failed", errorFields(err));
      process.exit(1);
    },
  );
};
process.on("SIGTERM", () => stop("SIGTERM"));
process.on("SIGINT", () => stop("SIGINT"));
