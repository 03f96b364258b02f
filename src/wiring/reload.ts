// A running gateway takes a new config (SIGHUP, AdminService.ReloadConfig): deployments, aliases, routing, prices, default limits.
import type { Config } from "../config/config.js";
import { ConfigError } from "../config/reader.js";
import type { AzureAuth, Deployment } from "../core/deployments.js";
import { GatewayError } from "../core/errors.js";
import type { Limits } from "../core/limits.js";
import type { Router } from "../core/router.js";
import type { RoutingControl } from "../api/deployments-api.js";
import type { AuditSink, FieldChange } from "../auth/audit.js";
import { errorFields, type Logger } from "../telemetry/logger.js";
import { poolSettings } from "./upstream.js";

/** What a reload applies; every other setting (and `limits` beyond its defaults) is read at start only. */
const RELOADED: ReadonlySet<keyof Config> = new Set(["mode", "routing", "aliases", "limits", "warnings"]);

export interface ReloadParts {
  readonly initial: Config;
  /** Reads the config again (from the file and environment the process started with). */
  readonly read: () => Config;
  readonly router: Router;
  /** The emulator's deployments in zero-config mode (they come from no file). */
  readonly emulatorDeployments: readonly Deployment[];
  /** Fetches the Entra tokens new deployments need and retires those no deployment uses any more. */
  readonly prepareUpstream: (deployments: readonly Deployment[]) => void;
  readonly setDefaultLimits: (limits: Limits) => void;
  readonly audit: AuditSink;
  readonly logger: Logger;
}

/**
 * Calls in flight keep the deployments they were given; new calls use the new list. An invalid
 * config is refused with one log line and changes nothing; an applied one is audited.
 */
export function reloader(p: ReloadParts): RoutingControl {
  let active = p.initial;
  const refuse = (message: string): GatewayError => {
    p.logger.error("config.reload_refused", { message });
    return new GatewayError("invalid_argument", `The new configuration is refused: ${message}`, { reason: "invalid_config" });
  };
  return {
    states: () => p.router.states(),
    async reload(by) {
      let next: Config;
      try {
        next = p.read();
      } catch (err) {
        throw refuse(err instanceof ConfigError ? err.message : "the configuration could not be read");
      }
      if (next.mode.kind !== active.mode.kind) throw refuse(`switching from ${active.mode.kind} mode to ${next.mode.kind} mode needs a restart.`);
      const pools = poolSettings(next, p.emulatorDeployments);
      p.prepareUpstream(pools.deployments);
      p.router.update(pools);
      p.setDefaultLimits(next.limits.defaults);
      const needsRestart = restartOnly(active, next);
      const changes = reloadChanges(active, next, p.emulatorDeployments);
      active = next;
      p.logger.info("config.reloaded", { deployments: pools.deployments.length, needs_restart: needsRestart.join(",") || undefined });
      // Applied is applied: a failed audit write is logged, never turned into a failed reload.
      await p.audit
        .append({ ...by, action: "config.reloaded", targetId: undefined, changes })
        .catch((err: unknown) => p.logger.error("audit.write_failed", { action: "config.reloaded", ...errorFields(err) }));
      return { deployments: pools.deployments.length, needsRestart };
    },
  };
}

/** Settings that changed but are read at start only. */
function restartOnly(before: Config, after: Config): string[] {
  const differs = (a: unknown, b: unknown): boolean => JSON.stringify(a) !== JSON.stringify(b);
  const out: string[] = (Object.keys(after) as Array<keyof Config>).filter((key) => !RELOADED.has(key) && differs(before[key], after[key]));
  if (differs({ ...before.limits, defaults: undefined }, { ...after.limits, defaults: undefined })) out.push("limits");
  if (before.mode.kind === "env" && after.mode.kind === "env" && differs(before.mode.wildcard, after.mode.wildcard)) out.push("mode");
  return out;
}

/** A deployment's credential as the audit trail may show it: its kind and ids, never a key or a secret. */
function credentialSummary(a: AzureAuth): Record<string, string | undefined> {
  return a.kind === "api_key" ? { kind: a.kind } : { kind: a.kind, tenantId: a.tenantId, clientId: a.clientId, authorityHost: a.authorityHost, secret: a.clientSecret === undefined ? undefined : "set" };
}

/**
 * What a reload changed, for the audit trail: the deployment ids (with their settings, never an API
 * key or a client secret), the aliases, the routing settings and the default limits, each as a summary old and new.
 */
function reloadChanges(before: Config, after: Config, emulator: readonly Deployment[]): FieldChange[] {
  const deploymentsOf = (c: Config): readonly Deployment[] => poolSettings(c, emulator).deployments;
  // Never a key or a client secret: the credential is summed up by its kind and ids.
  const settings = (d: Deployment): string => JSON.stringify({ ...d, auth: credentialSummary(d.auth) });
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
