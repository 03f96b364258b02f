// The emulator's own HTTP surface, for tests and benchmarks that run it in another process; no api-key.
import { parseFaultRule } from "./faults.js";
import type { EmulatorState } from "./emulator-state.js";
import type { Exchange } from "./exchange.js";
import { readBody } from "./json-body.js";
import { parseTiming } from "./options.js";
import type { Route } from "./routes.js";
import { deploymentNotFound, openAiError, resourceNotFound, WireError } from "./wire-errors.js";

type ControlRoute = Extract<Route, { kind: "control-faults" | "control-requests" | "control-timing" }>;

export async function serveControl(ex: Exchange, state: EmulatorState, route: ControlRoute): Promise<void> {
  const method = ex.req.method ?? "GET";
  switch (route.kind) {
    case "control-faults": {
      if (!state.deployments.has(route.deployment)) return ex.error(deploymentNotFound());
      if (method === "DELETE") {
        state.faults.set(route.deployment, undefined);
        return ex.noContent();
      }
      if (method !== "PUT") return ex.error(resourceNotFound());
      const input = await readJson(ex);
      if (input instanceof WireError) return ex.error(input);
      const rule = parseFaultRule(input);
      if (typeof rule === "string") return ex.error(openAiError(400, rule, "fault", "invalid_value"));
      state.faults.set(route.deployment, rule);
      return ex.noContent();
    }
    case "control-requests":
      if (method === "GET") return ex.json(200, JSON.stringify(state.log.withoutBodies()));
      if (method === "DELETE") {
        state.log.clear();
        return ex.noContent();
      }
      return ex.error(resourceNotFound());
    case "control-timing": {
      if (method !== "PUT") return ex.error(resourceNotFound());
      const input = await readJson(ex);
      if (input instanceof WireError) return ex.error(input);
      const timing = parseTiming(input);
      if (typeof timing === "string") return ex.error(openAiError(400, timing, "timing", "invalid_value"));
      Object.assign(state.timing, timing);
      return ex.noContent();
    }
  }
}

async function readJson(ex: Exchange): Promise<unknown> {
  const raw = await readBody(ex.req);
  if (raw === undefined) return new WireError(400, "");
  if (raw instanceof WireError) return raw;
  try {
    return JSON.parse(raw.toString("utf8"));
  } catch {
    return openAiError(400, "the body must be JSON", null, "invalid_json");
  }
}
