// The deployments and their live state on the replica that answered (ListDeployments; admins and the operator).
import { callJson } from "../api";
import { listAt, numberAt, objectOf, optionalNumberAt, optionalTextAt, textAt } from "../json";

export interface Deployment {
  readonly id: string;
  readonly model: string;
  readonly kind: string;
  readonly priority: number;
  readonly weight: number;
  readonly state: string;
  readonly until: string | undefined;
  readonly inFlight: number;
  readonly latencyMs: number | undefined;
  readonly errorRate: number;
}

export async function listDeployments(): Promise<Deployment[]> {
  const o = objectOf(await callJson("/v1/admin/deployments"), "deployments");
  return listAt(o, "deployments").map((v) => {
    const d = objectOf(v, "deployment");
    return {
      id: textAt(d, "id"),
      model: textAt(d, "model"),
      kind: textAt(d, "kind"),
      priority: numberAt(d, "priority"),
      weight: numberAt(d, "weight"),
      state: textAt(d, "state"),
      until: optionalTextAt(d, "until"),
      inFlight: numberAt(d, "in_flight"),
      latencyMs: optionalNumberAt(d, "latency_ms"),
      errorRate: numberAt(d, "error_rate"),
    };
  });
}
