// Chooses the Azure deployments for a requested model: by id or model name, by priority, skipping throttled ones.
import type { Deployment } from "./deployments.js";
import { GatewayError } from "./errors.js";
import type { Step } from "./pipeline.js";
import { modelOf } from "./pipeline.js";
import type { ModelInfo } from "./results.js";

/** In env-only mode every well-formed model name is a deployment of the same name. */
export type WildcardTemplate = Omit<Deployment, "id" | "deployment" | "model">;

const MAX_WILDCARD_ENTRIES = 1024;

export class Router {
  private readonly byName = new Map<string, Deployment[]>();
  private readonly throttledUntil = new Map<string, number>();
  private readonly wildcardCache = new Map<string, Deployment>();
  private readonly created = Math.floor(Date.now() / 1000);

  constructor(
    private readonly deployments: readonly Deployment[],
    private readonly wildcard?: WildcardTemplate,
  ) {
    for (const d of deployments) {
      for (const name of new Set([d.id, d.model])) {
        const list = this.byName.get(name) ?? [];
        list.push(d);
        this.byName.set(name, list);
      }
    }
    for (const list of this.byName.values()) list.sort((a, b) => a.priority - b.priority);
  }

  /** Deployments to try for `name`, best first; throttled ones go last rather than vanish. */
  targets(name: string, now = Date.now()): Deployment[] {
    const list = this.byName.get(name) ?? this.wildcardFor(name);
    if (!list) {
      throw new GatewayError("not_found", `The model '${name}' does not exist or is not served by this gateway.`, {
        param: "model",
        reason: "model_not_found",
      });
    }
    if (list.length < 2) return list;
    const ready = list.filter((d) => (this.throttledUntil.get(d.id) ?? 0) <= now);
    return ready.length === list.length ? list : [...ready, ...list.filter((d) => !ready.includes(d))];
  }

  /** Azure said 429: prefer the deployment's siblings until its retry-after passes. */
  markThrottled(d: Deployment, retryAfterMs: number, now = Date.now()): void {
    this.throttledUntil.set(d.id, now + retryAfterMs);
  }

  models(): ModelInfo[] {
    const names = new Set(this.deployments.map((d) => d.model));
    return [...names].sort().map((id) => ({ id, created: this.created, ownedBy: "azure-openai" }));
  }

  private wildcardFor(name: string): Deployment[] | undefined {
    if (!this.wildcard) return undefined;
    let d = this.wildcardCache.get(name);
    if (!d) {
      if (this.wildcardCache.size >= MAX_WILDCARD_ENTRIES) this.wildcardCache.clear();
      d = { ...this.wildcard, id: name, deployment: name, model: name };
      this.wildcardCache.set(name, d);
    }
    return [d];
  }
}

/** The routing step: resolves the call's model to the deployments to try. */
export function routeStep(router: Router): Step {
  return (next) => async (call, ctx) => {
    const model = modelOf(call);
    if (model !== undefined) ctx.targets = router.targets(model);
    return next(call, ctx);
  };
}
