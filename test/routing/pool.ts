// A test gateway whose model "gpt-4.1" is served by a pool the test describes: members on the emulator or on a dead port.
import type { Config } from "../../src/config/config.js";
import type { Deployment, DeploymentKind } from "../../src/core/deployments.js";
import { DEFAULT_ROUTING, type RoutingOptions } from "../../src/core/routing/options.js";
import { startTestGateway, type TestGateway } from "../support/gateway.js";
import { freePort } from "../support/ports.js";

export const POOL_MODEL = "gpt-4.1";

export interface PoolMember {
  readonly id: string;
  /** The emulator deployment it calls (gpt-4.1-ptu, -paygo, -east, -west). */
  readonly deployment: string;
  readonly kind?: DeploymentKind;
  readonly priority?: number;
  readonly weight?: number;
  /** A member on a port nothing listens on: every connection is refused. */
  readonly dead?: boolean;
}

export interface PoolOptions {
  readonly routing?: Partial<RoutingOptions>;
  readonly aliases?: Record<string, string>;
  readonly upstream?: Partial<Config["upstream"]>;
}

/** The usual test gateway, with "gpt-4.1" served by `members` instead of the standard pair. */
export async function startPoolGateway(members: readonly PoolMember[], options: PoolOptions = {}): Promise<TestGateway> {
  const deadEndpoint = `http://127.0.0.1:${await freePort()}`;
  return startTestGateway({}, (c) => {
    if (c.mode.kind !== "deployments") throw new Error("the test gateway runs in deployments mode");
    const others = c.mode.deployments.filter((d) => d.model !== POOL_MODEL);
    const template = c.mode.deployments.find((d) => d.model === POOL_MODEL) ?? others[0];
    if (!template) throw new Error("no deployment to copy");
    const pool: Deployment[] = members.map((m) => ({
      ...template,
      id: m.id,
      deployment: m.deployment,
      model: POOL_MODEL,
      apiStyle: "v1",
      apiVersion: undefined,
      kind: m.kind ?? "standard",
      priority: m.priority ?? 0,
      weight: m.weight ?? 1,
      endpoint: m.dead ? deadEndpoint : template.endpoint,
    }));
    return {
      ...c,
      mode: { kind: "deployments", deployments: [...others, ...pool] },
      routing: { ...DEFAULT_ROUTING, ...options.routing, breaker: { ...DEFAULT_ROUTING.breaker, ...options.routing?.breaker } },
      aliases: options.aliases ?? {},
      upstream: { ...c.upstream, ...options.upstream },
    };
  });
}

/** How many requests the emulator saw per deployment, and with which statuses. */
export function seenBy(t: TestGateway): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const r of t.emulator.requests) {
    if (r.deployment === undefined) continue;
    out.set(r.deployment, [...(out.get(r.deployment) ?? []), r.status]);
  }
  return out;
}
