// Deployment choice: by id or model, by priority, throttled deployments last, wildcard names in env-only mode.
import { describe, expect, it } from "vitest";
import type { Deployment } from "../../src/core/deployments.js";
import { GatewayError } from "../../src/core/errors.js";
import { Router } from "../../src/core/router.js";

const base = {
  endpoint: "https://x.openai.azure.com",
  apiKey: "k",
  apiStyle: "v1" as const,
  apiVersion: undefined,
  apiVersionPolicy: "client" as const,
  responsesStore: "client" as const,
  region: undefined,
  price: undefined,
};
const ptu: Deployment = { ...base, id: "ptu", deployment: "gpt-4o-ptu", model: "gpt-4o", priority: 0 };
const paygo: Deployment = { ...base, id: "paygo", deployment: "gpt-4o", model: "gpt-4o", priority: 5 };

describe("Router", () => {
  it("orders a model's deployments by priority and finds one by id", () => {
    const r = new Router([paygo, ptu]);
    expect(r.targets("gpt-4o").map((d) => d.id)).toEqual(["ptu", "paygo"]);
    expect(r.targets("paygo").map((d) => d.id)).toEqual(["paygo"]);
  });

  it("puts a throttled deployment last until its retry-after passes", () => {
    const r = new Router([ptu, paygo]);
    r.markThrottled(ptu, 10_000, 1_000);
    expect(r.targets("gpt-4o", 5_000).map((d) => d.id)).toEqual(["paygo", "ptu"]);
    expect(r.targets("gpt-4o", 11_001).map((d) => d.id)).toEqual(["ptu", "paygo"]);
  });

  it("answers model_not_found for an unknown model", () => {
    const r = new Router([ptu]);
    expect(() => r.targets("gpt-9")).toThrow(GatewayError);
    try {
      r.targets("gpt-9");
    } catch (e) {
      expect(e).toMatchObject({ code: "not_found", reason: "model_not_found", param: "model" });
    }
  });

  it("in env-only mode every name is a deployment of that name", () => {
    const r = new Router([], { ...base, priority: 0 });
    expect(r.targets("my-deployment")[0]).toMatchObject({ id: "my-deployment", deployment: "my-deployment", model: "my-deployment" });
    expect(r.models()).toEqual([]);
  });

  it("lists each model once", () => {
    expect(new Router([ptu, paygo]).models().map((m) => m.id)).toEqual(["gpt-4o"]);
  });
});
