// Pools: priority levels, the strategies, cooling after a 429, the circuit breaker, affinity, aliases and reloads, in memory.
import { describe, expect, it } from "vitest";
import type { Deployment } from "../../src/core/deployments.js";
import { GatewayError } from "../../src/core/errors.js";
import { Router } from "../../src/core/router.js";
import { DEFAULT_ROUTING, type RoutingOptions } from "../../src/core/routing/options.js";

const base = {
  endpoint: "https://x.openai.azure.com",
  auth: { kind: "api_key" as const, apiKey: "k" },
  apiStyle: "v1" as const,
  apiVersion: undefined,
  apiVersionPolicy: "client" as const,
  responsesStore: "client" as const,
  kind: "standard" as const,
  weight: 1,
  region: undefined,
  price: undefined,
};
const ptu: Deployment = { ...base, id: "ptu", deployment: "gpt-4o-ptu", model: "gpt-4o", kind: "provisioned", priority: 0 };
const paygo: Deployment = { ...base, id: "paygo", deployment: "gpt-4o", model: "gpt-4o", priority: 5 };
const east: Deployment = { ...base, id: "east", deployment: "e", model: "gpt-4.1", priority: 1, weight: 3 };
const west: Deployment = { ...base, id: "west", deployment: "w", model: "gpt-4.1", priority: 1, weight: 1 };

function router(deployments: Deployment[], routing: Partial<RoutingOptions> = {}, aliases: Record<string, string> = {}): Router {
  return new Router({ deployments, routing: { ...DEFAULT_ROUTING, ...routing }, aliases });
}

const ids = (ds: Deployment[]): string[] => ds.map((d) => d.id);

describe("Router", () => {
  it("orders a pool by priority level (provisioned first) and finds a member by id", () => {
    const r = router([paygo, ptu]);
    expect(ids(r.targets("gpt-4o"))).toEqual(["ptu", "paygo"]);
    expect(ids(r.targets("paygo"))).toEqual(["paygo"]);
  });

  it("leaves a throttled member out until its retry-after passes (capped), then takes it back", () => {
    const r = router([ptu, paygo], { maxCoolMs: 60_000 });
    r.report(ptu, { kind: "throttled", retryAfterMs: 10_000 }, 1_000);
    expect(ids(r.targets("gpt-4o", {}, 5_000))).toEqual(["paygo"]);
    expect(ids(r.targets("gpt-4o", {}, 11_001))).toEqual(["ptu", "paygo"]);
    r.report(ptu, { kind: "throttled", retryAfterMs: 10 * 3_600_000 }, 20_000);
    expect(r.states(20_000).find((s) => s.id === "ptu")).toMatchObject({ state: "cooling", until: 80_000 });
  });

  it("opens a member's breaker after N consecutive failures, lets one probe through after the back-off, closes on success", () => {
    const r = router([ptu, paygo], { breaker: { failures: 3, openMs: 1_000 } });
    for (let i = 0; i < 3; i++) r.report(ptu, { kind: "failed" }, 100);
    expect(r.states(100).find((s) => s.id === "ptu")?.state).toBe("open");
    expect(ids(r.targets("gpt-4o", {}, 500))).toEqual(["paygo"]);
    // Half-open: one probe. While it is out, nobody else is sent there.
    expect(ids(r.targets("gpt-4o", {}, 1_200))).toEqual(["ptu", "paygo"]);
    const end = r.begin(ptu, 1_200);
    expect(ids(r.targets("gpt-4o", {}, 1_210))).toEqual(["paygo"]);
    // A failed probe opens it again, for twice as long.
    r.report(ptu, { kind: "failed" }, 1_300);
    end();
    expect(r.states(1_300).find((s) => s.id === "ptu")).toMatchObject({ state: "open", until: 3_300 });
    r.begin(ptu, 3_400)();
    r.report(ptu, { kind: "ok", latencyMs: 5 }, 3_400);
    expect(r.states(3_400).find((s) => s.id === "ptu")?.state).toBe("healthy");
  });

  it("opens on a failure ratio over the window even without N in a row", () => {
    const r = router([ptu, paygo], { breaker: { failures: 100, openMs: 1_000 } });
    // Alternating: never 100 in a row, but 6 failures in the last 11 attempts.
    for (let i = 0; i < 11; i++) r.report(ptu, i % 2 === 0 ? { kind: "failed" } : { kind: "ok", latencyMs: 1 }, 10);
    expect(r.states(10).find((s) => s.id === "ptu")?.state).toBe("open");
  });

  it("answers 503 with the soonest member's return when none can take a call", () => {
    const r = router([ptu, paygo]);
    r.report(ptu, { kind: "throttled", retryAfterMs: 4_000 }, 0);
    r.report(paygo, { kind: "throttled", retryAfterMs: 2_000 }, 0);
    expect(() => r.targets("gpt-4o", {}, 100)).toThrow(GatewayError);
    try {
      r.targets("gpt-4o", {}, 100);
    } catch (e) {
      expect(e).toMatchObject({ code: "unavailable", reason: "no_deployment_available", retryAfterMs: 1_900 });
    }
  });

  it("weighted: 3:1 weights share first places 3:1", () => {
    const r = router([east, west]);
    let first = 0;
    for (let i = 0; i < 20_000; i++) if (r.targets("gpt-4.1")[0]?.id === "east") first++;
    expect(first / 20_000).toBeGreaterThan(0.73);
    expect(first / 20_000).toBeLessThan(0.77);
  });

  it("least_busy prefers the member with fewer calls in flight; least_latency the faster one", () => {
    const busy = router([east, west], { strategy: "least_busy" });
    busy.begin(east);
    expect(busy.targets("gpt-4.1")[0]?.id).toBe("west");
    const quick = router([east, west], { strategy: "least_latency" });
    quick.report(east, { kind: "ok", latencyMs: 400 });
    quick.report(west, { kind: "ok", latencyMs: 40 });
    expect(quick.targets("gpt-4.1")[0]?.id).toBe("west");
  });

  it("affinity: one key always leads with the same member while it is available; keys spread over members", () => {
    const r = router([east, { ...west, weight: 3 }]);
    const homes = new Map<string, string>();
    for (let k = 0; k < 200; k++) {
      const key = `prefix-${k}`;
      const home = r.targets("gpt-4.1", { affinityKey: () => key })[0]?.id ?? "";
      for (let i = 0; i < 5; i++) expect(r.targets("gpt-4.1", { affinityKey: () => key })[0]?.id).toBe(home);
      homes.set(key, home);
    }
    const onEast = [...homes.values()].filter((h) => h === "east").length;
    expect(onEast).toBeGreaterThan(60);
    expect(onEast).toBeLessThan(140);
    // The home member cooling: its keys go elsewhere meanwhile.
    const key = [...homes].find(([, h]) => h === "east")?.[0] ?? "";
    r.report(east, { kind: "throttled", retryAfterMs: 1_000 }, Date.now());
    expect(r.targets("gpt-4.1", { affinityKey: () => key })[0]?.id).toBe("west");
    expect(router([east, west], { cacheAffinity: false }).targets("gpt-4.1", { affinityKey: () => key }).length).toBe(2);
  });

  it("aliases name a model's pool; a reload swaps the list and keeps what was learnt of members still there", () => {
    const r = router([ptu, paygo], {}, { fast: "gpt-4o" });
    expect(ids(r.targets("fast"))).toEqual(["ptu", "paygo"]);
    expect(r.models().map((m) => m.id)).toEqual(["fast", "gpt-4o"]);
    r.report(ptu, { kind: "throttled", retryAfterMs: 60_000 });
    r.update({ deployments: [ptu, east], routing: DEFAULT_ROUTING, aliases: {} });
    // paygo is gone and ptu is still cooling: nothing can take gpt-4o now.
    expect(() => r.targets("gpt-4o")).toThrow(/cooling down or failing/);
    expect(r.states().find((s) => s.id === "ptu")?.state).toBe("cooling");
    expect(r.states().map((s) => s.id)).toEqual(["ptu", "east"]);
    expect(() => r.targets("fast")).toThrow(/does not exist/);
  });

  it("answers model_not_found for an unknown model", () => {
    try {
      router([ptu]).targets("gpt-9");
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ code: "not_found", reason: "model_not_found", param: "model" });
    }
  });

  it("in env-only mode every name is a deployment of that name, and labels it 'other'", () => {
    const r = new Router([], { ...base, priority: 0 });
    expect(r.targets("my-deployment")[0]).toMatchObject({ id: "my-deployment", deployment: "my-deployment", model: "my-deployment" });
    expect(r.models()).toEqual([]);
    expect(r.label("my-deployment")).toBe("other");
  });
});
