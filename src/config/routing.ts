// The `routing` section and model `aliases` of the config file.
import type { Deployment } from "../core/deployments.js";
import { isValidName } from "../core/names.js";
import { DEFAULT_ROUTING, type RoutingOptions, type Strategy } from "../core/routing/options.js";
import { ConfigError, type Reader } from "./reader.js";

const STRATEGIES: readonly Strategy[] = ["weighted", "least_busy", "least_latency"];

export function readRouting(r: Reader): RoutingOptions {
  const strategy = r.oneOf("strategy", STRATEGIES, DEFAULT_ROUTING.strategy, `one of ${STRATEGIES.join(", ")}`);
  const breaker = r.child("breaker");
  const options: RoutingOptions = {
    strategy,
    cacheAffinity: r.boolean("cache_affinity") ?? DEFAULT_ROUTING.cacheAffinity,
    maxAttempts: r.integer("max_attempts", 1, 10) ?? DEFAULT_ROUTING.maxAttempts,
    breaker: {
      failures: breaker.integer("failures", 1, 1000) ?? DEFAULT_ROUTING.breaker.failures,
      openMs: breaker.integer("open_ms", 100, 3_600_000) ?? DEFAULT_ROUTING.breaker.openMs,
    },
    defaultCoolMs: r.integer("default_cool_ms", 100, 3_600_000) ?? DEFAULT_ROUTING.defaultCoolMs,
    maxCoolMs: r.integer("max_cool_ms", 1_000, 86_400_000) ?? DEFAULT_ROUTING.maxCoolMs,
  };
  breaker.done();
  r.done();
  return options;
}

/** `aliases: { client-name: model }`: each a valid name, naming a configured model, shadowing no model or deployment id. */
export function readAliases(root: Reader, deployments: readonly Deployment[]): Record<string, string> {
  const section = root.raw("aliases");
  if (section === undefined || section === null) return {};
  if (typeof section !== "object" || Array.isArray(section)) throw new ConfigError("aliases must map client-facing names to model names.");
  const taken = new Set(deployments.flatMap((d) => [d.id, d.model]));
  const models = new Set(deployments.map((d) => d.model));
  const out: Record<string, string> = {};
  for (const [alias, model] of Object.entries(section)) {
    if (!isValidName(alias)) throw new ConfigError(`aliases.${alias.slice(0, 64)} is not a valid model name.`);
    if (typeof model !== "string" || !models.has(model)) throw new ConfigError(`aliases.${alias} must name a configured model.`);
    if (taken.has(alias)) throw new ConfigError(`aliases.${alias} is already a model or deployment id.`);
    out[alias] = model;
  }
  return out;
}
