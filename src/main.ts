// Wiring only: read config, start the gateway, print how to reach it, drain on SIGTERM.
import { startGateway } from "./app.js";
import { banner } from "./wiring/banner.js";
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

process.stderr.write(banner(running));
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
