// The order a pool's members are tried in: priority levels first, then the strategy, then prompt-cache affinity. In memory, O(pool size).
import type { Deployment } from "../deployments.js";
import type { MemberHealth } from "./member-health.js";
import type { RoutingOptions } from "./options.js";

export interface Member {
  readonly deployment: Deployment;
  readonly health: MemberHealth;
}

/**
 * Members that may be tried now, best first: the lowest priority level that has one comes first
 * (provisioned before standard by default), each level ordered by the strategy, and with an
 * affinity key its member for that key leads its level. Members cooling or with an open breaker
 * are left out: a dead deployment costs nothing until its back-off passes.
 */
export function plan(
  members: readonly Member[],
  options: RoutingOptions,
  affinityKey: (() => string | undefined) | undefined,
  now: number,
  random: () => number = Math.random,
): Deployment[] {
  // One member (most pools): nothing to order, no key to work out.
  if (members.length === 1) {
    const only = members[0] as Member;
    return only.health.available(now) ? [only.deployment] : [];
  }
  const levels = new Map<number, Member[]>();
  for (const m of members) {
    if (!m.health.available(now)) continue;
    const level = levels.get(m.deployment.priority) ?? [];
    level.push(m);
    levels.set(m.deployment.priority, level);
  }
  const out: Deployment[] = [];
  let key: string | undefined;
  let keyed = false;
  for (const priority of [...levels.keys()].sort((a, b) => a - b)) {
    let level = byStrategy(levels.get(priority) ?? [], options, random);
    if (affinityKey !== undefined && options.cacheAffinity && level.length > 1) {
      if (!keyed) {
        key = affinityKey();
        keyed = true;
      }
      if (key !== undefined) {
        const home = rendezvous(level, key);
        level = [home, ...level.filter((m) => m !== home)];
      }
    }
    for (const m of level) out.push(m.deployment);
  }
  return out;
}

function byStrategy(level: Member[], options: RoutingOptions, random: () => number): Member[] {
  if (level.length < 2) return level;
  // Random tie-breaks keep equal members sharing the load.
  const keyed = level.map((m) => ({ m, tie: random() }));
  switch (options.strategy) {
    case "least_busy":
      return keyed.sort((a, b) => a.m.health.inFlight - b.m.health.inFlight || a.tie - b.tie).map((k) => k.m);
    case "least_latency":
      // Unmeasured members count as fastest, so each gets measured.
      return keyed.sort((a, b) => (a.m.health.latencyMs() ?? 0) - (b.m.health.latencyMs() ?? 0) || a.tie - b.tie).map((k) => k.m);
    case "weighted":
      // Weighted sampling without replacement (Efraimidis-Spirakis): larger u^(1/w) first.
      return keyed.map((k) => ({ m: k.m, score: k.tie ** (1 / Math.max(k.m.deployment.weight, 1e-9)) })).sort((a, b) => b.score - a.score).map((k) => k.m);
  }
}

/** Weighted rendezvous hashing: the same key picks the same member while it is available, and members share keys by weight. */
function rendezvous(level: readonly Member[], key: string): Member {
  let best = level[0] as Member;
  let bestScore = Infinity;
  for (const m of level) {
    const u = (fnv1a(`${key}\u0000${m.deployment.id}`) + 0.5) / 2 ** 32;
    const score = -Math.log(u) / Math.max(m.deployment.weight, 1e-9);
    if (score < bestScore) {
      bestScore = score;
      best = m;
    }
  }
  return best;
}

/** FNV-1a, 32 bits: a fast spread for in-memory choices (nothing security-sensitive hangs on it). */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
