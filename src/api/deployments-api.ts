// AdminService's view of the routing: the deployments' live state (admins, the operator) and a config reload (the operator).
import type { AdminServiceServer, DeploymentStatus } from "../../gen/aik/v1/admin.js";
import type { AdminCallers } from "../auth/admin-caller.js";
import { actorOf, type AuditEntry } from "../auth/audit.js";
import type { DeploymentState } from "../core/router.js";
import { requireAdmin, requireOperator } from "./access.js";
import type { UnaryApi } from "./unary-api.js";

/** What the gateway offers the control plane of its routing; src/wiring/reload.ts implements reload. */
export interface RoutingControl {
  states(): DeploymentState[];
  /**
   * Applies the config as it now reads and records it in the audit trail as `by`'s act. Throws a
   * GatewayError (400) naming what is wrong when the new config is invalid; the old one then stays.
   */
  reload(by: Pick<AuditEntry, "actor" | "source">): Promise<{ readonly deployments: number; readonly needsRestart: readonly string[] }>;
}

export type DeploymentsApi = UnaryApi<Pick<AdminServiceServer, "listDeployments" | "reloadConfig">>;

export function deploymentsApi(callers: AdminCallers, routing: RoutingControl): DeploymentsApi {
  return {
    async listDeployments(_req, ctx) {
      requireAdmin(await callers.of(ctx));
      return { deployments: routing.states().map(statusMessage) };
    },

    async reloadConfig(_req, ctx) {
      const caller = await callers.of(ctx);
      requireOperator(caller, "Reloading the configuration");
      const result = await routing.reload({ actor: actorOf(caller), source: ctx.peer });
      return { deployments: result.deployments, needsRestart: [...result.needsRestart] };
    },
  };
}

function statusMessage(s: DeploymentState): DeploymentStatus {
  return {
    id: s.id,
    model: s.model,
    kind: s.kind,
    priority: s.priority,
    weight: s.weight,
    state: s.state,
    until: s.until === undefined ? undefined : new Date(s.until),
    inFlight: s.inFlight,
    latencyMs: s.latencyMs === undefined ? undefined : Math.round(s.latencyMs * 10) / 10,
    errorRate: s.errorRate,
  };
}
