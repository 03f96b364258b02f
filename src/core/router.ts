// Chooses the Azure deployments for a call: by model name or id, by priority, skipping throttled ones; objects go where they live.
import type { CallContext } from "./context.js";
import type { Deployment } from "./deployments.js";
import { GatewayError } from "./errors.js";
import { notFoundOf, type Call } from "./operation.js";
import type { Step } from "./pipeline.js";
import type { ModelInfo } from "./results.js";

/** In env-only mode every well-formed model name is a deployment of the same name. */
export type WildcardTemplate = Omit<Deployment, "id" | "deployment" | "model">;

const MAX_WILDCARD_ENTRIES = 1024;

export class Router {
  private readonly byName = new Map<string, Deployment[]>();
  private readonly byId = new Map<string, Deployment>();
  private readonly throttledUntil = new Map<string, number>();
  private readonly wildcardCache = new Map<string, Deployment>();
  private readonly created = Math.floor(Date.now() / 1000);

  constructor(
    private readonly deployments: readonly Deployment[],
    private readonly wildcard?: WildcardTemplate,
  ) {
    for (const d of deployments) {
      this.byId.set(d.id, d);
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
    const found = this.byName.get(name);
    const list = found ?? (this.wildcard ? [this.wildcardFor(name, this.wildcard)] : undefined);
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

  /** The deployment with this gateway id (where an upstream object was created), if it is still configured. */
  deployment(id: string): Deployment | undefined {
    return this.byId.get(id) ?? (this.wildcard ? this.wildcardFor(id, this.wildcard) : undefined);
  }

  /**
   * A name fit for a metric label or a span attribute: a configured model or deployment id as it
   * is, anything else (what a client typed, an env-only wildcard) as "other", so labels stay bounded.
   */
  label(name: string | undefined): string {
    return name !== undefined && this.byName.has(name) ? name : "other";
  }

  /** Azure said 429: prefer the deployment's siblings until its retry-after passes. */
  markThrottled(d: Deployment, retryAfterMs: number, now = Date.now()): void {
    this.throttledUntil.set(d.id, now + retryAfterMs);
  }

  models(): ModelInfo[] {
    const names = new Set(this.deployments.map((d) => d.model));
    return [...names].sort().map((id) => ({ id, created: this.created }));
  }

  private wildcardFor(name: string, template: WildcardTemplate): Deployment {
    let d = this.wildcardCache.get(name);
    if (!d) {
      if (this.wildcardCache.size >= MAX_WILDCARD_ENTRIES) this.wildcardCache.clear();
      d = { ...template, id: name, deployment: name, model: name };
      this.wildcardCache.set(name, d);
    }
    return d;
  }
}

/**
 * The routing step. A model call goes to the model's pool, narrowed to the Azure resource holding
 * the objects it references and, when it needs stored state, to deployments that let Azure store;
 * an object call goes to the deployment that created the object.
 */
export function routeStep(router: Router): Step {
  return {
    name: "route",
    needs: ["caller", "objects"],
    gives: ["targets"],
    wrap: (next) => async (call, ctx) => {
      if (call.op.kind === "model" && call.model !== undefined) ctx.targets = modelTargets(router, call, ctx);
      if (call.op.kind === "object") {
        const holder = ctx.objects?.holder;
        const d = holder === undefined ? undefined : router.deployment(holder);
        if (!d) throw notFoundOf(call);
        ctx.targets = [d];
      }
      return next(call, ctx);
    },
  };
}

function modelTargets(router: Router, call: Call, ctx: CallContext): Deployment[] {
  const model = call.model ?? "";
  let targets = router.targets(model);
  const resource = ctx.objects?.resource;
  if (resource !== undefined) {
    targets = targets.filter((d) => d.endpoint === resource);
    if (targets.length === 0) {
      throw new GatewayError("invalid_argument", `No deployment of '${model}' is on the Azure resource that holds the objects this request references.`, {
        param: "previous_response_id",
        reason: "invalid_value",
      });
    }
  }
  if (call.needsStoredState) {
    const storing = targets.filter((d) => d.responsesStore === "client");
    if (storing.length === 0) {
      throw new GatewayError(
        "invalid_argument",
        `The deployments of '${model}' never let Azure store responses (responses_store: never), so 'previous_response_id' and 'background' cannot be used.`,
        { param: call.background ? "background" : "previous_response_id", reason: "stored_responses_disabled" },
      );
    }
    targets = storing;
  }
  return targets;
}
