// A running gateway takes a new config (SIGHUP, AdminService.ReloadConfig): deployments, aliases, routing, prices, default limits.
import type { Config } from "../config/config.js";
import { ConfigError } from "../config/reader.js";
import type { Deployment } from "../core/deployments.js";
import { GatewayError } from "../core/errors.js";
import type { Limits } from "../core/limits.js";
import type { Router } from "../core/router.js";
import type { RoutingControl } from "../api/deployments-api.js";
import type { FieldChange } from "../auth/audit.js";
import type { Logger } from "../telemetry/logger.js";

/** Settings read at start only: a change to one is reported as needing a restart, never half-applied. */
const AT_START: ReadonlyArray<keyof Config> = [
  "host", "httpPort", "grpcPort", "maxBodyBytes", "production", "tls", "upstream", "shutdownGraceMs", "shutdownDelayMs",
  "headersTimeoutMs", "requestTimeoutMs", "corsOrigins", "database", "dataDir", "redis", "auth", "metering", "logLevel",
  "telemetry", "metricExportIntervalMs", "trustedProxies",
];

export interface ReloadParts {
  readonly initial: Config;
  /** Reads the config again (from the file and environment the process started with). */
  readonly read: () => Config;
  readonly router: Router;
  /** The emulator's deployments in zero-config mode (they come from no file). */
  readonly emulatorDeployments: readonly Deployment[];
  readonly setDefaultLimits: (limits: Limits) => void;
  readonly logger: Logger;
}

/**
 * Calls in flight keep the deployments they were given; new calls use the new list. An invalid
 * config is refused with one log line and changes nothing.
 */
export function reloader(p: ReloadParts): RoutingControl {
  let active = p.initial;
  return {
    states: () => p.router.states(),
    async reload() {
      let next: Config;
      try {
        next = p.read();
      } catch (err) {
        const message = err instanceof ConfigError ? err.message : "the configuration could not be read";
        p.logger.error("config.reload_refused", { message });
        throw new GatewayError("invalid_argument", `The new configuration is refused: ${message}`, { reason: "invalid_config" });
      }
      if (next.mode.kind !== active.mode.kind) {
        const message = `switching from ${active.mode.kind} mode to ${next.mode.kind} mode needs a restart`;
        p.logger.error("config.reload_refused", { message });
        throw new GatewayError("invalid_argument", `The new configuration is refused: ${message}.`, { reason: "invalid_config" });
      }
      const deployments = next.mode.kind === "deployments" ? next.mode.deployments : next.mode.kind === "emulator" ? p.emulatorDeployments : [];
      p.router.update({ deployments, routing: next.routing, aliases: next.aliases });
      p.setDefaultLimits(next.limits.defaults);
      const needsRestart = AT_START.filter((key) => JSON.stringify(next[key]) !== JSON.stringify(active[key])).map(String);
      if (next.mode.kind === "env" && active.mode.kind === "env" && JSON.stringify(next.mode.wildcard) !== JSON.stringify(active.mode.wildcard)) needsRestart.push("mode");
      const changes = reloadChanges(active, next, p.emulatorDeployments);
      active = next;
      p.logger.info("config.reloaded", { deployments: deployments.length, needs_restart: needsRestart.join(",") || undefined });
      return { deployments: deployments.length, needsRestart, changes };
    },
  };
}

/**
 * What a reload changed, for the audit trail: the deployment ids (with their settings, never an API
 * key), the aliases, the routing settings and the default limits, each as a summary old and new.
 */
function reloadChanges(before: Config, after: Config, emulator: readonly Deployment[]): FieldChange[] {
  const deploymentsOf = (c: Config): readonly Deployment[] => (c.mode.kind === "deployments" ? c.mode.deployments : c.mode.kind === "emulator" ? emulator : []);
  const settings = (d: Deployment): string => JSON.stringify({ ...d, apiKey: undefined });
  const summary: Array<[string, (c: Config) => string]> = [
    ["deployments", (c) => deploymentsOf(c).map((d) => d.id).sort().join(",")],
    ["deployment_settings", (c) => deploymentsOf(c).map(settings).sort().join("\n")],
    ["aliases", (c) => JSON.stringify(c.aliases)],
    ["routing", (c) => JSON.stringify(c.routing)],
    ["limits.defaults", (c) => JSON.stringify(c.limits.defaults)],
  ];
  const out: FieldChange[] = [];
  for (const [field, of] of summary) {
    const old = of(before);
    const now = of(after);
    // Settings are long: the row says they changed, the ids say which deployments there are.
    if (old !== now) out.push(field === "deployment_settings" ? { field } : { field, old, new: now });
  }
  return out;
}
