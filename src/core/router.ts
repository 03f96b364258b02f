// Pools of deployments per model name: which members may take a call now and in what order; objects go where they live.
import type { CallContext } from "./context.js";
import type { Deployment, DeploymentKind } from "./deployments.js";
import { GatewayError, modelNotFound } from "./errors.js";
import { notFoundOf, type Call } from "./operation.js";
import type { Step } from "./pipeline.js";
import type { ModelInfo } from "./results.js";
import { plan, type Member } from "./routing/choice.js";
import { MemberHealth, type AttemptOutcome, type MemberState } from "./routing/member-health.js";
import { DEFAULT_ROUTING, type RoutingOptions } from "./routing/options.js";

/** In env-only mode every well-formed model name is a deployment of the same name. */
export type WildcardTemplate = Omit<Deployment, "id" | "deployment" | "model">;

/** What AdminService.ListDeployments shows of a member: its settings and its live state on this replica. */
export interface DeploymentState {
  readonly id: string;
  readonly model: string;
  readonly kind: DeploymentKind;
  readonly priority: number;
  readonly weight: number;
  readonly state: MemberState;
  /** Epoch ms it may take requests again (cooling, open), else undefined. */
  readonly until: number | undefined;
  readonly inFlight: number;
  readonly latencyMs: number | undefined;
  readonly errorRate: number;
}

export interface PoolSettings {
  readonly deployments: readonly Deployment[];
  readonly routing: RoutingOptions;
  /** Client-facing names for a model's pool. */
  readonly aliases: Readonly<Record<string, string>>;
}

const MAX_WILDCARD_ENTRIES = 1024;

export class Router {
  private byName = new Map<string, Member[]>();
  private byId = new Map<string, Deployment>();
  private settings!: PoolSettings;
  /** Health by deployment id: a reload keeps what this replica learnt about members it still has. */
  private readonly health = new Map<string, MemberHealth>();
  private readonly wildcardCache = new Map<string, Member>();
  private readonly created = Math.floor(Date.now() / 1000);

  /** A bare list gets the default routing settings and no aliases. */
  constructor(
    settings: PoolSettings | readonly Deployment[],
    private readonly wildcard?: WildcardTemplate,
  ) {
    this.update(isSettings(settings) ? settings : { deployments: settings, routing: DEFAULT_ROUTING, aliases: {} });
  }

  /** Swaps in a new deployment list (SIGHUP, ReloadConfig); calls in flight keep the deployments they were given. */
  update(settings: PoolSettings): void {
    const byName = new Map<string, Member[]>();
    const byId = new Map<string, Deployment>();
    const live = new Set<string>();
    for (const d of settings.deployments) {
      byId.set(d.id, d);
      live.add(d.id);
      let health = this.health.get(d.id);
      if (!health) {
        health = new MemberHealth(() => this.settings.routing);
        this.health.set(d.id, health);
      }
      const member: Member = { deployment: d, health };
      for (const name of new Set([d.id, d.model])) byName.set(name, [...(byName.get(name) ?? []), member]);
    }
    for (const [alias, model] of Object.entries(settings.aliases)) {
      const pool = byName.get(model);
      if (pool) byName.set(alias, pool);
    }
    for (const id of this.health.keys()) if (!live.has(id)) this.health.delete(id);
    this.settings = settings;
    this.byName = byName;
    this.byId = byId;
  }

  get routing(): RoutingOptions {
    return this.settings.routing;
  }

  /** Every member serving `name` (a model, an alias or a deployment id), healthy or not. */
  pool(name: string): Deployment[] {
    return this.members(name).map((m) => m.deployment);
  }

  /**
   * The members to try for `name`, best first (see routing/choice.ts), among those `eligible`
   * allows. None free right now (all cooling or failing): 503 with the soonest return as retry-after.
   */
  targets(name: string, opts: { eligible?: (d: Deployment) => boolean; affinityKey?: () => string | undefined } = {}, now = Date.now()): Deployment[] {
    const all = this.members(name);
    const eligible = opts.eligible;
    const members = eligible ? all.filter((m) => eligible(m.deployment)) : all;
    const chosen = plan(members, this.settings.routing, opts.affinityKey, now);
    if (chosen.length > 0 || members.length === 0) return chosen;
    throw new GatewayError("unavailable", `Every deployment of '${name}' is cooling down or failing right now; retry later.`, {
      reason: "no_deployment_available",
      retryAfterMs: this.soonestReturnMs(members.map((m) => m.deployment), now),
    });
  }

  /** How long until the first of `deployments` may take requests again (1 s when none says). */
  soonestReturnMs(deployments: readonly Deployment[], now = Date.now()): number {
    let soonest = Infinity;
    for (const d of deployments) {
      const until = this.healthOf(d).until(now);
      if (until > 0 && until < soonest) soonest = until;
    }
    return Number.isFinite(soonest) ? Math.max(1, soonest - now) : 1_000;
  }

  /** Still free to try (the plan was made a moment ago; another call may have opened its breaker since). */
  available(d: Deployment, now = Date.now()): boolean {
    return this.healthOf(d).available(now);
  }

  /** An attempt on `d` starts: counted in flight (and a half-open member's probe taken). Returns its end. */
  begin(d: Deployment, now = Date.now()): () => void {
    return this.healthOf(d).begin(now);
  }

  report(d: Deployment, outcome: AttemptOutcome, now = Date.now()): void {
    this.healthOf(d).report(outcome, now);
  }

  /** Forgets what this replica learnt of its members' health (every member healthy again, as after a restart). */
  resetHealth(): void {
    this.health.clear();
    this.wildcardCache.clear();
    this.update(this.settings);
  }

  states(now = Date.now()): DeploymentState[] {
    return this.settings.deployments.map((d) => {
      const h = this.healthOf(d);
      const until = h.until(now);
      return {
        id: d.id,
        model: d.model,
        kind: d.kind,
        priority: d.priority,
        weight: d.weight,
        state: h.state(now),
        until: until > 0 ? until : undefined,
        inFlight: h.inFlight,
        latencyMs: h.latencyMs(),
        errorRate: h.errorRate(),
      };
    });
  }

  /** The deployment with this gateway id (where an upstream object was created), if it is still configured. */
  deployment(id: string): Deployment | undefined {
    return this.byId.get(id) ?? (this.wildcard ? this.wildcardFor(id, this.wildcard).deployment : undefined);
  }

  /**
   * A name fit for a metric label or a span attribute: a configured model, alias or deployment id
   * as it is, anything else (what a client typed, an env-only wildcard) as "other".
   */
  label(name: string | undefined): string {
    return name !== undefined && this.byName.has(name) ? name : "other";
  }

  /** Model names and aliases clients may ask for. */
  models(): ModelInfo[] {
    const names = new Set([...this.settings.deployments.map((d) => d.model), ...Object.keys(this.settings.aliases)]);
    return [...names].sort().map((id) => ({ id, created: this.created }));
  }

  private members(name: string): Member[] {
    const found = this.byName.get(name);
    if (found) return found;
    if (this.wildcard) return [this.wildcardFor(name, this.wildcard)];
    throw modelNotFound(name);
  }

  /** A deployment a reload removed while a call still used it reports into a throwaway. */
  private healthOf(d: Deployment): MemberHealth {
    return this.health.get(d.id) ?? this.wildcardCache.get(d.id)?.health ?? new MemberHealth(() => this.settings.routing);
  }

  private wildcardFor(name: string, template: WildcardTemplate): Member {
    let m = this.wildcardCache.get(name);
    if (!m) {
      if (this.wildcardCache.size >= MAX_WILDCARD_ENTRIES) this.wildcardCache.clear();
      m = { deployment: { ...template, id: name, deployment: name, model: name }, health: new MemberHealth(() => this.settings.routing) };
      this.wildcardCache.set(name, m);
    }
    return m;
  }
}

function isSettings(s: PoolSettings | readonly Deployment[]): s is PoolSettings {
  return "deployments" in s;
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
  // The key is worked out only when a level has members to choose between (see routing/choice.ts).
  const affinityKey = call.op.affinityKey ? () => call.op.affinityKey?.(call) : undefined;
  const resource = ctx.objects?.resource;
  if (resource === undefined && !call.needsStoredState) return router.targets(model, { affinityKey });
  let pool = router.pool(model);
  if (resource !== undefined) {
    pool = pool.filter((d) => d.endpoint === resource);
    if (pool.length === 0) {
      throw new GatewayError("invalid_argument", `No deployment of '${model}' is on the Azure resource that holds the objects this request references.`, {
        param: "previous_response_id",
        reason: "invalid_value",
      });
    }
  }
  if (call.needsStoredState) {
    pool = pool.filter((d) => d.responsesStore === "client");
    if (pool.length === 0) {
      throw new GatewayError(
        "invalid_argument",
        `The deployments of '${model}' never let Azure store responses (responses_store: never), so 'previous_response_id' and 'background' cannot be used.`,
        { param: call.background ? "background" : "previous_response_id", reason: "stored_responses_disabled" },
      );
    }
  }
  const eligible = new Set(pool);
  return router.targets(model, { eligible: (d) => eligible.has(d), affinityKey });
}
