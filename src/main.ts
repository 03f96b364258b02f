// Wiring only: read config, start the gateway, print how to reach it, drain on SIGTERM.
import { startGateway, type RunningGateway } from "./app.js";
import { banner } from "./wiring/banner.js";
import type { Config } from "./config/config.js";
import { loadConfig } from "./config/load.js";
import { ConfigError } from "./config/reader.js";
import { createLogger, errorFields } from "./telemetry/logger.js";
import { startTelemetry } from "./telemetry/otel.js";

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
const logger = createLogger(config.logLevel);
for (const warning of config.warnings) logger.warn("config.warning", { message: warning });

const telemetry = startTelemetry(config.telemetry, config.metricExportIntervalMs);

// Signals are handled from the start: one arriving while starting stops the gateway once it is up.
let running: RunningGateway | undefined;
let stopSignal: string | undefined;
const stop = (signal: string): void => {
  if (stopSignal !== undefined) process.exit(1);
  stopSignal = signal;
  if (!running) return;
  logger.info("gateway.draining", { signal });
  running
    .close()
    .then(() => telemetry.shutdown())
    .then(
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
// SIGHUP re-reads the deployments, routing and default limits; a refusal is logged by the reload itself.
process.on("SIGHUP", () => void running?.reload().catch(() => undefined));
process.on("SIGINT", () => stop("SIGINT"));

running = await startGateway(config, logger, telemetry, { readConfig: () => loadConfig(process.env) }).catch((err: unknown) => {
  // Start-up errors are the gateway's own (ports, database, files): their messages carry no request content.
  process.stderr.write(`aik: could not start: ${err instanceof Error ? err.message : String(err)}\n`);
  logger.error("startup.failed", errorFields(err));
  process.exit(1);
});

process.stderr.write(banner(running, config.dataDir));
logger.info("gateway.started", { http: running.httpUrl, grpc: running.grpcAddress, mode: config.mode.kind });
if (stopSignal !== undefined) {
  const signal = stopSignal;
  stopSignal = undefined;
  stop(signal);
}
